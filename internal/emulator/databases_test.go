package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateDatabaseAppliesDefaults(t *testing.T) {
	h := newHarness(t, 0)
	resp := h.mgmt(http.MethodPost, "/databases", `{"name":"db"}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, map[string]any{
		"accountId":          DefaultAccountID,
		"clusterId":          DefaultClusterID,
		"name":               "db",
		"maxTables":          float64(500),
		"maxColumnsPerTable": float64(200),
		"retentionPeriod":    float64(0),
	}, resp.json(t))

	list := h.mgmt(http.MethodGet, "/databases", "")
	require.Equal(t, http.StatusOK, list.status)
	require.JSONEq(t, `[{"accountId":"`+DefaultAccountID+`","clusterId":"`+DefaultClusterID+
		`","name":"db","maxTables":500,"maxColumnsPerTable":200,"retentionPeriod":0}]`, string(list.body))
}

func TestListDatabasesEmptyIsArray(t *testing.T) {
	h := newHarness(t, 0)
	resp := h.mgmt(http.MethodGet, "/databases", "")
	require.Equal(t, http.StatusOK, resp.status)
	require.JSONEq(t, `[]`, string(resp.body))
}

func TestCreateDatabaseValidatesName(t *testing.T) {
	cases := []struct {
		name   string
		status int
	}{
		{"", http.StatusBadRequest},
		{"a", http.StatusOK},
		{strings.Repeat("b", 64), http.StatusOK},
		{strings.Repeat("c", 65), http.StatusBadRequest},
		{"with/slash_and-dash09", http.StatusOK},
		{"with space", http.StatusBadRequest},
		{"dot.name", http.StatusBadRequest},
		{"plátanos", http.StatusBadRequest},
	}
	h := newHarness(t, 0)
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d chars %q", len(c.name), c.name), func(t *testing.T) {
			resp := h.mgmt(http.MethodPost, "/databases", `{"name":"`+c.name+`"}`)
			if c.status == http.StatusOK {
				require.Equal(t, c.status, resp.status, "body: %s", resp.body)
				return
			}
			resp.requireError(t, c.status)
		})
	}
}

func TestCreateDatabaseValidatesBody(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
	}{
		{"maxTables 0", `{"name":"x","maxTables":0}`, http.StatusBadRequest},
		{"maxTables 1", `{"name":"x","maxTables":1}`, http.StatusOK},
		{"maxTables over int32", `{"name":"x","maxTables":2147483648}`, http.StatusBadRequest},
		{"maxColumnsPerTable 0", `{"name":"x","maxColumnsPerTable":0}`, http.StatusBadRequest},
		{"maxColumnsPerTable 1", `{"name":"x","maxColumnsPerTable":1}`, http.StatusOK},
		{"retentionPeriod -1", `{"name":"x","retentionPeriod":-1}`, http.StatusBadRequest},
		{"retentionPeriod 0", `{"name":"x","retentionPeriod":0}`, http.StatusOK},
		{"maxTables as string", `{"name":"x","maxTables":"5"}`, http.StatusBadRequest},
		{"maxTables fraction", `{"name":"x","maxTables":1.5}`, http.StatusBadRequest},
		{"maxTables null", `{"name":"x","maxTables":null}`, http.StatusBadRequest},
		{"name as number", `{"name":5}`, http.StatusBadRequest},
		{"name missing", `{"maxTables":5}`, http.StatusBadRequest},
		{"unknown property", `{"name":"x","colour":"red"}`, http.StatusBadRequest},
		{"property in wrong case", `{"Name":"x"}`, http.StatusBadRequest},
		{"trailing data", `{"name":"x"} {}`, http.StatusBadRequest},
		{"array body", `[{"name":"x"}]`, http.StatusBadRequest},
		{"null body", `null`, http.StatusBadRequest},
		{"empty body", ``, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 0)
			resp := h.mgmt(http.MethodPost, "/databases", c.body)
			if c.status == http.StatusOK {
				require.Equal(t, c.status, resp.status, "body: %s", resp.body)
				return
			}
			resp.requireError(t, c.status)
			require.Empty(t, h.emu.Databases())
		})
	}
}

func tagParts(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"type":"tag","value":"t%d"}`, i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func bucketPart(count int) string {
	return fmt.Sprintf(`[{"type":"bucket","value":{"tagName":"c","numberOfBuckets":%d}}]`, count)
}

func TestCreateDatabaseValidatesTemplate(t *testing.T) {
	cases := []struct {
		name, template string
		status         int
	}{
		{"8 parts", tagParts(8), http.StatusOK},
		{"9 parts", tagParts(9), http.StatusBadRequest},
		{"no parts", `[]`, http.StatusBadRequest},
		{"1 bucket", bucketPart(1), http.StatusOK},
		{"100000 buckets", bucketPart(100000), http.StatusOK},
		{"100001 buckets", bucketPart(100001), http.StatusBadRequest},
		{"0 buckets", bucketPart(0), http.StatusBadRequest},
		{"all part types", `[{"type":"time","value":"%Y"},{"type":"tag","value":"a"},` +
			`{"type":"bucket","value":{"tagName":"c","numberOfBuckets":10}}]`, http.StatusOK},
		{"duplicate tag parts", `[{"type":"tag","value":"a"},{"type":"tag","value":"a"}]`, http.StatusBadRequest},
		{"duplicate bucket parts", `[{"type":"bucket","value":{"tagName":"c","numberOfBuckets":2}},` +
			`{"type":"bucket","value":{"tagName":"c","numberOfBuckets":2}}]`, http.StatusBadRequest},
		{"empty tag value", `[{"type":"tag","value":""}]`, http.StatusBadRequest},
		{"empty time value", `[{"type":"time","value":""}]`, http.StatusBadRequest},
		{"empty bucket tag", `[{"type":"bucket","value":{"tagName":"","numberOfBuckets":2}}]`, http.StatusBadRequest},
		{"unknown type", `[{"type":"hash","value":"a"}]`, http.StatusBadRequest},
		{"missing type", `[{"value":"a"}]`, http.StatusBadRequest},
		{"missing value", `[{"type":"tag"}]`, http.StatusBadRequest},
		{"bucket value string", `[{"type":"bucket","value":"c"}]`, http.StatusBadRequest},
		{"tag value object", `[{"type":"tag","value":{"tagName":"c"}}]`, http.StatusBadRequest},
		{"unknown part property", `[{"type":"tag","value":"a","extra":1}]`, http.StatusBadRequest},
		{"unknown bucket property", `[{"type":"bucket","value":{"tagName":"c","numberOfBuckets":2,"x":1}}]`,
			http.StatusBadRequest},
		{"template null", `null`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 0)
			resp := h.mgmt(http.MethodPost, "/databases", `{"name":"db","partitionTemplate":`+c.template+`}`)
			if c.status == http.StatusOK {
				require.Equal(t, c.status, resp.status, "body: %s", resp.body)
				require.JSONEq(t, c.template, mustMarshal(t, resp.json(t)["partitionTemplate"]))
				return
			}
			resp.requireError(t, c.status)
		})
	}
}

func TestCreateDatabaseConflicts(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"db"}`)
	h.mgmt(http.MethodPost, "/databases", `{"name":"db"}`).requireError(t, http.StatusConflict)
	require.Len(t, h.emu.Databases(), 1)
}

func TestUpdateDatabase(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"a/b","retentionPeriod":5}`)

	resp := h.mgmt(http.MethodPatch, "/databases/a%2Fb", `{"maxTables":7}`)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	v := resp.json(t)
	require.Equal(t, "a/b", v["name"])
	require.Equal(t, float64(7), v["maxTables"])
	require.Equal(t, float64(200), v["maxColumnsPerTable"])
	require.Equal(t, float64(5), v["retentionPeriod"])

	resp = h.mgmt(http.MethodPatch, "/databases/a%2Fb", `{"maxColumnsPerTable":9,"retentionPeriod":0}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, float64(9), resp.json(t)["maxColumnsPerTable"])
	require.Equal(t, float64(0), resp.json(t)["retentionPeriod"])

	cases := []struct {
		name, path, body string
		status           int
	}{
		{"empty body", "/databases/a%2Fb", `{}`, http.StatusBadRequest},
		{"maxTables 0", "/databases/a%2Fb", `{"maxTables":0}`, http.StatusBadRequest},
		{"negative retention", "/databases/a%2Fb", `{"retentionPeriod":-1}`, http.StatusBadRequest},
		{"name is not updatable", "/databases/a%2Fb", `{"name":"c"}`, http.StatusBadRequest},
		{"unknown database", "/databases/missing", `{"maxTables":3}`, http.StatusNotFound},
		{"invalid name", "/databases/" + strings.Repeat("x", 65), `{"maxTables":3}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.mgmt(http.MethodPatch, c.path, c.body).requireError(t, c.status)
		})
	}
	require.Equal(t, 7, h.emu.Databases()[0].MaxTables)
}

func TestDeleteAndUndeleteDatabase(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"a/b","maxTables":3}`)

	resp := h.mgmt(http.MethodDelete, "/databases/a%2Fb", "")
	require.Equal(t, http.StatusNoContent, resp.status)
	require.Empty(t, resp.body)
	require.JSONEq(t, `[]`, string(h.mgmt(http.MethodGet, "/databases", "").body))
	h.mgmt(http.MethodDelete, "/databases/a%2Fb", "").requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPatch, "/databases/a%2Fb", `{"maxTables":4}`).requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPost, "/databases", `{"name":"a/b"}`).requireError(t, http.StatusConflict)

	deleted := h.emu.DeletedDatabases()
	require.Len(t, deleted, 1)
	id := deleted[0].ID
	resp = h.mgmt(http.MethodPut, fmt.Sprintf("/databases/%d/undelete", id), "")
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	v := resp.json(t)
	require.Equal(t, float64(id), v["id"])
	require.Equal(t, "a/b", v["name"])
	require.Equal(t, float64(3), v["maxTables"])
	require.Len(t, h.emu.Databases(), 1)

	h.mgmt(http.MethodPut, fmt.Sprintf("/databases/%d/undelete", id), "").requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPut, "/databases/999/undelete", "").requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPut, "/databases/0/undelete", "").requireError(t, http.StatusBadRequest)
	h.mgmt(http.MethodPut, "/databases/abc/undelete", "").requireError(t, http.StatusBadRequest)
	h.mgmt(http.MethodDelete, "/databases/bad%20name", "").requireError(t, http.StatusBadRequest)
}

func TestRenameDatabaseKeepsID(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"old"}`)
	h.createDatabase(`{"name":"other"}`)
	id := h.emu.Databases()[0].ID

	resp := h.mgmt(http.MethodPut, "/databases/old/rename", `{"name":"new/name"}`)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	require.Equal(t, float64(id), resp.json(t)["id"])
	require.Equal(t, "new/name", resp.json(t)["name"])
	require.Equal(t, "new/name", h.emu.Databases()[0].Name)
	require.Equal(t, id, h.emu.Databases()[0].ID)

	h.mgmt(http.MethodPatch, "/databases/old", `{"maxTables":4}`).requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPut, "/databases/new%2Fname/rename", `{"name":"other"}`).requireError(t, http.StatusConflict)
	h.mgmt(http.MethodPut, "/databases/missing/rename", `{"name":"x"}`).requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPut, "/databases/other/rename", `{"name":"bad name"}`).requireError(t, http.StatusBadRequest)
	h.mgmt(http.MethodPut, "/databases/other/rename", `{}`).requireError(t, http.StatusBadRequest)
}
