// Package testenv starts real servers on 127.0.0.1 for tests, so sinks are
// tested against the stores they talk to in production.
//
// The server binaries are built once by scripts/test-servers.sh into a cache
// directory. A test whose binary is missing is skipped with the command that
// builds it, unless ROTATORD_REQUIRE_SERVERS=1 makes it fail instead.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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

	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
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
	_ = v.cmd.Process.Kill()
	<-v.exited
}

// Exited returns a channel that is closed once the server process ends.
func (v *VaultServer) Exited() <-chan struct{} { return v.exited }

func (v *VaultServer) logOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("vault server output (last %d bytes):\n%s", maxOutputShown, v.output.Tail(maxOutputShown))
		}
	})
}

// startVault starts a dev server on a free loopback port. It tries a few
// ports, because another process can take the chosen port before Vault
// binds it.
func startVault(bin string) (*VaultServer, error) {
	var err error
	for range 3 {
		var v *VaultServer
		if v, err = startVaultOnce(bin); err == nil {
			return v, nil
		}
	}
	return nil, err
}

func startVaultOnce(bin string) (*VaultServer, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	v := &VaultServer{
		Addr:      "http://127.0.0.1:" + port,
		RootToken: "root-" + randomHex(16),
		output:    &syncBuffer{},
		exited:    make(chan struct{}),
	}
	// The root token goes through the environment, not the command line,
	// so it stays out of the process list.
	v.cmd = exec.Command(bin, "server", "-dev", "-dev-no-store-token", "-dev-listen-address=127.0.0.1:"+port)
	v.cmd.Env = append(envWithoutVault(), "VAULT_DEV_ROOT_TOKEN_ID="+v.RootToken)
	v.cmd.Stdout, v.cmd.Stderr = v.output, v.output
	v.cmd.SysProcAttr = childProcAttr()

	if err := v.start(); err != nil {
		return nil, err
	}
	if err := v.waitReady(); err != nil {
		v.Stop()
		return nil, fmt.Errorf("%w\nvault output:\n%s", err, v.output.Tail(maxOutputShown))
	}
	return v, nil
}

// start runs the process from a goroutine locked to its OS thread until the
// process exits. On Linux the child's parent-death signal fires when the
// thread that started it ends, so the thread must outlive the child.
func (v *VaultServer) start() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(v.exited)

		err := v.cmd.Start()
		started <- err
		if err == nil {
			_ = v.cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("run %s: %w", v.cmd.Path, err)
	}
	return nil
}

// waitReady polls sys/health until the server reports it is unsealed and
// active, the process exits, or vaultStartTimeout passes.
func (v *VaultServer) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), vaultStartTimeout)
	defer cancel()
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()

	for {
		if v.healthy(ctx) {
			return nil
		}
		select {
		case <-v.exited:
			return fmt.Errorf("vault exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("vault at %s not ready after %s", v.Addr, vaultStartTimeout)
		case <-ticker.C:
		}
	}
}

func (v *VaultServer) healthy(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.Addr+"/v1/sys/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freeLoopbackPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// envWithoutVault returns the environment minus VAULT_* variables, so a
// developer's own Vault settings do not leak into the test server.
func envWithoutVault() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VAULT_") {
			env = append(env, kv)
		}
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects a server's output from two pipes at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Tail returns at most the last n bytes written.
func (b *syncBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.buf.Bytes()
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}
