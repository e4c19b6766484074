package file

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
)

// readCurrent returns the current secret, or nil if the file is missing or
// empty. For the raw and env formats the metadata comes from the side file
// and is left empty, TokenID included, when the side file is missing or
// belongs to another token.
func (s *Sink) readCurrent() (*sinks.Secret, error) {
	data, ok, err := readIfExists(s.path)
	if err != nil || !ok || len(data) == 0 {
		return nil, err
	}
	token, meta, err := decodeCurrent(s.format, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	if token == "" {
		return nil, nil
	}

	current := &sinks.Secret{Token: secret.NewToken(token)}
	if meta == nil {
		meta, err = s.readMeta(token)
		if err != nil {
			return nil, err
		}
	}
	if meta != nil {
		current.Metadata = *meta
	}
	return current, nil
}

// readMeta returns the side file's metadata if it matches token, and nil
// if the side file is missing or belongs to another token.
func (s *Sink) readMeta(token string) (*sinks.Metadata, error) {
	data, ok, err := readIfExists(s.metaPath)
	if err != nil || !ok {
		return nil, err
	}
	var meta metaDocument
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("parse %s: %w", s.metaPath, err)
	}
	if meta.TokenSHA256 != tokenHash(token) {
		return nil, nil
	}
	return &meta.Metadata, nil
}

// readPending returns the pending secret, or nil if there is none.
func (s *Sink) readPending() (*sinks.Secret, error) {
	data, ok, err := readIfExists(s.pendingPath)
	if err != nil || !ok {
		return nil, err
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", s.pendingPath, err)
	}
	if doc.Token == "" || doc.TokenID == "" {
		return nil, fmt.Errorf("parse %s: token or tokenId is missing", s.pendingPath)
	}
	return doc.secret(), nil
}

func readIfExists(path string) ([]byte, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	return data, true, nil
}
