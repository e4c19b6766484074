package rotate

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/emulator"
	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/file"
)

// harness is an emulated cluster, a state directory and a file folder
// shared by the engines of one test, so a test can "restart" rotatord by
// building a second engine on the same state.
type harness struct {
	t        testing.TB
	clock    *clock.Fake
	emu      *emulator.Emulator
	server   *emulator.Server
	cfg      *policy.Config
	dir      string
	logs     *testenv.SyncBuffer
	extra    func(p policy.Policy) []sinks.Sink
	stepHook func(policy, step string)
}

const activationDelay = 5 * time.Second

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	fake := clock.NewFake(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	go fake.Run(ctx)

	srv, err := emulator.Start(ctx, emulator.Config{ActivationDelay: activationDelay, Clock: fake}, "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	dir := t.TempDir()
	cfg := &policy.Config{
		Cluster: policy.Cluster{
			AccountID: emulator.DefaultAccountID, ClusterID: emulator.DefaultClusterID,
			ManagementURL: srv.ManagementURL(), DataPlaneURL: srv.DataPlaneURL(),
		},
		StateDir:    filepath.Join(dir, "state"),
		Concurrency: 2,
	}
	return &harness{t: t, clock: fake, emu: srv.Emulator, server: srv, cfg: cfg, dir: dir, logs: &testenv.SyncBuffer{}}
}

// addPolicy adds a policy with one JSON file sink and returns the sink's
// path.
func (h *harness) addPolicy(name string, ref policy.TokenRef, perms []mgmt.Permission) string {
	path := filepath.Join(h.dir, name+".json")
	h.cfg.Policies = append(h.cfg.Policies, policy.Policy{
		Name: name, Token: ref, Permissions: perms,
		Sinks: []policy.Sink{{Type: policy.SinkFile, File: policy.FileSink{Path: path, Format: "json"}}},
		Grace: time.Minute,
		// The fake clock jumps to the next timer of any rotation, so with
		// several rotations at once it may move minutes during one HTTP
		// request. A long timeout keeps those jumps from failing a probe.
		PropagationTimeout: time.Hour,
		PropagationWait:    10 * time.Second,
	})
	return path
}

// seed creates a token on the emulator, as an operator would by hand.
func (h *harness) seed(description string, perms ...mgmt.Permission) mgmt.CreatedToken {
	tok, err := h.emu.SeedToken(mgmt.CreateTokenRequest{Description: description, Permissions: perms})
	require.NoError(h.t, err)
	return tok
}

// engine builds an engine on the harness, as one start of rotatord.
func (h *harness) engine() *Engine {
	h.t.Helper()
	client, err := mgmt.New(mgmt.Options{
		BaseURL: h.cfg.Cluster.ManagementURL, AccountID: h.cfg.Cluster.AccountID,
		ClusterID: h.cfg.Cluster.ClusterID, Token: secret.NewToken(emulator.DefaultManagementToken),
		Clock: h.clock,
	})
	require.NoError(h.t, err)
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := New(Options{
		Config: h.cfg, API: client, Prober: HTTPProber{BaseURL: h.cfg.Cluster.DataPlaneURL},
		OpenSinks: h.openSinks, Clock: h.clock, Logger: logger, StepHook: h.stepHook,
	})
	require.NoError(h.t, err)
	h.t.Cleanup(e.Close)
	return e
}

func (h *harness) openSinks(_ context.Context, p policy.Policy) ([]sinks.Sink, error) {
	var list []sinks.Sink
	for _, sc := range p.Sinks {
		s, err := file.New(sc.File, p.Name)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	if h.extra != nil {
		list = append(list, h.extra(p)...)
	}
	return list, nil
}

// fileState reads a file sink the way a fresh process would.
func (h *harness) fileState(path, policyName string) sinks.State {
	h.t.Helper()
	s, err := file.New(policy.FileSink{Path: path, Format: "json"}, policyName)
	require.NoError(h.t, err)
	st, err := s.Read(context.Background())
	require.NoError(h.t, err)
	return st
}

func (h *harness) liveTokenIDs() []string {
	var ids []string
	for _, t := range h.emu.Tokens() {
		ids = append(ids, t.ID)
	}
	return ids
}

func (h *harness) token(id string) (emulator.TokenInfo, bool) {
	for _, t := range h.emu.Tokens() {
		if t.ID == id {
			return t, true
		}
	}
	return emulator.TokenInfo{}, false
}

// failingSink is a sink whose every write fails, standing in for a store
// that is down.
type failingSink struct{}

var errStoreDown = errors.New("store is down")

func (failingSink) ID() string                                { return "failing:test" }
func (failingSink) Read(context.Context) (sinks.State, error) { return sinks.State{}, nil }
func (failingSink) Stage(context.Context, sinks.Secret) error { return errStoreDown }
func (failingSink) Promote(context.Context, string) error     { return errStoreDown }
func (failingSink) Discard(context.Context, string) error     { return nil }

var writeTelemetry = []mgmt.Permission{{Action: mgmt.ActionWrite, Resource: "telemetry"}}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}
