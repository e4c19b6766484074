package rotate

import (
	"context"
	"errors"
	"fmt"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/sinks"
)

// resume continues the rotation the journal holds. It returns resumed
// false when that rotation was cleaned up instead and a new one should
// start.
func (r *run) resume(ctx context.Context) (resumed bool, err error) {
	f := r.rec.InFlight
	r.res.OldTokenID, r.res.NewTokenID = f.OldTokenID, f.NewTokenID
	r.log.Info("resuming interrupted rotation", "rotation_id", f.RotationID, "step", f.Step)
	r.action("resumed rotation %s from step %s", f.RotationID, f.Step)

	if f.Step == stepCreating {
		if err := r.findCreated(ctx); err != nil {
			return false, err
		}
	}
	if f.Step == stepAbandoning || f.NewTokenID == "" {
		r.abandon(ctx, errors.New("interrupted rotation could not go on"))
		return false, r.stillInFlight()
	}
	tok, err := r.api().GetToken(ctx, f.NewTokenID)
	if mgmt.IsNotFound(err) || (err == nil && tok.RevokedAt != nil) {
		r.log.Warn("new token of the interrupted rotation is gone", "token_id", f.NewTokenID)
		r.abandon(ctx, errors.New("new token is gone"))
		return false, r.stillInFlight()
	}
	if err != nil {
		return true, fmt.Errorf("resume rotation of policy %s: get token %s: %w", r.p.Name,
			f.NewTokenID, err)
	}
	r.perms = tok.Permissions

	sec, found, err := r.findSecret(ctx, f.NewTokenID)
	if err != nil {
		return true, err
	}
	if !found {
		if f.reached(stepPromoted) {
			return true, fmt.Errorf("resume rotation of policy %s: no sink contains token %s any more; "+
				"check the sinks, then rotate again", r.p.Name, f.NewTokenID)
		}
		r.log.Warn("secret of the interrupted rotation never reached a sink; deleting its token",
			"token_id", f.NewTokenID)
		r.abandon(ctx, errors.New("secret lost before the first sink write"))
		return false, r.stillInFlight()
	}
	return true, r.resumeWith(ctx, sec)
}

func (r *run) resumeWith(ctx context.Context, sec sinks.Secret) error {
	f := r.rec.InFlight
	if !f.reached(stepStaged) {
		crit, cancel := context.WithTimeout(context.WithoutCancel(ctx), criticalTimeout)
		defer cancel()
		if err := r.stage(crit, sec); err != nil {
			return r.failBeforeActive(crit, err)
		}
	}
	return r.advance(ctx, sec)
}

// cleanupUnrecoverable abandons an interrupted rotation that stopped
// before any sink held its secret, and leaves every other one for Rotate
// to resume. Reconcile uses it, so start-up never waits for propagation
// or a grace window.
func (r *run) cleanupUnrecoverable(ctx context.Context) error {
	f := r.rec.InFlight
	if f == nil || f.reached(stepStaged) {
		return nil
	}
	if f.Step == stepCreating {
		if err := r.findCreated(ctx); err != nil {
			return err
		}
	}
	if f.Step != stepAbandoning && f.NewTokenID != "" {
		if _, found, err := r.findSecret(ctx, f.NewTokenID); err != nil || found {
			return err
		}
	}
	r.abandon(ctx, errors.New("interrupted before the secret reached a sink"))
	return r.stillInFlight()
}

// stillInFlight returns an error if abandon could not finish its work.
func (r *run) stillInFlight() error {
	if r.rec.InFlight != nil {
		return fmt.Errorf("rotate policy %s: cleanup of interrupted rotation %s is not finished; the next run retries",
			r.p.Name, r.rec.InFlight.RotationID)
	}
	return nil
}

// findCreated looks for the token a create of the interrupted rotation
// made, by its marker.
func (r *run) findCreated(ctx context.Context) error {
	f := r.rec.InFlight
	tokens, err := r.api().ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("resume rotation of policy %s: list tokens: %w", r.p.Name, err)
	}
	for _, t := range tokens {
		if pol, id, ok := parseMarker(t.Description); ok && pol == r.p.Name && id == f.RotationID {
			f.NewTokenID, f.NewCreatedAt, f.NewExpiresAt = t.ID, &t.CreatedAt, t.ExpiresAt
			f.Step = stepCreated
			return nil
		}
	}
	return nil
}

// findSecret returns the secret of tokenID from the first sink that holds
// it, pending or current.
func (r *run) findSecret(ctx context.Context, tokenID string) (sinks.Secret, bool, error) {
	for _, s := range r.sinks {
		st, err := s.Read(ctx)
		if err != nil {
			return sinks.Secret{}, false, fmt.Errorf("read %s of policy %s: %w", s.ID(), r.p.Name,
				err)
		}
		for _, sec := range []*sinks.Secret{st.Pending, st.Current} {
			if sec != nil && sec.TokenID == tokenID && !sec.Token.IsZero() {
				return *sec, true, nil
			}
		}
	}
	return sinks.Secret{}, false, nil
}

// resolveCurrent finds the token the policy rotates now: the one the
// journal recorded, else one a sink serves, else the policy's token ID or
// description. It returns nil when the policy's first token is still to be
// created.
func (r *run) resolveCurrent(ctx context.Context, tokens []mgmt.Token) (*mgmt.Token, error) {
	live := map[string]*mgmt.Token{}
	for i := range tokens {
		if tokens[i].RevokedAt == nil {
			live[tokens[i].ID] = &tokens[i]
		}
	}
	view, err := r.readSinks(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range append([]string{r.rec.CurrentTokenID}, view.current...) {
		if t, ok := live[id]; ok && id != "" {
			return t, nil
		}
	}
	if t := r.newestManaged(tokens); t != nil {
		// Neither the journal nor a sink names the current token, which
		// happens when both were lost. The newest token this policy's
		// rotations made is the best guess, and rotating it away is safe.
		return t, nil
	}
	if id := r.p.Token.ID; id != "" {
		if t, ok := live[id]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("rotate policy %s: token %s is not on the cluster and no sink contains a live token; "+
			"fix policies[].token.id or name the token by description to create it", r.p.Name, id)
	}
	return r.byDescription(tokens), nil
}

// newestManaged returns the newest live token carrying this policy's
// marker, or nil.
func (r *run) newestManaged(tokens []mgmt.Token) *mgmt.Token {
	var best *mgmt.Token
	for i := range tokens {
		t := &tokens[i]
		pol, _, ok := parseMarker(t.Description)
		if ok && pol == r.p.Name && t.RevokedAt == nil && (best == nil || t.CreatedAt.After(best.CreatedAt)) {
			best = t
		}
	}
	return best
}

// byDescription returns the newest live token with the policy's
// description, preferring tokens this policy's rotations created.
func (r *run) byDescription(tokens []mgmt.Token) *mgmt.Token {
	var best *mgmt.Token
	bestManaged := false
	for i := range tokens {
		t := &tokens[i]
		if t.RevokedAt != nil || baseDescription(t.Description) != r.p.Token.Description {
			continue
		}
		pol, _, managed := parseMarker(t.Description)
		managed = managed && pol == r.p.Name
		better := best == nil || (managed && !bestManaged) ||
			(managed == bestManaged && t.CreatedAt.After(best.CreatedAt))
		if better {
			best, bestManaged = t, managed
		}
	}
	return best
}

// recordCurrent looks up the token the policy rotates now and records its
// ID and times in the journal, so that schedules based on the token's age
// or expiry work before rotatord ever rotated it.
func (r *run) recordCurrent(ctx context.Context) error {
	if r.rec.InFlight != nil {
		return nil
	}
	tokens, err := r.api().ListTokens(ctx)
	if err == nil && r.snapshot != nil && r.rec.CurrentTokenID != "" && !hasToken(tokens, r.rec.CurrentTokenID) {
		// The snapshot may predate a rotation that finished before this
		// policy's lock was taken, so look again before changing the
		// journal.
		tokens, err = r.e.api.ListTokens(ctx)
	}
	if err != nil {
		return fmt.Errorf("look up current token of policy %s: %w", r.p.Name, err)
	}
	cur, err := r.resolveCurrent(ctx, tokens)
	if err != nil || cur == nil {
		return err
	}
	if r.rec.CurrentTokenID == cur.ID && r.rec.CurrentCreatedAt != nil {
		return nil
	}
	created := cur.CreatedAt
	r.rec.CurrentTokenID, r.rec.CurrentCreatedAt, r.rec.CurrentExpiresAt = cur.ID, &created, cur.ExpiresAt
	return r.e.journal.save(*r.rec)
}

func hasToken(tokens []mgmt.Token, id string) bool {
	for _, t := range tokens {
		if t.ID == id {
			return true
		}
	}
	return false
}
