// Package server serves rotatord's status listener: liveness, readiness,
// Prometheus metrics and a JSON status of every policy. It binds to
// loopback unless configured otherwise, because /status lists token IDs
// and schedules.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Defaults for Options.
const (
	DefaultAddr            = "127.0.0.1:9464"
	DefaultShutdownTimeout = 5 * time.Second
	statusTimeout          = 20 * time.Second
)

// Options configure a Server.
type Options struct {
	// Addr is the host:port to listen on. Default: DefaultAddr.
	Addr string
	// Metrics serves /metrics. When nil, /metrics returns 404.
	Metrics http.Handler
	// Status lists every policy for /status; nil serves an empty array.
	Status func(ctx context.Context) []PolicyStatus
	// ShutdownTimeout bounds the wait for open requests at shutdown.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
}

// Server is the status listener. It reports not ready until SetReady(true).
type Server struct {
	opts  Options
	log   *slog.Logger
	ready atomic.Bool
}

// New creates a server. It does not listen until Run.
func New(opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{opts: opts, log: opts.Logger}
}

// SetReady sets what /readyz reports. Call SetReady(true) once the
// configuration is loaded and the first reconciliation ran.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Handler returns the listener's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			writeText(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		writeText(w, http.StatusOK, "ready")
	})
	mux.HandleFunc("GET /status", s.serveStatus)
	if s.opts.Metrics != nil {
		mux.Handle("GET /metrics", s.opts.Metrics)
	}
	return mux
}

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), statusTimeout)
	defer cancel()
	statuses := []PolicyStatus{}
	if s.opts.Status != nil {
		if got := s.opts.Status(ctx); got != nil {
			statuses = got
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(statuses); err != nil {
		s.log.Warn("status response not sent", "error", err)
	}
}

func writeText(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}

// Run listens on Options.Addr and serves until ctx ends, then shuts down
// within ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then stops accepting, waits up to
// ShutdownTimeout for open requests and closes the rest. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      statusTimeout + 10*time.Second,
		IdleTimeout:       60 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("status listener started", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve status listener: %w", err)
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	<-errc
	if err != nil {
		s.log.Warn("status listener shutdown timed out, closing connections", "error", err)
		_ = srv.Close()
	}
	s.log.Info("status listener stopped")
	return nil
}

// Probe requests url (a /healthz or /readyz address) and returns nil when
// the response status is 200, for container health checks.
func Probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %w: status %d", url, errUnhealthy, resp.StatusCode)
	}
	return nil
}

var errUnhealthy = errors.New("unhealthy")
