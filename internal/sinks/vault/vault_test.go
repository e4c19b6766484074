package vault

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/sinktest"
	"github.com/rotatord/rotatord/internal/testenv"
)

func TestConformance(t *testing.T) {
	v := testenv.Vault(t)
	v.EnableKV1(t, "kv1")
	tokenFile := writeTokenFile(t, createToken(t, v, &api.TokenCreateRequest{TTL: "1h"}))
	noCAS := false

	tests := []struct {
		name string
		edit func(*policy.VaultSink)
	}{
		{"kv2", func(*policy.VaultSink) {}},
		{"kv2 without cas", func(c *policy.VaultSink) { c.CAS = &noCAS }},
		{"kv1", func(c *policy.VaultSink) { c.Mount, c.KVVersion = "kv1", 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sinktest.Run(t, func(t *testing.T) sinktest.Store {
				cfg := tokenConfig(v, tokenFile, uniquePath(t))
				tc.edit(&cfg)
				return func() sinks.Sink { return openSink(t, cfg, nil) }
			}, sinktest.Options{})
		})
	}
}

func TestNamespaceHeaderAndID(t *testing.T) {
	// Namespaces need Vault Enterprise, so this checks the client only.
	cfg := policy.VaultSink{Address: "http://127.0.0.1:1", Namespace: "team-a/", Mount: "kv", SecretPath: "ingest"}

	s, err := newSink(cfg)

	require.NoError(t, err)
	require.Equal(t, "team-a/", s.client.Headers().Get("X-Vault-Namespace"))
	require.Equal(t, "vault:team-a/kv/ingest", s.ID())
}

func TestAppRoleLogin(t *testing.T) {
	v := testenv.Vault(t)
	v.WritePolicy(t, "rotatord-sink", sinkRules)
	roleID, secretID := v.EnableAppRole(t, "approle-sink", "rotator",
		map[string]any{"token_policies": "rotatord-sink", "token_ttl": "1h"})
	cfg := policy.VaultSink{
		Address:    v.Addr,
		SecretPath: uniquePath(t),
		Auth: policy.VaultAuth{Method: AuthAppRole, RoleID: roleID,
			SecretIDFile: writeTokenFile(t, secretID), AppRoleMount: "approle-sink"},
	}
	s := openSink(t, cfg, nil)
	sec := sinktest.NewSecret(t, "tok-1")

	require.NoError(t, s.Stage(context.Background(), sec))
	require.NoError(t, s.Promote(context.Background(), "tok-1"))

	st, err := s.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, sec, st.Current)
	self, err := s.client.Auth().Token().LookupSelfWithContext(context.Background())
	require.NoError(t, err)
	require.Contains(t, self.Data["policies"], "rotatord-sink")
}

func TestTokenRenewal(t *testing.T) {
	v := testenv.Vault(t)
	token := createToken(t, v, &api.TokenCreateRequest{TTL: "3s", ExplicitMaxTTL: "1h"})
	openSink(t, tokenConfig(v, writeTokenFile(t, token), uniquePath(t)), nil)
	root := v.Client(t).Auth().Token()
	renewals := map[string]bool{}

	// The watcher renews once at start, then again before each TTL ends,
	// so two distinct renewal times show that it keeps renewing.
	eventually(t, 15*time.Second, func() bool {
		info, err := root.LookupWithContext(context.Background(), token)
		require.NoError(t, err)
		if renewed := fmt.Sprint(info.Data["last_renewal_time"]); renewed != "<nil>" && renewed != "0" {
			renewals[renewed] = true
		}
		return len(renewals) >= 2
	}, "vault token not renewed twice")
}

func TestAppRoleReloginWhenNotRenewable(t *testing.T) {
	v := testenv.Vault(t)
	v.WritePolicy(t, "rotatord-sink", sinkRules)
	// Batch tokens cannot be renewed, so the sink must log in again.
	roleID, secretID := v.EnableAppRole(t, "approle-batch", "rotator",
		map[string]any{"token_policies": "rotatord-sink", "token_type": "batch", "token_ttl": "3s"})
	cfg := policy.VaultSink{
		Address:    v.Addr,
		SecretPath: uniquePath(t),
		Auth: policy.VaultAuth{Method: AuthAppRole, RoleID: roleID,
			SecretIDFile: writeTokenFile(t, secretID), AppRoleMount: "approle-batch"},
	}
	s := openSink(t, cfg, nil)
	first := s.client.Token()

	eventually(t, 15*time.Second, func() bool { return s.client.Token() != first }, "sink never logged in again")

	_, err := s.Read(context.Background())
	require.NoError(t, err)
}

// racingStore writes to a path through another client right after the
// sink reads it, as a second writer would.
type racingStore struct {
	kvStore
	target string
	write  func()
}

func (r *racingStore) get(ctx context.Context, path string) (map[string]any, int, error) {
	data, version, err := r.kvStore.get(ctx, path)
	if path == r.target && r.write != nil {
		r.write()
		r.write = nil
	}
	return data, version, err
}

func TestCASConflict(t *testing.T) {
	s, path, other := promotedSink(t)
	require.NoError(t, s.Stage(context.Background(), sinktest.NewSecret(t, "tok-2")))
	s.kv = &racingStore{kvStore: s.kv, target: path, write: func() {
		_, err := other.Put(context.Background(), path, map[string]any{"token": "written-by-someone-else"})
		require.NoError(t, err)
	}}

	err := s.Promote(context.Background(), "tok-2")

	require.ErrorIs(t, err, ErrConflict)
	require.ErrorContains(t, err, "secret/data/"+path)
	got, err := other.Get(context.Background(), path)
	require.NoError(t, err)
	require.Equal(t, "written-by-someone-else", got.Data["token"])
}

func TestPromoteCleansUpKV2(t *testing.T) {
	v := testenv.Vault(t)
	tokenFile := writeTokenFile(t, createToken(t, v, &api.TokenCreateRequest{TTL: "1h"}))
	path := uniquePath(t)
	s := openSink(t, tokenConfig(v, tokenFile, path), nil)
	sec := sinktest.NewSecret(t, "tok-1")
	require.NoError(t, s.Stage(context.Background(), sinktest.NewSecret(t, "tok-0")))
	// A second pending version, so cleanup must remove more than one.
	require.NoError(t, s.Stage(context.Background(), sec))

	require.NoError(t, s.Promote(context.Background(), "tok-1"))

	kv := v.Client(t).KVv2("secret")
	_, err := kv.GetMetadata(context.Background(), path+pendingSuffix)
	require.ErrorIs(t, err, api.ErrSecretNotFound, "a version of the pending secret is left")
	meta, err := kv.GetMetadata(context.Background(), path)
	require.NoError(t, err)
	require.Equal(t, "tok-1", meta.CustomMetadata[dataTokenID])
	require.Equal(t, "ingest", meta.CustomMetadata[dataPolicy])
	require.NotContains(t, meta.CustomMetadata, dataToken)
	require.Contains(t, meta.CustomMetadata, dataExpiresAt)

	next := sinktest.NewSecret(t, "tok-2")
	next.ExpiresAt = nil
	require.NoError(t, s.Stage(context.Background(), next))
	require.NoError(t, s.Promote(context.Background(), "tok-2"))

	meta, err = kv.GetMetadata(context.Background(), path)
	require.NoError(t, err)
	require.Equal(t, "tok-2", meta.CustomMetadata[dataTokenID])
	require.NotContains(t, meta.CustomMetadata, dataExpiresAt, "expiry of the previous token")
}

func TestPromoteAfterCrash(t *testing.T) {
	v := testenv.Vault(t)
	tokenFile := writeTokenFile(t, createToken(t, v, &api.TokenCreateRequest{TTL: "1h"}))
	path := uniquePath(t)
	s := openSink(t, tokenConfig(v, tokenFile, path), nil)
	sec := sinktest.NewSecret(t, "tok-1")
	require.NoError(t, s.Stage(context.Background(), sec))
	// The crash: the current path was written, the pending path not deleted.
	_, err := v.Client(t).KVv2("secret").Put(context.Background(), path, encodeData(sec))
	require.NoError(t, err)

	require.NoError(t, s.Promote(context.Background(), "tok-1"))

	st, err := s.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, sec, st.Current)
	require.Nil(t, st.Pending)
}

func TestNewRejectsBadConfig(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		cfg  policy.VaultSink
		want string
	}{
		{"no path", policy.VaultSink{}, "secretPath is missing"},
		{"bad kv version", policy.VaultSink{SecretPath: "a", KVVersion: 3}, "kvVersion 3 is invalid"},
		{"cas on kv1", policy.VaultSink{SecretPath: "a", KVVersion: 1, CAS: &yes}, "KV version 1 has no check-and-set"},
		{"bad method", policy.VaultSink{SecretPath: "a", Auth: policy.VaultAuth{Method: "ldap"}}, `method "ldap" is invalid`},
		{"approle without role", policy.VaultSink{SecretPath: "a", Auth: policy.VaultAuth{Method: AuthAppRole}}, "roleId is missing"},
		{"empty token env", policy.VaultSink{Address: "http://127.0.0.1:1", SecretPath: "a",
			Auth: policy.VaultAuth{TokenEnv: "ROTATORD_TEST_UNSET_TOKEN"}},
			"environment variable ROTATORD_TEST_UNSET_TOKEN is empty or unset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg, "ingest", slog.Default())

			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestSecretsNotInErrorsOrLogs(t *testing.T) {
	v := testenv.Vault(t)
	// A token without access to the secrets, and not renewable, so every
	// operation fails and the sink soon logs in again.
	vaultToken := createToken(t, v, &api.TokenCreateRequest{Policies: []string{"default"}, TTL: "2s", Renewable: new(bool)})
	tokenFile := writeTokenFile(t, vaultToken)
	logs := &testenv.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := openSink(t, tokenConfig(v, tokenFile, uniquePath(t)), logger)
	sec := sinktest.NewSecret(t, "tok-1")
	// The next login reads a token that Vault rejects.
	require.NoError(t, os.WriteFile(tokenFile, []byte("hvs.rejected-token-value"), 0o600))

	_, readErr := s.Read(context.Background())
	errs := []error{readErr,
		s.Stage(context.Background(), sec),
		s.Promote(context.Background(), "tok-1"),
		s.Discard(context.Background(), "tok-1")}
	eventually(t, 15*time.Second, func() bool { return strings.Contains(logs.String(), "vault login failed") },
		"failed login never logged")

	secrets := []string{sec.Token.Reveal(), vaultToken, "hvs.rejected-token-value"}
	for i, err := range errs {
		require.Error(t, err, "operation %d", i)
		for _, secret := range secrets {
			require.NotContains(t, err.Error(), secret, "operation %d", i)
		}
	}
	for _, secret := range secrets {
		require.NotContains(t, logs.String(), secret)
	}
}

func TestPromoteDetectsWriteSinceStage(t *testing.T) {
	s, path, other := promotedSink(t)
	require.NoError(t, s.Stage(context.Background(), sinktest.NewSecret(t, "tok-2")))
	_, err := other.Put(context.Background(), path, map[string]any{"token": "written-by-someone-else"})
	require.NoError(t, err)

	err = s.Promote(context.Background(), "tok-2")

	require.ErrorIs(t, err, ErrConflict)
	require.ErrorContains(t, err, "after the new token was staged")
	got, err := other.Get(context.Background(), path)
	require.NoError(t, err)
	require.Equal(t, "written-by-someone-else", got.Data["token"])
}

func TestPromoteKeepsForeignFields(t *testing.T) {
	s, path, other := promotedSink(t)
	_, err := other.Patch(context.Background(), path, map[string]any{"url": "https://cluster.example"})
	require.NoError(t, err)
	require.NoError(t, s.Stage(context.Background(), sinktest.NewSecret(t, "tok-2")))

	require.NoError(t, s.Promote(context.Background(), "tok-2"))

	got, err := other.Get(context.Background(), path)
	require.NoError(t, err)
	require.Equal(t, "https://cluster.example", got.Data["url"])
	require.Equal(t, "tok-2", got.Data[dataTokenID])
	require.NotContains(t, got.Data, dataStagedAgainst)
}

// promotedSink returns a KV v2 sink whose path contains tok-1 as current, the
// path, and a root client for writes by someone else.
func promotedSink(t *testing.T) (*Sink, string, *api.KVv2) {
	t.Helper()
	v := testenv.Vault(t)
	tokenFile := writeTokenFile(t, createToken(t, v, &api.TokenCreateRequest{TTL: "1h"}))
	path := uniquePath(t)
	s := openSink(t, tokenConfig(v, tokenFile, path), nil)
	require.NoError(t, s.Stage(context.Background(), sinktest.NewSecret(t, "tok-1")))
	require.NoError(t, s.Promote(context.Background(), "tok-1"))
	return s, path, v.Client(t).KVv2("secret")
}
