package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
)

// Reconcile brings the named policies, or every policy when names is
// empty, to a clean state: it provisions databases, cleans up interrupted
// rotations that cannot go on, and deletes orphaned tokens. Rotations
// that can go on stay in the journal; InFlight lists them so the caller
// resumes them with Rotate. Policies whose lock is held elsewhere are
// skipped.
func (e *Engine) Reconcile(ctx context.Context, names ...string) error {
	cfg := e.Config()
	if len(names) == 0 {
		for _, p := range cfg.Policies {
			names = append(names, p.Name)
		}
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(cfg.Concurrency, 1))
	// One listing of tokens and databases serves every policy, so start-up
	// needs two list requests instead of two or three per policy under the
	// rate limit. Each policy still reads its sinks and journal under its
	// lock, and a stale list only makes the sweep keep more.
	snap := &snapshotAPI{API: e.api}
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = e.reconcileOne(ctx, name, snap)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (e *Engine) reconcileOne(ctx context.Context, name string, snap API) error {
	p, err := e.policy(name)
	if err != nil {
		return err
	}
	unlock, err := e.journal.lock(name)
	if errors.Is(err, ErrBusy) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := e.journal.load(name)
	if err != nil {
		return err
	}
	r := &run{e: e, p: p, rec: &rec, res: &Result{Policy: name}, log: e.log.With("policy", name),
		snapshot: snap}
	return r.guarded(ctx, func(ctx context.Context) error {
		if err := r.provision(ctx, false); err != nil {
			return err
		}
		list, err := e.sinksFor(ctx, p)
		if err != nil {
			return err
		}
		r.sinks = list
		if err := r.cleanupUnrecoverable(ctx); err != nil {
			return err
		}
		if err := r.sweepOrphans(ctx); err != nil {
			return err
		}
		return r.recordCurrent(ctx)
	})
}

// InFlight returns the policies whose journal holds an unfinished
// rotation, which Rotate resumes.
func (e *Engine) InFlight() []string {
	var names []string
	for _, p := range e.Config().Policies {
		if rec, err := e.journal.load(p.Name); err == nil && rec.InFlight != nil {
			names = append(names, p.Name)
		}
	}
	return names
}

// Status returns what the journal and the sinks hold for every policy.
func (e *Engine) Status(ctx context.Context) []PolicyStatus {
	var out []PolicyStatus
	for _, p := range e.Config().Policies {
		rec, err := e.journal.load(p.Name)
		st := PolicyStatus{
			Policy: p.Name, CurrentTokenID: rec.CurrentTokenID,
			TokenCreatedAt: rec.CurrentCreatedAt, TokenExpiresAt: rec.CurrentExpiresAt,
			LastRotation: rec.LastRotation, LastResult: rec.LastResult, LastError: rec.LastError,
			ConsecutiveFailures: rec.ConsecutiveFailures, SecretChangedAt: rec.SecretChangedAt,
		}
		if err != nil {
			st.LastError = err.Error()
		}
		e.mu.Lock()
		st.Step = e.steps[p.Name]
		e.mu.Unlock()
		if st.Step == "" && rec.InFlight != nil {
			st.Step = "interrupted at " + rec.InFlight.Step
		}
		st.Sinks = e.sinkStatus(ctx, p.Name)
		out = append(out, st)
	}
	return out
}

func (e *Engine) sinkStatus(ctx context.Context, name string) []SinkStatus {
	p, err := e.policy(name)
	if err != nil {
		return nil
	}
	list, err := e.sinksFor(ctx, p)
	if err != nil {
		return []SinkStatus{{ID: "(unopened)", Error: err.Error()}}
	}
	out := make([]SinkStatus, 0, len(list))
	for _, s := range list {
		ss := SinkStatus{ID: s.ID()}
		st, err := s.Read(ctx)
		if err != nil {
			ss.Error = err.Error()
		} else {
			ss.CurrentTokenID = st.CurrentID()
			if st.Pending != nil {
				ss.PendingTokenID = st.Pending.TokenID
			}
		}
		out = append(out, ss)
	}
	return out
}

// PlanItem lists the actions the next rotation of a policy would take.
type PlanItem struct {
	Policy  string   `json:"policy"`
	Actions []string `json:"actions"`
	Error   string   `json:"error,omitempty"`
}

// Plan returns, for every policy, what a rotation started now would do.
// It changes nothing.
func (e *Engine) Plan(ctx context.Context) ([]PlanItem, error) {
	var items []PlanItem
	snap := &snapshotAPI{API: e.api}
	for _, p := range e.Config().Policies {
		res := Result{Policy: p.Name, DryRun: true, Started: e.clock.Now()}
		e.dryRun(ctx, p, &res, snap)
		item := PlanItem{Policy: p.Name, Actions: res.Actions}
		if res.Err != nil {
			item.Error = res.Err.Error()
		}
		items = append(items, item)
	}
	return items, nil
}

// dryRun records in res what a rotation would do, without changing
// anything.
func (e *Engine) dryRun(ctx context.Context, p policy.Policy, res *Result, snapshot API) {
	rec, err := e.journal.load(p.Name)
	if err != nil {
		res.Err = err
		return
	}
	r := &run{e: e, p: p, rec: &rec, res: res, log: e.log.With("policy", p.Name), snapshot: snapshot}
	res.Err = r.guarded(ctx, r.plan)
}

func (r *run) plan(ctx context.Context) error {
	if err := r.provision(ctx, true); err != nil {
		return err
	}
	list, err := r.e.sinksFor(ctx, r.p)
	if err != nil {
		return err
	}
	r.sinks = list

	if f := r.rec.InFlight; f != nil {
		r.action("resume interrupted rotation %s from step %s", f.RotationID, f.Step)
		return nil
	}

	tokens, err := r.api().ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("plan policy %s: list tokens: %w", r.p.Name, err)
	}
	old, err := r.resolveCurrent(ctx, tokens)
	if err != nil {
		return err
	}

	req := r.createRequest(old)
	r.action("create token %q with permissions %s", req.Description,
		formatPermissions(req.Permissions))
	ids := make([]string, len(r.sinks))
	for i, s := range r.sinks {
		ids[i] = s.ID()
	}
	r.action("store its secret in %s", strings.Join(ids, ", "))

	if target, ok := probeTarget(req.Permissions, r.databaseNames()); ok && r.e.opts.Prober != nil {
		r.action("wait up to %s for the data plane to accept it (probe: %s)",
			r.p.PropagationTimeout, target)
	} else {
		r.action("wait %s for propagation (no probe possible)", r.p.PropagationWait)
	}
	if old != nil {
		r.res.OldTokenID = old.ID
		r.action("wait the grace window of %s, then delete token %s", r.p.Grace, old.ID)
	}
	return nil
}

// snapshotAPI returns token and database lists from the first call, for
// plans that must change nothing and for start-up reconciliation, both of
// which may cover thousands of policies. It is safe for concurrent use.
type snapshotAPI struct {
	API
	mu        sync.Mutex
	tokens    []mgmt.Token
	databases []mgmt.Database
	haveTok   bool
	haveDB    bool
}

// ListTokens lists the tokens once and returns that list from then on.
func (s *snapshotAPI) ListTokens(ctx context.Context) ([]mgmt.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.haveTok {
		tokens, err := s.API.ListTokens(ctx)
		if err != nil {
			return nil, err
		}
		s.tokens, s.haveTok = tokens, true
	}
	return s.tokens, nil
}

// ListDatabases lists the databases once and returns that list from then
// on.
func (s *snapshotAPI) ListDatabases(ctx context.Context) ([]mgmt.Database, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.haveDB {
		dbs, err := s.API.ListDatabases(ctx)
		if err != nil {
			return nil, err
		}
		s.databases, s.haveDB = dbs, true
	}
	return s.databases, nil
}
