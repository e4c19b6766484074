package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
	"github.com/rotatord/rotatord/internal/sinks/file"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rotate",
		"rotate --now [--config FILE] [--policy NAME]... [--dry-run] [--output text|json]", stdout)
	now := fs.Bool("now", false, "rotate now instead of waiting for the schedule (required)")
	configPath := fs.String("config", configFlagDefault(),
		"configuration file (env ROTATORD_CONFIG)")
	var names stringList
	fs.Var(&names, "policy", "rotate only this policy; repeat for several (default: every policy)")
	dryRun := fs.Bool("dry-run", false, "print what would be done and change nothing")
	output := fs.String("output", "text", "result format: text or json")
	logFormat := fs.String("log-format", "", "log format: text or json (default: the config's, else text on a terminal and json otherwise)")
	demo := fs.String("demo", "", "rotate a demo token on a built-in emulator, writing the secret under this folder; needs no config")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*now {
		return usageErrorf("rotate: --now is required; scheduled rotation is \"rotatord run\"")
	}
	if *output != "text" && *output != "json" {
		return usageErrorf("rotate: --output %q is not supported; use text or json", *output)
	}

	var cfg *policy.Config
	var err error
	if *demo != "" {
		var stop func()
		cfg, stop, err = startDemo(ctx, *demo)
		if err != nil {
			return err
		}
		defer stop()
	} else if cfg, err = loadConfig(*configPath); err != nil {
		return err
	}
	for _, n := range names {
		if _, ok := cfg.Policy(n); !ok {
			return usageErrorf("rotate: policy %q is not in %s; run \"rotatord validate\" to list the policies", n, *configPath)
		}
	}

	format := cfg.Log.Format
	if *logFormat != "" {
		format = *logFormat
	}
	logger := newLogger(stderr, format, cfg.Log.Level)
	for _, w := range cfg.Warnings {
		logger.Warn("configuration warning", "warning", w)
	}
	engine, err := newEngine(cfg, engineSetup{logger: logger, stderr: stderr})
	if err != nil {
		return err
	}
	defer engine.Close()

	if !*dryRun {
		if err := engine.Reconcile(ctx, names...); err != nil {
			logger.Error("start-up reconciliation failed", "error", err)
		}
	}
	results := engine.RotateMany(ctx, names, rotate.RunOptions{DryRun: *dryRun, Trigger: "manual"})
	if err := printResults(stdout, *output, results); err != nil {
		return err
	}
	if *demo != "" && *output == "text" && !*dryRun {
		fmt.Fprintf(stdout,
			"The new secret is in %s (raw) and %s (JSON with metadata), mode 0600.\n",
			cfg.Policies[0].Sinks[0].File.Path, cfg.Policies[0].Sinks[1].File.Path)
	}
	return failedResults(results)
}

// resultView is a Result as the rotate command prints it.
type resultView struct {
	rotate.Result
	Error string `json:"error,omitempty"`
}

func printResults(w io.Writer, format string, results []rotate.Result) error {
	if format == "json" {
		views := make([]resultView, len(results))
		for i, r := range results {
			views[i] = resultView{Result: r}
			if r.Err != nil {
				views[i].Error = r.Err.Error()
			}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(views)
	}
	for _, r := range results {
		fmt.Fprintln(w, summarize(r))
		for _, a := range r.Actions {
			fmt.Fprintf(w, "  - %s\n", a)
		}
	}
	return nil
}

func summarize(r rotate.Result) string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("policy %s: FAILED: %v", r.Policy, r.Err)
	case r.DryRun:
		return fmt.Sprintf("policy %s: plan (nothing changed)", r.Policy)
	case r.OldTokenID == "":
		return fmt.Sprintf("policy %s: created first token %s", r.Policy, r.NewTokenID)
	default:
		return fmt.Sprintf("policy %s: rotated token %s -> %s", r.Policy, r.OldTokenID,
			r.NewTokenID)
	}
}

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", "validate [--config FILE]", stdout)
	configPath := fs.String("config", configFlagDefault(),
		"configuration file (env ROTATORD_CONFIG)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if problems := checkLocal(cfg); len(problems) > 0 {
		return usageErrorf("%s is valid, but this machine cannot run it:\n  %s",
			*configPath, strings.Join(problems, "\n  "))
	}
	names := make([]string, len(cfg.Policies))
	for i, p := range cfg.Policies {
		names[i] = p.Name
	}
	fmt.Fprintf(stdout, "%s is valid: %d policies (%s)\n", *configPath, len(names),
		strings.Join(names, ", "))
	return nil
}

// checkLocal finds what the configuration needs from this machine and
// lacks: a readable management token and the folders of file sinks. It
// contacts no server.
func checkLocal(cfg *policy.Config) []string {
	var problems []string
	if _, err := cfg.Cluster.ReadManagementToken(os.Getenv); err != nil {
		problems = append(problems, "cluster.managementToken: "+err.Error())
	}
	for i, p := range cfg.Policies {
		for j, s := range p.Sinks {
			if s.Type != policy.SinkFile {
				continue
			}
			if _, err := file.New(s.File, p.Name); err != nil {
				problems = append(problems, fmt.Sprintf("policies[%d].sinks[%d].path: %v", i, j,
					err))
				continue
			}
			dir := filepath.Dir(s.File.Path)
			if err := syscall.Access(dir, accessWrite); err != nil {
				problems = append(problems, fmt.Sprintf(
					"policies[%d].sinks[%d].path: folder %s is not writable by this user (%v); "+
						"run rotatord as a user that may write there", i, j, dir, err))
			}
		}
	}
	return problems
}

// accessWrite is the W_OK mode of access(2).
const accessWrite = 0x2

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotatord %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS,
		runtime.GOARCH)
	return nil
}
