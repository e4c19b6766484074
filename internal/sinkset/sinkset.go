// Package sinkset opens the sinks a policy names, choosing the
// implementation by each sink's type.
package sinkset

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/awssm"
	"github.com/rotatord/rotatord/internal/sinks/file"
	"github.com/rotatord/rotatord/internal/sinks/vault"
)

// Open returns the policy's sinks in the policy's order. If one cannot be
// opened, those opened before it are closed.
func Open(ctx context.Context, p policy.Policy, logger *slog.Logger) ([]sinks.Sink, error) {
	list := make([]sinks.Sink, 0, len(p.Sinks))
	for i, cfg := range p.Sinks {
		s, err := OpenOne(ctx, cfg, p.Name, logger)
		if err != nil {
			Close(list)
			return nil, fmt.Errorf("sinks[%d]: %w", i, err)
		}
		list = append(list, s)
	}
	return list, nil
}

// OpenOne opens one sink of the policy named policyName.
func OpenOne(ctx context.Context, cfg policy.Sink, policyName string, logger *slog.Logger) (sinks.Sink, error) {
	switch cfg.Type {
	case policy.SinkFile:
		return file.New(cfg.File, policyName)
	case policy.SinkVault:
		return vault.New(ctx, cfg.Vault, policyName, logger)
	case policy.SinkAWSSM:
		return awssm.New(ctx, cfg.AWSSM, policyName, logger)
	default:
		return nil, fmt.Errorf("unknown sink type %q; use file, vault or awssm", cfg.Type)
	}
}

// Close releases the resources of sinks that hold any, such as a Vault
// token renewer.
func Close(list []sinks.Sink) {
	for _, s := range list {
		if c, ok := s.(interface{ Close() }); ok {
			c.Close()
		} else if c, ok := s.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}
}
