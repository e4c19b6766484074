// Command rotatord rotates InfluxDB Cloud Dedicated database tokens without
// an outage. See README.md for the commands and their flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// The zone database is compiled in, so CRON_TZ schedules work in
	// images without /usr/share/zoneinfo, such as the distroless one.
	_ "time/tzdata"
)

// Exit codes shared by every command.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError marks an error caused by bad flags or configuration, which
// exits with status 2 instead of 1.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// command is one subcommand: its one-line summary and its entry point.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"run":         {"run the rotation service: schedules, status listener, signals", runService},
		"sync":        {"copy the current secret from a central sink into a local file", runSync},
		"rotate":      {"rotate policies now: rotate --now [--policy NAME]... [--dry-run]", runRotate},
		"plan":        {"show what the next run would create, patch and delete", runPlan},
		"status":      {"show each policy's token, last rotation and next due time", runStatus},
		"validate":    {"check a configuration file and report every problem", runValidate},
		"emulator":    {"serve an emulated Management API and data plane on loopback", runEmulator},
		"healthcheck": {"probe a running daemon's health endpoint, for container probes", runHealthcheck},
		"version":     {"print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "rotatord: unknown command %q; run \"rotatord --help\" for the list\n", args[0])
		return exitUsage
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "rotatord: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailed
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: rotatord COMMAND [FLAGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, name := range []string{"run", "sync", "rotate", "plan", "status", "validate", "emulator", "healthcheck", "version"} {
		fmt.Fprintf(w, "  %-12s %s\n", name, commands()[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"rotatord COMMAND --help\" for a command's flags.")
}
