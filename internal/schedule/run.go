package schedule

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/rotatord/rotatord/internal/rotate"
)

// finished reports the end of one rotation to the loop.
type finished struct {
	policy string
	result rotate.Result
	status *rotate.PolicyStatus
}

// Run schedules rotations until ctx ends. It then starts no new rotation,
// waits up to ShutdownTimeout for running ones to reach a safe point,
// cancels those still running, waits for them to return, and returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	// Rotations outlive ctx by up to ShutdownTimeout, so they get a context
	// of their own.
	rotCtx, cancelRotations := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRotations()

	s.seed(ctx)
	active := 0
	var timer <-chan time.Time
	var timerAt time.Time
	refresh := s.refreshTimer()
	for {
		active += s.launchDue(rotCtx)
		next, ok := s.nextWake()
		if ok && !next.Equal(timerAt) {
			timer, timerAt = s.clock.After(next.Sub(s.clock.Now())), next
		}
		if s.idle != nil {
			select {
			case s.idle <- next:
			case <-ctx.Done():
			}
		}

		select {
		case <-ctx.Done():
			s.drain(active, cancelRotations)
			return nil
		case <-timer:
			timer, timerAt = nil, time.Time{}
		case f := <-s.done:
			active--
			s.finish(f)
		case <-s.wake:
		case <-refresh:
			go s.Refresh(rotCtx)
			refresh = s.refreshTimer()
		}
	}
}

// refreshTimer returns a channel that fires after RefreshInterval, or nil
// when periodic refreshes are off.
func (s *Scheduler) refreshTimer() <-chan time.Time {
	if s.opts.RefreshInterval <= 0 {
		return nil
	}
	return s.clock.After(s.opts.RefreshInterval)
}

// seed loads each policy's last rotation, token times and failure count
// from the engine.
func (s *Scheduler) seed(ctx context.Context) {
	statuses := s.opts.Engine.Status(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.start = s.clock.Now()
	byName := map[string]rotate.PolicyStatus{}
	for _, st := range statuses {
		byName[st.Policy] = st
	}
	for name, e := range s.entries {
		e.seed(byName[name], s.start, &s.opts)
		e.seeded = true
		if e.attention {
			s.log.Error("policy needs attention", "policy", name, "failures", e.failures)
		}
	}
}

// launchDue starts a rotation for every policy that is due and not
// running, and returns how many it started.
func (s *Scheduler) launchDue(ctx context.Context) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	started := 0
	for name, e := range s.entries {
		if e.running || !e.seeded {
			continue
		}
		c, _ := e.due(s.start, &s.opts, s.rng)
		if c.at.IsZero() || c.at.After(now) {
			continue
		}
		e.running, e.runReason = true, c.reason
		started++
		go s.rotate(ctx, name, c.reason)
	}
	return started
}

// nextWake returns the earliest due time of the policies not running.
func (s *Scheduler) nextWake() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, e := range s.entries {
		if e.running || !e.seeded {
			continue
		}
		c, _ := e.due(s.start, &s.opts, s.rng)
		if !c.at.IsZero() && (next.IsZero() || c.at.Before(next)) {
			next = c.at
		}
	}
	return next, !next.IsZero()
}

// rotate runs one rotation and reports it to the loop. The loop always
// receives, so the send cannot block forever.
func (s *Scheduler) rotate(ctx context.Context, name, reason string) {
	s.log.Info("rotation starting", "policy", name, "trigger", reason)
	res := s.rotateGuarded(ctx, name, reason)

	f := finished{policy: name, result: res}
	if res.Err == nil {
		for _, st := range s.opts.Engine.Status(ctx) {
			if st.Policy == name {
				f.status = &st
			}
		}
	}
	s.done <- f
}

// rotateGuarded calls the engine and turns a panic into a failed result.
func (s *Scheduler) rotateGuarded(ctx context.Context, name, reason string) (res rotate.Result) {
	started := s.clock.Now()
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		s.log.Error("rotation panicked", "policy", name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if s.opts.Panics != nil {
			s.opts.Panics.PanicRecovered(name)
		}
		res = rotate.Result{Policy: name, Trigger: reason, Started: started, Finished: s.clock.Now(),
			Err: fmt.Errorf("rotate policy %s: panic: %v", name, v)}
	}()

	res = s.opts.Engine.Rotate(ctx, name, rotate.RunOptions{Trigger: reason})
	if res.Started.IsZero() {
		res.Started = started
	}
	return res
}

// drain waits for running rotations, cancelling them after
// ShutdownTimeout.
func (s *Scheduler) drain(active int, cancel context.CancelFunc) {
	if active > 0 {
		s.log.Info("waiting for running rotations", "count", active, "timeout", s.opts.ShutdownTimeout)
	}
	deadline := s.clock.After(s.opts.ShutdownTimeout)
	for active > 0 {
		select {
		case f := <-s.done:
			active--
			s.finish(f)
		case <-deadline:
			s.log.Warn("cancelling running rotations at shutdown", "count", active)
			cancel()
			deadline = nil
		}
	}
}

// finish records the outcome of a rotation in its policy's entry.
func (s *Scheduler) finish(f finished) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[f.policy]
	if !ok {
		return // removed by a reload while it ran
	}
	e.running = false
	now := s.clock.Now()
	switch {
	case f.result.Err == nil:
		s.succeeded(e, f, now)
	case errors.Is(f.result.Err, rotate.ErrBusy):
		// Another process rotates this policy. Look again later without
		// counting a failure.
		s.log.Info("rotation skipped: policy busy", "policy", f.policy)
		e.retryAt = now.Add(s.opts.BackoffBase)
	default:
		s.failed(e, f, now)
	}
}

func (s *Scheduler) succeeded(e *entry, f finished, now time.Time) {
	started := f.result.Started
	s.log.Info("rotation finished", "policy", f.policy, "trigger", f.result.Trigger,
		"new_token_id", f.result.NewTokenID, "duration", f.result.Finished.Sub(started))

	// Triggers up to the start of this rotation are served by it; later
	// ones lead to one follow-up.
	e.anchor, e.lastRotation, e.tokenCreated = started, started, started
	e.tokenExpires = time.Time{}
	if e.pol.Lifetime > 0 {
		e.tokenExpires = started.Add(e.pol.Lifetime)
	}
	if f.status != nil {
		e.applyStatus(*f.status)
	}
	if !e.manualAt.After(started) {
		e.manualAt = time.Time{}
	}
	e.failures, e.retryAt, e.attention, e.gaveUpAt = 0, time.Time{}, false, time.Time{}
}

func (s *Scheduler) failed(e *entry, f finished, now time.Time) {
	e.failures++
	e.retryAt = now.Add(backoff(&s.opts, e.failures))
	if e.failures < e.maxFailures() {
		s.log.Warn("rotation failed, will retry", "policy", f.policy, "failures", e.failures,
			"retry_at", e.retryAt, "error", f.result.Err)
		return
	}
	// Owed triggers are dropped: the next one comes from the schedule.
	e.attention, e.gaveUpAt, e.manualAt, e.anchor = true, now, time.Time{}, now
	s.log.Error("rotation failed, policy needs attention", "policy", f.policy,
		"failures", e.failures, "error", f.result.Err)
}

// applyStatus overlays token times read back from the engine.
func (e *entry) applyStatus(st rotate.PolicyStatus) {
	e.tokenID = st.CurrentTokenID
	if st.TokenCreatedAt != nil {
		e.tokenCreated = *st.TokenCreatedAt
	}
	if st.TokenExpiresAt != nil {
		e.tokenExpires = *st.TokenExpiresAt
	}
}

// Seed loads each policy's state from the engine, as Run does first, so
// that Due is meaningful without Run, for one-shot commands such as plan.
func (s *Scheduler) Seed(ctx context.Context) { s.seed(ctx) }

// Refresh reloads what the engine's journal reports into the schedule. It
// seeds the policies a reload added, owing a rotation at once to those
// without a token yet. For the others it takes in a successful rotation
// that ran outside the scheduler, such as "rotatord rotate --now", which
// also clears a needs-attention mark.
func (s *Scheduler) Refresh(ctx context.Context) {
	statuses := s.opts.Engine.Status(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, st := range statuses {
		e, ok := s.entries[st.Policy]
		if !ok || e.running {
			continue
		}
		if !e.seeded {
			e.seed(st, now, &s.opts)
			e.seeded = true
			if st.CurrentTokenID == "" {
				e.manualAt = now
			}
			continue
		}
		e.takeExternal(st)
	}
	s.poke()
}

// takeExternal applies a successful rotation that the journal reports and
// the entry has not seen: the journal names another current token.
func (e *entry) takeExternal(st rotate.PolicyStatus) {
	if st.LastRotation == nil || st.ConsecutiveFailures > 0 || st.CurrentTokenID == "" ||
		st.CurrentTokenID == e.tokenID {
		return
	}
	e.lastRotation, e.anchor = *st.LastRotation, *st.LastRotation
	e.applyStatus(st)
	e.failures, e.retryAt, e.attention, e.gaveUpAt = 0, time.Time{}, false, time.Time{}
}
