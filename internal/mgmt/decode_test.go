package mgmt

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const otherUUID = "99999999-9999-4999-8999-999999999999"

func TestMalformedAnswersRejected(t *testing.T) {
	owner := `"accountId":"` + testAccount + `","clusterId":"` + testCluster + `"`
	token := func(fields string) string {
		return `{` + owner + `,"id":"55555555-5555-4555-8555-555555555555","description":"d",` + fields + `}`
	}
	db := func(fields string) string {
		return `{` + owner + `,"name":"db","maxTables":1,"maxColumnsPerTable":1,` + fields + `}`
	}
	cases := []struct {
		name string
		call string
		body string
		want string
	}{
		{"not json", "list tokens", `hello`, "invalid character"},
		{"trailing data", "list tokens", `[] []`, "invalid character"},
		{"null list", "list tokens", `null`, "got null"},
		{"object for list", "list tokens", `{}`, "cannot unmarshal object"},
		{"null item", "list tokens", `[null]`, "item 0: malformed response: required field accountId"},
		{"missing createdAt", "list tokens", `[` + token(`"permissions":[]`) + `]`, "createdAt is missing"},
		{"null permissions", "get token", token(`"permissions":null,"createdAt":"2024-01-01T00:00:00Z"`), "permissions is missing"},
		{"bad createdAt", "get token", token(`"permissions":[],"createdAt":"yesterday"`), "cannot parse"},
		{"missing id", "get token", `{` + owner + `,"description":"d","permissions":[],"createdAt":"2024-01-01T00:00:00Z"}`, "id is missing"},
		{"id not uuid", "get token", strings.Replace(token(`"permissions":[],"createdAt":"2024-01-01T00:00:00Z"`), "55555555-5555-4555-8555-555555555555", "../x", 1), "not a UUID"},
		{"foreign cluster", "get token", strings.Replace(token(`"permissions":[],"createdAt":"2024-01-01T00:00:00Z"`), testCluster, otherUUID, 1), "not this client's cluster"},
		{"missing accessToken", "create token", token(`"permissions":[],"createdAt":"2024-01-01T00:00:00Z"`), "accessToken is missing"},
		{"short accessToken", "create token", token(`"permissions":[],"createdAt":"2024-01-01T00:00:00Z","accessToken":"apiv1_short"`), "fewer than 64"},
		{"accessToken with space", "create token", token(`"permissions":[],"createdAt":"2024-01-01T00:00:00Z","accessToken":"` + strings.Repeat("a", 40) + ` ` + strings.Repeat("b", 40) + `"`), "space or control"},
		{"missing retention", "list databases", `[{` + owner + `,"name":"db","maxTables":1,"maxColumnsPerTable":1}]`, "retentionPeriod is missing"},
		{"empty name", "list databases", `[` + strings.Replace(db(`"retentionPeriod":0`), `"db"`, `""`, 1) + `]`, "name is empty"},
		{"string maxTables", "list databases", `[{` + owner + `,"name":"db","maxTables":"1","maxColumnsPerTable":1,"retentionPeriod":0}]`, "cannot unmarshal string"},
		{"rename without id", "rename database", db(`"retentionPeriod":0`), "id is missing"},
		{"unknown part shape", "list databases", `[` + db(`"retentionPeriod":0,"partitionTemplate":[{"type":"tag","value":{"x":1}}]`) + `]`, "tag partition part"},
		{"empty tag part", "list databases", `[` + db(`"retentionPeriod":0,"partitionTemplate":[{"type":"tag","value":""}]`) + `]`, "partitionTemplate[0]: tag part has an empty value"},
		{"zero buckets", "list databases", `[` + db(`"retentionPeriod":0,"partitionTemplate":[{"type":"bucket","value":{"tagName":"a","numberOfBuckets":0}}]`) + `]`, "numberOfBuckets 0"},
		{"table without database", "create table", `{` + owner + `,"name":"t"}`, "databaseName is missing"},
		{"undeleted table without id", "undelete table", `{` + owner + `,"databaseName":"db","name":"t"}`, "id is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newScriptedServer(t, respond(tc.body))
			c := newTestClient(t, srv.options())

			err := malformedCalls(c)[tc.call]()
			require.ErrorIs(t, err, ErrMalformedResponse)
			require.ErrorContains(t, err, tc.call+": ")
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, 1, srv.count(), "a malformed response is not retried")
		})
	}
}

func malformedCalls(c *Client) map[string]func() error {
	ctx := context.Background()
	id := "55555555-5555-4555-8555-555555555555"
	return map[string]func() error{
		"list tokens":     func() error { _, err := c.ListTokens(ctx); return err },
		"get token":       func() error { _, err := c.GetToken(ctx, id); return err },
		"create token":    func() error { _, err := c.CreateToken(ctx, CreateTokenRequest{}); return err },
		"list databases":  func() error { _, err := c.ListDatabases(ctx); return err },
		"rename database": func() error { _, err := c.RenameDatabase(ctx, "a", "b"); return err },
		"create table":    func() error { _, err := c.CreateTable(ctx, "db", CreateTableRequest{Name: "t"}); return err },
		"undelete table":  func() error { _, err := c.UndeleteTable(ctx, "db", 3); return err },
	}
}

func TestNonJSONContentTypeRejected(t *testing.T) {
	srv := newScriptedServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("[]"))
	})
	c := newTestClient(t, srv.options())

	_, err := c.ListTokens(context.Background())
	require.ErrorIs(t, err, ErrMalformedResponse)
	require.ErrorContains(t, err, `content type "text/html; charset=utf-8" is not JSON`)
}

func TestOversizedAnswerRejected(t *testing.T) {
	srv := newScriptedServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[" + strings.Repeat(" ", maxResponseBytes) + "]"))
	})
	c := newTestClient(t, srv.options())

	_, err := c.ListTokens(context.Background())
	require.ErrorIs(t, err, ErrMalformedResponse)
	require.ErrorContains(t, err, "larger than")
}

func TestAnswerWithoutContentTypeAccepted(t *testing.T) {
	srv := newScriptedServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil
		_, _ = w.Write([]byte("[" + tokenJSON + "]"))
	})
	c := newTestClient(t, srv.options())

	tokens, err := c.ListTokens(context.Background())
	require.NoError(t, err)
	require.Len(t, tokens, 1)
}
