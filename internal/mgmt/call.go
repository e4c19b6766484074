package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
)

// Response body limits. A list of tokens is about 300 bytes per token, so
// maxResponseBytes leaves room for tens of thousands of tokens.
const (
	maxResponseBytes = 16 << 20
	maxErrorBytes    = 64 << 10
)

const userAgent = "rotatord-mgmt"

// attemptResult is the outcome of one HTTP attempt.
type attemptResult struct {
	status int
	header http.Header
	body   []byte
	// err is a transport error, or an *APIError for a non-2xx response.
	err error
	// sent reports that the whole request was written, so the server may
	// have acted on it even if no response came back.
	sent bool
}

// call sends one operation, retrying idempotent ones, and returns the body
// of its 2xx response. body is encoded as JSON unless it is nil.
func (c *Client) call(ctx context.Context, op operation, u *url.URL, body any) ([]byte, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", op.phrase, err)
		}
	}

	for attempt := 1; ; attempt++ {
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, fmt.Errorf("%s: wait for rate limiter: %w", op.phrase, err)
			}
		}
		res := c.attempt(ctx, op, u, payload, attempt)
		if res.err == nil {
			return res.body, nil
		}

		wait, ok := c.retryWait(ctx, op, attempt, res)
		if !ok {
			return nil, c.finalError(ctx, op, res)
		}
		c.logger.Warn("retrying management api call", "operation", op.id,
			"attempt", attempt, "wait", wait, "error", res.err)

		if err := clock.Sleep(ctx, c.clock, wait); err != nil {
			return nil, fmt.Errorf("%w; retry abandoned: %w", c.finalError(ctx, op, res), err)
		}
	}
}

// attempt sends the request once and reads the response within the attempt
// timeout, then reports it to the Observe hook and the debug log.
func (c *Client) attempt(
	ctx context.Context, op operation, u *url.URL, payload []byte, n int,
) attemptResult {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		sent.Store(info.Err == nil)
	}}
	req := c.newRequest(httptrace.WithClientTrace(ctx, trace), op, u, payload)

	start := time.Now()
	res := c.roundTrip(req)
	res.sent = sent.Load()
	elapsed := time.Since(start)

	if c.observe != nil {
		c.observe(op.id, res.status, elapsed)
	}
	c.logger.Debug("management api attempt", "operation", op.id, "method", op.method,
		"path", u.EscapedPath(), "attempt", n, "status", res.status, "elapsed", elapsed)
	if errors.Is(res.err, errStatus) {
		res.err = c.newAPIError(op, res.status, res.body)
	}
	return res
}

func (c *Client) newRequest(
	ctx context.Context, op operation, u *url.URL, payload []byte,
) *http.Request {
	var body io.Reader = http.NoBody
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	// NewRequestWithContext fails only on an invalid method or URL. The
	// method is a constant and u was built from a URL that parsed.
	req, _ := http.NewRequestWithContext(ctx, op.method, u.String(), body)
	req.URL = u
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// roundTrip sends req and reads a bounded response body. A non-2xx response
// comes back with err set to errStatus; attempt turns it into an APIError.
func (c *Client) roundTrip(req *http.Request) attemptResult {
	resp, err := c.http.Do(req)
	if err != nil {
		return attemptResult{err: err}
	}
	defer resp.Body.Close()

	res := attemptResult{status: resp.StatusCode, header: resp.Header}
	limit := int64(maxResponseBytes)
	if !success(resp.StatusCode) {
		limit = maxErrorBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil && success(resp.StatusCode):
		// The response was cut off, so treat it like a network error.
		return attemptResult{err: fmt.Errorf("read response: %w", err)}
	case int64(len(body)) > limit && success(resp.StatusCode):
		res.err = fmt.Errorf("%w: response is larger than %d bytes", ErrMalformedResponse, limit)
		return res
	case int64(len(body)) > limit:
		body = body[:limit]
	}
	res.body = body
	switch {
	case !success(resp.StatusCode):
		res.err = errStatus
	case len(body) > 0:
		res.err = checkContentType(resp.Header)
	}
	return res
}

var errStatus = errors.New("non-2xx status")

func success(status int) bool { return status >= 200 && status < 300 }

// finalError builds the error returned to the caller once an operation
// stops: prefixed by the operation phrase, marked transient where it is, and
// wrapping ErrOutcomeUnknown where a POST or PUT may have taken effect.
func (c *Client) finalError(ctx context.Context, op operation, res attemptResult) error {
	err := res.err
	var apiErr *APIError
	isAPI := errors.As(err, &apiErr)
	if !isAPI {
		if res.status == 0 && !isCallerDone(ctx, err) {
			err = &transientError{err: err}
		}
		err = fmt.Errorf("%s: %w", op.phrase, err)
	}

	if op.idempotent() || !outcomeUnknown(res, isAPI) {
		return err
	}
	return fmt.Errorf("%w: %w", err, ErrOutcomeUnknown)
}

// outcomeUnknown reports whether a failed POST or PUT may have taken
// effect: the request was sent and no clear rejection came back.
func outcomeUnknown(res attemptResult, isAPI bool) bool {
	if isAPI {
		return retryableStatus(res.status)
	}
	// A 2xx response that could not be used still means the server acted.
	return res.sent || success(res.status)
}

// checkContentType rejects a 2xx response that declares a type other than
// JSON. A missing Content-Type is accepted.
func checkContentType(header http.Header) error {
	value := header.Get("Content-Type")
	if value == "" {
		return nil
	}
	media, _, err := mime.ParseMediaType(value)
	if err != nil || (media != "application/json" && !strings.HasSuffix(media, "+json")) {
		return fmt.Errorf("%w: content type %q is not JSON", ErrMalformedResponse, value)
	}
	return nil
}
