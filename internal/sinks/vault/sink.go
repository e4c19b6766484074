// Package vault implements the sink that stores a policy's secret in a
// HashiCorp Vault KV secrets engine, version 2 (the default) or 1.
//
// The current secret is at <mount>/<secretPath> and the pending one at
// <mount>/<secretPath>.pending, both with the data fields token, token_id,
// policy, account_id, cluster_id, rotation_id, created_at and expires_at.
// On KV v2 the same fields without the token are also written as the
// current secret's custom_metadata, so operators see which token a path
// holds without reading the secret.
//
// On KV v2 every write uses check-and-set unless cas is false. A write by
// someone else to the current path, between staging and promotion or
// between rotatord's read and write, fails the promotion with ErrConflict
// instead of being overwritten. Fields of the current secret that rotatord
// does not own, such as a URL for consumers, are kept. After a promote the
// pending path is deleted with all its versions.
package vault

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/vault/api"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
)

// ErrConflict is wrapped by writes that fail check-and-set because another
// writer changed the secret after the sink read it.
var ErrConflict = errors.New("check-and-set conflict")

// pendingSuffix is appended to the secret path to form the pending path.
const pendingSuffix = ".pending"

// Sink stores a policy's secret in Vault. It is safe for concurrent use.
type Sink struct {
	id          string
	client      *api.Client
	kv          kvStore
	path        string
	pendingPath string
	cas         bool
	auth        authenticator
	logger      *slog.Logger

	// mu serializes this process's writes, so they do not fail
	// check-and-set against each other.
	mu sync.Mutex

	stop context.CancelFunc
	done chan struct{}
}

var _ sinks.Sink = (*Sink)(nil)

// New checks cfg, logs in to Vault within ctx and starts keeping the
// client's token alive in the background until Close.
func New(ctx context.Context, cfg policy.VaultSink, policyName string, logger *slog.Logger) (*Sink, error) {
	s, err := newSink(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault sink of policy %s: %w", policyName, err)
	}
	s.logger = logger.With("sink", s.id)

	auth, err := s.auth.login(ctx, s.client)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.id, err)
	}

	runCtx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	go func() {
		defer close(s.done)
		s.keepAlive(runCtx, auth)
	}()
	return s, nil
}

func newSink(cfg policy.VaultSink) (*Sink, error) {
	mount := strings.Trim(cfg.Mount, "/")
	if mount == "" {
		mount = "secret"
	}
	path := strings.Trim(cfg.SecretPath, "/")
	if path == "" {
		return nil, errors.New("secretPath is missing")
	}
	cas, err := checkKV(cfg)
	if err != nil {
		return nil, err
	}
	auth, err := newAuthenticator(cfg.Auth)
	if err != nil {
		return nil, err
	}
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}

	s := &Sink{
		id:          sinkID(cfg.Namespace, mount, path),
		client:      client,
		path:        path,
		pendingPath: path + pendingSuffix,
		cas:         cas,
		auth:        auth,
	}
	if cfg.KVVersion == 1 {
		s.kv = kvV1{client: client, mount: mount}
	} else {
		s.kv = kvV2{client: client, mount: mount}
	}
	return s, nil
}

// checkKV returns whether writes use check-and-set: on KV v2 unless cas is
// false, never on KV v1, which has no versions.
func checkKV(cfg policy.VaultSink) (bool, error) {
	switch cfg.KVVersion {
	case 0, 2:
		return cfg.CAS == nil || *cfg.CAS, nil
	case 1:
		if cfg.CAS != nil && *cfg.CAS {
			return false, errors.New("cas is set but KV version 1 has no check-and-set: use kvVersion 2 or unset cas")
		}
		return false, nil
	default:
		return false, fmt.Errorf("kvVersion %d is invalid: use 1 or 2", cfg.KVVersion)
	}
}

// newClient builds a client from the VAULT_* environment (TLS settings and
// VAULT_ADDR among them) with the address and namespace of cfg on top. It
// has no token until the first login.
func newClient(cfg policy.VaultSink) (*api.Client, error) {
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, fmt.Errorf("read VAULT_* environment: %w", conf.Error)
	}
	if cfg.Address != "" {
		conf.Address = cfg.Address
	}
	client, err := api.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("create vault client: %w", err)
	}
	client.ClearToken()
	if cfg.Namespace != "" {
		client.SetNamespace(cfg.Namespace)
	}
	return client, nil
}

// sinkID returns "vault:" and the secret's path, prefixed by the namespace
// the way Vault Enterprise writes full paths.
func sinkID(namespace, mount, path string) string {
	if ns := strings.Trim(namespace, "/"); ns != "" {
		return "vault:" + ns + "/" + mount + "/" + path
	}
	return "vault:" + mount + "/" + path
}

// Close stops keeping the Vault token alive and waits for that to end. It
// does not revoke the token.
func (s *Sink) Close() {
	s.stop()
	<-s.done
}

// ID returns "vault:" followed by the namespace, mount and secret path.
func (s *Sink) ID() string { return s.id }
