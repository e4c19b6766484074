package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/rotate"
)

var _ rotate.Observer = (*Metrics)(nil)

func TestRotationFinishedCountsAndTimes(t *testing.T) {
	m := New(nil)
	m.RotationFinished("ingest", "success", 90*time.Second)
	m.RotationFinished("ingest", "success", 30*time.Second)
	m.RotationFinished("ingest", "failed", time.Second)

	require.Equal(t, 2.0, testutil.ToFloat64(m.rotations.WithLabelValues("ingest", "success")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.rotations.WithLabelValues("ingest", "failed")))
	require.Equal(t, 1, testutil.CollectAndCount(m.rotationDuration))

	want := `
# HELP rotatord_rotation_duration_seconds Time from the start of a rotation to its end, grace window included.
# TYPE rotatord_rotation_duration_seconds histogram
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="1"} 1
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="5"} 1
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="15"} 1
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="60"} 2
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="300"} 3
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="900"} 3
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="3600"} 3
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="14400"} 3
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="43200"} 3
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="86400"} 3
rotatord_rotation_duration_seconds_bucket{policy="ingest",le="+Inf"} 3
rotatord_rotation_duration_seconds_sum{policy="ingest"} 121
rotatord_rotation_duration_seconds_count{policy="ingest"} 3
`
	require.NoError(t, testutil.CollectAndCompare(m.rotationDuration, strings.NewReader(want)))
}

func TestObserverCounters(t *testing.T) {
	m := New(nil)
	m.OrphanDeleted("ingest")
	m.OrphanDeleted("ingest")
	m.PanicRecovered("query")
	m.PropagationFinished("ingest", 12*time.Second)

	require.Equal(t, 2.0, testutil.ToFloat64(m.orphans.WithLabelValues("ingest")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.panics.WithLabelValues("query")))
	require.Equal(t, 1, testutil.CollectAndCount(m.propagationDuration))
}

func TestObserveRequest(t *testing.T) {
	m := New(nil)
	m.ObserveRequest("CreateDatabaseToken", 200, 80*time.Millisecond)
	m.ObserveRequest("CreateDatabaseToken", 500, time.Second)
	m.ObserveRequest("DeleteDatabaseToken", 0, time.Second)

	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("CreateDatabaseToken", "200")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("CreateDatabaseToken", "500")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.requests.WithLabelValues("DeleteDatabaseToken", "0")))
	require.Equal(t, 2, testutil.CollectAndCount(m.requestDuration))
}

func TestCurrentStepKeepsOneSeries(t *testing.T) {
	m := New(nil)
	m.StepEntered("ingest", "create")
	m.StepEntered("ingest", "store")

	want := `
# HELP rotatord_current_step 1 for the step each policy's rotation is in; the step is "idle" between rotations.
# TYPE rotatord_current_step gauge
rotatord_current_step{policy="ingest",step="store"} 1
`
	require.NoError(t, testutil.CollectAndCompare(m.currentStep, strings.NewReader(want)))

	m.RotationFinished("ingest", "success", time.Minute)
	require.Equal(t, 1, testutil.CollectAndCount(m.currentStep))
	require.Equal(t, 1.0, testutil.ToFloat64(m.currentStep.WithLabelValues("ingest", stepIdle)))
}

func TestStateGaugesAtScrape(t *testing.T) {
	m := New(nil)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	calls := 0
	m.WatchState(func(context.Context) []PolicyState {
		calls++
		return []PolicyState{
			{
				Policy:         "ingest",
				TokenCreatedAt: now.Add(-time.Hour),
				TokenExpiresAt: time.Unix(1800000000, 0),
				NextRotation:   time.Unix(1790000000, 0),
				NeedsAttention: true,
			},
			{Policy: "query"},
		}
	}, func() time.Time { return now })

	want := `
# HELP rotatord_next_rotation_timestamp_seconds Unix time at which the policy is next due for rotation.
# TYPE rotatord_next_rotation_timestamp_seconds gauge
rotatord_next_rotation_timestamp_seconds{policy="ingest"} 1.79e+09
# HELP rotatord_policy_needs_attention 1 when the policy's rotations failed too often in a row and a person should look.
# TYPE rotatord_policy_needs_attention gauge
rotatord_policy_needs_attention{policy="ingest"} 1
rotatord_policy_needs_attention{policy="query"} 0
# HELP rotatord_token_age_seconds Age of the policy's current token.
# TYPE rotatord_token_age_seconds gauge
rotatord_token_age_seconds{policy="ingest"} 3600
# HELP rotatord_token_expiry_timestamp_seconds Unix time at which the policy's current token expires; absent when it does not expire.
# TYPE rotatord_token_expiry_timestamp_seconds gauge
rotatord_token_expiry_timestamp_seconds{policy="ingest"} 1.8e+09
`
	require.NoError(t, testutil.CollectAndCompare(m.state, strings.NewReader(want)))
	require.Equal(t, 1, calls)
}

func TestHandlerServesOwnRegistry(t *testing.T) {
	m := New(nil)
	m.RotationFinished("ingest", "success", time.Second)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `rotatord_rotations_total{policy="ingest",result="success"} 1`)
	require.Contains(t, string(body), "go_goroutines")
}

func TestMetricNamesLint(t *testing.T) {
	m := New(nil)
	m.RotationFinished("ingest", "success", time.Second)
	m.ObserveRequest("ListDatabaseTokens", 200, time.Second)
	problems, err := testutil.GatherAndLint(m.Registry())
	require.NoError(t, err)
	require.Empty(t, problems)
}
