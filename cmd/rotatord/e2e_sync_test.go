package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"
)

func TestSyncSidecarsFollowRotationBeforeOldTokenDies(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, 2*time.Second)
	code, out := w.rotate()
	require.Equal(t, 0, code, "output:\n%s", out)
	before, _ := w.states()

	pods := []string{filepath.Join(w.dir, "pod-a.token"), filepath.Join(w.dir, "pod-b.token")}
	for _, path := range pods {
		startSync(t, w, path)
	}
	for _, path := range pods {
		waitForFile(t, path, before.Current.Token.Reveal())
	}

	killAt(t, w, "promoted")
	after, _ := w.states()
	require.NotEqual(t, before.CurrentID(), after.CurrentID())
	for _, path := range pods {
		waitForFile(t, path, after.Current.Token.Reveal())
	}
	require.Contains(t, tokenIDs(w.liveTokens()), before.CurrentID(),
		"every sidecar file must hold the new token while the old one still lives")

	code, out = w.rotate()
	require.Equal(t, 0, code, "output:\n%s", out)
	require.NotContains(t, tokenIDs(w.liveTokens()), before.CurrentID())
}

// startSync runs a `rotatord sync` sidecar that copies the policy's Vault
// secret into path every 200ms, until the test ends.
func startSync(t *testing.T, w *world, path string) {
	t.Helper()
	cmd := exec.Command(binary, "sync", "--config", w.configPath, "--policy", "ingest",
		"--to", path, "--interval", "200ms")
	cmd.Env = w.env()
	var out testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		require.NotContains(t, out.String(), w.vault.RootToken)
	})
}

// waitForFile polls path until it holds want, or fails the test.
func waitForFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if got, err := os.ReadFile(path); err == nil && string(got) == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never held the expected token", path)
}
