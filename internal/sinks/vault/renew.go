package vault

import (
	"context"
	"time"

	"github.com/hashicorp/vault/api"
)

// Bounds of the wait between failed logins. The wait doubles after each
// failure.
const (
	minLoginRetry = time.Second
	maxLoginRetry = time.Minute
)

// keepAlive keeps the client's Vault token valid until ctx ends. It renews
// a renewable token with api.LifetimeWatcher and logs in again when the
// token reaches its max TTL, cannot be renewed, or renewal fails.
func (s *Sink) keepAlive(ctx context.Context, auth *api.Secret) {
	for {
		s.watch(ctx, auth)
		if ctx.Err() != nil {
			return
		}
		auth = s.loginUntilDone(ctx)
		if auth == nil {
			return
		}
	}
}

// watch returns when the token described by auth needs a new login, or
// when ctx ends.
func (s *Sink) watch(ctx context.Context, auth *api.Secret) {
	ttl := time.Duration(auth.Auth.LeaseDuration) * time.Second
	switch {
	case ttl == 0:
		// A token without TTL, such as a root token, never expires.
		<-ctx.Done()
	case !auth.Auth.Renewable:
		s.waitNonRenewable(ctx, ttl)
	default:
		s.renew(ctx, auth)
	}
}

// waitNonRenewable waits two thirds of the token's TTL, so the next login
// happens while the token still works.
func (s *Sink) waitNonRenewable(ctx context.Context, ttl time.Duration) {
	wait := max(ttl*2/3, minLoginRetry)
	s.logger.Debug("vault token not renewable", "ttl", ttl, "next_login_in", wait)

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

func (s *Sink) renew(ctx context.Context, auth *api.Secret) {
	watcher, err := s.client.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: auth})
	if err != nil {
		s.logger.Error("vault token renewal not started", "error", err)
		return
	}
	go watcher.Start()
	defer watcher.Stop()

	for {
		select {
		case <-ctx.Done():
			return
		case err := <-watcher.DoneCh():
			if err != nil {
				s.logger.Warn("vault token renewal failed", "error", err)
			} else {
				s.logger.Info("vault token reached its max TTL")
			}
			return
		case out := <-watcher.RenewCh():
			s.logger.Debug("vault token renewed", "ttl_seconds", out.Secret.Auth.LeaseDuration)
		}
	}
}

// loginUntilDone logs in again, retrying with a doubling wait, until it
// succeeds or ctx ends. It returns nil when ctx ends first.
func (s *Sink) loginUntilDone(ctx context.Context) *api.Secret {
	wait := minLoginRetry
	for {
		auth, err := s.auth.login(ctx, s.client)
		if err == nil {
			s.logger.Info("vault logged in again", "ttl_seconds", auth.Auth.LeaseDuration)
			return auth
		}
		if ctx.Err() != nil {
			return nil
		}
		s.logger.Error("vault login failed", "error", err, "retry_in", wait)

		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		wait = min(wait*2, maxLoginRetry)
	}
}
