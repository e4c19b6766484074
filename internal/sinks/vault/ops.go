package vault

import (
	"context"
	"fmt"

	"github.com/rotatord/rotatord/internal/sinks"
)

// Read returns the secrets at the current and pending paths.
func (s *Sink) Read(ctx context.Context) (sinks.State, error) {
	current, _, err := s.read(ctx, s.path)
	if err != nil {
		return sinks.State{}, fmt.Errorf("read %s: %w", s.id, err)
	}
	pending, _, err := s.read(ctx, s.pendingPath)
	if err != nil {
		return sinks.State{}, fmt.Errorf("read %s: %w", s.id, err)
	}
	return sinks.State{Current: current, Pending: pending}, nil
}

// read returns the secret at path (nil if there is none) and the version to
// use for check-and-set.
func (s *Sink) read(ctx context.Context, path string) (*sinks.Secret, int, error) {
	data, version, err := s.kv.get(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	if data == nil {
		return nil, version, nil
	}
	sec, err := decodeData(data)
	if err != nil {
		return nil, 0, fmt.Errorf("parse secret at %s: %w", s.kv.fullPath(path), err)
	}
	return sec, version, nil
}

func (s *Sink) casVersion(version int) int {
	if !s.cas {
		return noCAS
	}
	return version
}

// Stage writes sec at the pending path, unless the same secret is there.
func (s *Sink) Stage(ctx context.Context, sec sinks.Secret) error {
	if sec.TokenID == "" || sec.Token.IsZero() {
		return fmt.Errorf("stage in %s: token or token ID is empty", s.id)
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	pending, version, err := s.read(ctx, s.pendingPath)
	if err != nil {
		return fmt.Errorf("stage token %s in %s: %w", sec.TokenID, s.id, err)
	}
	if pending != nil && pending.TokenID == sec.TokenID && pending.Token.Equal(sec.Token) {
		return nil
	}
	data := encodeData(sec)
	if s.cas {
		// Promote checks that the current path is still at this version,
		// so a write by someone else in between is not overwritten.
		_, base, err := s.kv.get(ctx, s.path)
		if err != nil {
			return fmt.Errorf("stage token %s in %s: %w", sec.TokenID, s.id, err)
		}
		data[dataStagedAgainst] = base
	}
	if err := s.kv.put(ctx, s.pendingPath, data, s.casVersion(version)); err != nil {
		return fmt.Errorf("stage token %s in %s: %w", sec.TokenID, s.id, err)
	}
	return nil
}

// Promote writes the pending secret with tokenID at the current path,
// updates the custom metadata and deletes the pending path.
func (s *Sink) Promote(ctx context.Context, tokenID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	err := s.promote(ctx, tokenID)
	if err != nil {
		return fmt.Errorf("promote token %s in %s: %w", tokenID, s.id, err)
	}
	return nil
}

func (s *Sink) promote(ctx context.Context, tokenID string) error {
	pendingData, _, err := s.kv.get(ctx, s.pendingPath)
	if err != nil {
		return err
	}
	pending, err := decodeOptional(pendingData)
	if err != nil {
		return fmt.Errorf("parse secret at %s: %w", s.kv.fullPath(s.pendingPath), err)
	}
	currentData, version, err := s.kv.get(ctx, s.path)
	if err != nil {
		return err
	}
	current, err := decodeOptional(currentData)
	if err != nil {
		return fmt.Errorf("parse secret at %s: %w", s.kv.fullPath(s.path), err)
	}
	isCurrent := current != nil && current.TokenID == tokenID
	if pending == nil || pending.TokenID != tokenID {
		if isCurrent {
			return nil
		}
		return fmt.Errorf("no pending secret with that token ID: %w", sinks.ErrNotFound)
	}

	// A repeated Promote after a crash finds the token current already and
	// only finishes the metadata and the cleanup.
	if !isCurrent {
		if err := s.checkStagedAgainst(pendingData, version); err != nil {
			return err
		}
		if err := s.kv.put(ctx, s.path, mergeData(*pending, currentData), s.casVersion(version)); err != nil {
			return err
		}
	}
	if err := s.kv.setMetadata(ctx, s.path, metadataFields(pending.Metadata)); err != nil {
		return err
	}
	return s.kv.remove(ctx, s.pendingPath)
}

// Discard deletes the pending path if it holds tokenID.
func (s *Sink) Discard(ctx context.Context, tokenID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	pending, _, err := s.read(ctx, s.pendingPath)
	if err != nil {
		return fmt.Errorf("discard token %s in %s: %w", tokenID, s.id, err)
	}
	if pending == nil || pending.TokenID != tokenID {
		return nil
	}
	if err := s.kv.remove(ctx, s.pendingPath); err != nil {
		return fmt.Errorf("discard token %s in %s: %w", tokenID, s.id, err)
	}
	return nil
}

// checkStagedAgainst fails with ErrConflict when check-and-set is on and
// the current path changed after the pending secret was staged.
func (s *Sink) checkStagedAgainst(pendingData map[string]any, version int) error {
	if !s.cas {
		return nil
	}
	base, ok := intField(pendingData, dataStagedAgainst)
	if !ok || base == version {
		return nil
	}
	return fmt.Errorf("%w: %s changed to version %d after the new token was staged against version %d; "+
		"find out who else writes it, then delete %s so the next run stages the token again",
		ErrConflict, s.kv.fullPath(s.path), version, base, s.kv.fullPath(s.pendingPath))
}
