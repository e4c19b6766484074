package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// process is a server started for tests. It collects the server's output
// and, on Linux, dies with the test binary.
type process struct {
	name   string
	cmd    *exec.Cmd
	output *SyncBuffer
	exited chan struct{}
}

// startProcess starts cmd from a goroutine locked to its OS thread until
// the process exits. On Linux the child's parent-death signal fires when
// the thread that started it ends, so the thread must outlive the child.
func startProcess(name string, cmd *exec.Cmd) (*process, error) {
	p := &process{name: name, cmd: cmd, output: &SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	cmd.SysProcAttr = childProcAttr()
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(p.exited)

		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	return p, nil
}

// stop kills the process and waits for it to exit. It is safe to call
// twice.
func (p *process) stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// waitHealthy polls url every interval until it returns 200, the process
// exits, or timeout passes. On failure it stops the process and returns
// the end of its output with the error.
func (p *process) waitHealthy(url string, interval, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	for {
		if answersOK(ctx, url) {
			return nil
		}
		var err error
		select {
		case <-p.exited:
			err = fmt.Errorf("%s exited before it was ready", p.name)
		case <-ctx.Done():
			err = fmt.Errorf("%s at %s not ready after %s", p.name, url, timeout)
		case <-ticker.C:
			continue
		}
		p.stop()
		return fmt.Errorf("%w\n%s output:\n%s", err, p.name, p.output.Tail(maxOutputShown))
	}
}

func answersOK(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
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

// retryStart calls start up to three times, because another process can
// take the free port start picked before the server binds it.
func retryStart[T any](start func() (T, error)) (T, error) {
	var (
		v   T
		err error
	)
	for range 3 {
		if v, err = start(); err == nil {
			return v, nil
		}
	}
	return v, err
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

// SyncBuffer collects a process's output from several writers at once and
// lets a test read it while the process runs.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns at most the last n bytes written.
func (b *SyncBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	data := b.buf.Bytes()
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
}
