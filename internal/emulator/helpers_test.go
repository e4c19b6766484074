package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/clock"
)

var testStart = time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)

// harness is a started emulator on loopback with a fake clock.
type harness struct {
	t     *testing.T
	srv   *Server
	emu   *Emulator
	clock *clock.Fake
	scope string
}

func newHarness(t *testing.T, delay time.Duration) *harness {
	t.Helper()
	fake := clock.NewFake(testStart)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := Start(ctx, Config{ActivationDelay: delay, Clock: fake}, "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return &harness{
		t:     t,
		srv:   srv,
		emu:   srv.Emulator,
		clock: fake,
		scope: srv.ManagementURL() + "/accounts/" + DefaultAccountID + "/clusters/" + DefaultClusterID,
	}
}

// response is an HTTP response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	return v
}

// requireError checks a JSON error body with the given status.
func (r response) requireError(t *testing.T, status int) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	var body errorBody
	require.NoError(t, json.Unmarshal(r.body, &body), "body: %s", r.body)
	require.Equal(t, status, body.Code)
	require.NotEmpty(t, body.Message)
}

func (h *harness) send(method, url, body, authorization string) response {
	h.t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	require.NoError(h.t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// mgmt sends a Management API request with the right token; path is
// relative to the account and cluster scope.
func (h *harness) mgmt(method, path, body string) response {
	h.t.Helper()
	return h.send(method, h.scope+path, body, "Bearer "+DefaultManagementToken)
}

// data sends a data-plane request with a database token.
func (h *harness) data(method, path, token string) response {
	h.t.Helper()
	return h.send(method, h.srv.DataPlaneURL()+path, "", "Bearer "+token)
}

func (h *harness) createDatabase(body string) {
	h.t.Helper()
	resp := h.mgmt(http.MethodPost, "/databases", body)
	require.Equal(h.t, http.StatusOK, resp.status, "body: %s", resp.body)
}

// createToken creates a token over HTTP and returns its ID and secret.
func (h *harness) createToken(body string) (string, string) {
	h.t.Helper()
	resp := h.mgmt(http.MethodPost, "/tokens", body)
	require.Equal(h.t, http.StatusOK, resp.status, "body: %s", resp.body)
	v := resp.json(h.t)
	return v["id"].(string), v["accessToken"].(string)
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
