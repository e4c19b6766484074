package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
)

// Client returns an API client for the server that uses the root token.
func (v *VaultServer) Client(t testing.TB) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = v.Addr
	client, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("vault client: %v", err)
	}
	client.SetToken(v.RootToken)
	client.ClearNamespace()
	return client
}

// EnableKV1 mounts a KV version 1 engine at mount, unless one is there.
func (v *VaultServer) EnableKV1(t testing.TB, mount string) {
	t.Helper()
	v.enableMount(t, mount, &api.MountInput{Type: "kv", Options: map[string]string{"version": "1"}})
}

// EnableKV2 mounts a KV version 2 engine at mount, unless one is there.
func (v *VaultServer) EnableKV2(t testing.TB, mount string) {
	t.Helper()
	v.enableMount(t, mount, &api.MountInput{Type: "kv", Options: map[string]string{"version": "2"}})
}

func (v *VaultServer) enableMount(t testing.TB, mount string, in *api.MountInput) {
	t.Helper()
	sys := v.Client(t).Sys()
	mounts, err := sys.ListMountsWithContext(context.Background())
	if err != nil {
		t.Fatalf("list vault mounts: %v", err)
	}
	if _, ok := mounts[strings.Trim(mount, "/")+"/"]; ok {
		return
	}
	if err := sys.MountWithContext(context.Background(), mount, in); err != nil {
		t.Fatalf("mount %s engine at %s: %v", in.Type, mount, err)
	}
}

// WritePolicy creates or replaces the ACL policy name.
func (v *VaultServer) WritePolicy(t testing.TB, name, rules string) {
	t.Helper()
	if err := v.Client(t).Sys().PutPolicyWithContext(context.Background(), name, rules); err != nil {
		t.Fatalf("write vault policy %s: %v", name, err)
	}
}

// EnableAppRole enables the AppRole auth method at mount (unless it is
// there), creates role with roleConfig (for example token_policies and
// token_ttl), and returns its role ID and a new secret ID.
func (v *VaultServer) EnableAppRole(t testing.TB, mount, role string, roleConfig map[string]any) (roleID, secretID string) {
	t.Helper()
	ctx := context.Background()
	client := v.Client(t)

	auths, err := client.Sys().ListAuthWithContext(ctx)
	if err != nil {
		t.Fatalf("list vault auth methods: %v", err)
	}
	if _, ok := auths[strings.Trim(mount, "/")+"/"]; !ok {
		err := client.Sys().EnableAuthWithOptionsWithContext(ctx, mount, &api.EnableAuthOptions{Type: "approle"})
		if err != nil {
			t.Fatalf("enable approle at %s: %v", mount, err)
		}
	}

	rolePath := "auth/" + mount + "/role/" + role
	if _, err := client.Logical().WriteWithContext(ctx, rolePath, roleConfig); err != nil {
		t.Fatalf("write approle role %s: %v", rolePath, err)
	}
	return readRoleID(t, client, rolePath), newSecretID(t, client, rolePath)
}

func readRoleID(t testing.TB, client *api.Client, rolePath string) string {
	t.Helper()
	s, err := client.Logical().ReadWithContext(context.Background(), rolePath+"/role-id")
	if err != nil || s == nil {
		t.Fatalf("read role ID of %s: %v", rolePath, err)
	}
	id, _ := s.Data["role_id"].(string)
	return id
}

func newSecretID(t testing.TB, client *api.Client, rolePath string) string {
	t.Helper()
	s, err := client.Logical().WriteWithContext(context.Background(), rolePath+"/secret-id", nil)
	if err != nil || s == nil {
		t.Fatalf("create secret ID for %s: %v", rolePath, err)
	}
	id, _ := s.Data["secret_id"].(string)
	return id
}
