// Package testenv starts real servers on 127.0.0.1 for tests, so sinks are
// tested against the stores they talk to in production.
//
// The server binaries are built once by scripts/test-servers.sh into a cache
// directory. A test whose binary is missing is skipped with the command that
// builds it, unless ROTATORD_REQUIRE_SERVERS=1 makes it fail instead.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// VaultVersion is the Vault release the tests run against.
const VaultVersion = "1.21.0"

// RequireServersEnv names the variable that, set to 1, turns a missing
// server binary into a test failure instead of a skip.
const RequireServersEnv = "ROTATORD_REQUIRE_SERVERS"

// vaultStartTimeout bounds the wait for a dev server to respond on sys/health.
// The first start of the binary (about 500 MB) takes a few seconds.
const vaultStartTimeout = 60 * time.Second

// maxOutputShown is how much of a server's output a failed test prints.
const maxOutputShown = 64 << 10

// VaultServer is a running `vault server -dev` with an in-memory store, a
// KV v2 engine at secret/ and a random root token.
type VaultServer struct {
	// Addr is the server's URL, for example http://127.0.0.1:41234.
	Addr string
	// RootToken is the dev server's root token.
	RootToken string

	proc *process
}

var shared struct {
	once   sync.Once
	server *VaultServer
	err    error
}

// BinDir returns the directory scripts/test-servers.sh builds the server
// binaries into: $XDG_CACHE_HOME/rotatord/bin, or ~/.cache/rotatord/bin.
func BinDir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "rotatord", "bin")
}

// FindBinary returns the path in envVar, or BinDir()/fileName when envVar
// is unset. If no file is there, it skips the test, or fails it when
// ROTATORD_REQUIRE_SERVERS=1.
func FindBinary(t testing.TB, envVar, fileName string) string {
	t.Helper()
	path := os.Getenv(envVar)
	if path == "" {
		path = filepath.Join(BinDir(), fileName)
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("test server %s not found (%v): build it with scripts/test-servers.sh or set %s",
			fileName, err, envVar)
		if os.Getenv(RequireServersEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// Vault returns the dev server shared by the tests of this package,
// starting it on first use. Call StopServers from TestMain after m.Run, so
// the server stops with the package's tests. On Linux the server is also
// killed when the test binary exits.
func Vault(t testing.TB) *VaultServer {
	t.Helper()
	bin := FindBinary(t, "ROTATORD_VAULT_BIN", "vault-"+VaultVersion)
	shared.once.Do(func() { shared.server, shared.err = startVault(bin) })
	if shared.err != nil {
		t.Fatalf("start vault: %v", shared.err)
	}
	shared.server.logOnFailure(t)
	return shared.server
}

// StartVault starts a dev server for t alone and stops it in t.Cleanup.
func StartVault(t testing.TB) *VaultServer {
	t.Helper()
	bin := FindBinary(t, "ROTATORD_VAULT_BIN", "vault-"+VaultVersion)
	v, err := startVault(bin)
	if err != nil {
		t.Fatalf("start vault: %v", err)
	}
	t.Cleanup(v.Stop)
	v.logOnFailure(t)
	return v
}

// StopServers stops the shared servers that Vault and Kumo started.
func StopServers() {
	if shared.server != nil {
		shared.server.Stop()
	}
	StopKumo()
}

// Stop kills the server and waits for it to exit. It is safe to call twice.
func (v *VaultServer) Stop() {
	// The dev server keeps everything in memory, so there is nothing to
	// shut down gracefully.
	v.proc.stop()
}

// Exited returns a channel that is closed once the server process ends.
func (v *VaultServer) Exited() <-chan struct{} { return v.proc.exited }

func (v *VaultServer) logOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vault server output (last %d bytes):\n%s", maxOutputShown, v.proc.output.Tail(maxOutputShown))
		}
	})
}

// startVault starts a dev server on a free loopback port.
func startVault(bin string) (*VaultServer, error) {
	return retryStart(func() (*VaultServer, error) { return startVaultOnce(bin) })
}

func startVaultOnce(bin string) (*VaultServer, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	v := &VaultServer{Addr: "http://127.0.0.1:" + port, RootToken: "root-" + randomHex(16)}
	// The root token goes through the environment, not the command line,
	// so it stays out of the process list.
	cmd := exec.Command(bin, "server", "-dev", "-dev-no-store-token", "-dev-listen-address=127.0.0.1:"+port)
	cmd.Env = append(envWithoutPrefix("VAULT_"), "VAULT_DEV_ROOT_TOKEN_ID="+v.RootToken)
	if v.proc, err = startProcess("vault", cmd); err != nil {
		return nil, err
	}
	// sys/health returns 200 once the server is unsealed and active.
	if err := v.proc.waitHealthy(v.Addr+"/v1/sys/health", 50*time.Millisecond, vaultStartTimeout); err != nil {
		return nil, err
	}
	return v, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
