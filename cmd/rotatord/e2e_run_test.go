package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"

	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/server"
)

// daemon is a running `rotatord run`.
type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	out    *testenv.SyncBuffer
	exited chan struct{}
	base   string
}

// startDaemon runs `rotatord run` on w's config with a status listener on
// a free loopback port.
func startDaemon(t *testing.T, w *world) *daemon {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	d := &daemon{t: t, out: &testenv.SyncBuffer{}, exited: make(chan struct{}), base: "http://" + addr}
	d.cmd = exec.Command(binary, "run", "--config", w.configPath, "--listen", addr, "--log-format", "text")
	d.cmd.Env = w.env()
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	require.NoError(t, d.cmd.Start())
	go func() {
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-d.exited
	})
	waitFor(t, d.out, "status listener started", d.exited)
	return d
}

// waitReady polls /readyz until it returns 200, which happens once the
// first reconciliation ran.
func (d *daemon) waitReady() {
	d.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := d.get("/readyz"); code == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("/readyz never returned 200; output:\n%s", d.out.String())
}

func (d *daemon) status() []server.PolicyStatus {
	var st []server.PolicyStatus
	require.NoError(d.t, getJSON(context.Background(), d.base+"/status", &st))
	return st
}

func (d *daemon) get(path string) (int, string) {
	resp, err := http.Get(d.base + path)
	require.NoError(d.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(d.t, err)
	return resp.StatusCode, string(body)
}

// waitRotations polls /metrics until the policy has at least n successful
// rotations.
func (d *daemon) waitRotations(n int) {
	d.t.Helper()
	want := `rotatord_rotations_total{policy="ingest",result="ok"} `
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, body := d.get("/metrics")
		for _, line := range strings.Split(body, "\n") {
			var got int
			if strings.HasPrefix(line, want) {
				if _, err := fmt.Sscan(strings.TrimPrefix(line, want), &got); err == nil && got >= n {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("fewer than %d rotations within the deadline; output:\n%s", n, d.out.String())
}

const scheduleConfig = `    maxAge: 3s
    minInterval: 1s
`

func TestRunRotatesOnItsOwnAndReloads(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)
	w.insertPolicyLines(scheduleConfig)
	d := startDaemon(t, w)

	d.waitReady()
	d.waitRotations(2)

	st := d.status()
	require.Len(t, st, 1)
	require.Equal(t, "ok", st[0].LastResult)
	require.NotNil(t, st[0].LastRotation)
	if !st[0].Running {
		require.Equal(t, "max-age", st[0].NextReason)
	}
	// The daemon keeps rotating, so the two sinks may be a promotion
	// apart; each must serve a live token.
	fileState, vaultState := w.states()
	live := tokenIDs(w.liveTokens())
	require.Contains(t, live, fileState.CurrentID())
	require.Contains(t, live, vaultState.CurrentID())
	require.NotContains(t, live, old.ID)

	good, err := os.ReadFile(w.configPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(w.configPath, []byte("policies: [this is: not valid"), 0o600))
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGHUP))
	waitFor(t, d.out, "configuration reload failed; keeping the running configuration", d.exited)
	before := countRotations(d)
	d.waitRotations(before + 1)
	code, _ := d.get("/healthz")
	require.Equal(t, http.StatusOK, code, "the daemon must keep running on the old configuration")
	require.NoError(t, os.WriteFile(w.configPath, good, 0o600))

	_, metrics := d.get("/metrics")
	_, statusBody := d.get("/status")
	current, _ := w.states()
	for _, body := range []string{metrics, statusBody, d.out.String()} {
		require.NotContains(t, body, current.Current.Token.Reveal())
		require.NotContains(t, body, w.vault.RootToken)
	}
}

func TestRunStopsCleanlyOnSigtermMidRotation(t *testing.T) {
	w := newWorld(t, 2*time.Second)
	old := w.seed()
	w.writeConfig(old.ID, 5*time.Second)
	w.insertPolicyLines(scheduleConfig)
	d := startDaemon(t, w)

	waitFor(t, d.out, "rotation starting", d.exited)
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	<-d.exited

	require.Equal(t, 0, d.cmd.ProcessState.ExitCode(), "output:\n%s", d.out.String())
	fileState, vaultState := w.states()
	live := tokenIDs(w.liveTokens())
	require.Contains(t, live, fileState.CurrentID(), "the secret the file serves must stay valid")
	require.Contains(t, live, vaultState.CurrentID(), "the secret Vault serves must stay valid")

	code, out := w.rotate()
	require.Equal(t, 0, code, "output:\n%s", out)
	fileState, vaultState = w.states()
	require.Equal(t, []string{fileState.CurrentID()}, tokenIDs(w.liveTokens()), "no orphan may remain after restart")
	require.Equal(t, fileState.CurrentID(), vaultState.CurrentID())
}

func countRotations(d *daemon) int {
	_, body := d.get("/metrics")
	want := `rotatord_rotations_total{policy="ingest",result="ok"} `
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, want) {
			var n int
			_, _ = fmt.Sscan(strings.TrimPrefix(line, want), &n)
			return n
		}
	}
	return 0
}

// insertPolicyLines adds lines to the policy, after its grace setting.
func (w *world) insertPolicyLines(lines string) {
	data, err := os.ReadFile(w.configPath)
	require.NoError(w.t, err)
	cfg := strings.Replace(string(data), "    propagationTimeout: 1m\n", "    propagationTimeout: 1m\n"+lines, 1)
	require.NoError(w.t, os.WriteFile(w.configPath, []byte(cfg), 0o600))
}

const addedPolicy = `  - name: reports
    token:
      description: report reader
    permissions:
      - action: read
        resource: telemetry
    grace: 1s
    sinks:
      - type: file
        path: %s
`

func TestRunReloadAddsPolicyAndCreatesItsToken(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)
	d := startDaemon(t, w)
	waitFor(t, d.out, "rotatord started", d.exited)

	reportsPath := filepath.Join(w.dir, "reports.token")
	w.appendSink(addedPolicy, reportsPath)
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGHUP))

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(reportsPath); err == nil && len(data) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	data, err := os.ReadFile(reportsPath)
	require.NoError(t, err, "the added policy never got a token; output:\n%s", d.out.String())
	require.Contains(t, tokenIDs(w.liveTokens()), tokenFor(t, w, string(data)))
}

func TestRunRefusesSecondDaemonOnStateDir(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)
	startDaemon(t, w)

	cmd := exec.Command(binary, "run", "--config", w.configPath, "--listen", "127.0.0.1:0")
	cmd.Env = w.env()
	out, err := cmd.CombinedOutput()

	require.Error(t, err)
	require.Contains(t, string(out), "another rotatord run uses state directory")
}

func TestRunFailsWhenListenerCannotBind(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()

	cmd := exec.Command(binary, "run", "--config", w.configPath, "--listen", taken.Addr().String())
	cmd.Env = w.env()
	out, err := cmd.CombinedOutput()

	require.Error(t, err)
	require.Equal(t, 2, cmd.ProcessState.ExitCode())
	require.Contains(t, string(out), "listen on "+taken.Addr().String())
}

// tokenFor checks that the data plane accepts the secret s and returns the
// ID of the reports policy's live token.
func tokenFor(t *testing.T, w *world, s string) string {
	t.Helper()
	for _, tok := range w.liveTokens() {
		if strings.Contains(tok.Description, "report reader") {
			require.Equal(t, http.StatusOK, w.query(secret.NewToken(s)))
			return tok.ID
		}
	}
	t.Fatalf("no live token for the reports policy")
	return ""
}
