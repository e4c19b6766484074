package rotate

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
)

// crashSteps are the points at which TestCrashAtEveryStepConverges stops a
// rotation, as a kill -9 would: the journal and the sinks keep what was
// written, and everything in memory, the new secret included, is lost.
var crashSteps = []string{
	stepCreating, "create-answered", stepCreated, "staged:0", stepStaged,
	stepActive, "promoted:0", stepPromoted, stepOldDeleted,
}

func TestCrashAtEveryStepConverges(t *testing.T) {
	for _, step := range crashSteps {
		t.Run(step, func(t *testing.T) {
			h := newHarness(t)
			old := h.seed("ingest writer", writeTelemetry...)
			path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)

			crashed := h.crashAt(step)
			require.True(t, crashed, "the rotation never reached step %s", step)

			h.stepHook = nil
			e := h.engine()
			require.NoError(t, e.Reconcile(context.Background()))
			res := e.Rotate(context.Background(), "ingest", RunOptions{Trigger: "restart"})
			require.NoError(t, res.Err)

			st := h.fileState(path, "ingest")
			require.NotNil(t, st.Current)
			require.Nil(t, st.Pending, "no pending secret may be left")
			require.Equal(t, []string{st.Current.TokenID}, h.liveTokenIDs(),
				"exactly the token the sink serves may be live")
			owner, ok := h.emu.TokenIDForSecret(st.Current.Token.Reveal())
			require.True(t, ok, "the served secret must belong to a live token")
			require.Equal(t, st.Current.TokenID, owner)
			require.Empty(t, e.InFlight())
		})
	}
}

func TestOldTokenOutlivesEveryStepBeforeGrace(t *testing.T) {
	for _, step := range crashSteps[:len(crashSteps)-1] {
		t.Run(step, func(t *testing.T) {
			h := newHarness(t)
			old := h.seed("ingest writer", writeTelemetry...)
			h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)

			require.True(t, h.crashAt(step))

			_, alive := h.token(old.ID)
			require.True(t, alive, "the old token must live until the grace window passed")
		})
	}
}

// crashAt runs a rotation that stops dead at step, and reports whether it
// got there.
func (h *harness) crashAt(step string) bool {
	crashed := make(chan bool, 1)
	h.stepHook = func(_, got string) {
		if got == step {
			crashed <- true
			runtime.Goexit()
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	}()
	<-done
	select {
	case <-crashed:
		return true
	default:
		return false
	}
}
