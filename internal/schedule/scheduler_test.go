package schedule

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
)

func TestSchedulerCronFire(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	h := newHarness(t, start, []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *"}},
		created("ingest", start.Add(-time.Hour)))
	h.run()

	h.expectIdle(utc(2026, 6, 2, 3, 0))
	require.Equal(t, ReasonSchedule, h.due("ingest").Reason)

	h.clk.Set(utc(2026, 6, 2, 3, 0))
	c := h.expectLaunch("ingest", ReasonSchedule)
	require.True(t, h.due("ingest").Running)

	h.succeed(c)
	h.expectIdle(utc(2026, 6, 3, 3, 0))
	require.False(t, h.due("ingest").Running)
}

func TestSchedulerDaylightSaving(t *testing.T) {
	loc := berlin(t)
	tests := []struct {
		name      string
		start     time.Time
		firstFire time.Time
		nextFire  time.Time
	}{
		{
			name:      "spring forward",
			start:     time.Date(2026, 3, 28, 12, 0, 0, 0, loc),
			firstFire: utc(2026, 3, 29, 1, 0), // 03:00 CEST, the jump
			nextFire:  utc(2026, 3, 30, 0, 30),
		},
		{
			name:      "fall back",
			start:     time.Date(2026, 10, 24, 12, 0, 0, 0, loc),
			firstFire: utc(2026, 10, 25, 0, 30), // first 02:30, CEST
			nextFire:  utc(2026, 10, 26, 1, 30), // not the second 02:30
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pols := []policy.Policy{{Name: "ingest", Schedule: "CRON_TZ=Europe/Berlin 30 2 * * *"}}
			h := newHarness(t, tt.start, pols, created("ingest", tt.start))
			h.run()

			h.expectIdle(tt.firstFire)
			h.clk.Set(tt.firstFire)
			h.succeed(h.expectLaunch("ingest", ReasonSchedule))
			h.expectIdle(tt.nextFire)
		})
	}
}

func TestSchedulerMissedRunAtStartup(t *testing.T) {
	start := utc(2026, 6, 5, 12, 0)
	pols := []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *"}}
	h := newHarness(t, start, pols, created("ingest", utc(2026, 6, 1, 3, 0)))
	h.run()

	// Four fires passed while the daemon was down; one rotation covers them.
	c := h.expectLaunch("ingest", ReasonStartup)
	h.succeed(c)
	h.expectIdle(utc(2026, 6, 6, 3, 0))
	h.requireNoCall()
}

func TestSchedulerNoMissedRun(t *testing.T) {
	start := utc(2026, 6, 5, 12, 0)
	pols := []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *"}}
	h := newHarness(t, start, pols, created("ingest", utc(2026, 6, 5, 3, 0)))
	h.run()

	h.expectIdle(utc(2026, 6, 6, 3, 0))
	h.requireNoCall()
}

func TestSchedulerMinIntervalDefers(t *testing.T) {
	start := utc(2026, 6, 1, 12, 30)
	pols := []policy.Policy{{Name: "ingest", Schedule: "0 * * * *", MinInterval: 90 * time.Minute}}
	h := newHarness(t, start, pols, created("ingest", utc(2026, 6, 1, 12, 20)))
	h.run()

	// The 13:00 fire falls inside the interval and moves to 13:50.
	h.expectIdle(utc(2026, 6, 1, 13, 50))
	d := h.due("ingest")
	require.Equal(t, ReasonSchedule, d.Reason)
	require.True(t, d.Deferred)

	h.clk.Set(utc(2026, 6, 1, 13, 50))
	h.succeed(h.expectLaunch("ingest", ReasonSchedule))
	h.expectIdle(utc(2026, 6, 1, 15, 20))
}

func TestSchedulerOverlappingTriggersCoalesce(t *testing.T) {
	start := utc(2026, 6, 1, 12, 5)
	pols := []policy.Policy{{Name: "ingest", Schedule: "*/10 * * * *"}}
	h := newHarness(t, start, pols, created("ingest", utc(2026, 6, 1, 12, 4)))
	h.run()

	h.expectIdle(utc(2026, 6, 1, 12, 10))
	h.clk.Set(utc(2026, 6, 1, 12, 10))
	first := h.expectLaunch("ingest", ReasonSchedule)

	// While it runs: two manual triggers and two cron fires.
	h.clk.Set(utc(2026, 6, 1, 12, 15))
	require.NoError(t, h.s.Trigger("ingest"))
	h.expectIdle(time.Time{})
	require.NoError(t, h.s.Trigger("ingest"))
	h.expectIdle(time.Time{})
	h.clk.Set(utc(2026, 6, 1, 12, 31))
	h.requireNoCall()

	h.succeed(first)
	second := h.expectLaunch("ingest", ReasonManual)
	h.succeed(second)
	h.expectIdle(utc(2026, 6, 1, 12, 40))
	h.requireNoCall()
}

func TestSchedulerBackoffAndNeedsAttention(t *testing.T) {
	start := utc(2026, 6, 1, 2, 0)
	pols := []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *", MaxFailures: 3}}
	h := newHarness(t, start, pols, created("ingest", utc(2026, 6, 1, 1, 0)))
	h.run()
	errDown := errors.New("create token for policy ingest: service unavailable")

	h.expectIdle(utc(2026, 6, 1, 3, 0))
	h.clk.Set(utc(2026, 6, 1, 3, 0))
	h.fail(h.expectLaunch("ingest", ReasonSchedule), errDown)
	h.expectIdle(utc(2026, 6, 1, 3, 1))
	d := h.due("ingest")
	require.Equal(t, ReasonRetry, d.Reason)
	require.Equal(t, 1, d.Failures)
	require.False(t, d.NeedsAttention)

	h.clk.Set(utc(2026, 6, 1, 3, 1))
	h.fail(h.expectLaunch("ingest", ReasonRetry), errDown)
	h.expectIdle(utc(2026, 6, 1, 3, 3)) // doubled to 2m

	h.clk.Set(utc(2026, 6, 1, 3, 3))
	h.fail(h.expectLaunch("ingest", ReasonRetry), errDown)

	// Third failure in a row: wait for the next regular fire.
	h.expectIdle(utc(2026, 6, 2, 3, 0))
	d = h.due("ingest")
	require.True(t, d.NeedsAttention)
	require.Equal(t, 3, d.Failures)

	h.clk.Set(utc(2026, 6, 2, 3, 0))
	h.succeed(h.expectLaunch("ingest", ReasonSchedule))
	h.expectIdle(utc(2026, 6, 3, 3, 0))
	d = h.due("ingest")
	require.False(t, d.NeedsAttention)
	require.Zero(t, d.Failures)
}

func TestSchedulerBackoffCap(t *testing.T) {
	opts := &Options{BackoffBase: time.Minute, BackoffMax: 5 * time.Minute}
	for failures, want := range map[int]time.Duration{
		1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 4: 5 * time.Minute, 40: 5 * time.Minute,
	} {
		require.Equal(t, want, backoff(opts, failures), "failures=%d", failures)
	}
}

func TestSchedulerNeedsAttentionFromJournal(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	last := start.Add(-time.Hour)
	st := created("ingest", start.Add(-48*time.Hour))
	st.LastRotation, st.ConsecutiveFailures = &last, 5
	pols := []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *", MaxFailures: 5}}
	h := newHarness(t, start, pols, st)
	h.run()

	// The missed fire does not lead to a start-up retry loop.
	h.expectIdle(utc(2026, 6, 2, 3, 0))
	require.True(t, h.due("ingest").NeedsAttention)
	h.requireNoCall()
}

func TestSchedulerMaxAge(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	pols := []policy.Policy{{Name: "ingest", MaxAge: 24 * time.Hour}}
	h := newHarness(t, start, pols, created("ingest", start.Add(-23*time.Hour)))
	h.run()

	h.expectIdle(start.Add(time.Hour))
	h.clk.Set(start.Add(time.Hour))
	h.succeed(h.expectLaunch("ingest", ReasonMaxAge))
	h.expectIdle(start.Add(25 * time.Hour))
}

func TestSchedulerExpiryIgnoresMinInterval(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	expires := start.Add(10 * time.Hour)
	st := created("ingest", start.Add(-time.Hour))
	st.TokenExpiresAt = &expires
	pols := []policy.Policy{{Name: "ingest", ExpiryMargin: 2 * time.Hour, MinInterval: 24 * time.Hour}}
	h := newHarness(t, start, pols, st)
	h.run()

	h.expectIdle(start.Add(8 * time.Hour))
	h.clk.Set(start.Add(8 * time.Hour))
	c := h.expectLaunch("ingest", ReasonExpiry)

	// The engine reports the new token's expiry after the rotation.
	newExpiry := start.Add(30 * time.Hour)
	newCreated := h.clk.Now()
	h.eng.setStatus(rotate.PolicyStatus{Policy: "ingest", TokenCreatedAt: &newCreated, TokenExpiresAt: &newExpiry})
	h.succeedAs(c)
	h.expectIdle(start.Add(28 * time.Hour))
}

func TestSchedulerJitterBounds(t *testing.T) {
	sched, err := Parse("0 * * * *")
	require.NoError(t, err)
	const jitter = 10 * time.Minute
	e := &entry{pol: policy.Policy{Jitter: jitter}, sched: sched, anchor: utc(2026, 6, 1, 0, 0)}
	opts := &Options{}
	rng := rand.New(rand.NewPCG(7, 7))

	var delays []time.Duration
	for range 200 {
		fire := sched.Next(e.anchor)
		c, ok := e.cronCandidate(e.anchor, opts, rng)
		require.True(t, ok)
		again, _ := e.cronCandidate(e.anchor, opts, rng)
		require.Equal(t, c.at, again.at, "delay must be drawn once per fire")

		delay := c.at.Sub(fire)
		require.GreaterOrEqual(t, delay, time.Duration(0))
		require.LessOrEqual(t, delay, jitter)
		delays = append(delays, delay)
		e.anchor = fire
	}
	require.NotEqual(t, delays[0], delays[1], "delays should vary")
}

func TestSchedulerJitterDelaysFire(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	pols := []policy.Policy{{Name: "ingest", Schedule: "0 13 * * *", Jitter: 30 * time.Minute}}
	h := newHarness(t, start, pols, created("ingest", start))
	h.run()

	next := h.idle()
	require.False(t, next.Before(utc(2026, 6, 1, 13, 0)))
	require.False(t, next.After(utc(2026, 6, 1, 13, 30)))
	h.clk.Set(next)
	h.succeed(h.expectLaunch("ingest", ReasonSchedule))
	h.idle()
}

func TestSchedulerPanicRecovered(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	pols := []policy.Policy{{Name: "ingest", MaxAge: time.Hour}}
	h := newHarness(t, start, pols, created("ingest", start.Add(-2*time.Hour)))
	h.run()

	c := h.expectLaunch("ingest", ReasonMaxAge)
	c.reply <- func() rotate.Result { panic("sink exploded") }

	h.expectIdle(start.Add(time.Minute))
	require.Equal(t, 1, h.due("ingest").Failures)
	h.panics.mu.Lock()
	require.Equal(t, 1, h.panics.counts["ingest"])
	h.panics.mu.Unlock()
}

func TestSchedulerBusyIsNotFailure(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	pols := []policy.Policy{{Name: "ingest", MaxAge: time.Hour}}
	h := newHarness(t, start, pols, created("ingest", start.Add(-2*time.Hour)))
	h.run()

	h.fail(h.expectLaunch("ingest", ReasonMaxAge), rotate.ErrBusy)
	h.expectIdle(start.Add(time.Minute))
	d := h.due("ingest")
	require.Zero(t, d.Failures)
	require.Equal(t, ReasonMaxAge, d.Reason)
}

func TestSchedulerShutdownCancelsAfterTimeout(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	pols := []policy.Policy{{Name: "ingest", MaxAge: time.Hour}}
	h := newHarness(t, start, pols, created("ingest", start.Add(-2*time.Hour)))
	h.run()
	c := h.expectLaunch("ingest", ReasonMaxAge)

	h.cancel()
	require.NoError(t, h.clk.BlockUntil(t.Context(), 1))
	require.NoError(t, c.ctx.Err(), "a running rotation keeps its context until the timeout")
	h.clk.Advance(time.Minute)
	select {
	case <-c.ctx.Done():
	case <-time.After(waitLimit):
		t.Fatal("rotation context not cancelled after the shutdown timeout")
	}
	h.fail(c, c.ctx.Err())
	select {
	case <-h.stopped:
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
	}
}

func TestSchedulerReload(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	h := newHarness(t, start, []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *"}}, created("ingest", start))
	h.run()
	h.expectIdle(utc(2026, 6, 2, 3, 0))

	err := h.s.SetPolicies([]policy.Policy{{Name: "ingest", Schedule: "0 0 3 * * *"}})
	require.Error(t, err)
	require.Equal(t, utc(2026, 6, 2, 3, 0), h.due("ingest").At)

	require.NoError(t, h.s.SetPolicies([]policy.Policy{{Name: "ingest", Schedule: "0 18 * * *"}}))
	h.expectIdle(utc(2026, 6, 1, 18, 0))
	require.Error(t, h.s.Trigger("missing"))
}

func TestNewRejectsBadInput(t *testing.T) {
	_, err := New(Options{})
	require.Error(t, err)
	_, err = New(Options{Engine: &fakeEngine{}, Clock: clock.NewFake(time.Now()),
		Policies: []policy.Policy{{Name: "p", Schedule: "CRON_TZ=Nowhere/X 0 3 * * *"}}})
	require.ErrorContains(t, err, "policy p")
}

func TestRefreshSeedsPolicyAddedByReload(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	h := newHarness(t, start, []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *"}}, created("ingest", start))
	h.run()
	h.expectIdle(utc(2026, 6, 2, 3, 0))
	added := created("reports", start.Add(-2*time.Hour))
	h.eng.setStatus(added)
	h.eng.setStatus(rotate.PolicyStatus{Policy: "fresh"})

	require.NoError(t, h.s.SetPolicies([]policy.Policy{
		{Name: "ingest", Schedule: "0 3 * * *"},
		{Name: "reports", MaxAge: 3 * time.Hour},
		{Name: "fresh", Schedule: "0 3 * * *"},
	}))
	h.idle()
	h.s.Refresh(context.Background())

	c := h.expectCall("fresh", ReasonManual)
	h.idle()
	require.Equal(t, start.Add(time.Hour), h.due("reports").At, "max age counts from the token's creation")
	require.Equal(t, ReasonMaxAge, h.due("reports").Reason)
	h.succeed(c)
	h.idle()
}

func TestRefreshClearsAttentionAfterOutsideRotation(t *testing.T) {
	start := utc(2026, 6, 1, 12, 0)
	last := start.Add(-time.Hour)
	st := created("ingest", start.Add(-48*time.Hour))
	st.LastRotation, st.ConsecutiveFailures = &last, 5
	h := newHarness(t, start, []policy.Policy{{Name: "ingest", Schedule: "0 3 * * *", MaxFailures: 5}}, st)
	h.run()
	h.expectIdle(utc(2026, 6, 2, 3, 0))
	require.True(t, h.due("ingest").NeedsAttention)

	// rotatord rotate --now succeeded in another process.
	done := start.Add(time.Minute)
	fixed := rotate.PolicyStatus{Policy: "ingest", CurrentTokenID: "tok-2", TokenCreatedAt: &done, LastRotation: &done}
	h.eng.setStatus(fixed)
	h.s.Refresh(context.Background())
	h.idle()

	d := h.due("ingest")
	require.False(t, d.NeedsAttention)
	require.Zero(t, d.Failures)
}
