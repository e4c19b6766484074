// Package schedule decides when each policy rotates and drives the
// rotation engine: cron schedules, token age and expiry triggers, a minimum
// interval between rotations, jitter, missed runs after downtime, and
// exponential backoff after failures.
//
// One goroutine owns the schedule. It starts a rotation in a goroutine of
// its own when a policy is due and recomputes the policy's next due time
// when the rotation ends, so triggers that arrive while a policy rotates
// coalesce into at most one follow-up.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
)

// Engine is the part of the rotation engine the scheduler drives.
// *rotate.Engine implements it.
type Engine interface {
	Rotate(ctx context.Context, policy string, o rotate.RunOptions) rotate.Result
	Status(ctx context.Context) []rotate.PolicyStatus
}

// PanicCounter counts panics recovered around a rotation.
// *metrics.Metrics implements it.
type PanicCounter interface {
	PanicRecovered(policy string)
}

// Options configure a Scheduler. Only Engine is required.
type Options struct {
	Engine   Engine
	Policies []policy.Policy
	Clock    clock.Clock  // defaults to clock.Real
	Logger   *slog.Logger // defaults to slog.Default()
	Panics   PanicCounter // optional
	// Rand draws jitter delays. It defaults to a randomly seeded source.
	Rand *rand.Rand
	// BackoffBase is the wait after the first failure; it doubles with
	// every further failure in a row up to BackoffMax. Defaults: 1m, 1h.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// ShutdownTimeout bounds how long Run waits, once its context ends,
	// for running rotations to reach a safe point before cancelling them.
	// Default: 1m.
	ShutdownTimeout time.Duration
	// RefreshInterval, if set, is how often Run calls Refresh, so that
	// rotations made by other processes reach the schedule.
	RefreshInterval time.Duration
}

// Due is the schedule of one policy, for status and metrics.
type Due struct {
	Policy string    `json:"policy"`
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
	// Deferred reports that MinInterval moved At later.
	Deferred       bool `json:"deferred,omitempty"`
	Running        bool `json:"running"`
	Failures       int  `json:"failures"`
	NeedsAttention bool `json:"needsAttention"`
}

// Scheduler runs rotations when policies are due. Create it with New and
// start it with Run.
type Scheduler struct {
	opts  Options
	clock clock.Clock
	log   *slog.Logger
	wake  chan struct{}
	done  chan finished

	mu      sync.Mutex
	entries map[string]*entry
	start   time.Time
	rng     *rand.Rand

	// idle, when set by tests, receives the next wake-up time each time
	// the loop is about to wait.
	idle chan time.Time
}

// New checks the options and parses every policy's schedule.
func New(opts Options) (*Scheduler, error) {
	if opts.Engine == nil {
		return nil, errors.New("create scheduler: no engine")
	}
	applyDefaults(&opts)
	s := &Scheduler{
		opts:    opts,
		clock:   opts.Clock,
		log:     opts.Logger,
		wake:    make(chan struct{}, 1),
		done:    make(chan finished),
		entries: map[string]*entry{},
		rng:     opts.Rand,
	}
	entries, err := buildEntries(opts.Policies, nil)
	if err != nil {
		return nil, fmt.Errorf("create scheduler: %w", err)
	}
	s.entries = entries
	return s, nil
}

func applyDefaults(opts *Options) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = time.Minute
	}
	if opts.BackoffMax < opts.BackoffBase {
		opts.BackoffMax = max(time.Hour, opts.BackoffBase)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = time.Minute
	}
}

// buildEntries parses each policy's schedule and carries over the runtime
// state of policies that old already has.
func buildEntries(pols []policy.Policy, old map[string]*entry) (map[string]*entry, error) {
	var errs []error
	entries := make(map[string]*entry, len(pols))
	for _, p := range pols {
		e := &entry{}
		if prev, ok := old[p.Name]; ok {
			e = prev
		}
		e.pol, e.sched = p, nil
		if p.Schedule != "" {
			sched, err := Parse(p.Schedule)
			if err != nil {
				errs = append(errs, fmt.Errorf("policy %s: %w", p.Name, err))
				continue
			}
			e.sched = sched
		}
		entries[p.Name] = e
	}
	return entries, errors.Join(errs...)
}

// SetPolicies replaces the policies after a configuration reload. Policies
// that keep their name keep their failure count, last rotation and any
// rotation in progress. On error nothing changes.
func (s *Scheduler) SetPolicies(pols []policy.Policy) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	// Build on copies so that a failed reload leaves the old state intact.
	old := make(map[string]*entry, len(s.entries))
	for name, e := range s.entries {
		cp := *e
		old[name] = &cp
	}
	entries, err := buildEntries(pols, old)
	if err != nil {
		return fmt.Errorf("reload schedules: %w", err)
	}
	s.entries = entries
	s.poke()
	return nil
}

// Trigger requests a rotation of the named policy as soon as MinInterval
// allows. A trigger while the policy rotates leads to one follow-up.
func (s *Scheduler) Trigger(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok {
		return fmt.Errorf("trigger rotation: unknown policy %q", name)
	}
	e.manualAt = s.clock.Now()
	s.poke()
	return nil
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Due returns every policy's next due time, sorted by policy name.
func (s *Scheduler) Due() []Due {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Due, 0, len(s.entries))
	for name, e := range s.entries {
		d := Due{Policy: name, Running: e.running, Failures: e.failures, NeedsAttention: e.attention}
		c, deferred := e.due(s.startTime(), &s.opts, s.rng)
		d.At, d.Reason, d.Deferred = c.at, c.reason, deferred
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Policy < out[j].Policy })
	return out
}

// startTime returns when Run started, or now before it has.
func (s *Scheduler) startTime() time.Time {
	if s.start.IsZero() {
		return s.clock.Now()
	}
	return s.start
}
