package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rotatord/rotatord/internal/emulator"
	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
)

// demoActivationDelay is how long the demo's emulated data plane rejects
// a new token, like a real cluster does for seconds to minutes.
const demoActivationDelay = 2 * time.Second

// startDemo starts an in-process emulator with one token to rotate and
// returns a configuration that rotates it into files under dir.
func startDemo(ctx context.Context, dir string) (*policy.Config, func(), error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, usageErrorf("rotate: --demo %q: %v", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, nil, fmt.Errorf("create demo folder %s: %w", abs, err)
	}
	// Each demo starts a new emulator, so state from an earlier demo would
	// name tokens that no longer exist.
	state := filepath.Join(abs, "state")
	if err := os.RemoveAll(state); err != nil {
		return nil, nil, fmt.Errorf("reset demo state %s: %w", state, err)
	}

	srv, err := emulator.Start(ctx, emulator.Config{ActivationDelay: demoActivationDelay},
		"127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start demo emulator: %w", err)
	}
	seed, err := srv.Emulator.SeedToken(mgmt.CreateTokenRequest{
		Description: "demo writer",
		Permissions: []mgmt.Permission{{Action: mgmt.ActionWrite, Resource: "demo"}},
	})
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("seed demo token: %w", err)
	}
	os.Setenv("ROTATORD_DEMO_MANAGEMENT_TOKEN", emulator.DefaultManagementToken)

	yaml := fmt.Sprintf(demoConfig, emulator.DefaultAccountID, emulator.DefaultClusterID,
		srv.ManagementURL(), srv.DataPlaneURL(), state, seed.ID,
		filepath.Join(abs, "token"), filepath.Join(abs, "token.json"))
	cfg, err := policy.Parse([]byte(yaml), nil)
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("build demo config: %w", err)
	}
	return cfg, func() { srv.Close() }, nil
}

const demoConfig = `
cluster:
  accountId: %s
  clusterId: %s
  managementURL: %s
  dataPlaneURL: %s
  managementToken:
    env: ROTATORD_DEMO_MANAGEMENT_TOKEN
stateDir: %s
log:
  level: warn
policies:
  - name: demo
    token:
      id: %s
    databases:
      - name: demo
        retentionPeriod: 720h
    grace: 3s
    propagationTimeout: 1m
    sinks:
      - type: file
        path: %s
        format: raw
      - type: file
        path: %s
        format: json
`
