package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/emulator"
	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/file"
	"github.com/rotatord/rotatord/internal/sinks/vault"
	"github.com/rotatord/rotatord/internal/testenv"
)

// binary is the rotatord binary TestMain builds for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rotatord-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "rotatord")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build rotatord:", err)
		os.Exit(1)
	}
	code := m.Run()
	testenv.StopServers()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is one end-to-end setup: an emulator process, a real Vault server,
// a folder for files, and a config that ties them together.
type world struct {
	t          *testing.T
	dir        string
	mgmtURL    string
	dataURL    string
	client     *mgmt.Client
	vault      *testenv.VaultServer
	configPath string
	vaultPath  string
	filePath   string
}

var emulatorLine = regexp.MustCompile(`management API (\S+), data plane (\S+),`)

// newWorld starts `rotatord emulator` with the given activation delay.
func newWorld(t *testing.T, activation time.Duration) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), vault: testenv.Vault(t)}
	cmd := exec.Command(binary, "emulator", "--listen", "127.0.0.1:0",
		"--activation-delay", activation.String())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	m := emulatorLine.FindStringSubmatch(line)
	require.NotNil(t, m, "unexpected emulator output %q", line)
	w.mgmtURL, w.dataURL = m[1], m[2]
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	w.client, err = mgmt.New(mgmt.Options{
		BaseURL: w.mgmtURL, AccountID: emulator.DefaultAccountID, ClusterID: emulator.DefaultClusterID,
		Token: secret.NewToken(emulator.DefaultManagementToken),
	})
	require.NoError(t, err)
	w.filePath = filepath.Join(w.dir, "ingest.token")
	w.vaultPath = "rotatord/" + filepath.Base(w.dir)
	return w
}

var readWriteTelemetry = []mgmt.Permission{
	{Action: mgmt.ActionRead, Resource: "telemetry"},
	{Action: mgmt.ActionWrite, Resource: "telemetry"},
}

// seed creates the token the policy rotates, as an operator would.
func (w *world) seed() mgmt.CreatedToken {
	tok, err := w.client.CreateToken(context.Background(), mgmt.CreateTokenRequest{
		Description: "ingest writer", Permissions: readWriteTelemetry,
	})
	require.NoError(w.t, err)
	return tok
}

const e2eConfig = `
cluster:
  accountId: %s
  clusterId: %s
  managementURL: %s
  dataPlaneURL: %s
stateDir: %s
log:
  level: debug
policies:
  - name: ingest
    token:
      id: %s
    databases:
      - name: telemetry
        maxTables: 100
    grace: %s
    propagationTimeout: 1m
    sinks:
      - type: file
        path: %s
        format: raw
      - type: vault
        address: %s
        secretPath: %s
        auth:
          method: token
          tokenEnv: VAULT_TOKEN
`

// writeConfig writes the config for a policy rotating tokenID.
func (w *world) writeConfig(tokenID string, grace time.Duration) {
	cfg := fmt.Sprintf(e2eConfig, emulator.DefaultAccountID, emulator.DefaultClusterID, w.mgmtURL, w.dataURL,
		filepath.Join(w.dir, "state"), tokenID, grace, w.filePath, w.vault.Addr, w.vaultPath)
	w.configPath = filepath.Join(w.dir, "config.yaml")
	require.NoError(w.t, os.WriteFile(w.configPath, []byte(cfg), 0o600))
}

func (w *world) env(extra ...string) []string {
	env := append(os.Environ(), awsEnv...)
	env = append(env,
		"INFLUX_MANAGEMENT_TOKEN="+emulator.DefaultManagementToken,
		"VAULT_TOKEN="+w.vault.RootToken)
	return append(env, extra...)
}

// rotate runs `rotatord rotate --now` to the end and returns its exit code
// and all it wrote.
func (w *world) rotate(extraEnv ...string) (int, string) {
	cmd := exec.Command(binary, "rotate", "--now", "--config", w.configPath)
	cmd.Env = w.env(extraEnv...)
	var out testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		require.True(w.t, ok, "run rotatord: %v", err)
		return exitErr.ExitCode(), out.String()
	}
	return 0, out.String()
}

// states returns what the file and Vault sinks hold, read by new sink
// instances as a restarted process would.
func (w *world) states() (fileState, vaultState sinks.State) {
	w.t.Helper()
	ctx := context.Background()
	fs, err := file.New(policy.FileSink{Path: w.filePath, Format: "raw"}, "ingest")
	require.NoError(w.t, err)
	fileState, err = fs.Read(ctx)
	require.NoError(w.t, err)
	w.t.Setenv("E2E_VAULT_TOKEN", w.vault.RootToken)
	vs, err := vault.New(ctx, policy.VaultSink{
		Address: w.vault.Addr, Mount: "secret", SecretPath: w.vaultPath, KVVersion: 2,
		Auth: policy.VaultAuth{Method: "token", TokenEnv: "E2E_VAULT_TOKEN"},
	}, "ingest", slog.New(slog.DiscardHandler))
	require.NoError(w.t, err)
	defer vs.Close()
	vaultState, err = vs.Read(ctx)
	require.NoError(w.t, err)
	return fileState, vaultState
}

func (w *world) liveTokens() []mgmt.Token {
	tokens, err := w.client.ListTokens(context.Background())
	require.NoError(w.t, err)
	return tokens
}

// query sends a data-plane query with the secret and returns the status.
func (w *world) query(token secret.Token) int {
	q := url.Values{"db": {"telemetry"}, "q": {"SHOW MEASUREMENTS"}}
	req, err := http.NewRequest(http.MethodGet, w.dataURL+"/query?"+q.Encode(), nil)
	require.NoError(w.t, err)
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls out until it contains want, or fails the test.
func waitFor(t *testing.T, out *testenv.SyncBuffer, want string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(out.String(), want) {
			return
		}
		select {
		case <-exited:
			t.Fatalf("process exited before printing %q; output:\n%s", want, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("timed out waiting for %q; output:\n%s", want, out.String())
}
