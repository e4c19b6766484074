package rotate

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
)

func TestRotateManyRespectsConcurrency(t *testing.T) {
	h := newHarness(t)
	for i := range 6 {
		tok := h.seed(fmt.Sprintf("writer %d", i), writeTelemetry...)
		h.addPolicy(fmt.Sprintf("p%d", i), policy.TokenRef{ID: tok.ID}, nil)
	}
	h.cfg.Concurrency = 2
	var mu sync.Mutex
	running, peak := map[string]bool{}, 0
	h.stepHook = func(p, step string) {
		mu.Lock()
		defer mu.Unlock()
		running[p] = step != stepOldDeleted
		count := 0
		for _, r := range running {
			if r {
				count++
			}
		}
		peak = max(peak, count)
	}

	results := h.engine().RotateMany(context.Background(), nil, RunOptions{})

	for _, r := range results {
		require.NoError(t, r.Err, r.Policy)
	}
	require.Len(t, h.liveTokenIDs(), 6)
	require.LessOrEqual(t, peak, 2, "more rotations ran at once than the concurrency limit")
	require.Equal(t, 2, peak, "rotations never overlapped, so the limit was not exercised")
}

// BenchmarkRotate measures one full rotation against the in-process
// emulator with a JSON file sink. The fake clock skips the activation
// delay and the grace window, so this is the cost of the engine, the
// client, the file writes and the HTTP round trips.
func BenchmarkRotate(b *testing.B) {
	h := newHarness(b)
	tok := h.seed("ingest writer", writeTelemetry...)
	h.addPolicy("ingest", policy.TokenRef{ID: tok.ID}, nil)
	e := h.engine()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if res := e.Rotate(context.Background(), "ingest", RunOptions{}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

func TestPlanListsTokensOnce(t *testing.T) {
	h := newHarness(t)
	for i := range 3 {
		tok := h.seed(fmt.Sprintf("writer %d", i), writeTelemetry...)
		h.addPolicy(fmt.Sprintf("p%d", i), policy.TokenRef{ID: tok.ID}, nil)
		h.cfg.Policies[i].Databases = []policy.Database{{Name: "telemetry"}}
	}

	items, err := h.engine().Plan(context.Background())

	require.NoError(t, err)
	require.Len(t, items, 3)
	for _, item := range items {
		require.Empty(t, item.Error)
		require.NotEmpty(t, item.Actions)
	}
	require.Equal(t, 1, h.emu.Requests("GetDatabaseTokens"))
	require.Equal(t, 1, h.emu.Requests("GetClusterDatabases"))
}

// BenchmarkRotateMany100 measures one round of 100 policies, four at a
// time, against the in-process emulator: the engine's throughput when a
// schedule makes many policies due together.
func BenchmarkRotateMany100(b *testing.B) {
	h := newHarness(b)
	for i := range 100 {
		tok := h.seed(fmt.Sprintf("writer %d", i), writeTelemetry...)
		h.addPolicy(fmt.Sprintf("p%d", i), policy.TokenRef{ID: tok.ID}, nil)
	}
	h.cfg.Concurrency = 4
	e := h.engine()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, r := range e.RotateMany(context.Background(), nil, RunOptions{}) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

// BenchmarkStatus100 measures the status of 100 policies with a JSON file
// sink each, which the status endpoint and the metrics scrape read.
func BenchmarkStatus100(b *testing.B) {
	h := newHarness(b)
	for i := range 100 {
		tok := h.seed(fmt.Sprintf("writer %d", i), writeTelemetry...)
		h.addPolicy(fmt.Sprintf("p%d", i), policy.TokenRef{ID: tok.ID}, nil)
	}
	e := h.engine()
	for _, r := range e.RotateMany(context.Background(), nil, RunOptions{}) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if got := len(e.Status(context.Background())); got != 100 {
			b.Fatalf("status has %d policies", got)
		}
	}
}

func TestReconcileListsTokensOnce(t *testing.T) {
	h := newHarness(t)
	for i := range 3 {
		tok := h.seed(fmt.Sprintf("writer %d", i), writeTelemetry...)
		h.addPolicy(fmt.Sprintf("p%d", i), policy.TokenRef{ID: tok.ID}, nil)
	}
	e := h.engine()

	require.NoError(t, e.Reconcile(context.Background()))

	require.Equal(t, 1, h.emu.Requests("GetDatabaseTokens"))
	for _, st := range e.Status(context.Background()) {
		require.NotEmpty(t, st.CurrentTokenID, "policy %s has no recorded token", st.Policy)
	}
}
