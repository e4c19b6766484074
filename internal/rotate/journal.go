package rotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rotatord/rotatord/internal/sinks/file"
)

// record is the durable state of one policy, kept as JSON in the state
// directory. It never holds a secret: a secret lives only in memory and in
// the sinks.
type record struct {
	Policy              string     `json:"policy"`
	CurrentTokenID      string     `json:"currentTokenId,omitempty"`
	CurrentCreatedAt    *time.Time `json:"currentCreatedAt,omitempty"`
	CurrentExpiresAt    *time.Time `json:"currentExpiresAt,omitempty"`
	LastRotation        *time.Time `json:"lastRotation,omitempty"`
	LastResult          string     `json:"lastResult,omitempty"`
	LastError           string     `json:"lastError,omitempty"`
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	SecretChangedAt     *time.Time `json:"secretChangedAt,omitempty"`
	InFlight            *inFlight  `json:"inFlight,omitempty"`
}

// inFlight is a rotation that has started and not finished. Step is the
// last step known to be complete.
type inFlight struct {
	RotationID   string     `json:"rotationId"`
	Trigger      string     `json:"trigger,omitempty"`
	Step         string     `json:"step"`
	Started      time.Time  `json:"started"`
	OldTokenID   string     `json:"oldTokenId,omitempty"`
	NewTokenID   string     `json:"newTokenId,omitempty"`
	NewCreatedAt *time.Time `json:"newCreatedAt,omitempty"`
	NewExpiresAt *time.Time `json:"newExpiresAt,omitempty"`
	ActiveAt     *time.Time `json:"activeAt,omitempty"`
	PromotedAt   *time.Time `json:"promotedAt,omitempty"`
	GraceUntil   *time.Time `json:"graceUntil,omitempty"`
}

// journal stores one record per policy under dir/policies and takes
// per-policy locks under dir/locks.
type journal struct {
	dir string
}

func openJournal(dir string) (*journal, error) {
	if dir == "" {
		return nil, errors.New("open state directory: stateDir is empty; set stateDir in the config")
	}
	for _, sub := range []string{"policies", "locks"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("open state directory %s: %w", dir, err)
		}
	}
	return &journal{dir: dir}, nil
}

func (j *journal) path(policy string) string {
	return filepath.Join(j.dir, "policies", policy+".json")
}

// load returns the policy's record, or an empty one if none was saved.
func (j *journal) load(policy string) (record, error) {
	data, err := os.ReadFile(j.path(policy))
	if errors.Is(err, fs.ErrNotExist) {
		return record{Policy: policy}, nil
	}
	if err != nil {
		return record{}, fmt.Errorf("read journal of policy %s: %w", policy, err)
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return record{}, fmt.Errorf("read journal of policy %s: %s is corrupt (%w); "+
			"move it away and restart to rebuild the state from the sinks", policy, j.path(policy), err)
	}
	rec.Policy = policy
	return rec, nil
}

// save writes the record atomically and durably.
func (j *journal) save(rec record) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode journal of policy %s: %w", rec.Policy, err)
	}
	if err := file.WriteAtomic(j.path(rec.Policy), data, 0o600); err != nil {
		return fmt.Errorf("save journal of policy %s: %w", rec.Policy, err)
	}
	return nil
}

// lock takes the policy's exclusive lock without waiting. It returns
// ErrBusy if another rotation, in this or another process, holds it.
func (j *journal) lock(policy string) (unlock func(), err error) {
	path := filepath.Join(j.dir, "locks", policy+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock policy %s: %w", policy, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock policy %s: %w", policy, ErrBusy)
		}
		return nil, fmt.Errorf("lock policy %s: %w", policy, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
