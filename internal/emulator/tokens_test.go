package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/mgmt"
)

func TestCreateTokenReturnsSecretOnce(t *testing.T) {
	h := newHarness(t, 0)
	resp := h.mgmt(http.MethodPost, "/tokens",
		`{"description":"ingest","permissions":[{"action":"write","resource":"db"},{"action":"read","resource":"*"}]}`)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	v := resp.json(t)
	id := v["id"].(string)
	secretText := v["accessToken"].(string)
	require.True(t, isUUID(id), id)
	require.True(t, strings.HasPrefix(secretText, "apiv1_"), secretText)
	require.GreaterOrEqual(t, len(secretText), 64)
	require.Equal(t, testStart.Format(time.RFC3339Nano), v["createdAt"])
	require.Equal(t, "ingest", v["description"])
	require.Equal(t, DefaultAccountID, v["accountId"])
	require.NotContains(t, v, "expiresAt")
	require.NotContains(t, v, "revokedAt")

	got := h.mgmt(http.MethodGet, "/tokens/"+id, "")
	require.Equal(t, http.StatusOK, got.status)
	require.NotContains(t, got.json(t), "accessToken")
	require.NotContains(t, string(got.body), secretText)
	require.JSONEq(t, mustMarshal(t, v["permissions"]), mustMarshal(t, got.json(t)["permissions"]))

	list := h.mgmt(http.MethodGet, "/tokens", "")
	require.Equal(t, http.StatusOK, list.status)
	require.NotContains(t, string(list.body), "accessToken")
	require.Contains(t, string(list.body), id)

	found, ok := h.emu.TokenIDForSecret(secretText)
	require.True(t, ok)
	require.Equal(t, id, found)
	_, ok = h.emu.TokenIDForSecret(secretText + "x")
	require.False(t, ok)
}

func TestCreateTokenSecretsDiffer(t *testing.T) {
	h := newHarness(t, 0)
	_, first := h.createToken(`{"description":"a"}`)
	_, second := h.createToken(`{"description":"a"}`)
	require.NotEqual(t, first, second)
	require.Len(t, h.emu.Tokens(), 2)
	require.Equal(t, []mgmt.Permission{}, h.emu.Tokens()[0].Permissions)
}

func TestCreateTokenValidatesBody(t *testing.T) {
	future := testStart.Add(time.Hour).Format(time.RFC3339)
	past := testStart.Add(-time.Second).Format(time.RFC3339)
	cases := []struct {
		name, body string
		status     int
	}{
		{"description only", `{"description":"d"}`, http.StatusOK},
		{"empty permissions", `{"description":"d","permissions":[]}`, http.StatusOK},
		{"all databases", `{"description":"d","permissions":[{"action":"read","resource":"*"}]}`, http.StatusOK},
		{"future expiry", `{"description":"d","expiresAt":"` + future + `"}`, http.StatusOK},
		{"past expiry", `{"description":"d","expiresAt":"` + past + `"}`, http.StatusBadRequest},
		{"expiry now", `{"description":"d","expiresAt":"` + testStart.Format(time.RFC3339) + `"}`, http.StatusBadRequest},
		{"expiry not a time", `{"description":"d","expiresAt":"tomorrow"}`, http.StatusBadRequest},
		{"missing description", `{"permissions":[]}`, http.StatusBadRequest},
		{"description number", `{"description":3}`, http.StatusBadRequest},
		{"unknown action", `{"description":"d","permissions":[{"action":"admin","resource":"db"}]}`,
			http.StatusBadRequest},
		{"resource too long", `{"description":"d","permissions":[{"action":"read","resource":"` +
			strings.Repeat("r", 65) + `"}]}`, http.StatusBadRequest},
		{"empty resource", `{"description":"d","permissions":[{"action":"read","resource":""}]}`,
			http.StatusBadRequest},
		{"missing resource", `{"description":"d","permissions":[{"action":"read"}]}`, http.StatusBadRequest},
		{"permission extra property", `{"description":"d","permissions":[{"action":"read","resource":"x","y":1}]}`,
			http.StatusBadRequest},
		{"permissions object", `{"description":"d","permissions":{"action":"read"}}`, http.StatusBadRequest},
		{"unknown property", `{"description":"d","id":"x"}`, http.StatusBadRequest},
		{"secret in request", `{"description":"d","accessToken":"x"}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 0)
			resp := h.mgmt(http.MethodPost, "/tokens", c.body)
			if c.status == http.StatusOK {
				require.Equal(t, c.status, resp.status, "body: %s", resp.body)
				return
			}
			resp.requireError(t, c.status)
			require.Empty(t, h.emu.Tokens())
		})
	}
}

func TestCreateTokenKeepsExpiry(t *testing.T) {
	h := newHarness(t, 0)
	expires := testStart.Add(time.Hour)
	resp := h.mgmt(http.MethodPost, "/tokens", `{"description":"d","expiresAt":"`+expires.Format(time.RFC3339)+`"}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, expires.Format(time.RFC3339Nano), resp.json(t)["expiresAt"])
	require.True(t, expires.Equal(*h.emu.Tokens()[0].ExpiresAt))
}

func TestUpdateToken(t *testing.T) {
	h := newHarness(t, 0)
	id, _ := h.createToken(`{"description":"old","permissions":[{"action":"read","resource":"a"}]}`)

	resp := h.mgmt(http.MethodPatch, "/tokens/"+id, `{"description":"new"}`)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	require.Equal(t, "new", resp.json(t)["description"])
	require.JSONEq(t, `[{"action":"read","resource":"a"}]`, mustMarshal(t, resp.json(t)["permissions"]))
	require.NotContains(t, resp.json(t), "accessToken")

	resp = h.mgmt(http.MethodPatch, "/tokens/"+id, `{"permissions":[{"action":"write","resource":"b"}]}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.JSONEq(t, `[{"action":"write","resource":"b"}]`, mustMarshal(t, resp.json(t)["permissions"]))

	resp = h.mgmt(http.MethodPatch, "/tokens/"+id, `{"permissions":[]}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.Empty(t, h.emu.Tokens()[0].Permissions)
	require.Equal(t, "new", h.emu.Tokens()[0].Description)

	cases := []struct {
		name, id, body string
		status         int
	}{
		{"empty body", id, `{}`, http.StatusBadRequest},
		{"expiry is create only", id, `{"expiresAt":"2030-01-01T00:00:00Z"}`, http.StatusBadRequest},
		{"bad permission", id, `{"permissions":[{"action":"delete","resource":"a"}]}`, http.StatusBadRequest},
		{"null description", id, `{"description":null}`, http.StatusBadRequest},
		{"unknown token", "44444444-4444-4444-8444-444444444444", `{"description":"x"}`, http.StatusNotFound},
		{"malformed id", "not-a-uuid", `{"description":"x"}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.mgmt(http.MethodPatch, "/tokens/"+c.id, c.body).requireError(t, c.status)
		})
	}
}

func TestGetTokenErrors(t *testing.T) {
	h := newHarness(t, 0)
	h.mgmt(http.MethodGet, "/tokens/44444444-4444-4444-8444-444444444444", "").requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodGet, "/tokens/123", "").requireError(t, http.StatusBadRequest)
	h.mgmt(http.MethodDelete, "/tokens/123", "").requireError(t, http.StatusBadRequest)
}

func TestDeleteTokenRemovesIt(t *testing.T) {
	h := newHarness(t, 0)
	id, secretText := h.createToken(`{"description":"d"}`)

	resp := h.mgmt(http.MethodDelete, "/tokens/"+id, "")
	require.Equal(t, http.StatusNoContent, resp.status)
	require.Empty(t, resp.body)

	h.mgmt(http.MethodGet, "/tokens/"+id, "").requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodDelete, "/tokens/"+id, "").requireError(t, http.StatusNotFound)
	require.Empty(t, h.emu.Tokens())
	require.JSONEq(t, `[]`, string(h.mgmt(http.MethodGet, "/tokens", "").body))
	_, ok := h.emu.TokenIDForSecret(secretText)
	require.False(t, ok)
}
