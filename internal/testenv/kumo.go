package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// KumoVersion is the kumo release the tests run against. kumo is an AWS
// emulator written in Go; rotatord uses its Secrets Manager.
const KumoVersion = "0.33.1"

// kumoStartTimeout bounds the wait for kumo to respond to /health.
const kumoStartTimeout = 30 * time.Second

// kumoServer is a running `kumo serve`, which keeps its state in memory.
type kumoServer struct {
	endpoint string
	proc     *process
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
			t.Logf("kumo output (last %d bytes):\n%s", maxOutputShown, k.proc.output.Tail(maxOutputShown))
		}
	})
	return k.endpoint
}

// StopKumo stops the shared server that Kumo started, if any.
func StopKumo() {
	if sharedKumo.server != nil {
		sharedKumo.server.proc.stop()
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

// startKumo starts kumo on a free loopback port.
func startKumo(bin string) (*kumoServer, error) {
	return retryStart(func() (*kumoServer, error) { return startKumoOnce(bin) })
}

func startKumoOnce(bin string) (*kumoServer, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	k := &kumoServer{endpoint: "http://127.0.0.1:" + port}
	// kumo listens on every interface unless --host sets an address.
	cmd := exec.Command(bin, "serve", "--host", "127.0.0.1", "--port", port)
	cmd.Env = envWithoutPrefix("KUMO_")
	if k.proc, err = startProcess("kumo", cmd); err != nil {
		return nil, err
	}
	if err := k.proc.waitHealthy(k.endpoint+"/health", 20*time.Millisecond, kumoStartTimeout); err != nil {
		return nil, err
	}
	return k, nil
}
