package mgmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/rotatord/rotatord/internal/clock"
)

// step responses one request of a scripted server.
type step func(w http.ResponseWriter, r *http.Request)

func status(code int, headers ...string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		writeError(w, code, http.StatusText(code))
	}
}

// reset reads the request, then closes the connection without responding.
func reset(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func respond(body string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

const (
	tokenJSON = `{"accountId":"` + testAccount + `","clusterId":"` + testCluster + `",
		"id":"55555555-5555-4555-8555-555555555555","description":"d","permissions":[],
		"createdAt":"2023-12-21T17:32:28.000Z"}`
	createdJSON = `{"accountId":"` + testAccount + `","clusterId":"` + testCluster + `",
		"id":"55555555-5555-4555-8555-555555555555","description":"d","permissions":[],
		"createdAt":"2023-12-21T17:32:28.000Z",
		"accessToken":"apiv1_5555555555555555555555555555555555555555555555555555555555555555"}`
	tableJSON = `{"accountId":"` + testAccount + `","clusterId":"` + testCluster + `",
		"databaseName":"db","id":7,"name":"t"}`
)

// scriptedServer responses the n-th request with steps[n], and the last step
// once the script runs out.
type scriptedServer struct {
	mu       sync.Mutex
	steps    []step
	requests []string
	server   *httptest.Server
}

func newScriptedServer(t *testing.T, steps ...step) *scriptedServer {
	s := &scriptedServer{steps: steps}
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := min(len(s.requests), len(s.steps)-1)
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		s.steps[n](w, r)
	}))
	t.Cleanup(s.server.Close)
	return s
}

func (s *scriptedServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// options returns test options for the server with fresh connections per
// request, so the transport never repeats a request on its own.
func (s *scriptedServer) options() Options {
	opts := testOptions(s.server.URL + "/api/v0/")
	opts.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return opts
}

func TestGetRetriedOnTransientErrors(t *testing.T) {
	srv := newScriptedServer(t, status(500), status(429), reset, respond("["+tokenJSON+"]"))
	opts := srv.options()
	var statuses []int
	opts.Observe = func(op string, status int, _ time.Duration) {
		require.Equal(t, OpGetDatabaseTokens, op)
		statuses = append(statuses, status)
	}
	c := newTestClient(t, opts)

	tokens, err := c.ListTokens(context.Background())
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	require.Equal(t, 4, srv.count())
	require.Equal(t, []int{500, 429, 0, 200}, statuses)
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
		opts.Clock.(*sleepRecorder).Sleeps())
}

func TestGetGivesUpAfterMaxRetries(t *testing.T) {
	srv := newScriptedServer(t, status(503))
	opts := srv.options()
	c := newTestClient(t, opts)

	_, err := c.GetToken(context.Background(), "55555555-5555-4555-8555-555555555555")

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	require.True(t, IsRetryable(err))
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	require.Equal(t, 1+DefaultMaxRetries, srv.count())
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second},
		opts.Clock.(*sleepRecorder).Sleeps())
}

func TestBackoffCappedAtMaxBackoff(t *testing.T) {
	srv := newScriptedServer(t, status(502))
	opts := srv.options()
	opts.MinBackoff, opts.MaxBackoff, opts.MaxRetries = time.Second, 3*time.Second, 5
	c := newTestClient(t, opts)

	_, err := c.ListDatabases(context.Background())
	require.Error(t, err)
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		opts.Clock.(*sleepRecorder).Sleeps())
}

func TestNegativeMaxRetriesDisablesRetry(t *testing.T) {
	srv := newScriptedServer(t, status(500))
	opts := srv.options()
	opts.MaxRetries = -1
	c := newTestClient(t, opts)

	_, err := c.ListTokens(context.Background())
	require.Error(t, err)
	require.Equal(t, 1, srv.count())
}

func TestFullJitterStaysInRange(t *testing.T) {
	for range 1000 {
		d := fullJitter(time.Second)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, time.Second)
	}
	require.Zero(t, fullJitter(0))
}

func TestPatchAndDeleteRetried(t *testing.T) {
	srv := newScriptedServer(t, status(502), reset, respond(tokenJSON))
	c := newTestClient(t, srv.options())
	description := "d"

	_, err := c.UpdateToken(context.Background(), "55555555-5555-4555-8555-555555555555",
		UpdateTokenRequest{Description: &description})
	require.NoError(t, err)
	require.Equal(t, 3, srv.count())

	srv = newScriptedServer(t, status(500), func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	c = newTestClient(t, srv.options())
	require.NoError(t, c.DeleteTable(context.Background(), "db", "t"))
	require.Equal(t, 2, srv.count())
}

func TestPostAndPutNeverRetried(t *testing.T) {
	failures := map[string]step{"500": status(500), "503": status(503), "429": status(429), "reset": reset}
	for name, failure := range failures {
		t.Run(name, func(t *testing.T) {
			srv := newScriptedServer(t, failure, respond(createdJSON))
			opts := srv.options()
			c := newTestClient(t, opts)

			_, err := c.CreateToken(context.Background(), CreateTokenRequest{Description: "d"})
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			require.True(t, IsRetryable(err))
			require.Equal(t, 1, srv.count())

			_, err = c.RenameTable(context.Background(), "db", "t", "u")
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			require.Equal(t, 2, srv.count(), "the rename was repeated")
			require.Empty(t, opts.Clock.(*sleepRecorder).Sleeps())
		})
	}
}

func TestClientErrorsNeverRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 409} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newScriptedServer(t, status(code))
			c := newTestClient(t, srv.options())

			_, err := c.ListDatabases(context.Background())
			require.False(t, IsRetryable(err))
			require.Equal(t, 1, srv.count())

			_, err = c.CreateDatabase(context.Background(), CreateDatabaseRequest{Name: "db"})
			require.NotErrorIs(t, err, ErrOutcomeUnknown, "a %d is a clear rejection", code)
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	start := newSleepRecorder().Now()
	cases := map[string]struct {
		header string
		want   time.Duration
	}{
		"seconds":   {"7", 7 * time.Second},
		"zero":      {"0", 0},
		"http date": {start.Add(12 * time.Second).Format(http.TimeFormat), 12 * time.Second},
		"past date": {start.Add(-time.Hour).Format(http.TimeFormat), 0},
		"garbage":   {"soon", 500 * time.Millisecond},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := newScriptedServer(t, status(429, "Retry-After", tc.header), respond("[]"))
			opts := srv.options()
			c := newTestClient(t, opts)

			_, err := c.ListTokens(context.Background())
			require.NoError(t, err)
			require.Equal(t, 2, srv.count())
			sleeps := opts.Clock.(*sleepRecorder).Sleeps()
			if tc.want == 0 {
				require.Empty(t, sleeps, "a zero wait needs no timer")
				return
			}
			require.Equal(t, []time.Duration{tc.want}, sleeps)
		})
	}
}

func TestRetryAfterAboveMaxBackoffStops(t *testing.T) {
	srv := newScriptedServer(t, status(503, "Retry-After", "120"), respond("[]"))
	opts := srv.options()
	c := newTestClient(t, opts)

	_, err := c.ListTokens(context.Background())
	require.True(t, IsRetryable(err))
	require.Equal(t, 1, srv.count())
	require.Empty(t, opts.Clock.(*sleepRecorder).Sleeps())
}

func TestRetryWaitsForClock(t *testing.T) {
	srv := newScriptedServer(t, status(500), respond("[]"))
	opts := srv.options()
	fake := clock.NewFake(time.Unix(0, 0))
	opts.Clock = fake
	c := newTestClient(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	done := make(chan error, 1)
	go func() {
		_, err := c.ListTokens(ctx)
		done <- err
	}()
	require.NoError(t, fake.BlockUntil(ctx, 1))
	require.Equal(t, 1, srv.count(), "the retry was sent before the backoff passed")

	fake.Advance(500 * time.Millisecond)
	require.NoError(t, <-done)
	require.Equal(t, 2, srv.count())
}

func TestCancelDuringBackoff(t *testing.T) {
	srv := newScriptedServer(t, status(500))
	opts := srv.options()
	fake := clock.NewFake(time.Unix(0, 0))
	opts.Clock = fake
	c := newTestClient(t, opts)
	ctx, cancel := context.WithCancel(context.Background())

	done := make(chan error, 1)
	go func() {
		_, err := c.ListTokens(ctx)
		done <- err
	}()
	waitCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	require.NoError(t, fake.BlockUntil(waitCtx, 1))
	cancel()

	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr, "the last response should stay visible")
	require.Equal(t, 1, srv.count())
}

func TestRetryStopsBeforeCallerDeadline(t *testing.T) {
	srv := newScriptedServer(t, status(500), respond("[]"))
	opts := srv.options()
	opts.MinBackoff = time.Hour
	opts.MaxBackoff = time.Hour
	c := newTestClient(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := c.ListTokens(ctx)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 1, srv.count())
	require.Empty(t, opts.Clock.(*sleepRecorder).Sleeps())
}

func TestGetAttemptTimeoutRetried(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newScriptedServer(t, hang(release), respond("[]"))
	opts := srv.options()
	opts.RequestTimeout = 50 * time.Millisecond
	c := newTestClient(t, opts)

	_, err := c.ListTokens(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, srv.count())
}

// hang responses only once release is closed or the client goes away. It
// reads the body first, because the server notices a closed connection
// only after that.
func hang(release <-chan struct{}) step {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

func TestLimiterWaitedBeforeEachAttempt(t *testing.T) {
	srv := newScriptedServer(t, respond("[]"))
	opts := srv.options()
	// A burst of 0 makes every Wait fail at once.
	opts.Limiter = rate.NewLimiter(0, 0)
	c := newTestClient(t, opts)

	_, err := c.ListTokens(context.Background())
	require.ErrorContains(t, err, "list tokens: wait for rate limiter")
	require.False(t, IsRetryable(err))
	require.Zero(t, srv.count())
}

func TestObserveReportsNetworkErrorAsZero(t *testing.T) {
	srv := newScriptedServer(t, respond("[]"))
	opts := srv.options()
	srv.server.Close()
	var statuses []int
	opts.Observe = func(_ string, status int, _ time.Duration) { statuses = append(statuses, status) }
	opts.MaxRetries = 1
	c := newTestClient(t, opts)

	_, err := c.ListTokens(context.Background())
	require.True(t, IsRetryable(err))
	require.False(t, errors.Is(err, ErrOutcomeUnknown))
	require.Equal(t, []int{0, 0}, statuses)
}
