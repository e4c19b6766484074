package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const activation = 10 * time.Second

func TestPingNeedsNoToken(t *testing.T) {
	h := newHarness(t, activation)
	resp := h.send(http.MethodGet, h.srv.DataPlaneURL()+"/ping", "", "")
	require.Equal(t, http.StatusNoContent, resp.status)
	require.Equal(t, 1, h.emu.Requests(OpPing))
}

func TestTokenActivatesAfterDelay(t *testing.T) {
	h := newHarness(t, activation)
	h.createDatabase(`{"name":"a/b"}`)
	id, secretText := h.createToken(`{"description":"d","permissions":[` +
		`{"action":"read","resource":"a/b"},{"action":"write","resource":"a/b"}]}`)

	h.data(http.MethodGet, "/query?db=a%2Fb&q=SELECT+1", secretText).requireError(t, http.StatusUnauthorized)
	h.data(http.MethodPost, "/api/v2/write?bucket=a/b", secretText).requireError(t, http.StatusUnauthorized)

	h.clock.Advance(activation - time.Nanosecond)
	h.data(http.MethodGet, "/query?db=a%2Fb&q=SELECT+1", secretText).requireError(t, http.StatusUnauthorized)

	h.clock.Advance(time.Nanosecond)
	resp := h.data(http.MethodGet, "/query?db=a%2Fb&q=SELECT+1", secretText)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	require.JSONEq(t, `{"results":[{"statement_id":0}]}`, string(resp.body))
	require.Equal(t, http.StatusNoContent, h.data(http.MethodPost, "/api/v2/write?bucket=a/b", secretText).status)
	require.Equal(t, http.StatusNoContent, h.data(http.MethodPost, "/write?db=a/b", secretText).status)
	require.Equal(t, 3, h.emu.Requests(OpQuery))
	require.Equal(t, 3, h.emu.Requests(OpWrite))

	require.Equal(t, http.StatusNoContent, h.mgmt(http.MethodDelete, "/tokens/"+id, "").status)
	h.data(http.MethodGet, "/query?db=a%2Fb&q=SELECT+1", secretText).requireError(t, http.StatusUnauthorized)
	h.data(http.MethodPost, "/write?db=a/b", secretText).requireError(t, http.StatusUnauthorized)
}

func TestDataPlaneChecksPermissions(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"db"}`)
	h.createDatabase(`{"name":"other"}`)
	_, reader := h.createToken(`{"description":"r","permissions":[{"action":"read","resource":"db"}]}`)
	_, writer := h.createToken(`{"description":"w","permissions":[{"action":"write","resource":"db"}]}`)
	_, all := h.createToken(`{"description":"all","permissions":[{"action":"read","resource":"*"},` +
		`{"action":"write","resource":"*"}]}`)
	_, none := h.createToken(`{"description":"none"}`)

	cases := []struct {
		name, method, path, token string
		status                    int
	}{
		{"reader queries", http.MethodGet, "/query?db=db&q=x", reader, http.StatusOK},
		{"reader queries by POST", http.MethodPost, "/query?db=db&q=x", reader, http.StatusOK},
		{"reader writes", http.MethodPost, "/api/v2/write?bucket=db", reader, statusNoPermission},
		{"reader queries other", http.MethodGet, "/query?db=other&q=x", reader, statusNoPermission},
		{"writer writes", http.MethodPost, "/api/v2/write?bucket=db", writer, http.StatusNoContent},
		{"writer queries", http.MethodGet, "/query?db=db&q=x", writer, statusNoPermission},
		{"no permissions", http.MethodGet, "/query?db=db&q=x", none, statusNoPermission},
		{"star queries other", http.MethodGet, "/query?db=other&q=x", all, http.StatusOK},
		{"star writes v1", http.MethodPost, "/write?db=other", all, http.StatusNoContent},
		{"star on unknown database", http.MethodGet, "/query?db=missing&q=x", all, http.StatusNotFound},
		{"write to unknown database", http.MethodPost, "/write?db=missing", all, http.StatusNotFound},
		{"reader on unknown database", http.MethodGet, "/query?db=missing&q=x", reader, statusNoPermission},
		{"unknown token", http.MethodGet, "/query?db=db&q=x", "apiv1_unknown", http.StatusUnauthorized},
		{"query without db", http.MethodGet, "/query?q=x", all, http.StatusBadRequest},
		{"query without q", http.MethodGet, "/query?db=db", all, http.StatusBadRequest},
		{"write without bucket", http.MethodPost, "/api/v2/write", all, http.StatusBadRequest},
		{"write by GET", http.MethodGet, "/write?db=db", all, http.StatusMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := h.data(c.method, c.path, c.token)
			if c.status < 300 {
				require.Equal(t, c.status, resp.status, "body: %s", resp.body)
				return
			}
			resp.requireError(t, c.status)
		})
	}
}

func TestDataPlaneAuthorizationSchemes(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"db"}`)
	_, secretText := h.createToken(`{"description":"d","permissions":[{"action":"write","resource":"db"}]}`)

	url := h.srv.DataPlaneURL() + "/api/v2/write?bucket=db"
	require.Equal(t, http.StatusNoContent, h.send(http.MethodPost, url, "cpu v=1", "Token "+secretText).status)
	require.Equal(t, http.StatusNoContent, h.send(http.MethodPost, url, "", "Bearer "+secretText).status)
	h.send(http.MethodPost, url, "", "").requireError(t, http.StatusUnauthorized)
	h.send(http.MethodPost, url, "", "Basic "+secretText).requireError(t, http.StatusUnauthorized)
	h.send(http.MethodPost, url, "", "Token").requireError(t, http.StatusUnauthorized)
}

func TestDataPlaneRejectsExpiredToken(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"db"}`)
	expires := testStart.Add(time.Hour).Format(time.RFC3339)
	_, secretText := h.createToken(`{"description":"d","expiresAt":"` + expires +
		`","permissions":[{"action":"read","resource":"db"}]}`)

	h.clock.Advance(time.Hour - time.Second)
	require.Equal(t, http.StatusOK, h.data(http.MethodGet, "/query?db=db&q=x", secretText).status)

	h.clock.Advance(time.Second)
	resp := h.data(http.MethodGet, "/query?db=db&q=x", secretText)
	resp.requireError(t, http.StatusUnauthorized)
	require.Contains(t, string(resp.body), "expired")
}

func TestDataPlaneRejectsDeletedDatabase(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"db"}`)
	_, secretText := h.createToken(`{"description":"d","permissions":[{"action":"write","resource":"db"}]}`)
	require.Equal(t, http.StatusNoContent, h.mgmt(http.MethodDelete, "/databases/db", "").status)

	h.data(http.MethodPost, "/write?db=db", secretText).requireError(t, http.StatusNotFound)
}

func TestDataPlaneErrorsNeverEchoSecret(t *testing.T) {
	h := newHarness(t, activation)
	h.createDatabase(`{"name":"db"}`)
	_, secretText := h.createToken(`{"description":"d"}`)
	for _, path := range []string{"/query?db=db&q=x", "/write?db=db"} {
		resp := h.data(http.MethodPost, path, secretText)
		require.Equal(t, http.StatusUnauthorized, resp.status)
		require.False(t, strings.Contains(string(resp.body), secretText), "body: %s", resp.body)
	}
}
