package mgmt

import (
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"

	"github.com/rotatord/rotatord/internal/secret"
)

// sleepRecorder is a clock whose timers fire at once. It records every
// duration the client asked to sleep.
type sleepRecorder struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newSleepRecorder() *sleepRecorder {
	return &sleepRecorder{now: time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)}
}

func (s *sleepRecorder) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *sleepRecorder) After(d time.Duration) <-chan time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sleeps = append(s.sleeps, d)
	s.now = s.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- s.now
	return ch
}

func (s *sleepRecorder) Sleeps() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.sleeps...)
}

// testOptions returns Options for baseURL with a recording clock, a
// debug logger into logs and no jitter, so backoff waits are exact.
func testOptions(baseURL string) Options {
	return Options{
		BaseURL:   baseURL,
		AccountID: testAccount,
		ClusterID: testCluster,
		Token:     secret.NewToken(testMgmtToken),
		Clock:     newSleepRecorder(),
	}
}

// newTestClient builds a client from opts with jitter turned off.
func newTestClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	require.NoError(t, err)
	c.jitter = func(ceiling time.Duration) time.Duration { return ceiling }
	return c
}

// debugLogger returns a logger that writes JSON records at Debug level
// into buf.
func debugLogger(buf *testenv.SyncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// requireJSONBody asserts that body is the JSON document want.
func requireJSONBody(t *testing.T, want string, body []byte) {
	t.Helper()
	require.True(t, json.Valid(body), "request body is not JSON: %q", body)
	require.JSONEq(t, want, string(body))
}
