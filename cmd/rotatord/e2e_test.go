package main

import (
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"

	"github.com/rotatord/rotatord/internal/mgmt"
)

func TestRotateNowAgainstEmulatorAndVault(t *testing.T) {
	w := newWorld(t, 5*time.Second)
	old := w.seed()
	w.writeConfig(old.ID, 2*time.Second)

	code, out := w.rotate()
	require.Equal(t, 0, code, "output:\n%s", out)

	tokens := w.liveTokens()
	require.Len(t, tokens, 1, "only the new token may be left")
	require.NotEqual(t, old.ID, tokens[0].ID)
	require.True(t, strings.HasPrefix(tokens[0].Description, "ingest writer"), tokens[0].Description)
	require.ElementsMatch(t, readWriteTelemetry, tokens[0].Permissions)

	fileState, vaultState := w.states()
	require.Equal(t, tokens[0].ID, fileState.CurrentID())
	require.Equal(t, tokens[0].ID, vaultState.CurrentID())
	require.True(t, fileState.Current.Token.Equal(vaultState.Current.Token))
	require.Nil(t, fileState.Pending)
	require.Nil(t, vaultState.Pending)
	require.Equal(t, http.StatusOK, w.query(fileState.Current.Token))
	require.Equal(t, http.StatusUnauthorized, w.query(old.AccessToken), "the old token must be revoked")
}

func TestRotateNowOutputHoldsNoSecret(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)

	code, first := w.rotate()
	require.Equal(t, 0, code, "output:\n%s", first)
	fileAfterFirst, _ := w.states()
	code, second := w.rotate("ROTATORD_LOG_FORMAT=json")
	require.Equal(t, 0, code, "output:\n%s", second)
	fileAfterSecond, _ := w.states()

	out := first + second
	require.Contains(t, out, "rotated token", "the output must have been captured")
	require.Contains(t, out, "DEBUG", "debug logs must have been captured")
	secrets := map[string]string{
		"first new token":  fileAfterFirst.Current.Token.Reveal(),
		"second new token": fileAfterSecond.Current.Token.Reveal(),
		"management token": "emulator-management-token",
		"vault token":      w.vault.RootToken,
	}
	for name, s := range secrets {
		require.NotContains(t, out, s, "the %s leaked into the output", name)
	}
}

func TestRotateNowFailureExitsOne(t *testing.T) {
	w := newWorld(t, time.Second)
	w.writeConfig("0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a", time.Second)

	code, out := w.rotate()

	require.Equal(t, 1, code, "output:\n%s", out)
	require.Contains(t, out, "0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a is not on the cluster")
}

func TestRotateNowBadConfigExitsTwo(t *testing.T) {
	w := newWorld(t, time.Second)
	w.writeConfig("not-a-uuid", -time.Second)

	code, out := w.rotate()

	require.Equal(t, 2, code, "output:\n%s", out)
	require.Contains(t, out, "policies[0].token.id")
	require.Contains(t, out, "policies[0].grace")
}

// killSteps are the steps at which TestKillAtEveryStepConverges kills the
// process with SIGKILL.
var killSteps = []string{
	"creating", "create-answered", "created", "staged:0", "staged:1", "staged",
	"active", "promoted:0", "promoted:1", "promoted", "old-deleted",
}

func TestKillAtEveryStepConverges(t *testing.T) {
	w := newWorld(t, time.Second)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)
	current := old.ID

	for _, step := range killSteps {
		killAt(t, w, step)
		if step != "old-deleted" {
			require.Contains(t, tokenIDs(w.liveTokens()), current,
				"killed at %s: the current token must outlive the kill", step)
		}

		code, out := w.rotate()
		require.Equal(t, 0, code, "restart after kill at %s; output:\n%s", step, out)

		fileState, vaultState := w.states()
		require.Nil(t, fileState.Pending, "killed at %s: pending secret left in the file sink", step)
		require.Nil(t, vaultState.Pending, "killed at %s: pending secret left in Vault", step)
		require.Equal(t, fileState.CurrentID(), vaultState.CurrentID(), "killed at %s", step)
		require.Equal(t, []string{fileState.CurrentID()}, tokenIDs(w.liveTokens()),
			"killed at %s: exactly the token the sinks serve may be live", step)
		require.Equal(t, http.StatusOK, w.query(fileState.Current.Token), "killed at %s", step)
		current = fileState.CurrentID()
	}
}

// killAt starts a rotation that halts at step, then kills it with SIGKILL.
func killAt(t *testing.T, w *world, step string) {
	t.Helper()
	cmd := exec.Command(binary, "rotate", "--now", "--config", w.configPath)
	cmd.Env = w.env(haltEnv + "=" + step)
	var out testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	waitFor(t, &out, "at step "+step+"\n", exited)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	<-exited
}

func tokenIDs(tokens []mgmt.Token) []string {
	ids := make([]string, len(tokens))
	for i, tok := range tokens {
		ids[i] = tok.ID
	}
	return ids
}
