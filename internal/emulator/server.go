package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an Emulator served over HTTP on a TCP listener.
type Server struct {
	// Emulator is the served emulator, for inspection and fault injection.
	Emulator *Emulator

	listener net.Listener
	http     *http.Server
	cancel   context.CancelFunc
	served   chan struct{}
	serveErr error
	once     sync.Once
}

// Start listens on addr, such as "127.0.0.1:0", and serves a new Emulator
// until ctx ends or Close is called.
func Start(ctx context.Context, cfg Config, addr string) (*Server, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start emulator: listen on %s: %w", addr, err)
	}

	// Request contexts derive from baseCtx, so Close also ends requests
	// that wait out injected latency on a fake clock.
	baseCtx, cancel := context.WithCancel(ctx)
	e := New(cfg)
	s := &Server{
		Emulator: e,
		listener: listener,
		cancel:   cancel,
		served:   make(chan struct{}),
		http: &http.Server{
			Handler:           e.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return baseCtx },
		},
	}
	go s.serve()
	go func() {
		select {
		case <-baseCtx.Done():
			_ = s.Close()
		case <-s.served:
		}
	}()
	return s, nil
}

func (s *Server) serve() {
	err := s.http.Serve(s.listener)
	if !errors.Is(err, http.ErrServerClosed) {
		s.serveErr = fmt.Errorf("serve emulator: %w", err)
	}
	close(s.served)
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// ManagementURL returns the base URL of the Management API, ending in
// /api/v0 like the real one.
func (s *Server) ManagementURL() string { return "http://" + s.Addr() + "/api/v0" }

// DataPlaneURL returns the base URL of the data plane.
func (s *Server) DataPlaneURL() string { return "http://" + s.Addr() }

// Close stops the server at once, closing open connections, and waits for
// the listener to stop. Only the first call does the work.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		err = s.http.Close()
		<-s.served
		err = errors.Join(err, s.serveErr)
	})
	return err
}

// Done returns a channel that is closed once the server has stopped.
func (s *Server) Done() <-chan struct{} { return s.served }
