package mgmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/testenv"
)

func TestAPIErrorFields(t *testing.T) {
	srv := newScriptedServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusConflict, map[string]any{"code": 409, "message": "token exists"})
	})
	c := newTestClient(t, srv.options())

	_, err := c.CreateToken(context.Background(), CreateTokenRequest{Description: "d"})

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, &APIError{Operation: OpCreateDatabaseToken, StatusCode: 409, Code: 409, Message: "token exists"}, apiErr)
	require.EqualError(t, err, "create token: 409 Conflict: token exists")
	require.True(t, IsConflict(err))
	require.False(t, IsNotFound(err))
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
}

func TestAPIErrorFormat(t *testing.T) {
	cases := []struct {
		err  APIError
		want string
	}{
		{APIError{Operation: OpDeleteDatabaseToken, StatusCode: 404, Message: "gone"}, "delete token: 404 Not Found: gone"},
		{APIError{Operation: OpGetClusterDatabases, StatusCode: 502}, "list databases: 502 Bad Gateway"},
		{APIError{Operation: "Custom", StatusCode: 599, Message: "odd"}, "Custom: 599: odd"},
	}
	for _, tc := range cases {
		require.EqualError(t, &tc.err, tc.want)
	}
}

func TestNonJSONErrorBodySanitised(t *testing.T) {
	body := "<html>\n<body>\x00\x1b[31mBad\tgateway\xff " + strings.Repeat("x", 1000) + "</body></html>"
	srv := newScriptedServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, body)
	})
	opts := srv.options()
	opts.MaxRetries = -1
	c := newTestClient(t, opts)

	_, err := c.ListTokens(context.Background())

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 502, apiErr.StatusCode)
	require.Zero(t, apiErr.Code)
	require.True(t, strings.HasPrefix(apiErr.Message, "<html> <body> [31mBad gateway\uFFFD xxx"), apiErr.Message)
	require.True(t, strings.HasSuffix(apiErr.Message, "..."))
	require.Len(t, []rune(apiErr.Message), maxMessageRunes+3)
	for _, r := range apiErr.Message {
		require.False(t, r < ' ' || r == 0x7f, "control character %q in message", r)
	}
}

func TestErrorBodyWithoutMessage(t *testing.T) {
	srv := newScriptedServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"code":403}`)
	})
	c := newTestClient(t, srv.options())

	err := c.DeleteDatabase(context.Background(), "db")
	require.EqualError(t, err, `delete database: 403 Forbidden: {"code":403}`)
}

func TestIsRetryableClassifies(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"nil":             {nil, false},
		"plain":           {errors.New("x"), false},
		"429":             {&APIError{StatusCode: 429}, true},
		"500 wrapped":     {fmt.Errorf("rotate: %w", &APIError{StatusCode: 500}), true},
		"404":             {&APIError{StatusCode: 404}, false},
		"network":         {&transientError{err: io.ErrUnexpectedEOF}, true},
		"caller canceled": {context.Canceled, false},
		"invalid arg":     {errInvalidArgument, false},
		"malformed":       {ErrMalformedResponse, false},
	}
	for name, tc := range cases {
		require.Equal(t, tc.want, IsRetryable(tc.err), name)
	}
	require.False(t, IsNotFound(nil))
	require.False(t, IsConflict(errors.New("409")))
}

// TestTokenNeverInErrorsOrLogs forces every kind of failure, with a server
// that echoes the Authorization header wherever it can, and searches every
// error string and log line for the management token.
func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	echo := func(code int, contentType string, wrap func(string) string) step {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(code)
			_, _ = io.WriteString(w, wrap(r.Header.Get("Authorization")))
		}
	}
	jsonMessage := func(s string) string { return `{"code":401,"message":"bad token ` + s + `"}` }
	plain := func(s string) string { return "you sent " + s }
	release := make(chan struct{})
	defer close(release)

	steps := map[string]step{
		"json error":       echo(401, "application/json", jsonMessage),
		"text error":       echo(500, "text/plain", plain),
		"html 2xx":         echo(200, "text/html", plain),
		"bad json 2xx":     echo(200, "application/json", plain),
		"wrong shape":      echo(200, "application/json", func(s string) string { return `{"id":"` + s + `"}` }),
		"reset":            reset,
		"timeout":          hang(release),
		"retry-after":      status(429, "Retry-After", "1"),
		"huge retry-after": status(503, "Retry-After", "99999"),
	}
	for name, failure := range steps {
		t.Run(name, func(t *testing.T) {
			srv := newScriptedServer(t, failure)
			logs := &testenv.SyncBuffer{}
			opts := srv.options()
			opts.Logger = debugLogger(logs)
			opts.RequestTimeout = 50 * time.Millisecond
			opts.MaxRetries = 1
			c := newTestClient(t, opts)

			var errs []error
			_, err := c.ListTokens(context.Background())
			errs = append(errs, err)
			_, err = c.CreateToken(context.Background(), CreateTokenRequest{Description: "d"})
			errs = append(errs, err)
			errs = append(errs, c.DeleteToken(context.Background(), "55555555-5555-4555-8555-555555555555"))

			require.Error(t, errs[0])
			require.Error(t, errs[1])
			for _, err := range errs {
				if err == nil {
					continue // a delete ignores the body of a 2xx response
				}
				require.NotContains(t, err.Error(), testMgmtToken)
				require.NotContains(t, fmt.Sprintf("%+v %#v", err, err), testMgmtToken)
			}
			require.NotContains(t, logs.String(), testMgmtToken)
			require.Contains(t, logs.String(), `"msg":"management api attempt"`)
		})
	}
}

func TestNewErrorsHideToken(t *testing.T) {
	opts := testOptions("https://user:" + testMgmtToken + "@example.invalid/api/v0")
	_, err := New(opts)
	require.Error(t, err)
	require.NotContains(t, err.Error(), testMgmtToken)

	opts = testOptions("https://host/%zz" + testMgmtToken)
	_, err = New(opts)
	require.Error(t, err)
	require.NotContains(t, err.Error(), testMgmtToken)
}
