package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestListTokensDecodesAnswer(t *testing.T) {
	api := newFakeAPI(t)
	stored := api.addToken("ingest", Permission{Action: ActionWrite, Resource: "metrics"})
	c := newTestClient(t, testOptions(api.URL()))

	tokens, err := c.ListTokens(context.Background())
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, clusterPath+"/tokens", req.RequestURI)
	require.Len(t, tokens, 1)
	require.Equal(t, stored.ID, tokens[0].ID)
	require.Equal(t, stored.Permissions, tokens[0].Permissions)
	require.True(t, stored.CreatedAt.Equal(tokens[0].CreatedAt))
	require.Nil(t, tokens[0].ExpiresAt)
}

func TestCreateTokenReturnsAccessToken(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))
	expires := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	perms := []Permission{{Action: ActionRead, Resource: AllDatabases}}

	created, err := c.CreateToken(context.Background(), CreateTokenRequest{
		Description: "ingest", Permissions: perms, ExpiresAt: &expires,
	})
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, clusterPath+"/tokens", req.RequestURI)
	requireJSONBody(t, `{"description":"ingest","permissions":[{"action":"read","resource":"*"}],
		"expiresAt":"2027-01-01T00:00:00Z"}`, req.Body)
	require.True(t, strings.HasPrefix(created.AccessToken.Reveal(), "apiv1_"))
	require.Len(t, created.AccessToken.Reveal(), 70)
	require.Equal(t, "ingest", created.Description)
	require.Equal(t, perms, created.Permissions)
	require.True(t, isUUID(created.ID))

	encoded, err := json.Marshal(created)
	require.NoError(t, err)
	require.NotContains(t, string(encoded), created.AccessToken.Reveal())
}

func TestCreateTokenSendsEmptyPermissions(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))

	created, err := c.CreateToken(context.Background(), CreateTokenRequest{Description: "none"})
	require.NoError(t, err)

	requireJSONBody(t, `{"description":"none","permissions":[]}`, api.lastRequest(t).Body)
	require.Empty(t, created.Permissions)
}

func TestGetToken(t *testing.T) {
	api := newFakeAPI(t)
	stored := api.addToken("query", Permission{Action: ActionRead, Resource: "metrics"})
	c := newTestClient(t, testOptions(api.URL()))

	token, err := c.GetToken(context.Background(), stored.ID)
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, clusterPath+"/tokens/"+stored.ID, req.RequestURI)
	require.Equal(t, stored.ID, token.ID)
	require.Equal(t, "query", token.Description)
}

func TestGetTokenNotFound(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))

	_, err := c.GetToken(context.Background(), "55555555-5555-4555-8555-555555555555")
	require.True(t, IsNotFound(err))
	require.EqualError(t, err, "get token: 404 Not Found: token not found")
	require.Equal(t, 1, api.requestCount())
}

func TestUpdateTokenReplacesPermissions(t *testing.T) {
	api := newFakeAPI(t)
	stored := api.addToken("ingest", Permission{Action: ActionWrite, Resource: "a"})
	c := newTestClient(t, testOptions(api.URL()))
	perms := []Permission{{Action: ActionRead, Resource: "b"}}

	token, err := c.UpdateToken(context.Background(), stored.ID, UpdateTokenRequest{Permissions: &perms})
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPatch, req.Method)
	require.Equal(t, clusterPath+"/tokens/"+stored.ID, req.RequestURI)
	requireJSONBody(t, `{"permissions":[{"action":"read","resource":"b"}]}`, req.Body)
	require.Equal(t, perms, token.Permissions)
	require.Equal(t, "ingest", token.Description)
}

func TestUpdateTokenNilPermissionsClearsList(t *testing.T) {
	api := newFakeAPI(t)
	stored := api.addToken("ingest", Permission{Action: ActionWrite, Resource: "a"})
	c := newTestClient(t, testOptions(api.URL()))
	var none []Permission

	token, err := c.UpdateToken(context.Background(), stored.ID, UpdateTokenRequest{Permissions: &none})
	require.NoError(t, err)

	requireJSONBody(t, `{"permissions":[]}`, api.lastRequest(t).Body)
	require.Empty(t, token.Permissions)
}

func TestDeleteToken(t *testing.T) {
	api := newFakeAPI(t)
	stored := api.addToken("old")
	c := newTestClient(t, testOptions(api.URL()))

	require.NoError(t, c.DeleteToken(context.Background(), stored.ID))

	req := api.lastRequest(t)
	require.Equal(t, http.MethodDelete, req.Method)
	require.Equal(t, clusterPath+"/tokens/"+stored.ID, req.RequestURI)
	require.True(t, IsNotFound(c.DeleteToken(context.Background(), stored.ID)))
}

func TestTokenIDsChecked(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))
	ctx := context.Background()
	description := "x"

	for _, id := range []string{
		"", "not-a-uuid", "../tokens", "55555555555545558555555555555555",
		"{55555555-5555-4555-8555-555555555555}", "55555555-5555-4555-8555-55555555555/",
	} {
		_, err := c.GetToken(ctx, id)
		require.ErrorIs(t, err, errInvalidArgument, "get %q", id)
		_, err = c.UpdateToken(ctx, id, UpdateTokenRequest{Description: &description})
		require.ErrorIs(t, err, errInvalidArgument, "update %q", id)
		require.ErrorIs(t, c.DeleteToken(ctx, id), errInvalidArgument, "delete %q", id)
	}

	_, err := c.UpdateToken(ctx, "55555555-5555-4555-8555-555555555555", UpdateTokenRequest{})
	require.ErrorIs(t, err, errInvalidArgument)
	require.Zero(t, api.requestCount(), "invalid arguments must not reach the server")
}
