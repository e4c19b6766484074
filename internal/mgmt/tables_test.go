package mgmt

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateTableSendsTemplate(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("team/metrics")
	c := newTestClient(t, testOptions(api.URL()))
	template := []PartitionPart{{Type: PartTag, Value: "region"}}

	table, err := c.CreateTable(context.Background(), "team/metrics",
		CreateTableRequest{Name: "cpu", PartitionTemplate: template})
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, clusterPath+"/databases/team%2Fmetrics/tables", req.RequestURI)
	requireJSONBody(t, `{"name":"cpu","partitionTemplate":[{"type":"tag","value":"region"}]}`, req.Body)
	require.Equal(t, Table{
		AccountID: testAccount, ClusterID: testCluster, DatabaseName: "team/metrics",
		Name: "cpu", PartitionTemplate: template,
	}, table)
}

func TestCreateTableMissingDatabase(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))

	_, err := c.CreateTable(context.Background(), "missing", CreateTableRequest{Name: "cpu"})
	require.True(t, IsNotFound(err))
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
}

func TestDeleteTableEscapesNames(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("db/1")
	c := newTestClient(t, testOptions(api.URL()))
	_, err := c.CreateTable(context.Background(), "db/1", CreateTableRequest{Name: "cpu/0"})
	require.NoError(t, err)

	require.NoError(t, c.DeleteTable(context.Background(), "db/1", "cpu/0"))

	req := api.lastRequest(t)
	require.Equal(t, http.MethodDelete, req.Method)
	require.Equal(t, clusterPath+"/databases/db%2F1/tables/cpu%2F0", req.RequestURI)
}

func TestRenameTableReturnsID(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("metrics")
	c := newTestClient(t, testOptions(api.URL()))
	_, err := c.CreateTable(context.Background(), "metrics", CreateTableRequest{Name: "cpu"})
	require.NoError(t, err)

	table, err := c.RenameTable(context.Background(), "metrics", "cpu", "processor")
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPut, req.Method)
	require.Equal(t, clusterPath+"/databases/metrics/tables/cpu/rename", req.RequestURI)
	requireJSONBody(t, `{"name":"processor"}`, req.Body)
	require.Equal(t, "processor", table.Name)
	require.Positive(t, table.ID)
}

func TestUndeleteTableByID(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("metrics")
	c := newTestClient(t, testOptions(api.URL()))
	ctx := context.Background()
	_, err := c.CreateTable(ctx, "metrics", CreateTableRequest{Name: "cpu"})
	require.NoError(t, err)
	renamed, err := c.RenameTable(ctx, "metrics", "cpu", "cpu")
	require.NoError(t, err)
	require.NoError(t, c.DeleteTable(ctx, "metrics", "cpu"))

	table, err := c.UndeleteTable(ctx, "metrics", renamed.ID)
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPut, req.Method)
	require.Equal(t, clusterPath+"/databases/metrics/tables/"+formatID(renamed.ID)+"/undelete", req.RequestURI)
	require.Empty(t, req.Body)
	require.Equal(t, renamed, table)
}

func TestTableArgumentsChecked(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))
	ctx := context.Background()

	calls := map[string]func() error{
		"create no database": func() error { _, err := c.CreateTable(ctx, "", CreateTableRequest{Name: "t"}); return err },
		"create no name":     func() error { _, err := c.CreateTable(ctx, "db", CreateTableRequest{}); return err },
		"delete dot-dot":     func() error { return c.DeleteTable(ctx, "db", "..") },
		"rename to empty":    func() error { _, err := c.RenameTable(ctx, "db", "t", ""); return err },
		"undelete zero id":   func() error { _, err := c.UndeleteTable(ctx, "db", 0); return err },
		"undelete no db":     func() error { _, err := c.UndeleteTable(ctx, "", 5); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, call(), errInvalidArgument)
		})
	}
	require.Zero(t, api.requestCount(), "invalid arguments must not reach the server")
}
