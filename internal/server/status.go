package server

import (
	"context"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/metrics"
	"github.com/rotatord/rotatord/internal/rotate"
	"github.com/rotatord/rotatord/internal/schedule"
)

// PolicyStatus is one element of the /status response: the engine's status
// of a policy plus its schedule. It never contains a secret.
type PolicyStatus struct {
	rotate.PolicyStatus
	// TokenAgeSeconds is the current token's age when the request was
	// served.
	TokenAgeSeconds float64    `json:"tokenAgeSeconds,omitempty"`
	NextRotation    *time.Time `json:"nextRotation,omitempty"`
	NextReason      string     `json:"nextReason,omitempty"`
	// Deferred reports that MinInterval moved NextRotation later.
	Deferred       bool `json:"deferred,omitempty"`
	Running        bool `json:"running"`
	NeedsAttention bool `json:"needsAttention"`
}

// EngineStatus reads every policy's status from the rotation engine.
// *rotate.Engine implements it.
type EngineStatus interface {
	Status(ctx context.Context) []rotate.PolicyStatus
}

// ScheduleStatus reports every policy's next due time.
// *schedule.Scheduler implements it.
type ScheduleStatus interface {
	Due() []schedule.Due
}

// StatusSource merges the engine's status with the schedule. The engine
// reads every sink live, so its result is cached for CacheFor to keep
// frequent scrapes and status requests from loading the sinks.
type StatusSource struct {
	Engine   EngineStatus
	Schedule ScheduleStatus // optional, nil for one-shot commands
	Clock    clock.Clock    // defaults to clock.Real
	CacheFor time.Duration  // default 15s; negative disables the cache

	mu       sync.Mutex
	cached   []rotate.PolicyStatus
	cachedAt time.Time
}

const defaultStatusCache = 15 * time.Second

// Status returns every policy's merged status, in the engine's order,
// followed by scheduled policies the engine does not report.
func (s *StatusSource) Status(ctx context.Context) []PolicyStatus {
	now := s.now()
	var due []schedule.Due
	if s.Schedule != nil {
		due = s.Schedule.Due()
	}
	return Merge(now, s.engineStatus(ctx, now), due)
}

// MetricsState returns the state the scrape-time gauges report; its
// signature fits metrics.StateFunc.
func (s *StatusSource) MetricsState(ctx context.Context) []metrics.PolicyState {
	var out []metrics.PolicyState
	for _, st := range s.Status(ctx) {
		ms := metrics.PolicyState{Policy: st.Policy, NeedsAttention: st.NeedsAttention}
		if st.TokenCreatedAt != nil {
			ms.TokenCreatedAt = *st.TokenCreatedAt
		}
		if st.TokenExpiresAt != nil {
			ms.TokenExpiresAt = *st.TokenExpiresAt
		}
		if st.NextRotation != nil {
			ms.NextRotation = *st.NextRotation
		}
		out = append(out, ms)
	}
	return out
}

func (s *StatusSource) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *StatusSource) engineStatus(ctx context.Context, now time.Time) []rotate.PolicyStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.CacheFor
	if ttl == 0 {
		ttl = defaultStatusCache
	}
	if s.cached != nil && ttl > 0 && now.Sub(s.cachedAt) < ttl {
		return s.cached
	}
	s.cached, s.cachedAt = s.Engine.Status(ctx), now
	return s.cached
}

// Merge joins engine statuses with schedule entries by policy name.
func Merge(now time.Time, statuses []rotate.PolicyStatus, due []schedule.Due) []PolicyStatus {
	byName := make(map[string]schedule.Due, len(due))
	for _, d := range due {
		byName[d.Policy] = d
	}
	out := make([]PolicyStatus, 0, len(statuses))
	seen := map[string]bool{}
	for _, st := range statuses {
		out = append(out, merged(now, st, byName[st.Policy]))
		seen[st.Policy] = true
	}
	for _, d := range due {
		if !seen[d.Policy] {
			out = append(out, merged(now, rotate.PolicyStatus{Policy: d.Policy}, d))
		}
	}
	return out
}

func merged(now time.Time, st rotate.PolicyStatus, d schedule.Due) PolicyStatus {
	ps := PolicyStatus{PolicyStatus: st, Running: d.Running, NeedsAttention: d.NeedsAttention}
	if st.TokenCreatedAt != nil {
		ps.TokenAgeSeconds = now.Sub(*st.TokenCreatedAt).Seconds()
	}
	if !d.At.IsZero() {
		at := d.At
		ps.NextRotation, ps.NextReason, ps.Deferred = &at, d.Reason, d.Deferred
	}
	// The engine's journal also counts failures of rotations started
	// outside the scheduler, such as rotatord rotate --now.
	ps.ConsecutiveFailures = max(st.ConsecutiveFailures, d.Failures)
	return ps
}
