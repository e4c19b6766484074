package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrOutcomeUnknown is wrapped by errors of POST and PUT calls that may
// have taken effect: a timeout, reset or cancellation after the request was
// sent, a 429 or 5xx response, or a 2xx response that could not be read. Such a
// call is not repeated. The caller lists the objects to recognise what the
// attempt made before it tries again.
var ErrOutcomeUnknown = errors.New("outcome unknown, the request may have taken effect")

// ErrMalformedResponse is wrapped by errors for 2xx responses that are not
// what the API specification promises: invalid JSON, a missing required
// field, a value of the wrong shape or an unexpected content type.
var ErrMalformedResponse = errors.New("malformed response")

// APIError is a non-2xx response from the Management API.
type APIError struct {
	// Operation is the operation ID, for example OpCreateDatabaseToken.
	Operation string
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is the "code" field of the error body, 0 when the body had none.
	Code int
	// Message is the server's message, stripped of control characters,
	// truncated and with the management token redacted.
	Message string
}

// Error returns the operation phrase, the status and the server message,
// for example "create token: 409 Conflict: token exists".
func (e *APIError) Error() string {
	status := fmt.Sprint(e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		status += " " + text
	}
	if e.Message == "" {
		return phraseOf(e.Operation) + ": " + status
	}
	return phraseOf(e.Operation) + ": " + status + ": " + e.Message
}

// IsNotFound reports whether err is an APIError with status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is an APIError with status 409.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsRetryable reports whether err is transient: a network error, an attempt
// timeout, a 429 or a 5xx. A cancelled or expired caller context is not
// transient. For POST and PUT calls, check ErrOutcomeUnknown before
// repeating the call.
func IsRetryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return retryableStatus(apiErr.StatusCode)
	}
	var netErr *transientError
	return errors.As(err, &netErr)
}

func hasStatus(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}

func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// transientError marks a network error or an attempt timeout.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// isCallerDone reports whether err comes from the caller's own context.
func isCallerDone(ctx context.Context, err error) bool {
	if ctx.Err() == nil {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// maxMessageRunes caps the length of a server message kept in an APIError.
const maxMessageRunes = 300

// newAPIError builds the error for a non-2xx response. A JSON error body
// gives Code and Message; any other body becomes a sanitised message.
func (c *Client) newAPIError(op operation, status int, body []byte) *APIError {
	var wire struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	apiErr := &APIError{Operation: op.id, StatusCode: status}

	raw := string(body)
	if json.Unmarshal(body, &wire) == nil && wire.Message != nil {
		raw = *wire.Message
		if wire.Code != nil {
			apiErr.Code = *wire.Code
		}
	}
	apiErr.Message = c.sanitise(raw)
	return apiErr
}

// sanitise makes server text safe to print: the management token redacted,
// invalid UTF-8 and control characters replaced, whitespace collapsed and
// the result truncated.
func (c *Client) sanitise(text string) string {
	if token := c.token.Reveal(); token != "" {
		text = strings.ReplaceAll(text, token, "[redacted]")
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, text)
	text = strings.Join(strings.Fields(text), " ")

	if utf8.RuneCountInString(text) <= maxMessageRunes {
		return text
	}
	runes := []rune(text)
	return string(runes[:maxMessageRunes]) + "..."
}
