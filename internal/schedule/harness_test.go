package schedule

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
)

// waitLimit bounds every wait on the scheduler's goroutines, so a broken
// test fails instead of hanging.
const waitLimit = 5 * time.Second

// call is one Rotate call the fake engine received. The test replies with a
// function whose result Rotate returns, and that function may panic.
type call struct {
	ctx    context.Context
	policy string
	opts   rotate.RunOptions
	reply  chan func() rotate.Result
	// started is the fake time at which the test received the call.
	started time.Time
}

type fakeEngine struct {
	mu       sync.Mutex
	statuses []rotate.PolicyStatus
	calls    chan call
	closed   chan struct{} // closed when the test ends, to unblock Rotate
}

func (f *fakeEngine) Rotate(ctx context.Context, name string, o rotate.RunOptions) rotate.Result {
	c := call{ctx: ctx, policy: name, opts: o, reply: make(chan func() rotate.Result)}
	select {
	case f.calls <- c:
	case <-f.closed:
		return rotate.Result{Policy: name, Err: context.Canceled}
	}
	select {
	case reply := <-c.reply:
		return reply()
	case <-f.closed:
		return rotate.Result{Policy: name, Err: context.Canceled}
	}
}

func (f *fakeEngine) Status(context.Context) []rotate.PolicyStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rotate.PolicyStatus(nil), f.statuses...)
}

func (f *fakeEngine) setStatus(st rotate.PolicyStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.statuses {
		if f.statuses[i].Policy == st.Policy {
			f.statuses[i] = st
			return
		}
	}
	f.statuses = append(f.statuses, st)
}

type panicCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (p *panicCounter) PanicRecovered(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[name]++
}

type harness struct {
	t       *testing.T
	clk     *clock.Fake
	eng     *fakeEngine
	panics  *panicCounter
	s       *Scheduler
	cancel  context.CancelFunc
	stopped chan struct{}
}

func newHarness(t *testing.T, start time.Time, pols []policy.Policy, statuses ...rotate.PolicyStatus) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		clk:    clock.NewFake(start),
		eng:    &fakeEngine{statuses: statuses, calls: make(chan call), closed: make(chan struct{})},
		panics: &panicCounter{counts: map[string]int{}},
	}
	s, err := New(Options{
		Engine:      h.eng,
		Policies:    pols,
		Clock:       h.clk,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Panics:      h.panics,
		Rand:        rand.New(rand.NewPCG(1, 2)),
		BackoffBase: time.Minute,
		BackoffMax:  4 * time.Minute,
	})
	require.NoError(t, err)
	s.idle = make(chan time.Time)
	h.s = s
	return h
}

// run starts the scheduler and stops it when the test ends.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.stopped = cancel, make(chan struct{})
	go func() {
		defer close(h.stopped)
		assert.NoError(h.t, h.s.Run(ctx))
	}()
	h.t.Cleanup(func() {
		cancel()
		close(h.eng.closed)
		<-h.stopped
	})
}

// idle waits until the loop is about to wait and returns its next wake-up
// time.
func (h *harness) idle() time.Time {
	h.t.Helper()
	select {
	case next := <-h.s.idle:
		return next
	case <-time.After(waitLimit):
		h.t.Fatal("scheduler loop did not go idle")
		return time.Time{}
	}
}

// expectIdle waits for the loop to go idle and checks its next wake-up.
func (h *harness) expectIdle(want time.Time) {
	h.t.Helper()
	got := h.idle()
	require.True(h.t, want.Equal(got), "next wake-up: want %s, got %s", want.UTC(), got.UTC())
}

// expectCall waits for a Rotate call of the named policy with the given
// trigger.
func (h *harness) expectCall(name, trigger string) call {
	h.t.Helper()
	select {
	case c := <-h.eng.calls:
		require.Equal(h.t, name, c.policy)
		require.Equal(h.t, trigger, c.opts.Trigger)
		c.started = h.clk.Now()
		return c
	case <-time.After(waitLimit):
		h.t.Fatalf("no rotation of %s started", name)
		return call{}
	}
}

// expectLaunch waits for a Rotate call and for the loop to go idle with
// nothing else scheduled, as it does while the only policy rotates.
func (h *harness) expectLaunch(name, trigger string) call {
	h.t.Helper()
	c := h.expectCall(name, trigger)
	h.expectIdle(time.Time{})
	return c
}

// requireNoCall checks that no rotation is waiting for a reply.
func (h *harness) requireNoCall() {
	h.t.Helper()
	select {
	case c := <-h.eng.calls:
		h.t.Fatalf("unexpected rotation of %s (trigger %s)", c.policy, c.opts.Trigger)
	default:
	}
}

// succeed replies to the call with a successful rotation, after which the
// engine reports a new token created when the rotation started.
func (h *harness) succeed(c call) {
	h.eng.setStatus(rotate.PolicyStatus{Policy: c.policy, CurrentTokenID: "tok-2", TokenCreatedAt: &c.started})
	h.succeedAs(c)
}

// succeedAs replies to the call with a successful rotation and leaves the
// engine's status as the test set it.
func (h *harness) succeedAs(c call) {
	now := h.clk.Now()
	c.reply <- func() rotate.Result {
		return rotate.Result{Policy: c.policy, Trigger: c.opts.Trigger, Started: c.started, Finished: now}
	}
}

// fail replies to the call with a failed rotation.
func (h *harness) fail(c call, err error) {
	now := h.clk.Now()
	c.reply <- func() rotate.Result {
		return rotate.Result{Policy: c.policy, Started: c.started, Finished: now, Err: err}
	}
}

func (h *harness) due(name string) Due {
	h.t.Helper()
	for _, d := range h.s.Due() {
		if d.Policy == name {
			return d
		}
	}
	h.t.Fatalf("no due entry for %s", name)
	return Due{}
}

func created(name string, at time.Time) rotate.PolicyStatus {
	return rotate.PolicyStatus{Policy: name, CurrentTokenID: "tok-1", TokenCreatedAt: &at}
}

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}
