package main

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rotatord/rotatord/internal/metrics"
	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/rotate"
	"github.com/rotatord/rotatord/internal/schedule"
	"github.com/rotatord/rotatord/internal/sdnotify"
	"github.com/rotatord/rotatord/internal/server"
)

// shutdownGrace bounds how long SIGTERM waits for running rotations. The
// engine keeps its progress at every step, so a rotation cut short here
// resumes at the next start without harm.
const shutdownGrace = 10 * time.Second

// service is the running daemon: engine, scheduler, listener and metrics.
type service struct {
	configPath string
	// listenFlag is --listen, which overrides the config's listen on every
	// load.
	listenFlag string
	cfg        *policy.Config
	log        *slog.Logger
	engine     *rotate.Engine
	sched      *schedule.Scheduler
	srv        *server.Server
}

func runService(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "run [--config FILE] [--listen ADDR] [--log-format text|json]", stdout)
	configPath := fs.String("config", configFlagDefault(),
		"configuration file (env ROTATORD_CONFIG); SIGHUP reloads it")
	listen := fs.String("listen", "",
		"address of the health, status and metrics listener (default: the config's listen)")
	logFormat := fs.String("log-format", "", "log format: text or json (default: the config's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	logger := newLogger(stderr, cmp.Or(*logFormat, cfg.Log.Format), cfg.Log.Level)
	for _, w := range cfg.Warnings {
		logger.Warn("configuration warning", "warning", w)
	}
	svc, err := newService(*configPath, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer svc.engine.Close()
	svc.listenFlag = *listen
	return svc.run(ctx)
}

func newService(configPath string, cfg *policy.Config, logger *slog.Logger,
	stderr io.Writer) (*service, error) {
	m := metrics.New(prometheus.NewRegistry())
	engine, err := newEngine(cfg, engineSetup{logger: logger, observer: m,
		observe: m.ObserveRequest, stderr: stderr})
	if err != nil {
		return nil, err
	}
	sched, err := schedule.New(schedule.Options{
		Engine: engine, Policies: cfg.Policies, Logger: logger, Panics: m, ShutdownTimeout: shutdownGrace,
		RefreshInterval: time.Minute,
	})
	if err != nil {
		engine.Close()
		return nil, usageError{err}
	}
	// A short cache keeps frequent scrapes off the sinks while status
	// still shows a finished rotation within a second.
	src := &server.StatusSource{Engine: engine, Schedule: sched, CacheFor: time.Second}
	m.WatchState(src.MetricsState, time.Now)
	srv := server.New(server.Options{Addr: cfg.Listen, Metrics: m.Handler(), Status: src.Status,
		Logger: logger})
	return &service{configPath: configPath, cfg: cfg, log: logger, engine: engine, sched: sched,
		srv: srv}, nil
}

// run serves until ctx ends: it reconciles, reports ready, resumes
// interrupted rotations, then rotates on schedule and reloads on SIGHUP.
func (s *service) run(ctx context.Context) error {
	// SIGHUP would end the process by default, so it is caught from the
	// start; a reload requested during start-up runs once it is ready.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	unlock, err := lockStateDir(s.cfg.StateDir)
	if err != nil {
		return err
	}
	defer unlock()
	// A listener that cannot bind is an error at start, not a daemon
	// that silently serves no health or metrics.
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return usageErrorf("run: listen on %s: %v; set listen in the config or --listen",
			s.cfg.Listen, err)
	}
	listenCtx, stopListener := context.WithCancel(context.WithoutCancel(ctx))
	listenerDone := make(chan error, 1)
	go func() { listenerDone <- s.srv.Serve(listenCtx, ln) }()
	defer func() {
		stopListener()
		if err := <-listenerDone; err != nil {
			s.log.Error("status listener failed", "error", err)
		}
	}()
	go sdnotify.Watchdog(listenCtx, s.log)

	s.log.Info("rotatord started", "version", version, "policies", len(s.cfg.Policies),
		"listen", s.cfg.Listen)
	s.reconcileAtStart(ctx)
	s.srv.SetReady(true)
	notify(s.log, sdnotify.Ready)
	s.triggerAtStart(ctx)

	go s.reloadOn(ctx, hup)

	err = s.sched.Run(ctx)
	notify(s.log, sdnotify.Stopping)
	s.log.Info("rotatord stopped")
	return err
}

// reconcileAtStart runs the first reconciliation. With many policies and a
// low rate limit it can outlast systemd's start timeout, so it requests
// more time while it runs.
func (s *service) reconcileAtStart(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		for {
			notify(s.log, func() error { return sdnotify.ExtendTimeout(startupExtension) })
			select {
			case <-done:
				return
			case <-time.After(startupExtension / 3):
			}
		}
	}()
	defer close(done)
	if err := s.engine.Reconcile(ctx); err != nil {
		s.log.Error("start-up reconciliation failed; scheduled rotations retry", "error", err)
	}
}

// startupExtension is how much more start-up time each request to systemd
// asks for.
const startupExtension = time.Minute

// triggerAtStart rotates at once the policies whose rotation was
// interrupted, and those whose first token is still to be created.
func (s *service) triggerAtStart(ctx context.Context) {
	names := s.engine.InFlight()
	for _, st := range s.engine.Status(ctx) {
		if st.CurrentTokenID == "" && st.Step == "" {
			names = append(names, st.Policy)
		}
	}
	for _, name := range names {
		s.log.Info("rotating at start-up", "policy", name)
		if err := s.sched.Trigger(name); err != nil {
			s.log.Error("start-up rotation not started", "policy", name, "error", err)
		}
	}
}

// reloadOn reloads the configuration on every signal from hup. An invalid
// configuration is logged and the running one stays.
func (s *service) reloadOn(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			notify(s.log, sdnotify.Reloading)
			s.reload(ctx)
			notify(s.log, sdnotify.Ready)
		}
	}
}

// reload loads the configuration again and applies it to the scheduler
// and the engine. An invalid file is logged and the running configuration
// stays.
func (s *service) reload(ctx context.Context) {
	cfg, err := loadConfig(s.configPath)
	if err == nil {
		err = s.sched.SetPolicies(cfg.Policies)
	}
	if err != nil {
		s.log.Error("configuration reload failed; keeping the running configuration", "error", err)
		return
	}

	old := s.engine.Config()
	if s.listenFlag != "" {
		cfg.Listen = s.listenFlag
	}
	restartOnly := !reflect.DeepEqual(old.Cluster, cfg.Cluster) ||
		old.StateDir != cfg.StateDir || old.Listen != cfg.Listen
	if restartOnly {
		s.log.Warn("changes to cluster, stateDir and listen take effect after a restart")
		cfg.Cluster, cfg.StateDir, cfg.Listen = old.Cluster, old.StateDir, old.Listen
	}
	removed := removedPolicies(old, cfg)
	s.engine.SetConfig(cfg)

	for _, w := range cfg.Warnings {
		s.log.Warn("configuration warning", "warning", w)
	}
	if len(removed) > 0 {
		s.log.Warn("policies removed by the reload are no longer rotated", "policies", removed)
	}
	s.log.Info("configuration reloaded", "policies", len(cfg.Policies))

	// Policies the reload added need their databases, their current token
	// and, if they have none, a first one.
	if err := s.engine.Reconcile(ctx); err != nil {
		s.log.Error("reconciliation after reload failed; scheduled rotations retry", "error", err)
	}
	s.sched.Refresh(ctx)
}

func removedPolicies(old, cfg *policy.Config) []string {
	var removed []string
	for _, p := range old.Policies {
		if _, ok := cfg.Policy(p.Name); !ok {
			removed = append(removed, p.Name)
		}
	}
	return removed
}

func notify(logger *slog.Logger, send func() error) {
	if err := send(); err != nil {
		logger.Warn("systemd notification failed", "error", err)
	}
}
