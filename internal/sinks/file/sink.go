// Package file implements the sink that writes a policy's secret to a local
// file for a sidecar or an application to read.
//
// Three files sit side by side in the target directory:
//
//   - <path>: the current secret in the configured format (raw, json or env).
//   - <path>.pending: the pending secret, always JSON with its metadata.
//   - .<base>.meta.json: the metadata of the current secret for the raw and
//     env formats, which have no room for it. It holds no secret, only the
//     token's SHA-256, which ties it to one content of <path>.
//
// Every file is replaced with WriteAtomic and has mode 0600, whatever mode
// an earlier file had, so a consumer must run as the same user (or as root).
// New removes temp files that a crash left behind.
// NOTE: there is no option for a group-readable mode yet, which a consumer
// in another uid would need to read through a shared group such as a
// Kubernetes fsGroup.
//
// Promote writes the side file first and the current file second, then
// removes the pending file. A crash between the two writes leaves a side
// file whose hash does not match <path>. Read then returns the current
// token with an empty TokenID and the pending secret, and the engine
// repeats Promote.
package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
)

// fileMode is the mode of every file the sink writes.
const fileMode os.FileMode = 0o600

// Sink stores a policy's secret in a local file. It is safe for concurrent
// use within one process.
type Sink struct {
	path        string
	pendingPath string
	metaPath    string
	format      string
	envKey      string

	// mu lets Read see the side file and the current file of one Promote.
	mu sync.RWMutex
}

var _ sinks.Sink = (*Sink)(nil)

// New checks cfg and returns a sink for the policy named policyName. The
// directory of cfg.Path must exist, and cfg.Path must not be a directory or a
// symbolic link.
func New(cfg policy.FileSink, policyName string) (*Sink, error) {
	format := cfg.Format
	if format == "" {
		format = FormatRaw
	}
	if err := checkConfig(cfg, format); err != nil {
		return nil, fmt.Errorf("file sink of policy %s: %w", policyName, err)
	}

	path := filepath.Clean(cfg.Path)
	dir, base := filepath.Split(path)
	s := &Sink{
		path:        path,
		pendingPath: path + ".pending",
		metaPath:    filepath.Join(dir, "."+base+".meta.json"),
		format:      format,
		envKey:      cfg.EnvKey,
	}
	if err := checkFolder(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("file sink %s: %w", path, err)
	}
	if err := checkTarget(path); err != nil {
		return nil, fmt.Errorf("file sink %s: %w", path, err)
	}
	s.removeStaleTemps()
	return s, nil
}

// removeStaleTemps deletes temp files that a crash in WriteAtomic left
// behind, since they may hold a secret. It assumes this sink is the only
// writer of its files.
func (s *Sink) removeStaleTemps() {
	for _, target := range []string{s.path, s.pendingPath, s.metaPath} {
		dir, base := filepath.Split(target)
		matches, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
		for _, m := range matches {
			_ = os.Remove(m)
		}
	}
}

// globEscape quotes the characters that filepath.Glob treats as patterns.
func globEscape(name string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(name)
}

func checkConfig(cfg policy.FileSink, format string) error {
	if cfg.Path == "" {
		return errors.New("path is missing")
	}
	switch format {
	case FormatRaw, FormatJSON:
		return nil
	case FormatEnv:
		if !envKeyPattern.MatchString(cfg.EnvKey) {
			return fmt.Errorf("envKey %q is invalid: use letters, digits and _, not starting with a digit", cfg.EnvKey)
		}
		return nil
	default:
		return fmt.Errorf("format %q is invalid: use raw, json or env", format)
	}
}

func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("directory %s does not exist: create it or mount the volume that holds it", dir)
	}
	if err != nil {
		return fmt.Errorf("check directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// checkTarget rejects a path that a rename would not replace the way a
// consumer expects: a directory, or a symbolic link whose target would be left
// stale while the link itself is replaced.
func checkTarget(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check path: %w", err)
	}
	switch mode := info.Mode(); {
	case mode&os.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: set path to the file it points to", path)
	case mode.IsDir():
		return fmt.Errorf("%s is a directory: set path to a file inside it", path)
	case !mode.IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// ID returns "file:" followed by the path of the current file.
func (s *Sink) ID() string { return "file:" + s.path }

// Read returns the current and pending secrets from the files.
func (s *Sink) Read(ctx context.Context) (sinks.State, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()

	current, err := s.readCurrent()
	if err != nil {
		return sinks.State{}, fmt.Errorf("read %s: %w", s.ID(), err)
	}
	pending, err := s.readPending()
	if err != nil {
		return sinks.State{}, fmt.Errorf("read %s: %w", s.ID(), err)
	}
	return sinks.State{Current: current, Pending: pending}, nil
}

// Stage writes sec as the pending secret, unless the same secret is already
// pending.
func (s *Sink) Stage(ctx context.Context, sec sinks.Secret) error {
	if err := s.checkSecret(ctx, sec); err != nil {
		return fmt.Errorf("stage token %s in %s: %w", sec.TokenID, s.ID(), err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	// A pending file that cannot be parsed is overwritten below.
	if pending, err := s.readPending(); err == nil && pending != nil &&
		pending.TokenID == sec.TokenID && pending.Token.Equal(sec.Token) {
		return nil
	}
	data, err := marshalIndented(newDocument(sec))
	if err != nil {
		return fmt.Errorf("stage token %s in %s: encode: %w", sec.TokenID, s.ID(), err)
	}
	if err := WriteAtomic(s.pendingPath, data, fileMode); err != nil {
		return fmt.Errorf("stage token %s in %s: %w", sec.TokenID, s.ID(), err)
	}
	return nil
}

func (s *Sink) checkSecret(ctx context.Context, sec sinks.Secret) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if sec.TokenID == "" {
		return errors.New("token ID is empty")
	}
	return checkToken(s.format, sec.Token)
}

// Promote makes the pending secret with tokenID current: it writes the side
// file, replaces the current file and removes the pending file.
func (s *Sink) Promote(ctx context.Context, tokenID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("promote token %s in %s: %w", tokenID, s.ID(), err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	pending, err := s.readPending()
	if err != nil {
		return fmt.Errorf("promote token %s in %s: %w", tokenID, s.ID(), err)
	}
	if pending == nil || pending.TokenID != tokenID {
		return s.checkCurrent(tokenID)
	}
	if err := s.writeCurrent(*pending); err != nil {
		return fmt.Errorf("promote token %s in %s: %w", tokenID, s.ID(), err)
	}
	if err := removeDurably(s.pendingPath); err != nil {
		return fmt.Errorf("promote token %s in %s: %w", tokenID, s.ID(), err)
	}
	return nil
}

// checkCurrent returns nil if tokenID is current, for a repeated Promote,
// and an error wrapping sinks.ErrNotFound otherwise.
func (s *Sink) checkCurrent(tokenID string) error {
	current, err := s.readCurrent()
	if err != nil {
		return fmt.Errorf("promote token %s in %s: %w", tokenID, s.ID(), err)
	}
	if current != nil && current.TokenID == tokenID {
		return nil
	}
	return fmt.Errorf("promote token %s in %s: no pending secret with that token ID: %w",
		tokenID, s.ID(), sinks.ErrNotFound)
}

func (s *Sink) writeCurrent(sec sinks.Secret) error {
	if err := checkTarget(s.path); err != nil {
		return err
	}
	if s.format != FormatJSON {
		meta := metaDocument{Metadata: utcMetadata(sec.Metadata), TokenSHA256: tokenHash(sec.Token.Reveal())}
		data, err := marshalIndented(meta)
		if err != nil {
			return fmt.Errorf("encode metadata: %w", err)
		}
		if err := WriteAtomic(s.metaPath, data, fileMode); err != nil {
			return err
		}
	}

	data, err := encodeCurrent(s.format, s.envKey, sec)
	if err != nil {
		return fmt.Errorf("encode secret: %w", err)
	}
	return WriteAtomic(s.path, data, fileMode)
}

// Discard removes the pending file if it holds tokenID.
func (s *Sink) Discard(ctx context.Context, tokenID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("discard token %s in %s: %w", tokenID, s.ID(), err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	pending, err := s.readPending()
	if err != nil {
		return fmt.Errorf("discard token %s in %s: %w", tokenID, s.ID(), err)
	}
	if pending == nil || pending.TokenID != tokenID {
		return nil
	}
	if err := removeDurably(s.pendingPath); err != nil {
		return fmt.Errorf("discard token %s in %s: %w", tokenID, s.ID(), err)
	}
	return nil
}
