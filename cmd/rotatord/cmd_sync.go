package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/file"
	"github.com/rotatord/rotatord/internal/sinkset"
)

// defaultSyncInterval is the poll interval when neither --interval nor the
// policy's syncInterval sets one.
const defaultSyncInterval = 30 * time.Second

// syncPollTimeout is the least time one poll of the central sink may take.
const syncPollTimeout = 10 * time.Second

type syncFlags struct {
	configPath, policyName, to, format, envKey, logFormat string
	sinkIndex                                             int
	interval                                              time.Duration
	once                                                  bool
}

func parseSyncFlags(args []string, stdout io.Writer) (syncFlags, error) {
	var f syncFlags
	fs := newFlagSet("sync", "sync --policy NAME --to PATH [--config FILE] [--sink INDEX] [--format raw|json|env] [--interval D] [--once]", stdout)
	fs.StringVar(&f.configPath, "config", configFlagDefault(),
		"configuration file (env ROTATORD_CONFIG)")
	fs.StringVar(&f.policyName, "policy", "", "policy whose secret to copy (required)")
	fs.StringVar(&f.to, "to", "",
		"absolute path of the local file to write (required); its folder must exist")
	fs.IntVar(&f.sinkIndex, "sink", -1,
		"index of the policy's sink to follow (default: its first vault or awssm sink)")
	fs.StringVar(&f.format, "format", file.FormatRaw, "file format: raw, json or env")
	fs.StringVar(&f.envKey, "env-key", "INFLUX_TOKEN", "variable name for --format env")
	fs.DurationVar(&f.interval, "interval", 0,
		"how often to poll the central sink (default: the policy's syncInterval, else 30s)")
	fs.BoolVar(&f.once, "once", false,
		"copy once and exit, failing if there is nothing to copy (for init containers)")
	fs.StringVar(&f.logFormat, "log-format", "", "log format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if f.policyName == "" || f.to == "" {
		return f, usageErrorf("sync: --policy and --to are required")
	}
	return f, nil
}

// runSync follows the current secret of a policy's central sink and copies
// it into a local file whenever it changes. It is the role of a sidecar
// next to an application: one rotator rotates, every pod syncs.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseSyncFlags(args, stdout)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	p, ok := cfg.Policy(f.policyName)
	if !ok {
		return usageErrorf("sync: policy %q is not in %s", f.policyName, f.configPath)
	}
	idx, err := centralSink(*p, f.sinkIndex)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cmp.Or(f.logFormat, cfg.Log.Format), cfg.Log.Level).With("policy",
		p.Name)

	dst, err := file.New(policy.FileSink{Path: f.to, Format: f.format, EnvKey: f.envKey}, p.Name)
	if err != nil {
		return usageError{fmt.Errorf("sync: --to: %w", err)}
	}
	src, err := sinkset.OpenOne(ctx, p.Sinks[idx], p.Name, logger)
	if err != nil {
		return fmt.Errorf("sync: open policies[%s].sinks[%d]: %w", p.Name, idx, err)
	}
	defer sinkset.Close([]sinks.Sink{src})

	interval := f.interval
	if interval <= 0 {
		interval = cmp.Or(p.SyncInterval, defaultSyncInterval)
	}
	logger.Info("sync started", "from", src.ID(), "to", dst.ID(), "interval", interval)
	return syncLoop(ctx, src, dst, interval, f.once, logger)
}

// centralSink returns the index of the sink to follow.
func centralSink(p policy.Policy, index int) (int, error) {
	if index >= 0 {
		if index >= len(p.Sinks) {
			return 0, usageErrorf("sync: --sink %d: policy %s has %d sinks", index, p.Name,
				len(p.Sinks))
		}
		return index, nil
	}
	for i, s := range p.Sinks {
		if s.Type == policy.SinkVault || s.Type == policy.SinkAWSSM {
			return i, nil
		}
	}
	return 0, usageErrorf("sync: policy %s has no vault or awssm sink to follow; add one or pass --sink", p.Name)
}

func syncLoop(ctx context.Context, src, dst sinks.Sink, interval time.Duration, once bool,
	logger *slog.Logger) error {
	var lastErr error
	repeats := 0
	for {
		// A stalled central sink must surface as a logged error, not as a
		// sidecar that silently stops following.
		pollCtx, cancel := context.WithTimeout(ctx, max(interval, syncPollTimeout))
		err := syncOnce(pollCtx, src, dst, logger)
		cancel()
		if once {
			return err
		}
		repeats = logSyncError(logger, err, lastErr, repeats)
		lastErr = err
		select {
		case <-ctx.Done():
			logger.Info("sync stopped")
			return nil
		case <-time.After(interval):
		}
	}
}

// logSyncError logs a failed poll. The same error again is logged only
// every syncErrorEvery polls, so a short interval does not flood the log
// while a sink is down. It returns the count of repeats.
func logSyncError(logger *slog.Logger, err, last error, repeats int) int {
	if err == nil {
		if last != nil {
			logger.Info("sync recovered")
		}
		return 0
	}
	if last == nil || last.Error() != err.Error() {
		repeats = 0
	} else if repeats++; repeats%syncErrorEvery != 0 {
		return repeats
	}
	logger.Error("sync failed; retrying at the next interval", "error", err, "repeats", repeats)
	return repeats
}

// syncErrorEvery is how many polls apart the same error is logged again.
const syncErrorEvery = 30

var errNothingToSync = errors.New("the central sink holds no current secret yet")

// syncOnce copies the central sink's current secret into dst unless dst
// already holds it. The copy goes through the file sink's stage and
// promote, so it is atomic and has mode 0600.
func syncOnce(ctx context.Context, src, dst sinks.Sink, logger *slog.Logger) error {
	st, err := src.Read(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.ID(), err)
	}
	if st.Current == nil || st.Current.TokenID == "" {
		return fmt.Errorf("read %s: %w", src.ID(), errNothingToSync)
	}
	local, err := dst.Read(ctx)
	if err == nil && local.Current != nil && local.Current.TokenID == st.Current.TokenID &&
		local.Current.Token.Equal(st.Current.Token) {
		return nil
	}
	if err := dst.Stage(ctx, *st.Current); err != nil {
		return fmt.Errorf("write %s: %w", dst.ID(), err)
	}
	if err := dst.Promote(ctx, st.Current.TokenID); err != nil {
		return fmt.Errorf("write %s: %w", dst.ID(), err)
	}
	logger.Info("secret updated", "token_id", st.Current.TokenID, "to", dst.ID())
	return nil
}
