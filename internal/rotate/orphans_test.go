package rotate

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
)

func TestSweepKeepsTokenOfUnidentifiedSink(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.cfg.Policies[0].Sinks[0].File.Format = "raw"
	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, res.Err)
	// The side file that ties the raw file to its token ID is gone, and so
	// is the journal: nothing names the token the file serves.
	require.NoError(t, os.Remove(filepath.Join(h.dir, ".ingest.json.meta.json")))
	require.NoError(t, os.RemoveAll(h.cfg.StateDir))

	require.NoError(t, h.engine().Reconcile(context.Background()))

	require.Equal(t, []string{res.NewTokenID}, h.liveTokenIDs(), "the token the file serves must not be deleted")
	served, err := os.ReadFile(path)
	require.NoError(t, err)
	owner, ok := h.emu.TokenIDForSecret(string(served))
	require.True(t, ok)
	require.Equal(t, res.NewTokenID, owner)
}

func TestSweepKeepsOldTokenThroughLostGrace(t *testing.T) {
	h := newHarness(t)
	seed := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: seed.ID}, nil)
	h.cfg.Policies[0].Grace = time.Hour
	first := h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, first.Err)
	require.True(t, h.crashAt(stepPromoted))
	// The journal that knew the grace window is lost with the state
	// directory; the sinks already serve the new token.
	require.NoError(t, os.RemoveAll(h.cfg.StateDir))

	require.NoError(t, h.engine().Reconcile(context.Background()))
	require.Contains(t, h.liveTokenIDs(), first.NewTokenID, "the old token must outlive the grace window")

	h.clock.Advance(2 * time.Hour)
	require.NoError(t, h.engine().Reconcile(context.Background()))
	require.NotContains(t, h.liveTokenIDs(), first.NewTokenID, "after the grace window the old token is an orphan")
	require.Len(t, h.liveTokenIDs(), 1)
}

func TestShortenedGraceAppliesToRunningRotation(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.cfg.Policies[0].Grace = 1000 * time.Hour
	require.True(t, h.crashAt(stepPromoted))
	h.stepHook = nil
	h.cfg.Policies[0].Grace = time.Minute
	start := h.clock.Now()

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})

	require.NoError(t, res.Err)
	require.NotContains(t, h.liveTokenIDs(), old.ID)
	require.Less(t, h.clock.Now().Sub(start), time.Hour, "the rotation waited the old grace window")
}
