package testenv

import (
	"context"
	"fmt"
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

// KumoVersion is the kumo release the tests run against. kumo is an AWS
// emulator written in Go; rotatord uses its Secrets Manager.
const KumoVersion = "0.33.1"

// kumoStartTimeout bounds the wait for kumo to answer /health.
const kumoStartTimeout = 30 * time.Second

// kumoServer is a running `kumo serve`, which keeps its state in memory.
type kumoServer struct {
	endpoint string
	cmd      *exec.Cmd
	output   *syncBuffer
	exited   chan struct{}
}

var sharedKumo struct {
	once   sync.Once
	server *kumoServer
	err    error
}

// Kumo returns the endpoint of the kumo server shared by the tests of this
// package, for example http://127.0.0.1:41234, starting it on first use.
// Call StopKumo from TestMain after m.Run, so the server stops with the
// package's tests. On Linux it is also killed when the test binary exits.
//
// The binary is ROTATORD_KUMO_BIN, else kumo-0.33.1 in BinDir(), else a
// plain kumo there. Clients need dummy static credentials and a region.
func Kumo(t testing.TB) string {
	t.Helper()
	bin := findKumo(t)
	sharedKumo.once.Do(func() { sharedKumo.server, sharedKumo.err = startKumo(bin) })
	if sharedKumo.err != nil {
		t.Fatalf("start kumo: %v", sharedKumo.err)
	}

	k := sharedKumo.server
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kumo output (last %d bytes):\n%s", maxOutputShown, k.output.Tail(maxOutputShown))
		}
	})
	return k.endpoint
}

// StopKumo stops the shared server that Kumo started, if any.
func StopKumo() {
	if sharedKumo.server != nil {
		sharedKumo.server.stop()
	}
}

// findKumo accepts a plain "kumo" in BinDir() or ~/.cache/rotatord/bin,
// which is where a manual `go install` with GOBIN set leaves it, and
// otherwise defers to FindBinary for the versioned name.
func findKumo(t testing.TB) string {
	t.Helper()
	const envVar = "ROTATORD_KUMO_BIN"
	versioned := filepath.Join(BinDir(), "kumo-"+KumoVersion)
	if os.Getenv(envVar) != "" || fileExists(versioned) {
		return FindBinary(t, envVar, "kumo-"+KumoVersion)
	}

	candidates := []string{filepath.Join(BinDir(), "kumo")}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "rotatord", "bin", "kumo"))
	}
	for _, path := range candidates {
		if fileExists(path) {
			return path
		}
	}
	return FindBinary(t, envVar, "kumo-"+KumoVersion)
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// startKumo starts kumo on a free loopback port, trying a few ports
// because another process can take the chosen one before kumo binds it.
func startKumo(bin string) (*kumoServer, error) {
	var err error
	for range 3 {
		var k *kumoServer
		if k, err = startKumoOnce(bin); err == nil {
			return k, nil
		}
	}
	return nil, err
}

func startKumoOnce(bin string) (*kumoServer, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	k := &kumoServer{
		endpoint: "http://127.0.0.1:" + port,
		output:   &syncBuffer{},
		exited:   make(chan struct{}),
	}
	// kumo listens on every interface unless --host says otherwise.
	k.cmd = exec.Command(bin, "serve", "--host", "127.0.0.1", "--port", port)
	k.cmd.Env = envWithoutPrefix("KUMO_")
	k.cmd.Stdout, k.cmd.Stderr = k.output, k.output
	k.cmd.SysProcAttr = childProcAttr()

	if err := k.start(); err != nil {
		return nil, err
	}
	if err := k.waitReady(); err != nil {
		k.stop()
		return nil, fmt.Errorf("%w\nkumo output:\n%s", err, k.output.Tail(maxOutputShown))
	}
	return k, nil
}

// start runs the process from a goroutine locked to its OS thread until
// the process exits, because the parent-death signal fires when the
// thread that started the child ends.
func (k *kumoServer) start() error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(k.exited)

		err := k.cmd.Start()
		started <- err
		if err == nil {
			_ = k.cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("run %s: %w", k.cmd.Path, err)
	}
	return nil
}

// stop kills kumo and waits for it to exit. It is safe to call twice.
func (k *kumoServer) stop() {
	_ = k.cmd.Process.Kill()
	<-k.exited
}

// waitReady polls /health until it answers 200, the process exits, or
// kumoStartTimeout passes.
func (k *kumoServer) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), kumoStartTimeout)
	defer cancel()
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()

	for {
		if k.healthy(ctx) {
			return nil
		}
		select {
		case <-k.exited:
			return fmt.Errorf("kumo exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("kumo at %s not ready after %s", k.endpoint, kumoStartTimeout)
		case <-ticker.C:
		}
	}
}

func (k *kumoServer) healthy(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.endpoint+"/health", nil)
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

// envWithoutPrefix returns the environment minus variables starting with
// prefix, so a developer's own settings do not reach the test server.
func envWithoutPrefix(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}
