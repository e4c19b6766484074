package mgmt

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryWait decides whether a failed attempt is repeated and how long to
// wait first. Only GET, PATCH and DELETE are repeated, and only after a
// network error, an attempt timeout, a 429 or a 5xx.
//
// A Retry-After header replaces the backoff. When it requests more than
// MaxBackoff the call stops at once: retrying sooner than the server asked
// would only spend attempts. The call also stops when the wait would run
// past the caller's deadline.
func (c *Client) retryWait(
	ctx context.Context, op operation, attempt int, res attemptResult,
) (time.Duration, bool) {
	if !op.idempotent() || attempt > c.maxRetries || !c.transient(ctx, res) {
		return 0, false
	}

	wait := c.backoff(attempt)
	if after, ok := parseRetryAfter(res.header.Get("Retry-After"), c.clock.Now()); ok {
		if after > c.maxBackoff {
			return 0, false
		}
		wait = after
	}

	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, false
	}
	return wait, true
}

// transient reports whether the attempt failed in a way that a later
// attempt may not.
func (c *Client) transient(ctx context.Context, res attemptResult) bool {
	var apiErr *APIError
	if errors.As(res.err, &apiErr) {
		return retryableStatus(apiErr.StatusCode)
	}
	return res.status == 0 && !isCallerDone(ctx, res.err)
}

// backoff returns the jittered wait before retry number attempt (from 1):
// MinBackoff doubled per earlier retry, capped at MaxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.minBackoff
	for i := 1; i < attempt && ceiling < c.maxBackoff; i++ {
		ceiling *= 2
	}
	return c.jitter(min(ceiling, c.maxBackoff))
}

// fullJitter returns a uniformly random duration in [0, ceiling].
func fullJitter(ceiling time.Duration) time.Duration {
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// parseRetryAfter reads a Retry-After value in delay seconds or as an HTTP
// date relative to now. A date in the past means no wait.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		// Cap before converting so a huge value cannot overflow.
		return time.Duration(min(seconds, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}
