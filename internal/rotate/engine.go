package rotate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Options configure an Engine. Config, API and OpenSinks are required.
type Options struct {
	Config *policy.Config
	API    API
	// OpenSinks opens the sinks a policy names, in the policy's order.
	OpenSinks func(ctx context.Context, p policy.Policy) ([]sinks.Sink, error)
	// Prober checks the data plane; nil waits PropagationWait instead.
	Prober   Prober
	Clock    clock.Clock
	Logger   *slog.Logger
	Observer Observer
	// StepHook, if set, runs after every durable step with its name. Tests
	// use it to stop the process at a chosen step.
	StepHook func(policy, step string)
	// ProbeInterval is the first wait between two data-plane probes; it
	// grows to ten times that. Default 1s.
	ProbeInterval time.Duration
	// ProbeSuccesses is how many probes in a row must pass, so that a
	// token known to one data-plane node but not yet to others is not
	// taken as active. Default 2.
	ProbeSuccesses int
}

// Engine rotates the tokens of a set of policies.
type Engine struct {
	opts    Options
	api     API
	clock   clock.Clock
	log     *slog.Logger
	journal *journal

	// slots bounds the rotations that run at once. Its size is the
	// concurrency at start; NOTE: a reload does not resize it.
	slots chan struct{}

	mu      sync.Mutex
	cfg     *policy.Config
	steps   map[string]string
	opened  map[string][]sinks.Sink
	started map[string]bool
}

// New returns an engine for opts.Config. It creates the state directory if
// it is missing.
func New(opts Options) (*Engine, error) {
	if opts.Config == nil || opts.API == nil || opts.OpenSinks == nil {
		return nil, errors.New("new engine: Config, API and OpenSinks are required")
	}
	j, err := openJournal(opts.Config.StateDir)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = time.Second
	}
	if opts.ProbeSuccesses <= 0 {
		opts.ProbeSuccesses = 2
	}
	return &Engine{
		opts: opts, api: opts.API, clock: opts.Clock, log: opts.Logger, journal: j,
		slots: make(chan struct{}, max(opts.Config.Concurrency, 1)),
		cfg:   opts.Config, steps: map[string]string{}, opened: map[string][]sinks.Sink{},
		started: map[string]bool{},
	}, nil
}

// SetConfig replaces the configuration for rotations that start from now
// on. Running rotations finish with the policy they started with.
func (e *Engine) SetConfig(cfg *policy.Config) {
	e.mu.Lock()
	old := e.opened
	e.cfg = cfg
	e.opened = map[string][]sinks.Sink{}
	e.mu.Unlock()
	for _, list := range old {
		closeSinks(list)
	}
}

// Config returns the configuration in use.
func (e *Engine) Config() *policy.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Close releases the sinks' resources, such as Vault token renewers.
func (e *Engine) Close() {
	e.SetConfig(e.Config())
}

// RotateMany rotates the named policies, or every policy when names is
// empty, and returns the results in the order of the names. Rotate bounds
// how many run at once.
func (e *Engine) RotateMany(ctx context.Context, names []string, o RunOptions) []Result {
	if len(names) == 0 {
		for _, p := range e.Config().Policies {
			names = append(names, p.Name)
		}
	}
	results := make([]Result, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.Rotate(ctx, name, o)
		}()
	}
	wg.Wait()
	return results
}

// acquire waits for one of the Concurrency slots that every rotation,
// scheduled or on demand, needs.
func (e *Engine) acquire(ctx context.Context) (release func(), err error) {
	select {
	case e.slots <- struct{}{}:
		return func() { <-e.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (e *Engine) policy(name string) (policy.Policy, error) {
	p, ok := e.Config().Policy(name)
	if !ok {
		return policy.Policy{}, fmt.Errorf("policy %q is not in the configuration", name)
	}
	return *p, nil
}

// sinksFor returns the policy's opened sinks, opening them once per
// configuration.
func (e *Engine) sinksFor(ctx context.Context, p policy.Policy) ([]sinks.Sink, error) {
	e.mu.Lock()
	list, ok := e.opened[p.Name]
	e.mu.Unlock()
	if ok {
		return list, nil
	}
	list, err := e.opts.OpenSinks(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("open sinks of policy %s: %w", p.Name, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if existing, ok := e.opened[p.Name]; ok {
		closeSinks(list)
		return existing, nil
	}
	e.opened[p.Name] = list
	return list, nil
}

func closeSinks(list []sinks.Sink) {
	for _, s := range list {
		switch c := s.(type) {
		case io.Closer:
			_ = c.Close()
		case interface{ Close() }:
			c.Close()
		}
	}
}

// enter records that a policy's rotation reached step, for status,
// metrics and the test hook.
func (e *Engine) enter(policyName, step string) {
	e.mu.Lock()
	e.steps[policyName] = step
	e.mu.Unlock()
	e.opts.Observer.StepEntered(policyName, step)
	if e.opts.StepHook != nil {
		e.opts.StepHook(policyName, step)
	}
}

func (e *Engine) leave(policyName string) {
	e.mu.Lock()
	delete(e.steps, policyName)
	e.mu.Unlock()
	e.opts.Observer.StepEntered(policyName, "")
}

type nopObserver struct{}

func (nopObserver) StepEntered(string, string)                     {}
func (nopObserver) RotationFinished(string, string, time.Duration) {}
func (nopObserver) PropagationFinished(string, time.Duration)      {}
func (nopObserver) OrphanDeleted(string)                           {}
func (nopObserver) PanicRecovered(string)                          {}
