package emulator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// allOperations lists one request per Management API operation.
var allOperations = []struct {
	op, method, path, body string
}{
	{OpGetClusterDatabases, http.MethodGet, "/databases", ""},
	{OpCreateClusterDatabase, http.MethodPost, "/databases", `{"name":"db"}`},
	{OpUpdateClusterDatabase, http.MethodPatch, "/databases/db", `{"maxTables":5}`},
	{OpDeleteClusterDatabase, http.MethodDelete, "/databases/db", ""},
	{OpRenameClusterDatabase, http.MethodPut, "/databases/db/rename", `{"name":"db2"}`},
	{OpUndeleteClusterDatabase, http.MethodPut, "/databases/1/undelete", ""},
	{OpCreateClusterDatabaseTable, http.MethodPost, "/databases/db/tables", `{"name":"t"}`},
	{OpDeleteClusterDatabaseTable, http.MethodDelete, "/databases/db/tables/t", ""},
	{OpRenameClusterDatabaseTable, http.MethodPut, "/databases/db/tables/t/rename", `{"name":"t2"}`},
	{OpUndeleteClusterDatabaseTable, http.MethodPut, "/databases/db/tables/1/undelete", ""},
	{OpGetDatabaseTokens, http.MethodGet, "/tokens", ""},
	{OpCreateDatabaseToken, http.MethodPost, "/tokens", `{"description":"d"}`},
	{OpGetDatabaseToken, http.MethodGet, "/tokens/" + DefaultAccountID, ""},
	{OpUpdateDatabaseToken, http.MethodPatch, "/tokens/" + DefaultAccountID, `{"description":"d"}`},
	{OpDeleteDatabaseToken, http.MethodDelete, "/tokens/" + DefaultAccountID, ""},
}

func TestManagementRejectsBadCredentials(t *testing.T) {
	h := newHarness(t, 0)
	for _, auth := range []string{"", "Bearer wrong", "Token " + DefaultManagementToken, "Bearer"} {
		for _, op := range allOperations {
			t.Run(op.op+"/"+auth, func(t *testing.T) {
				before := h.emu.Requests(op.op)
				resp := h.send(op.method, h.scope+op.path, op.body, auth)
				resp.requireError(t, http.StatusUnauthorized)
				require.Equal(t, before+1, h.emu.Requests(op.op))
			})
		}
	}
	require.Empty(t, h.emu.Databases())
	require.Empty(t, h.emu.Tokens())
}

func TestManagementChecksPathIDs(t *testing.T) {
	h := newHarness(t, 0)
	otherID := "22222222-2222-4222-8222-222222222222"
	cases := []struct {
		name, account, cluster string
		status                 int
	}{
		{"malformed account", "not-a-uuid", DefaultClusterID, http.StatusBadRequest},
		{"malformed cluster", DefaultAccountID, "1234", http.StatusBadRequest},
		{"other account", otherID, DefaultClusterID, http.StatusForbidden},
		{"other cluster", DefaultAccountID, otherID, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := h.srv.ManagementURL() + "/accounts/" + c.account + "/clusters/" + c.cluster + "/tokens"
			resp := h.send(http.MethodPost, url, `{"description":"d"}`, "Bearer "+DefaultManagementToken)
			resp.requireError(t, c.status)
		})
	}
	require.Empty(t, h.emu.Tokens())

	upper := h.srv.ManagementURL() + "/accounts/" + strings.ToUpper(DefaultAccountID) +
		"/clusters/" + DefaultClusterID + "/tokens"
	resp := h.send(http.MethodGet, upper, "", "Bearer "+DefaultManagementToken)
	require.Equal(t, http.StatusOK, resp.status)
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	h := newHarness(t, 0)
	h.mgmt(http.MethodGet, "/nothing", "").requireError(t, http.StatusNotFound)

	resp := h.mgmt(http.MethodPut, "/databases", "")
	resp.requireError(t, http.StatusMethodNotAllowed)
	require.Contains(t, resp.header.Get("Allow"), http.MethodPost)

	// An unencoded slash splits the name into two segments, so no route matches.
	h.createDatabase(`{"name":"a/b"}`)
	h.mgmt(http.MethodPatch, "/databases/a/b", `{"maxTables":5}`).requireError(t, http.StatusNotFound)
}

func TestRequestsCountsEachOperation(t *testing.T) {
	h := newHarness(t, 0)
	for _, op := range allOperations {
		h.mgmt(op.method, op.path, op.body)
	}
	for _, op := range allOperations {
		require.Equal(t, 1, h.emu.Requests(op.op), op.op)
	}
	require.Equal(t, 0, h.emu.Requests("NoSuchOperation"))
}

func TestHandlerServesWithoutStart(t *testing.T) {
	e := New(Config{})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()

	req, err := http.NewRequest(http.MethodPost,
		srv.URL+"/api/v0/accounts/"+DefaultAccountID+"/clusters/"+DefaultClusterID+"/databases",
		strings.NewReader(`{"name":"db"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+DefaultManagementToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, e.Databases(), 1)
}

func TestConfigSetsIDsAndToken(t *testing.T) {
	account := "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
	cluster := "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Start(ctx, Config{AccountID: account, ClusterID: cluster, ManagementToken: "own"}, "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()

	h := &harness{t: t, srv: srv, emu: srv.Emulator}
	url := srv.ManagementURL() + "/accounts/" + account + "/clusters/" + cluster + "/databases"
	resp := h.send(http.MethodPost, url, `{"name":"db"}`, "Bearer own")
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	require.Equal(t, account, resp.json(t)["accountId"])
	require.Equal(t, cluster, resp.json(t)["clusterId"])

	resp = h.send(http.MethodGet, url, "", "Bearer "+DefaultManagementToken)
	resp.requireError(t, http.StatusUnauthorized)
}

func TestStartStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, Config{}, "127.0.0.1:0")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(srv.ManagementURL(), "http://127.0.0.1:"))
	require.True(t, strings.HasSuffix(srv.ManagementURL(), "/api/v0"))
	require.Equal(t, strings.TrimSuffix(srv.ManagementURL(), "/api/v0"), srv.DataPlaneURL())

	cancel()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("server still running after its context ended")
	}
	_, err = http.Get(srv.DataPlaneURL() + "/ping")
	require.Error(t, err)
	require.NoError(t, srv.Close())
}

func TestSeedTokenSkipsHTTP(t *testing.T) {
	e := New(Config{})
	created, err := e.SeedToken(mgmt.CreateTokenRequest{
		Description: "seed",
		Permissions: []mgmt.Permission{{Action: mgmt.ActionRead, Resource: mgmt.AllDatabases}},
	})
	require.NoError(t, err)
	require.Equal(t, 0, e.Requests(OpCreateDatabaseToken))

	id, ok := e.TokenIDForSecret(created.AccessToken.Reveal())
	require.True(t, ok)
	require.Equal(t, created.ID, id)
	require.Len(t, e.Tokens(), 1)
	require.Equal(t, "seed", e.Tokens()[0].Description)

	_, err = e.SeedToken(mgmt.CreateTokenRequest{Permissions: []mgmt.Permission{{Action: "admin", Resource: "db"}}})
	require.ErrorContains(t, err, "action")
	past := time.Now().Add(-time.Hour)
	_, err = e.SeedToken(mgmt.CreateTokenRequest{ExpiresAt: &past})
	require.ErrorContains(t, err, "expiresAt")
	require.Len(t, e.Tokens(), 1)
}
