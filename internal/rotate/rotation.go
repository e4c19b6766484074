package rotate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Steps of a rotation, in order. See the package comment.
const (
	stepCreating   = "creating"
	stepCreated    = "created"
	stepStaged     = "staged"
	stepActive     = "active"
	stepPromoted   = "promoted"
	stepOldDeleted = "old-deleted"
	stepAbandoning = "abandoning"
)

var stepOrder = []string{stepCreating, stepCreated, stepStaged, stepActive, stepPromoted,
	stepOldDeleted}

// reached reports whether the rotation completed step.
func (f *inFlight) reached(step string) bool {
	return slices.Index(stepOrder, f.Step) >= slices.Index(stepOrder, step)
}

// criticalTimeout bounds the part of a rotation that a shutdown must not
// interrupt: from the create call until the secret is in every sink, or
// until a failed rotation is cleaned up.
const criticalTimeout = 90 * time.Second

// run is one rotation of one policy.
type run struct {
	e     *Engine
	p     policy.Policy
	rec   *record
	res   *Result
	log   *slog.Logger
	sinks []sinks.Sink
	perms []mgmt.Permission
	// snapshot, when set, replaces the engine's API for a plan, so that
	// planning many policies lists tokens and databases once.
	snapshot API
}

func (r *run) api() API {
	if r.snapshot != nil {
		return r.snapshot
	}
	return r.e.api
}

// Rotate rotates one policy: it provisions the policy's databases, resumes
// an interrupted rotation if the journal holds one, and otherwise replaces
// the current token. It holds the policy's lock throughout and returns
// ErrBusy in Result.Err when another rotation holds it.
func (e *Engine) Rotate(ctx context.Context, name string, o RunOptions) (res Result) {
	res = Result{Policy: name, Trigger: o.Trigger, Started: e.clock.Now(), DryRun: o.DryRun}
	defer func() { res.Finished = e.clock.Now() }()

	p, err := e.policy(name)
	if err != nil {
		res.Err = err
		return res
	}
	if o.DryRun {
		e.dryRun(ctx, p, &res, nil)
		return res
	}
	release, err := e.acquire(ctx)
	if err != nil {
		res.Err = fmt.Errorf("rotate policy %s: wait for a free rotation slot: %w", name, err)
		return res
	}
	defer release()
	unlock, err := e.journal.lock(name)
	if err != nil {
		res.Err = err
		return res
	}
	defer unlock()
	defer e.leave(name)

	rec, err := e.journal.load(name)
	if err != nil {
		res.Err = err
		return res
	}
	r := &run{e: e, p: p, rec: &rec, res: &res, log: e.log.With("policy", name)}
	res.Err = r.guarded(ctx, r.execute)
	r.finish(res.Err)
	return res
}

// guarded runs fn and turns a panic into an error, after cleaning up a
// token that was created but never reached the sinks.
func (r *run) guarded(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		r.e.opts.Observer.PanicRecovered(r.p.Name)
		r.log.Error("rotation panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		err = fmt.Errorf("rotate policy %s: panic: %v", r.p.Name, v)
		if f := r.rec.InFlight; f != nil && !f.reached(stepActive) {
			r.abandon(context.WithoutCancel(ctx), err)
		}
	}()
	return fn(ctx)
}

func (r *run) execute(ctx context.Context) error {
	if err := r.provision(ctx, false); err != nil {
		return err
	}
	list, err := r.e.sinksFor(ctx, r.p)
	if err != nil {
		return err
	}
	r.sinks = list
	if r.rec.InFlight != nil {
		resumed, err := r.resume(ctx)
		if resumed || err != nil {
			return err
		}
	}
	return r.start(ctx)
}

// start begins a new rotation.
func (r *run) start(ctx context.Context) error {
	tokens, err := r.api().ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("rotate policy %s: list tokens: %w", r.p.Name, err)
	}
	old, err := r.resolveCurrent(ctx, tokens)
	if err != nil {
		return err
	}
	req := r.createRequest(old)
	f := &inFlight{
		RotationID: newRotationID(), Trigger: r.res.Trigger, Step: stepCreating,
		Started: r.e.clock.Now(),
	}
	if old != nil {
		f.OldTokenID = old.ID
		r.res.OldTokenID = old.ID
	}
	req.Description = withMarker(req.Description, r.p.Name, f.RotationID)
	r.rec.InFlight = f
	if err := r.save(stepCreating); err != nil {
		r.rec.InFlight = nil
		return err
	}

	crit, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
	defer cancel()
	created, err := r.create(crit, req)
	if err != nil {
		return r.failBeforeActive(crit, err)
	}
	r.e.enter(r.p.Name, "create-answered")
	f.NewTokenID, f.NewCreatedAt, f.NewExpiresAt = created.ID, &created.CreatedAt, created.ExpiresAt
	r.res.NewTokenID = created.ID
	r.action("created token %s", created.ID)
	if err := r.save(stepCreated); err != nil {
		return r.failBeforeActive(crit, err)
	}
	sec := sinks.Secret{Token: created.AccessToken, Metadata: r.metadata()}
	if err := r.stage(crit, sec); err != nil {
		return r.failBeforeActive(crit, err)
	}
	return r.advance(ctx, sec)
}

// createRequest builds the new token's request from the policy and the
// token it replaces.
func (r *run) createRequest(old *mgmt.Token) mgmt.CreateTokenRequest {
	req := mgmt.CreateTokenRequest{Description: r.p.Token.Description, Permissions: r.p.Permissions}
	if old != nil {
		req.Description = old.Description
		if len(r.p.Permissions) == 0 {
			req.Permissions = old.Permissions
		} else if !samePermissions(old.Permissions, r.p.Permissions) {
			r.log.Warn("token permissions differ from policy; new token gets the policy's",
				"token_id", old.ID)
		}
	}
	if req.Permissions == nil {
		req.Permissions = []mgmt.Permission{}
	}
	if r.p.Lifetime > 0 {
		exp := r.e.clock.Now().Add(r.p.Lifetime).UTC().Truncate(time.Second)
		req.ExpiresAt = &exp
	}
	r.perms = req.Permissions
	return req
}

// advance takes a rotation whose secret is staged in every sink through
// propagation, promotion, the grace window and the old token's deletion.
func (r *run) advance(ctx context.Context, sec sinks.Secret) error {
	f := r.rec.InFlight
	if !f.reached(stepActive) {
		if err := r.propagate(ctx, sec); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("rotate policy %s: stopped while waiting for propagation; "+
					"the next run resumes it: %w", r.p.Name, ctx.Err())
			}
			return r.failBeforeActive(context.WithoutCancel(ctx), err)
		}
		now := r.e.clock.Now()
		f.ActiveAt = &now
		if err := r.save(stepActive); err != nil {
			return err
		}
	}
	if !f.reached(stepPromoted) {
		if err := r.promote(ctx, f.NewTokenID); err != nil {
			return err
		}
		now := r.e.clock.Now()
		until := now
		if f.OldTokenID != "" {
			until = now.Add(r.p.Grace)
		}
		f.PromotedAt, f.GraceUntil = &now, &until
		r.rec.SecretChangedAt = &now
		if err := r.save(stepPromoted); err != nil {
			return err
		}
	}
	return r.retireOld(ctx)
}

// failBeforeActive abandons a rotation that has not reached the data
// plane yet and returns cause.
func (r *run) failBeforeActive(ctx context.Context, cause error) error {
	r.abandon(ctx, cause)
	return cause
}

// save records step as complete and calls the step hook.
func (r *run) save(step string) error {
	if r.rec.InFlight != nil {
		r.rec.InFlight.Step = step
	}
	if err := r.e.journal.save(*r.rec); err != nil {
		return err
	}
	r.e.enter(r.p.Name, step)
	return nil
}

// finish closes the rotation in the journal and reports it.
func (r *run) finish(err error) {
	now := r.e.clock.Now()
	result := "ok"
	switch {
	case errors.Is(err, ErrBusy):
		return
	case err != nil:
		result = "failed"
		r.rec.ConsecutiveFailures++
		r.rec.LastError = err.Error()
		r.log.Error("rotation failed", "error", err, "failures", r.rec.ConsecutiveFailures)
	default:
		r.rec.ConsecutiveFailures = 0
		r.rec.LastError = ""
		r.rec.LastRotation = &now
		r.log.Info("token rotated", "old_token_id", r.res.OldTokenID, "new_token_id",
			r.res.NewTokenID)
	}
	r.rec.LastResult = result
	if serr := r.e.journal.save(*r.rec); serr != nil {
		r.log.Error("journal not saved", "error", serr)
	}
	r.e.opts.Observer.RotationFinished(r.p.Name, result, now.Sub(r.res.Started))
}

func (r *run) metadata() sinks.Metadata {
	f := r.rec.InFlight
	cfg := r.e.Config()
	md := sinks.Metadata{
		TokenID: f.NewTokenID, Policy: r.p.Name, RotationID: f.RotationID,
		AccountID: cfg.Cluster.AccountID, ClusterID: cfg.Cluster.ClusterID,
		ExpiresAt: f.NewExpiresAt,
	}
	if f.NewCreatedAt != nil {
		md.CreatedAt = *f.NewCreatedAt
	}
	return md
}

func (r *run) action(format string, args ...any) {
	r.res.Actions = append(r.res.Actions, fmt.Sprintf(format, args...))
}

func samePermissions(a, b []mgmt.Permission) bool {
	key := func(p mgmt.Permission) string { return p.Action + "\x00" + p.Resource }
	as, bs := make([]string, len(a)), make([]string, len(b))
	for i, p := range a {
		as[i] = key(p)
	}
	for i, p := range b {
		bs[i] = key(p)
	}
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(slices.Compact(as), slices.Compact(bs))
}
