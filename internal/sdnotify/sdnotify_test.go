package sdnotify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/clock"
)

func TestReadySendsToNotifySocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", path)

	require.NoError(t, Ready())

	buf := make([]byte, 256)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := conn.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "READY=1", string(buf[:n]))
}

func TestNotifyWithoutSocketIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	require.NoError(t, Ready())
	require.NoError(t, Reloading())
	require.NoError(t, Stopping())
}

func TestWatchdogDisabledReturns(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "")
	Watchdog(t.Context(), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestPingAtHalfInterval(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	pings := make(chan string, 10)
	notify := func(state string) (bool, error) {
		pings <- state
		return true, errors.New("socket gone") // failures must not stop the pings
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Ping(ctx, clk, 30*time.Second, notify, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()

	require.Equal(t, "WATCHDOG=1", <-pings)
	require.NoError(t, clk.BlockUntil(ctx, 1))
	clk.Advance(14 * time.Second)
	require.Empty(t, pings)
	clk.Advance(time.Second)
	require.Equal(t, "WATCHDOG=1", <-pings)

	cancel()
	<-done
}
