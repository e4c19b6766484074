package rotate

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/emulator"
	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
)

func TestRotateReplacesToken(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{Trigger: "manual"})
	require.NoError(t, res.Err)

	_, oldAlive := h.token(old.ID)
	require.False(t, oldAlive, "old token must be deleted")
	newTok, ok := h.token(res.NewTokenID)
	require.True(t, ok, "new token must exist")
	require.Equal(t, "ingest writer", baseDescription(newTok.Description))
	require.Equal(t, writeTelemetry, newTok.Permissions)

	st := h.fileState(path, "ingest")
	require.NotNil(t, st.Current)
	require.Nil(t, st.Pending)
	require.Equal(t, res.NewTokenID, st.Current.TokenID)
	owner, ok := h.emu.TokenIDForSecret(st.Current.Token.Reveal())
	require.True(t, ok)
	require.Equal(t, res.NewTokenID, owner)
}

func TestRotateSecondTimeReplacesManagedToken(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	e := h.engine()

	first := e.Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, first.Err)
	second := e.Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, second.Err)

	require.Equal(t, first.NewTokenID, second.OldTokenID)
	require.Equal(t, []string{second.NewTokenID}, h.liveTokenIDs())
}

func TestRotateCreatesFirstTokenByDescription(t *testing.T) {
	h := newHarness(t)
	path := h.addPolicy("reports", policy.TokenRef{Description: "report reader"},
		[]mgmt.Permission{{Action: mgmt.ActionRead, Resource: "reports"}})
	h.cfg.Policies[0].Databases = []policy.Database{{Name: "reports", MaxTables: 50}}

	res := h.engine().Rotate(context.Background(), "reports", RunOptions{})
	require.NoError(t, res.Err)

	require.Empty(t, res.OldTokenID)
	require.Equal(t, []string{res.NewTokenID}, h.liveTokenIDs())
	require.Equal(t, res.NewTokenID, h.fileState(path, "reports").CurrentID())
	dbs := h.emu.Databases()
	require.Len(t, dbs, 1)
	require.Equal(t, 50, dbs[0].MaxTables)
}

func TestRotateKeepsOldTokenWhenSinkFails(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.extra = func(policy.Policy) []sinks.Sink { return []sinks.Sink{failingSink{}} }

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	require.ErrorIs(t, res.Err, errStoreDown)

	require.Equal(t, []string{old.ID}, h.liveTokenIDs(), "only the old token may remain")
	st := h.fileState(path, "ingest")
	require.Nil(t, st.Pending, "the pending secret must be discarded")
	require.Nil(t, st.Current)
}

func TestRotateRecoversLostCreateAnswer(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.emu.SetFault("CreateDatabaseToken", emulator.Fault{LoseResponse: true, Times: 1})

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, res.Err)

	require.Equal(t, 2, h.emu.Requests("CreateDatabaseToken"))
	require.Equal(t, []string{res.NewTokenID}, h.liveTokenIDs(), "the token of the lost answer must be deleted")
	require.Equal(t, res.NewTokenID, h.fileState(path, "ingest").CurrentID())
}

func TestRotateAbandonsWhenPropagationTimesOut(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.cfg.Policies[0].PropagationTimeout = activationDelay / 2

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	require.ErrorContains(t, res.Err, "not accepted by the data plane")

	require.Equal(t, []string{old.ID}, h.liveTokenIDs())
	require.Nil(t, h.fileState(path, "ingest").Pending)
}

func TestRotateBusyWhenLocked(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	e := h.engine()
	unlock, err := e.journal.lock("ingest")
	require.NoError(t, err)
	defer unlock()

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})
	require.ErrorIs(t, res.Err, ErrBusy)
	require.Equal(t, []string{old.ID}, h.liveTokenIDs())
}

func TestDryRunChangesNothing(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.cfg.Policies[0].Databases = []policy.Database{{Name: "telemetry"}}

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{DryRun: true})
	require.NoError(t, res.Err)

	require.Contains(t, strings.Join(res.Actions, "\n"), "create database telemetry")
	require.Contains(t, strings.Join(res.Actions, "\n"), "delete token "+old.ID)
	require.Empty(t, h.emu.Databases())
	require.Equal(t, []string{old.ID}, h.liveTokenIDs())
	require.Nil(t, h.fileState(path, "ingest").Current)
}

func TestProvisionPatchesDriftedLimits(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.cfg.Policies[0].Databases = []policy.Database{{
		Name: "telemetry", MaxTables: 10,
		Tables: []policy.Table{{Name: "cpu", PartitionTemplate: []mgmt.PartitionPart{{Type: mgmt.PartTag, Value: "host"}}}},
	}}
	e := h.engine()
	require.NoError(t, e.Reconcile(context.Background()))
	h.cfg.Policies[0].Databases[0].MaxTables = 20
	h.cfg.Policies[0].Databases[0].MaxColumnsPerTable = 99

	require.NoError(t, h.engine().Reconcile(context.Background()))

	dbs := h.emu.Databases()
	require.Len(t, dbs, 1)
	require.Equal(t, 20, dbs[0].MaxTables)
	require.Equal(t, 99, dbs[0].MaxColumnsPerTable)
	require.Equal(t, 1, h.emu.Requests("CreateClusterDatabase"))
}

func TestReconcileDeletesOnlyOrphans(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	e := h.engine()
	res := e.Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, res.Err)
	orphan := h.seed("ingest writer [rotatord:ingest:0123456789ab]", writeTelemetry...)
	foreign := h.seed("other [rotatord:other:0123456789ab]", writeTelemetry...)
	manual := h.seed("ingest writer", writeTelemetry...)

	require.NoError(t, h.engine().Reconcile(context.Background()))

	live := h.liveTokenIDs()
	require.NotContains(t, live, orphan.ID)
	require.Contains(t, live, res.NewTokenID, "the token the sinks serve must stay")
	require.Contains(t, live, foreign.ID, "another policy's token must stay")
	require.Contains(t, live, manual.ID, "unmarked tokens must stay")
}

func TestStatusShowsNoSecret(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	e := h.engine()
	res := e.Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, res.Err)

	status := e.Status(context.Background())
	out, err := json.Marshal(status)
	require.NoError(t, err)

	require.Len(t, status, 1)
	require.Equal(t, res.NewTokenID, status[0].CurrentTokenID)
	require.Equal(t, res.NewTokenID, status[0].Sinks[0].CurrentTokenID)
	secretValue := h.fileState(path, "ingest").Current.Token.Reveal()
	require.NotContains(t, string(out), secretValue)
}

func TestRotationOutputHoldsNoSecret(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	path := h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.emu.SetFault("CreateDatabaseToken", emulator.Fault{LoseResponse: true, Times: 1})
	e := h.engine()

	first := e.Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, first.Err)
	second := e.Rotate(context.Background(), "ingest", RunOptions{})
	require.NoError(t, second.Err)

	current := h.fileState(path, "ingest").Current.Token.Reveal()
	out, err := json.Marshal([]Result{first, second})
	require.NoError(t, err)
	for _, s := range []string{current, old.AccessToken.Reveal(), emulator.DefaultManagementToken} {
		require.NotContains(t, h.logs.String(), s)
		require.NotContains(t, string(out), s)
	}
	require.Contains(t, h.logs.String(), "token rotated", "the log must have been captured")
}

func TestPropagationTimeoutNamesUnreachableDataPlane(t *testing.T) {
	h := newHarness(t)
	old := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: old.ID}, nil)
	h.cfg.Cluster.DataPlaneURL = "http://127.0.0.1:1"

	res := h.engine().Rotate(context.Background(), "ingest", RunOptions{})

	require.ErrorContains(t, res.Err, "no response from the data plane")
	require.ErrorContains(t, res.Err, "check cluster.dataPlaneURL")
	require.Equal(t, []string{old.ID}, h.liveTokenIDs())
}
