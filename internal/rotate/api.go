package rotate

import (
	"context"
	"errors"
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// ErrBusy is returned when another rotation of the same policy holds its
// lock, in this process or in another one on the same state directory.
var ErrBusy = errors.New("another rotation of this policy is in progress")

// API is the part of the Management API client the engine uses.
// *mgmt.Client implements it.
type API interface {
	ListDatabases(ctx context.Context) ([]mgmt.Database, error)
	CreateDatabase(ctx context.Context, req mgmt.CreateDatabaseRequest) (mgmt.Database, error)
	UpdateDatabase(ctx context.Context, name string, req mgmt.UpdateDatabaseRequest) (mgmt.Database, error)
	CreateTable(ctx context.Context, database string, req mgmt.CreateTableRequest) (mgmt.Table, error)
	ListTokens(ctx context.Context) ([]mgmt.Token, error)
	GetToken(ctx context.Context, id string) (mgmt.Token, error)
	CreateToken(ctx context.Context, req mgmt.CreateTokenRequest) (mgmt.CreatedToken, error)
	DeleteToken(ctx context.Context, id string) error
}

// Observer receives rotation events, for metrics. Every method must be
// cheap and safe for concurrent use.
type Observer interface {
	StepEntered(policy, step string)
	RotationFinished(policy, result string, elapsed time.Duration)
	PropagationFinished(policy string, elapsed time.Duration)
	OrphanDeleted(policy string)
	PanicRecovered(policy string)
}

// RunOptions tune one rotation.
type RunOptions struct {
	// DryRun reports the actions a rotation would take and changes nothing.
	DryRun bool
	// Trigger names what started the rotation ("schedule", "manual",
	// "max-age", "expiry", "startup"), for logs.
	Trigger string
}

// Result is the outcome of one rotation.
type Result struct {
	Policy     string    `json:"policy"`
	Trigger    string    `json:"trigger,omitempty"`
	OldTokenID string    `json:"oldTokenId,omitempty"`
	NewTokenID string    `json:"newTokenId,omitempty"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	DryRun     bool      `json:"dryRun,omitempty"`
	// Actions lists what was done, or would be done on a dry run.
	Actions []string `json:"actions,omitempty"`
	Err     error    `json:"-"`
}

// PolicyStatus is the engine's record of one policy. It never contains a
// secret.
type PolicyStatus struct {
	Policy              string       `json:"policy"`
	CurrentTokenID      string       `json:"currentTokenId,omitempty"`
	TokenCreatedAt      *time.Time   `json:"tokenCreatedAt,omitempty"`
	TokenExpiresAt      *time.Time   `json:"tokenExpiresAt,omitempty"`
	LastRotation        *time.Time   `json:"lastRotation,omitempty"`
	LastResult          string       `json:"lastResult,omitempty"`
	LastError           string       `json:"lastError,omitempty"`
	ConsecutiveFailures int          `json:"consecutiveFailures"`
	SecretChangedAt     *time.Time   `json:"secretChangedAt,omitempty"`
	Step                string       `json:"step,omitempty"`
	Sinks               []SinkStatus `json:"sinks,omitempty"`
}

// SinkStatus lists the token IDs that one sink serves and holds pending.
type SinkStatus struct {
	ID             string `json:"id"`
	CurrentTokenID string `json:"currentTokenId,omitempty"`
	PendingTokenID string `json:"pendingTokenId,omitempty"`
	Error          string `json:"error,omitempty"`
}
