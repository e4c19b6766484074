package schedule

import (
	"math/rand/v2"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
)

// Trigger reasons, passed to the engine as rotate.RunOptions.Trigger.
const (
	ReasonSchedule  = "schedule"
	ReasonStartup   = "startup"
	ReasonMaxAge    = "max-age"
	ReasonExpiry    = "expiry"
	ReasonManual    = "manual"
	ReasonRetry     = "retry"
	ReasonAttention = "needs-attention"
)

// defaultMaxFailures applies when a policy leaves MaxFailures at zero.
const defaultMaxFailures = 5

// entry is the scheduling state of one policy. The scheduler's mutex
// guards it.
type entry struct {
	pol   policy.Policy
	sched cron.Schedule // nil when the policy has no cron schedule

	// anchor is the instant after which cron fires are owed: the start of
	// the last successful rotation, or the moment the policy was marked as
	// needing attention.
	anchor       time.Time
	lastRotation time.Time // start of the last successful rotation
	tokenID      string
	tokenCreated time.Time
	tokenExpires time.Time
	manualAt     time.Time // zero unless a manual rotation is owed

	failures  int
	retryAt   time.Time // earliest next attempt after a failure or ErrBusy
	attention bool
	gaveUpAt  time.Time

	running   bool
	runReason string
	// seeded is false for a policy a reload added, until Refresh loads its
	// state from the engine.
	seeded bool

	jitterFire  time.Time // the cron fire that jitterDelay belongs to
	jitterDelay time.Duration
}

func (e *entry) maxFailures() int {
	if e.pol.MaxFailures > 0 {
		return e.pol.MaxFailures
	}
	return defaultMaxFailures
}

// candidate is one reason a policy becomes due.
type candidate struct {
	at     time.Time
	reason string
}

// due computes when the policy should rotate next and why. The second
// result reports whether MinInterval moved the time later.
func (e *entry) due(start time.Time, cfg *Options, rng *rand.Rand) (candidate, bool) {
	var owed []candidate
	if !e.manualAt.IsZero() {
		owed = append(owed, candidate{e.manualAt, ReasonManual})
	}
	if c, ok := e.cronCandidate(start, cfg, rng); ok {
		owed = append(owed, c)
	}
	if e.pol.MaxAge > 0 && !e.tokenCreated.IsZero() {
		owed = append(owed, candidate{e.tokenCreated.Add(e.pol.MaxAge), ReasonMaxAge})
	}
	expiry, hasExpiry := e.expiryCandidate()

	if e.attention {
		return e.attentionDue(owed, expiry, hasExpiry, cfg), false
	}

	next, ok := earliest(owed)
	deferred := false
	if ok && !e.lastRotation.IsZero() {
		if floor := e.lastRotation.Add(e.pol.MinInterval); next.at.Before(floor) {
			next.at, deferred = floor, true
		}
	}
	// Expiry is never deferred by MinInterval: waiting would let the token
	// expire while consumers still use it.
	if hasExpiry && (!ok || expiry.at.Before(next.at)) {
		next, ok, deferred = expiry, true, false
	}
	if ok && e.retryAt.After(next.at) {
		next.at = e.retryAt
		if e.failures > 0 {
			next.reason = ReasonRetry
		}
	}
	if !ok {
		return candidate{}, false
	}
	return next, deferred
}

// cronCandidate returns the first cron fire after the anchor, delayed by
// jitter. A fire before the scheduler started was missed while the daemon
// was down and is reported as a start-up rotation.
func (e *entry) cronCandidate(start time.Time, cfg *Options, rng *rand.Rand) (candidate, bool) {
	if e.sched == nil {
		return candidate{}, false
	}
	fire := e.sched.Next(e.anchor)
	if fire.IsZero() {
		return candidate{}, false
	}
	if fire.Before(start) {
		return candidate{start, ReasonStartup}, true
	}
	if e.pol.Jitter > 0 && !fire.Equal(e.jitterFire) {
		e.jitterFire = fire
		e.jitterDelay = time.Duration(rng.Int64N(int64(e.pol.Jitter) + 1))
	}
	if e.pol.Jitter > 0 {
		fire = fire.Add(e.jitterDelay)
	}
	return candidate{fire, ReasonSchedule}, true
}

func (e *entry) expiryCandidate() (candidate, bool) {
	if e.tokenExpires.IsZero() {
		return candidate{}, false
	}
	return candidate{e.tokenExpires.Add(-e.pol.ExpiryMargin), ReasonExpiry}, true
}

// attentionDue returns the next regular due time after the policy was
// marked as needing attention: the first trigger that falls after that
// moment, or BackoffMax later when no trigger does.
func (e *entry) attentionDue(owed []candidate, expiry candidate, hasExpiry bool, cfg *Options) candidate {
	if hasExpiry {
		owed = append(owed, expiry)
	}
	var later []candidate
	for _, c := range owed {
		if c.at.After(e.gaveUpAt) {
			later = append(later, c)
		}
	}
	if next, ok := earliest(later); ok {
		return next
	}
	return candidate{e.gaveUpAt.Add(cfg.BackoffMax), ReasonAttention}
}

func earliest(cs []candidate) (candidate, bool) {
	if len(cs) == 0 {
		return candidate{}, false
	}
	best := cs[0]
	for _, c := range cs[1:] {
		if c.at.Before(best.at) {
			best = c
		}
	}
	return best, true
}

// seed fills the entry from what the engine's journal reports.
func (e *entry) seed(st rotate.PolicyStatus, now time.Time, cfg *Options) {
	e.tokenID = st.CurrentTokenID
	if st.TokenCreatedAt != nil {
		e.tokenCreated = *st.TokenCreatedAt
		e.lastRotation = *st.TokenCreatedAt
	}
	if st.TokenExpiresAt != nil {
		e.tokenExpires = *st.TokenExpiresAt
	}
	if e.lastRotation.IsZero() && st.LastRotation != nil && st.ConsecutiveFailures == 0 {
		e.lastRotation = *st.LastRotation
	}
	e.anchor = e.lastRotation
	if e.anchor.IsZero() {
		// Nothing is known about earlier rotations, so no fire was missed.
		e.anchor = now
	}

	e.failures = st.ConsecutiveFailures
	if e.failures >= e.maxFailures() {
		e.attention, e.gaveUpAt, e.anchor = true, now, now
	} else if e.failures > 0 && st.LastRotation != nil {
		e.retryAt = st.LastRotation.Add(backoff(cfg, e.failures))
	}
}

// backoff returns the wait after the given number of failures in a row:
// BackoffBase doubled per extra failure, capped at BackoffMax.
func backoff(cfg *Options, failures int) time.Duration {
	d := cfg.BackoffBase
	for i := 1; i < failures && d < cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, cfg.BackoffMax)
}
