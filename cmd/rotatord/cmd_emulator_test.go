package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/emulator"
)

// startEmulatorCommand runs "rotatord emulator" in-process and returns the
// management and data-plane URLs it prints, its first output line, and a
// function that stops it and returns its exit code.
func startEmulatorCommand(t *testing.T, args ...string) (mgmtURL, dataURL, line string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reader, writer := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"emulator", "--listen", "127.0.0.1:0"}, args...), writer, &stderr)
		writer.Close()
	}()

	line, err := bufio.NewReader(reader).ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	match := regexp.MustCompile(`management API (\S+), data plane (\S+),`).FindStringSubmatch(line)
	require.NotNil(t, match, line)

	stop = func() int {
		cancel()
		go func() { _, _ = io.Copy(io.Discard, reader) }()
		select {
		case c := <-code:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("emulator command still running after its context ended")
			return -1
		}
	}
	return match[1], match[2], line, stop
}

func TestEmulatorCommandServesUntilCancelled(t *testing.T) {
	t.Setenv("ROTATORD_EMULATOR_TOKEN", "")
	mgmtURL, dataURL, line, stop := startEmulatorCommand(t)
	require.Contains(t, line, "default management token")
	require.Contains(t, line, emulator.DefaultAccountID)
	require.Contains(t, line, emulator.DefaultClusterID)

	resp, err := http.Get(dataURL + "/ping")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, dataURL+"/api/v0", mgmtURL)

	require.Equal(t, exitOK, stop())
}

func TestEmulatorCommandReadsTokenFile(t *testing.T) {
	t.Setenv("ROTATORD_EMULATOR_TOKEN", "from-env")
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(path, []byte("from-file\n"), 0o600))
	mgmtURL, _, line, stop := startEmulatorCommand(t, "--management-token-file", path)
	defer stop()
	require.NotContains(t, line, "from-file")
	require.Contains(t, line, path)

	url := mgmtURL + "/accounts/" + emulator.DefaultAccountID + "/clusters/" + emulator.DefaultClusterID + "/tokens"
	require.Equal(t, http.StatusOK, getStatus(t, url, "from-file"))
	require.Equal(t, http.StatusUnauthorized, getStatus(t, url, "from-env"))
}

func TestEmulatorCommandReadsTokenEnv(t *testing.T) {
	t.Setenv("MY_EMULATOR_TOKEN", "from-env")
	mgmtURL, _, line, stop := startEmulatorCommand(t, "--management-token-env", "MY_EMULATOR_TOKEN")
	defer stop()
	require.NotContains(t, line, "from-env")
	require.Contains(t, line, "$MY_EMULATOR_TOKEN")

	url := mgmtURL + "/accounts/" + emulator.DefaultAccountID + "/clusters/" + emulator.DefaultClusterID + "/tokens"
	require.Equal(t, http.StatusOK, getStatus(t, url, "from-env"))
	require.Equal(t, http.StatusUnauthorized, getStatus(t, url, emulator.DefaultManagementToken))
}

func getStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestEmulatorCommandRejectsBadFlags(t *testing.T) {
	emptyFile := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(emptyFile, nil, 0o600))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"all interfaces", []string{"--listen", ":0"}, exitUsage, "--allow-remote"},
		{"remote address", []string{"--listen", "0.0.0.0:0"}, exitUsage, "not a loopback"},
		{"bad account", []string{"--account-id", "acct"}, exitUsage, "--account-id"},
		{"bad cluster", []string{"--cluster-id", "1234"}, exitUsage, "--cluster-id"},
		{"negative delay", []string{"--activation-delay", "-1s"}, exitUsage, "--activation-delay"},
		{"missing token file", []string{"--management-token-file", "/nonexistent/token"}, exitFailed, "read management token"},
		{"empty token file", []string{"--management-token-file", emptyFile}, exitUsage, "is empty"},
		{"unknown flag", []string{"--management-token", "x"}, exitUsage, "management-token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"emulator"}, c.args...), &stdout, &stderr)
			require.Equal(t, c.code, code)
			require.Contains(t, stderr.String(), c.want)
		})
	}
}

func TestIsLoopback(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:8181": true,
		"127.0.0.2:0":    true,
		"[::1]:8181":     true,
		"localhost:8181": true,
		":8181":          false,
		"0.0.0.0:8181":   false,
		"[::]:8181":      false,
		"10.1.2.3:8181":  false,
		"example.com:80": false,
		"127.0.0.1":      false,
	}
	for addr, want := range cases {
		require.Equal(t, want, isLoopback(addr), addr)
	}
}
