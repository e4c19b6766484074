package vault

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopServers()
	os.Exit(code)
}

// sinkRules lets a token read and write every secret the tests use.
const sinkRules = `
path "secret/*" { capabilities = ["create", "read", "update", "delete", "list", "patch"] }
path "kv1/*" { capabilities = ["create", "read", "update", "delete", "list"] }
`

// uniquePath returns a secret path no other test uses on the shared server.
func uniquePath(t testing.TB) string {
	return "rotatord-test/" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) +
		"-" + time.Now().Format("150405.000000000")
}

// writeTokenFile stores token in a 0600 file and returns its path.
func writeTokenFile(t testing.TB, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vault-token")
	require.NoError(t, os.WriteFile(path, []byte(token+"\n"), 0o600))
	return path
}

// createToken creates a child token of the root token with the sink policy.
func createToken(t testing.TB, v *testenv.VaultServer, req *api.TokenCreateRequest) string {
	t.Helper()
	v.WritePolicy(t, "rotatord-sink", sinkRules)
	if req.Policies == nil {
		req.Policies = []string{"rotatord-sink"}
	}
	s, err := v.Client(t).Auth().Token().CreateWithContext(context.Background(), req)
	require.NoError(t, err)
	return s.Auth.ClientToken
}

func tokenConfig(v *testenv.VaultServer, tokenFile, path string) policy.VaultSink {
	return policy.VaultSink{
		Address:    v.Addr,
		Mount:      "secret",
		SecretPath: path,
		Auth:       policy.VaultAuth{Method: AuthToken, TokenFile: tokenFile},
	}
}

func openSink(t testing.TB, cfg policy.VaultSink, logger *slog.Logger) *Sink {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := New(context.Background(), cfg, "ingest", logger)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// eventually polls cond every 50ms until it returns true or timeout passes.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, msg)
		}
		<-ticker.C
	}
}
