package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/metrics"
	"github.com/rotatord/rotatord/internal/rotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/secret"
)

// secretValue stands for a database token's secret. The fakes below hold
// it the way the engine does, and no endpoint may return it.
const secretValue = "apiv1_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFr"

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type fakeEngine struct {
	calls atomic.Int32
	token secret.Token
}

func (f *fakeEngine) Status(context.Context) []rotate.PolicyStatus {
	f.calls.Add(1)
	created, expires, last := t0.Add(-2*time.Hour), t0.Add(48*time.Hour), t0.Add(-2*time.Hour)
	return []rotate.PolicyStatus{{
		Policy:         "ingest",
		CurrentTokenID: "tok-2",
		TokenCreatedAt: &created,
		TokenExpiresAt: &expires,
		LastRotation:   &last,
		LastResult:     "success",
		// An error that wrapped the token prints it redacted.
		LastError:       fmt.Sprintf("store in vault: %v", f.token),
		SecretChangedAt: &created,
		Step:            "grace",
		Sinks: []rotate.SinkStatus{
			{ID: "vault:kv/ingest", CurrentTokenID: "tok-2"},
			{ID: "file:/run/ingest/token", CurrentTokenID: "tok-1", Error: "stale"},
		},
	}}
}

type fakeSchedule struct{}

func (fakeSchedule) Due() []schedule.Due {
	return []schedule.Due{
		{Policy: "ingest", At: t0.Add(time.Hour), Reason: "schedule", Running: true, Failures: 1},
		{Policy: "query", At: t0.Add(2 * time.Hour), Reason: "max-age", NeedsAttention: true, Failures: 5},
	}
}

func newTestServer(t *testing.T) (*Server, *httptest.Server, *fakeEngine) {
	t.Helper()
	eng := &fakeEngine{token: secret.NewToken(secretValue)}
	src := &StatusSource{Engine: eng, Schedule: fakeSchedule{}, Clock: clock.NewFake(t0)}
	m := metrics.New(nil)
	m.WatchState(src.MetricsState, func() time.Time { return t0 })
	srv := New(Options{
		Metrics: m.Handler(),
		Status:  src.Status,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts, eng
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestHealthzAlwaysOK(t *testing.T) {
	_, ts, _ := newTestServer(t)
	code, _ := get(t, ts.URL+"/healthz")
	require.Equal(t, http.StatusOK, code)
}

func TestReadyzFollowsSetReady(t *testing.T) {
	srv, ts, _ := newTestServer(t)
	code, _ := get(t, ts.URL+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)

	srv.SetReady(true)
	code, _ = get(t, ts.URL+"/readyz")
	require.Equal(t, http.StatusOK, code)
}

func TestStatusJSON(t *testing.T) {
	_, ts, _ := newTestServer(t)
	code, body := get(t, ts.URL+"/status")
	require.Equal(t, http.StatusOK, code)

	var got []PolicyStatus
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Len(t, got, 2)

	ingest := got[0]
	require.Equal(t, "ingest", ingest.Policy)
	require.Equal(t, "tok-2", ingest.CurrentTokenID)
	require.Equal(t, 7200.0, ingest.TokenAgeSeconds)
	require.Equal(t, t0.Add(time.Hour), *ingest.NextRotation)
	require.Equal(t, "schedule", ingest.NextReason)
	require.True(t, ingest.Running)
	require.Equal(t, "grace", ingest.Step)
	require.Len(t, ingest.Sinks, 2)
	require.Equal(t, "stale", ingest.Sinks[1].Error)
	require.NotNil(t, ingest.SecretChangedAt)
	require.Equal(t, 1, ingest.ConsecutiveFailures)

	query := got[1]
	require.Equal(t, "query", query.Policy)
	require.True(t, query.NeedsAttention)
	require.Equal(t, 5, query.ConsecutiveFailures)
}

func TestNoEndpointRevealsSecret(t *testing.T) {
	_, ts, _ := newTestServer(t)
	for _, path := range []string{"/status", "/metrics", "/healthz", "/readyz"} {
		_, body := get(t, ts.URL+path)
		require.NotContains(t, body, secretValue, path)
	}
	_, body := get(t, ts.URL+"/status")
	require.Contains(t, body, "[redacted]")
}

func TestMetricsEndpoint(t *testing.T) {
	_, ts, _ := newTestServer(t)
	code, body := get(t, ts.URL+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `rotatord_policy_needs_attention{policy="query"} 1`)
	require.Contains(t, body, `rotatord_token_age_seconds{policy="ingest"} 7200`)
}

func TestStatusSourceCachesEngine(t *testing.T) {
	eng := &fakeEngine{}
	clk := clock.NewFake(t0)
	src := &StatusSource{Engine: eng, Clock: clk, CacheFor: time.Minute}

	src.Status(t.Context())
	src.MetricsState(t.Context())
	require.Equal(t, int32(1), eng.calls.Load())

	clk.Advance(time.Minute)
	src.Status(t.Context())
	require.Equal(t, int32(2), eng.calls.Load())
}

func TestUnknownPathNotFound(t *testing.T) {
	_, ts, _ := newTestServer(t)
	code, _ := get(t, ts.URL+"/debug/pprof/")
	require.Equal(t, http.StatusNotFound, code)
}

func TestServeShutsDownOnCancel(t *testing.T) {
	srv, _, _ := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String() + "/healthz"
	require.NoError(t, Probe(t.Context(), url))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	require.Error(t, Probe(t.Context(), url))
}

func TestProbeReportsNotReady(t *testing.T) {
	_, ts, _ := newTestServer(t)
	err := Probe(t.Context(), ts.URL+"/readyz")
	require.ErrorContains(t, err, "status 503")
	require.True(t, strings.HasPrefix(err.Error(), "probe http://127.0.0.1:"))
}

func TestNewDefaultsToLoopback(t *testing.T) {
	srv := New(Options{})
	host, _, err := net.SplitHostPort(srv.opts.Addr)
	require.NoError(t, err)
	require.True(t, net.ParseIP(host).IsLoopback())
}
