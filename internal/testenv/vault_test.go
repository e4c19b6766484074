package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopServers()
	os.Exit(code)
}

func TestVaultServesRootToken(t *testing.T) {
	v := Vault(t)

	self, err := v.Client(t).Auth().Token().LookupSelfWithContext(context.Background())

	require.NoError(t, err)
	require.Contains(t, self.Data["policies"], "root")
}

func TestVaultIsShared(t *testing.T) {
	require.Same(t, Vault(t), Vault(t))
}

func TestVaultListensOnLoopback(t *testing.T) {
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, Vault(t).Addr)
}

func TestEnableKV1(t *testing.T) {
	v := Vault(t)
	v.EnableKV1(t, "kv1-testenv")
	v.EnableKV1(t, "kv1-testenv")
	kv := v.Client(t).KVv1("kv1-testenv")

	require.NoError(t, kv.Put(context.Background(), "a", map[string]any{"k": "v"}))

	got, err := kv.Get(context.Background(), "a")
	require.NoError(t, err)
	require.Equal(t, "v", got.Data["k"])
}

func TestEnableAppRoleLogin(t *testing.T) {
	v := Vault(t)
	v.WritePolicy(t, "testenv-read", `path "secret/*" { capabilities = ["read"] }`)
	roleID, secretID := v.EnableAppRole(t, "approle-testenv", "app", map[string]any{"token_policies": "testenv-read"})
	client := v.Client(t)
	client.ClearToken()

	s, err := client.Logical().WriteWithContext(context.Background(), "auth/approle-testenv/login",
		map[string]any{"role_id": roleID, "secret_id": secretID})

	require.NoError(t, err)
	require.NotNil(t, s.Auth)
	require.Contains(t, s.Auth.Policies, "testenv-read")
}

func TestStartVaultStopsProcess(t *testing.T) {
	var v *VaultServer
	t.Run("server", func(t *testing.T) {
		v = StartVault(t)
		_, err := v.Client(t).Sys().HealthWithContext(context.Background())
		require.NoError(t, err)
	})

	require.NotNil(t, v)
	select {
	case <-v.Exited():
	default:
		t.Fatal("vault process still running after the test's cleanup")
	}
	_, err := v.Client(t).Sys().HealthWithContext(context.Background())
	require.Error(t, err)
}

func TestFindBinarySkipsWhenMissing(t *testing.T) {
	if os.Getenv(RequireServersEnv) == "1" {
		t.Skip("a missing binary fails instead of skipping when " + RequireServersEnv + "=1")
	}
	t.Setenv("ROTATORD_TEST_MISSING_BIN", "/nonexistent/vault")
	skipped := true
	t.Run("lookup", func(t *testing.T) {
		FindBinary(t, "ROTATORD_TEST_MISSING_BIN", "vault")
		skipped = false
	})

	require.True(t, skipped)
}
