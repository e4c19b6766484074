package emulator

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateTable(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"a/b","partitionTemplate":[{"type":"tag","value":"host"}]}`)

	resp := h.mgmt(http.MethodPost, "/databases/a%2Fb/tables", `{"name":"cpu"}`)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	require.JSONEq(t, `{"accountId":"`+DefaultAccountID+`","clusterId":"`+DefaultClusterID+
		`","databaseName":"a/b","name":"cpu","partitionTemplate":[{"type":"tag","value":"host"}]}`, string(resp.body))

	own := `[{"type":"time","value":"%Y"}]`
	resp = h.mgmt(http.MethodPost, "/databases/a%2Fb/tables", `{"name":"mem","partitionTemplate":`+own+`}`)
	require.Equal(t, http.StatusOK, resp.status)
	require.JSONEq(t, own, mustMarshal(t, resp.json(t)["partitionTemplate"]))

	cases := []struct {
		name, path, body string
		status           int
	}{
		{"duplicate", "/databases/a%2Fb/tables", `{"name":"cpu"}`, http.StatusConflict},
		{"unknown database", "/databases/missing/tables", `{"name":"cpu"}`, http.StatusNotFound},
		{"empty name", "/databases/a%2Fb/tables", `{"name":""}`, http.StatusBadRequest},
		{"missing name", "/databases/a%2Fb/tables", `{}`, http.StatusBadRequest},
		{"9 parts", "/databases/a%2Fb/tables", `{"name":"x","partitionTemplate":` + tagParts(9) + `}`,
			http.StatusBadRequest},
		{"unknown property", "/databases/a%2Fb/tables", `{"name":"x","maxColumns":3}`, http.StatusBadRequest},
		{"invalid database name", "/databases/a%20b/tables", `{"name":"x"}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.mgmt(http.MethodPost, c.path, c.body).requireError(t, c.status)
		})
	}
}

func TestRenameDeleteUndeleteTable(t *testing.T) {
	h := newHarness(t, 0)
	h.createDatabase(`{"name":"db"}`)
	for _, name := range []string{"cpu", "mem"} {
		resp := h.mgmt(http.MethodPost, "/databases/db/tables", `{"name":"`+name+`"}`)
		require.Equal(t, http.StatusOK, resp.status)
	}

	resp := h.mgmt(http.MethodPut, "/databases/db/tables/cpu/rename", `{"name":"cpu%2"}`)
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	v := resp.json(t)
	require.Equal(t, "cpu%2", v["name"])
	require.Equal(t, "db", v["databaseName"])
	id := int64(v["id"].(float64))
	require.Positive(t, id)

	h.mgmt(http.MethodPut, "/databases/db/tables/cpu%252/rename", `{"name":"mem"}`).
		requireError(t, http.StatusConflict)
	h.mgmt(http.MethodPut, "/databases/db/tables/cpu/rename", `{"name":"x"}`).requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPut, "/databases/db/tables/mem/rename", `{"name":""}`).requireError(t, http.StatusBadRequest)

	resp = h.mgmt(http.MethodDelete, "/databases/db/tables/cpu%252", "")
	require.Equal(t, http.StatusNoContent, resp.status, "body: %s", resp.body)
	require.Empty(t, resp.body)
	h.mgmt(http.MethodDelete, "/databases/db/tables/cpu%252", "").requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPost, "/databases/db/tables", `{"name":"cpu%2"}`).requireError(t, http.StatusConflict)
	h.mgmt(http.MethodDelete, "/databases/missing/tables/mem", "").requireError(t, http.StatusNotFound)

	resp = h.mgmt(http.MethodPut, fmt.Sprintf("/databases/db/tables/%d/undelete", id), "")
	require.Equal(t, http.StatusOK, resp.status, "body: %s", resp.body)
	require.Equal(t, float64(id), resp.json(t)["id"])
	require.Equal(t, "cpu%2", resp.json(t)["name"])

	h.mgmt(http.MethodPut, fmt.Sprintf("/databases/db/tables/%d/undelete", id), "").
		requireError(t, http.StatusNotFound)
	h.mgmt(http.MethodPut, "/databases/db/tables/x/undelete", "").requireError(t, http.StatusBadRequest)
	h.mgmt(http.MethodPut, "/databases/other/tables/1/undelete", "").requireError(t, http.StatusNotFound)
	require.Equal(t, http.StatusNoContent, h.mgmt(http.MethodDelete, "/databases/db/tables/mem", "").status)
}
