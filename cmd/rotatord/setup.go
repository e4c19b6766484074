package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinkset"
)

// defaultConfigPath is used when neither --config nor ROTATORD_CONFIG is set.
const defaultConfigPath = "/etc/rotatord/config.yaml"

// haltEnv names a step at which rotatord stops dead and waits to be
// killed. It exists for the crash tests, which send SIGKILL at each step;
// it is not meant for operators.
const haltEnv = "ROTATORD_TEST_HALT_AT"

func configFlagDefault() string {
	if v := os.Getenv("ROTATORD_CONFIG"); v != "" {
		return v
	}
	return defaultConfigPath
}

// loadConfig loads and validates the configuration; any problem with it is
// a usage error.
func loadConfig(path string) (*policy.Config, error) {
	cfg, err := policy.Load(path, os.Environ())
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// newLogger returns a logger that writes to w: text on a terminal and JSON
// otherwise, unless format names one.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "text" || (format != "json" && isTerminal(w)) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// engineSetup holds the logger, observers and output an engine needs
// beyond the configuration.
type engineSetup struct {
	logger   *slog.Logger
	observer rotate.Observer
	observe  func(operation string, status int, elapsed time.Duration)
	stderr   io.Writer
}

// newClient builds the Management API client of cfg.
func newClient(cfg *policy.Config, setup engineSetup) (*mgmt.Client, error) {
	token, err := cfg.Cluster.ReadManagementToken(os.Getenv)
	if err != nil {
		return nil, usageError{err}
	}
	burst := max(1, int(cfg.Cluster.RateLimit))
	return mgmt.New(mgmt.Options{
		BaseURL: cfg.Cluster.ManagementURL, AccountID: cfg.Cluster.AccountID,
		ClusterID: cfg.Cluster.ClusterID, Token: token,
		RequestTimeout: cfg.Cluster.RequestTimeout, MaxRetries: cfg.Cluster.MaxRetries,
		Limiter: rate.NewLimiter(rate.Limit(cfg.Cluster.RateLimit), burst),
		Logger:  setup.logger, Observe: setup.observe,
	})
}

// newEngine builds the rotation engine for cfg.
func newEngine(cfg *policy.Config, setup engineSetup) (*rotate.Engine, error) {
	client, err := newClient(cfg, setup)
	if err != nil {
		return nil, err
	}
	var prober rotate.Prober
	if cfg.Cluster.DataPlaneURL != "" {
		prober = rotate.HTTPProber{BaseURL: cfg.Cluster.DataPlaneURL}
	}
	opts := rotate.Options{
		Config: cfg, API: client, Prober: prober, Logger: setup.logger, Observer: setup.observer,
		OpenSinks: func(ctx context.Context, p policy.Policy) ([]sinks.Sink, error) {
			return sinkset.Open(ctx, p, setup.logger)
		},
	}
	if step := os.Getenv(haltEnv); step != "" {
		opts.StepHook = haltHook(step, setup.stderr)
	}
	return rotate.New(opts)
}

// haltHook stops the process at step until it is killed.
func haltHook(step string, stderr io.Writer) func(policy, step string) {
	return func(policyName, got string) {
		if got != step {
			return
		}
		fmt.Fprintf(stderr, "halted policy %s at step %s\n", policyName, got)
		select {}
	}
}

// failedResults joins the errors of failed rotations.
func failedResults(results []rotate.Result) error {
	var errs []error
	var names []string
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
			names = append(names, r.Policy)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("rotation failed for %s: %w", strings.Join(names, ", "), errors.Join(errs...))
}

// lockStateDir takes the exclusive lock that lets only one "rotatord run"
// use a state directory.
func lockStateDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("run: create state directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, "run.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("run: lock state directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("run: another rotatord run uses state directory %s (lock %s: %w); "+
			"stop it, or give this one its own stateDir", dir, path, err)
	}
	return func() { f.Close() }, nil
}
