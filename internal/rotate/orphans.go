package rotate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// sinkView lists the token IDs that the policy's sinks serve and hold.
type sinkView struct {
	current, pending []string
	// unidentified lists the sinks that serve a secret whose token ID they
	// cannot tell, such as a raw file whose side file was lost.
	unidentified []string
}

func (r *run) readSinks(ctx context.Context) (sinkView, error) {
	var v sinkView
	for _, s := range r.sinks {
		st, err := s.Read(ctx)
		if err != nil {
			return v, fmt.Errorf("read %s of policy %s: %w", s.ID(), r.p.Name, err)
		}
		switch {
		case st.Current == nil:
		case st.Current.TokenID == "":
			v.unidentified = append(v.unidentified, s.ID())
		default:
			v.current = append(v.current, st.Current.TokenID)
		}
		if st.Pending != nil {
			v.pending = append(v.pending, st.Pending.TokenID)
		}
	}
	return v, nil
}

// sweepOrphans deletes this policy's marked tokens that neither the
// journal nor any sink accounts for. It runs under the policy's lock.
//
// Two cases keep a token although nothing names it. When a sink serves a
// secret it cannot identify, any token could be the one it serves, so the
// sweep deletes nothing. A token older than the current one may be the old
// token of a rotation whose journal was lost during its grace window, so
// it stays until that window has surely passed.
func (r *run) sweepOrphans(ctx context.Context) error {
	if f := r.rec.InFlight; f != nil && f.Step == stepCreating {
		return nil
	}
	tokens, err := r.api().ListTokens(ctx)
	if err != nil {
		return fmt.Errorf("sweep orphans of policy %s: list tokens: %w", r.p.Name, err)
	}
	view, err := r.readSinks(ctx)
	if err != nil {
		return err
	}
	if len(view.unidentified) > 0 {
		r.log.Warn("orphan sweep skipped: a sink serves a secret whose token ID it cannot tell",
			"sinks", view.unidentified)
		return nil
	}
	keep := append(slices.Clone(view.current), r.rec.CurrentTokenID)
	if f := r.rec.InFlight; f != nil {
		keep = append(keep, f.OldTokenID, f.NewTokenID)
	}
	graceEnd := r.graceEndOfCurrent(tokens, keep)
	for _, t := range tokens {
		if pol, _, ok := parseMarker(t.Description); !ok || pol != r.p.Name || slices.Contains(keep,
			t.ID) {
			continue
		}
		if t.CreatedAt.Before(graceEnd.since) && r.e.clock.Now().Before(graceEnd.until) {
			r.log.Info("older token kept until the grace window of the current one has passed",
				"token_id", t.ID, "until", graceEnd.until)
			continue
		}
		if err := r.deleteOrphan(ctx, t.ID); err != nil {
			return err
		}
	}
	return nil
}

type window struct{ since, until time.Time }

// graceEndOfCurrent returns the creation time of the newest token in keep,
// and the latest time its rotation's grace window can end.
func (r *run) graceEndOfCurrent(tokens []mgmt.Token, keep []string) window {
	var w window
	for _, t := range tokens {
		if slices.Contains(keep, t.ID) && t.CreatedAt.After(w.since) {
			w.since = t.CreatedAt
		}
	}
	if !w.since.IsZero() {
		w.until = w.since.Add(r.p.PropagationTimeout + r.p.Grace)
	}
	return w
}

func (r *run) deleteOrphan(ctx context.Context, id string) error {
	for _, s := range r.sinks {
		if err := s.Discard(ctx, id); err != nil {
			return fmt.Errorf("sweep orphan token %s of policy %s: discard from %s: %w", id,
				r.p.Name, s.ID(), err)
		}
	}
	if err := r.deleteToken(ctx, id); err != nil {
		return fmt.Errorf("sweep orphan token %s of policy %s: %w", id, r.p.Name, err)
	}
	r.log.Warn("deleted orphaned token", "token_id", id)
	r.action("deleted orphaned token %s", id)
	r.e.opts.Observer.OrphanDeleted(r.p.Name)
	return nil
}
