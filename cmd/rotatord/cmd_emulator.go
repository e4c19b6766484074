package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rotatord/rotatord/internal/emulator"
)

// emulatorFlags holds the flags of the emulator command.
type emulatorFlags struct {
	listen          string
	tokenFile       string
	tokenEnv        string
	accountID       string
	clusterID       string
	activationDelay time.Duration
	allowRemote     bool
}

func parseEmulatorFlags(args []string, stdout io.Writer) (emulatorFlags, error) {
	var f emulatorFlags
	fs := newFlagSet("emulator",
		"emulator [--listen ADDR] [--management-token-file PATH] [FLAGS]", stdout)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8181",
		"`address` to serve the Management API and data plane on")
	fs.StringVar(&f.tokenFile, "management-token-file", "",
		"read the management token from this `file`")
	fs.StringVar(&f.tokenEnv, "management-token-env", "ROTATORD_EMULATOR_TOKEN",
		"read the management token from this environment `variable` when no file is given")
	fs.StringVar(&f.accountID, "account-id", emulator.DefaultAccountID,
		"account `UUID` the Management API paths must contain")
	fs.StringVar(&f.clusterID, "cluster-id", emulator.DefaultClusterID,
		"cluster `UUID` the Management API paths must contain")
	fs.DurationVar(&f.activationDelay, "activation-delay", 5*time.Second,
		"how long a new database token answers 401 on the data plane")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a listen address that is not loopback")
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	return f, f.validate()
}

func (f emulatorFlags) validate() error {
	if f.activationDelay < 0 {
		return usageErrorf("emulator: invalid --activation-delay %s: must not be negative",
			f.activationDelay)
	}
	ids := map[string]string{"--account-id": f.accountID, "--cluster-id": f.clusterID}
	for name, id := range ids {
		if !isUUID(id) {
			return usageErrorf("emulator: invalid %s %q: must be a UUID such as %s",
				name, id, emulator.DefaultAccountID)
		}
	}
	if !f.allowRemote && !isLoopback(f.listen) {
		return usageErrorf("emulator: --listen %q is not a loopback address; "+
			"use 127.0.0.1 or ::1, or pass --allow-remote to expose the emulator", f.listen)
	}
	return nil
}

// isUUID reports whether s has the 8-4-4-4-12 hex form of a UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		dash := i == 8 || i == 13 || i == 18 || i == 23
		hexDigit := strings.ContainsRune("0123456789abcdefABCDEF", c)
		if dash != (c == '-') || (!dash && !hexDigit) {
			return false
		}
	}
	return true
}

// isLoopback reports whether a listen address only accepts local clients.
// An empty host means every interface, so it is not loopback.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// managementToken returns the management token and where it came from:
// the file, the environment variable, or the well-known default.
func (f emulatorFlags) managementToken() (token, source string, err error) {
	if f.tokenFile != "" {
		data, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", "", fmt.Errorf("emulator: read management token: %w", err)
		}
		token = strings.TrimSpace(string(data))
		if token == "" {
			return "", "", usageErrorf("emulator: management token file %s is empty", f.tokenFile)
		}
		return token, "management token from " + f.tokenFile, nil
	}
	if f.tokenEnv != "" {
		if token = strings.TrimSpace(os.Getenv(f.tokenEnv)); token != "" {
			return token, "management token from $" + f.tokenEnv, nil
		}
	}
	source = "default management token " + emulator.DefaultManagementToken
	return emulator.DefaultManagementToken, source, nil
}

func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseEmulatorFlags(args, stdout)
	if err != nil {
		return err
	}
	token, tokenSource, err := f.managementToken()
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg := emulator.Config{
		AccountID:       f.accountID,
		ClusterID:       f.clusterID,
		ManagementToken: token,
		ActivationDelay: f.activationDelay,
		Logger:          logger,
	}
	srv, err := emulator.Start(ctx, cfg, f.listen)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	fmt.Fprintf(stdout, "emulator: management API %s, data plane %s, account %s, cluster %s, %s\n",
		srv.ManagementURL(), srv.DataPlaneURL(), f.accountID, f.clusterID, tokenSource)

	logger.Info("emulator started", "addr", srv.Addr(), "activation_delay", f.activationDelay)
	<-srv.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	logger.Info("emulator stopped")
	return nil
}
