// Package sdnotify sends the daemon's state to systemd through the notify
// socket: ready, reloading, stopping, and watchdog keep-alives. Every call
// does nothing when NOTIFY_SOCKET is unset, as outside a Type=notify unit.
package sdnotify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/rotatord/rotatord/internal/clock"
)

// Notifier sends one state string to systemd and reports whether a notify
// socket took it. daemon.SdNotify without unsetting the environment is the
// real one.
type Notifier func(state string) (bool, error)

func systemdNotify(state string) (bool, error) {
	return daemon.SdNotify(false, state)
}

// Ready reports that start-up finished: the configuration is loaded and
// the first reconciliation ran.
func Ready() error {
	return send(systemdNotify, daemon.SdNotifyReady)
}

// Reloading reports that a configuration reload started. Call Ready when it
// ends, whether or not the new configuration was accepted.
func Reloading() error {
	return send(systemdNotify, daemon.SdNotifyReloading+"\n"+daemon.SdNotifyMonotonicUsec())
}

// ExtendTimeout requests that systemd wait d longer for start-up or shutdown to
// finish, for a reconciliation that takes longer than TimeoutStartSec.
func ExtendTimeout(d time.Duration) error {
	return send(systemdNotify, fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d", d.Microseconds()))
}

// Stopping reports that shutdown started.
func Stopping() error {
	return send(systemdNotify, daemon.SdNotifyStopping)
}

func send(notify Notifier, state string) error {
	if _, err := notify(state); err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	return nil
}

// Watchdog pings systemd's watchdog at half the unit's WatchdogSec until ctx
// ends. It returns at once when the watchdog is not enabled for this
// process.
func Watchdog(ctx context.Context, log *slog.Logger) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("watchdog settings invalid, not pinging", "error", err)
		return
	}
	if interval <= 0 {
		return
	}
	log.Info("watchdog enabled", "interval", interval)
	Ping(ctx, clock.Real{}, interval, systemdNotify, log)
}

// Ping sends WATCHDOG=1 through notify every interval/2 on clk until ctx
// ends. A failed ping is logged and the next one is still attempted.
func Ping(ctx context.Context, clk clock.Clock, interval time.Duration, notify Notifier, log *slog.Logger) {
	period := interval / 2
	for {
		if _, err := notify(daemon.SdNotifyWatchdog); err != nil {
			log.Warn("watchdog ping failed", "error", err)
		}
		if err := clock.Sleep(ctx, clk, period); err != nil {
			return
		}
	}
}
