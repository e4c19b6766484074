// Package sinks defines where rotatord keeps the secret of a database token
// and the contract every sink implementation follows.
//
// A sink stores at most two secrets per policy: the current one, which
// consumers read, and a pending one, which the engine has written but not yet
// promoted. Stores with native version stages, such as AWS Secrets Manager
// with AWSPENDING and AWSCURRENT, map onto them directly. The others keep
// the pending secret beside the current one, in a second file or path, and
// promote it with an atomic replace. Keeping the new secret pending until the
// data plane accepts it means consumers never switch to a token that the
// data plane still rejects with 401.
//
// Every secret travels with Metadata, so the engine can rebuild its progress
// from the sinks alone after the state directory is lost.
package sinks

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rotatord/rotatord/internal/secret"
)

// ErrNotFound is returned by Promote and Discard when the sink holds no
// pending secret for the given token, and wrapped by sinks that must report a
// missing store object.
var ErrNotFound = errors.New("secret not found")

// Sink stores the secrets of one policy. Implementations are safe for
// concurrent use and must make every method idempotent, because the engine
// repeats a step after a crash without knowing whether it took effect.
type Sink interface {
	// ID returns a short, secret-free name for logs and status, for example
	// "file:/run/secrets/ingest" or "vault:secret/ingest".
	ID() string

	// Read returns what the sink holds now. A sink that has never been
	// written returns an empty State and no error.
	Read(ctx context.Context) (State, error)

	// Stage stores s as the pending secret, replacing any other pending one.
	// Staging the same token twice has no further effect.
	Stage(ctx context.Context, s Secret) error

	// Promote makes the pending secret with tokenID current. It returns nil
	// if that token is already current, and an error wrapping ErrNotFound if
	// the sink holds it neither as pending nor as current.
	Promote(ctx context.Context, tokenID string) error

	// Discard removes the pending secret with tokenID. It returns nil if no
	// such pending secret exists. It never touches the current secret.
	Discard(ctx context.Context, tokenID string) error
}

// State is the content of a sink for one policy: its current and pending
// secrets.
type State struct {
	Current *Secret
	Pending *Secret
}

// Holds reports whether the sink holds the token with tokenID, as current or
// as pending.
func (s State) Holds(tokenID string) bool {
	return s.CurrentID() == tokenID || (s.Pending != nil && s.Pending.TokenID == tokenID)
}

// CurrentID returns the token ID of the current secret, or "" if none.
func (s State) CurrentID() string {
	if s.Current == nil {
		return ""
	}
	return s.Current.TokenID
}

// Metadata describes a stored secret. None of its fields is secret.
type Metadata struct {
	TokenID    string     `json:"tokenId"`
	Policy     string     `json:"policy"`
	AccountID  string     `json:"accountId,omitempty"`
	ClusterID  string     `json:"clusterId,omitempty"`
	RotationID string     `json:"rotationId,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
}

// Secret is a database token's secret string with its metadata.
type Secret struct {
	Token secret.Token
	Metadata
}

// LogValue keeps a Secret's token out of structured logs.
func (s Secret) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token_id", s.TokenID),
		slog.String("policy", s.Policy),
		slog.String("rotation_id", s.RotationID),
	)
}
