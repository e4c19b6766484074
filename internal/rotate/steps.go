package rotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/sinks"
)

// createAttempts bounds how often a create with an unknown outcome is
// tried again after its token was found and deleted.
const createAttempts = 3

// create creates the new token. A create whose outcome is unknown is never
// repeated blindly: the engine lists the tokens, deletes the one carrying
// this rotation's marker (its secret was lost with the response), and only
// then tries again.
func (r *run) create(ctx context.Context, req mgmt.CreateTokenRequest) (mgmt.CreatedToken, error) {
	rotationID := r.rec.InFlight.RotationID
	for attempt := 1; ; attempt++ {
		created, err := r.api().CreateToken(ctx, req)
		if err == nil {
			if created.ID == "" || created.AccessToken.IsZero() {
				return created, fmt.Errorf("create token for policy %s: response has no token ID or secret", r.p.Name)
			}
			return created, nil
		}
		if !errors.Is(err, mgmt.ErrOutcomeUnknown) {
			return created, fmt.Errorf("create token for policy %s: %w", r.p.Name, err)
		}
		r.log.Warn("token create outcome unknown; looking for the token it made",
			"rotation_id", rotationID, "attempt", attempt, "error", err)
		if cerr := r.deleteLostCreate(ctx, rotationID); cerr != nil {
			return created, fmt.Errorf("create token for policy %s: %w; then: %w", r.p.Name, err,
				cerr)
		}
		if attempt >= createAttempts {
			return created, fmt.Errorf("create token for policy %s after %d attempts: %w", r.p.Name,
				attempt, err)
		}
		if serr := clock.Sleep(ctx, r.e.clock, time.Duration(attempt)*time.Second); serr != nil {
			return created, fmt.Errorf("create token for policy %s: %w", r.p.Name, serr)
		}
	}
}

// deleteLostCreate deletes every token carrying the rotation's marker.
func (r *run) deleteLostCreate(ctx context.Context, rotationID string) error {
	tokens, err := r.api().ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("list tokens to find the lost create: %w", err)
	}
	for _, t := range tokens {
		if _, id, ok := parseMarker(t.Description); !ok || id != rotationID {
			continue
		}
		if err := r.deleteToken(ctx, t.ID); err != nil {
			return fmt.Errorf("delete token %s whose secret was lost: %w", t.ID, err)
		}
		r.log.Warn("deleted token whose create response was lost", "token_id", t.ID)
		r.e.opts.Observer.OrphanDeleted(r.p.Name)
	}
	return nil
}

// stage writes the secret to every sink as pending and reads it back.
func (r *run) stage(ctx context.Context, sec sinks.Secret) error {
	for i, s := range r.sinks {
		if err := s.Stage(ctx, sec); err != nil {
			return fmt.Errorf("stage secret of policy %s in %s: %w", r.p.Name, s.ID(), err)
		}
		st, err := s.Read(ctx)
		if err != nil {
			return fmt.Errorf("read back secret of policy %s from %s: %w", r.p.Name, s.ID(), err)
		}
		if !holdsSecret(st, sec) {
			return fmt.Errorf("read back secret of policy %s from %s: the sink does not return the token just written", r.p.Name, s.ID())
		}
		r.e.enter(r.p.Name, fmt.Sprintf("%s:%d", stepStaged, i))
	}
	r.action("stored the secret of token %s as pending in %d sink(s)", sec.TokenID, len(r.sinks))
	return r.save(stepStaged)
}

func holdsSecret(st sinks.State, sec sinks.Secret) bool {
	for _, s := range []*sinks.Secret{st.Pending, st.Current} {
		if s != nil && s.TokenID == sec.TokenID && s.Token.Equal(sec.Token) {
			return true
		}
	}
	return false
}

// propagate waits until the data plane accepts the token, or for the
// configured time when no probe can tell.
func (r *run) propagate(ctx context.Context, sec sinks.Secret) error {
	start := r.e.clock.Now()
	target, ok := probeTarget(r.perms, r.databaseNames())
	if !ok || r.e.opts.Prober == nil {
		r.log.Info("waiting for propagation without a probe", "wait", r.p.PropagationWait)
		if err := clock.Sleep(ctx, r.e.clock, r.p.PropagationWait); err != nil {
			return err
		}
		r.action("waited %s for propagation (no probe possible)", r.p.PropagationWait)
		return nil
	}
	if err := r.poll(ctx, sec, target); err != nil {
		return err
	}
	elapsed := r.e.clock.Now().Sub(start)
	r.e.opts.Observer.PropagationFinished(r.p.Name, elapsed)
	r.log.Info("new token is active on the data plane", "token_id", sec.TokenID, "elapsed", elapsed)
	r.action("token %s active on the data plane after %s", sec.TokenID,
		elapsed.Round(time.Millisecond))
	return nil
}

func (r *run) poll(ctx context.Context, sec sinks.Secret, target ProbeTarget) error {
	deadline := r.e.clock.Now().Add(r.p.PropagationTimeout)
	interval, successes := r.e.opts.ProbeInterval, 0
	var lastErr error
	for {
		ok, err := r.e.opts.Prober.Probe(ctx, sec.Token, target)
		switch {
		case err != nil:
			r.log.Debug("propagation probe failed", "error", err)
			successes, lastErr = 0, err
		case ok:
			successes, lastErr = successes+1, nil
		default:
			successes, lastErr = 0, nil
		}
		if successes >= r.e.opts.ProbeSuccesses {
			return nil
		}
		if !r.e.clock.Now().Before(deadline) {
			return propagationTimeout(sec.TokenID, r.p.Name, r.p.PropagationTimeout, lastErr)
		}
		wait := interval
		if successes > 0 {
			wait = r.e.opts.ProbeInterval
		}
		if err := clock.Sleep(ctx, r.e.clock, wait); err != nil {
			return err
		}
		interval = min(interval*3/2, 10*r.e.opts.ProbeInterval)
	}
}

// propagationTimeout explains a token the data plane never accepted. When
// the last probe failed outright, the data plane was likely unreachable
// rather than slow, and the error states it.
func propagationTimeout(tokenID, policyName string, timeout time.Duration, lastErr error) error {
	if lastErr != nil {
		return fmt.Errorf("wait for token %s of policy %s to become active: no response from the data plane "+
			"within %s; check cluster.dataPlaneURL: %w", tokenID, policyName, timeout, lastErr)
	}
	return fmt.Errorf("wait for token %s of policy %s to become active: not accepted by the data plane within %s; "+
		"raise propagationTimeout if the cluster is slow", tokenID, policyName, timeout)
}

func (r *run) databaseNames() []string {
	names := make([]string, 0, len(r.p.Databases))
	for _, d := range r.p.Databases {
		names = append(names, d.Name)
	}
	return names
}

// promote makes the new token current in every sink and checks it.
func (r *run) promote(ctx context.Context, tokenID string) error {
	for i, s := range r.sinks {
		if err := r.promoteOne(ctx, s, tokenID); err != nil {
			return err
		}
		r.e.enter(r.p.Name, fmt.Sprintf("%s:%d", stepPromoted, i))
	}
	r.action("made token %s current in %d sink(s)", tokenID, len(r.sinks))
	return nil
}

func (r *run) promoteOne(ctx context.Context, s sinks.Sink, tokenID string) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = s.Promote(ctx, tokenID); err == nil {
			var st sinks.State
			if st, err = s.Read(ctx); err == nil && st.CurrentID() != tokenID {
				err = errors.New("the sink does not serve the promoted token as current")
			}
		}
		if err == nil {
			return nil
		}
		r.log.Warn("promote failed; retrying", "sink", s.ID(), "attempt", attempt, "error", err)
		if serr := clock.Sleep(ctx, r.e.clock, time.Duration(attempt)*time.Second); serr != nil {
			break
		}
	}
	return fmt.Errorf("promote token %s of policy %s in %s: %w; the next run retries, and any old token stays until then",
		tokenID, r.p.Name, s.ID(), err)
}

// retireOld waits out the grace window and deletes the old token, after
// checking that no sink still serves it.
func (r *run) retireOld(ctx context.Context) error {
	f := r.rec.InFlight
	if f.OldTokenID != "" && !f.reached(stepOldDeleted) {
		until := *f.GraceUntil
		if f.PromotedAt != nil {
			// A grace window shortened in the config since the promotion
			// applies to this rotation too.
			until = minTime(until, f.PromotedAt.Add(r.p.Grace))
		}
		if wait := until.Sub(r.e.clock.Now()); wait > 0 {
			r.log.Info("waiting for the grace window", "old_token_id", f.OldTokenID, "until", until)
			if err := clock.Sleep(ctx, r.e.clock, wait); err != nil {
				return fmt.Errorf("rotate policy %s: stopped during the grace window; "+
					"the next run deletes token %s after it: %w", r.p.Name, f.OldTokenID, err)
			}
		}
		r.action("kept old token %s through the grace window until %s", f.OldTokenID,
			until.Format(time.RFC3339))
		if err := r.checkNotServed(ctx, f.OldTokenID, f.NewTokenID); err != nil {
			return err
		}
		if err := r.deleteToken(ctx, f.OldTokenID); err != nil {
			return fmt.Errorf("delete old token %s of policy %s: %w", f.OldTokenID, r.p.Name, err)
		}
		r.action("deleted old token %s", f.OldTokenID)
		if err := r.save(stepOldDeleted); err != nil {
			return err
		}
	}
	r.rec.CurrentTokenID = f.NewTokenID
	r.rec.CurrentCreatedAt, r.rec.CurrentExpiresAt = f.NewCreatedAt, f.NewExpiresAt
	r.res.OldTokenID, r.res.NewTokenID = f.OldTokenID, f.NewTokenID
	r.rec.InFlight = nil
	return r.e.journal.save(*r.rec)
}

// checkNotServed refuses to go on if a sink serves oldID, or anything but
// newID, as current.
func (r *run) checkNotServed(ctx context.Context, oldID, newID string) error {
	for _, s := range r.sinks {
		st, err := s.Read(ctx)
		if err != nil {
			return fmt.Errorf("check %s before deleting token %s: %w", s.ID(), oldID, err)
		}
		if st.CurrentID() != newID {
			return fmt.Errorf("keep token %s of policy %s: %s serves token %q as current, not the new %s",
				oldID, r.p.Name, s.ID(), st.CurrentID(), newID)
		}
	}
	return nil
}

// deleteToken deletes a token; one that is already gone counts as deleted.
func (r *run) deleteToken(ctx context.Context, id string) error {
	err := r.api().DeleteToken(ctx, id)
	if err != nil && !mgmt.IsNotFound(err) {
		return err
	}
	return nil
}

// abandon undoes a rotation that never reached the data plane: it discards
// the pending secret in every sink and deletes the new token. If either
// fails, the journal keeps the rotation so the next run finishes the job.
func (r *run) abandon(ctx context.Context, cause error) {
	f := r.rec.InFlight
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
	defer cancel()
	r.log.Warn("abandoning rotation; the old token stays", "rotation_id", f.RotationID,
		"new_token_id", f.NewTokenID, "cause", cause)
	if err := r.save(stepAbandoning); err != nil {
		r.log.Error("journal not saved", "error", err)
	}
	failed := false
	if f.NewTokenID != "" {
		for _, s := range r.sinks {
			if err := s.Discard(ctx, f.NewTokenID); err != nil {
				failed = true
				r.log.Error("pending secret not discarded", "sink", s.ID(), "error", err)
			}
		}
		if err := r.deleteToken(ctx, f.NewTokenID); err != nil {
			failed = true
			r.log.Error("new token not deleted; the next run retries", "token_id", f.NewTokenID,
				"error", err)
		} else {
			r.action("deleted new token %s after the rotation failed", f.NewTokenID)
		}
	} else if err := r.deleteLostCreate(ctx, f.RotationID); err != nil {
		failed = true
		r.log.Error("lost create not cleaned up; the next run retries", "error", err)
	}
	if !failed {
		r.rec.InFlight = nil
		if err := r.e.journal.save(*r.rec); err != nil {
			r.log.Error("journal not saved", "error", err)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
