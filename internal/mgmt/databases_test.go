package mgmt

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const clusterPath = "/api/v0/accounts/" + testAccount + "/clusters/" + testCluster

func TestListDatabasesDecodesAnswer(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("metrics")
	c := newTestClient(t, testOptions(api.URL()))

	dbs, err := c.ListDatabases(context.Background())
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, clusterPath+"/databases", req.RequestURI)
	require.Equal(t, "Bearer "+testMgmtToken, req.Header.Get("Authorization"))
	require.Equal(t, "application/json", req.Header.Get("Accept"))
	require.Empty(t, req.Body)
	require.Equal(t, []Database{{
		AccountID: testAccount, ClusterID: testCluster, Name: "metrics",
		MaxTables: 500, MaxColumnsPerTable: 200,
	}}, dbs)
}

func TestCreateDatabaseSendsTemplate(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))
	template := []PartitionPart{
		{Type: PartTime, Value: "%Y"},
		{Type: PartTag, Value: "plátanos"},
		{Type: PartBucket, Bucket: &Bucket{TagName: "host", NumberOfBuckets: 10}},
	}

	db, err := c.CreateDatabase(context.Background(), CreateDatabaseRequest{
		Name: "metrics", MaxTables: 100, RetentionPeriod: 3600e9, PartitionTemplate: template,
	})
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, clusterPath+"/databases", req.RequestURI)
	require.Equal(t, "application/json", req.Header.Get("Content-Type"))
	requireJSONBody(t, `{"name":"metrics","maxTables":100,"retentionPeriod":3600000000000,
		"partitionTemplate":[{"type":"time","value":"%Y"},{"type":"tag","value":"plátanos"},
		{"type":"bucket","value":{"tagName":"host","numberOfBuckets":10}}]}`, req.Body)
	require.Equal(t, Database{
		AccountID: testAccount, ClusterID: testCluster, Name: "metrics", MaxTables: 100,
		MaxColumnsPerTable: 200, RetentionPeriod: 3600e9, PartitionTemplate: template,
	}, db)
}

func TestCreateDatabaseConflict(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("metrics")
	c := newTestClient(t, testOptions(api.URL()))

	_, err := c.CreateDatabase(context.Background(), CreateDatabaseRequest{Name: "metrics"})
	require.True(t, IsConflict(err))
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	require.EqualError(t, err, "create database: 409 Conflict: database already exists")
	require.Equal(t, 1, api.requestCount())
}

func TestUpdateDatabaseEscapesName(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("team/metrics")
	c := newTestClient(t, testOptions(api.URL()))
	maxTables := 300

	db, err := c.UpdateDatabase(context.Background(), "team/metrics", UpdateDatabaseRequest{MaxTables: &maxTables})
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPatch, req.Method)
	require.Equal(t, clusterPath+"/databases/team%2Fmetrics", req.RequestURI)
	requireJSONBody(t, `{"maxTables":300}`, req.Body)
	require.Equal(t, "team/metrics", db.Name)
	require.Equal(t, 300, db.MaxTables)
}

func TestUpdateDatabaseRejectsEmptyRequest(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))

	_, err := c.UpdateDatabase(context.Background(), "metrics", UpdateDatabaseRequest{})
	require.ErrorIs(t, err, errInvalidArgument)
	require.Zero(t, api.requestCount())
}

func TestDeleteDatabaseEscapesName(t *testing.T) {
	api := newFakeAPI(t)
	api.addDatabase("a b/c")
	c := newTestClient(t, testOptions(api.URL()))

	require.NoError(t, c.DeleteDatabase(context.Background(), "a b/c"))

	req := api.lastRequest(t)
	require.Equal(t, http.MethodDelete, req.Method)
	require.Equal(t, clusterPath+"/databases/a%20b%2Fc", req.RequestURI)
	require.Empty(t, req.Header.Get("Content-Type"))
}

func TestDeleteDatabaseNotFound(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))

	err := c.DeleteDatabase(context.Background(), "missing")
	require.True(t, IsNotFound(err))
	require.False(t, IsRetryable(err))
	require.Equal(t, 1, api.requestCount(), "a 404 must not be retried")
}

func TestRenameDatabaseReturnsID(t *testing.T) {
	api := newFakeAPI(t)
	created := api.addDatabase("old/name")
	c := newTestClient(t, testOptions(api.URL()))

	db, err := c.RenameDatabase(context.Background(), "old/name", "new")
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPut, req.Method)
	require.Equal(t, clusterPath+"/databases/old%2Fname/rename", req.RequestURI)
	requireJSONBody(t, `{"name":"new"}`, req.Body)
	require.Equal(t, created.ID, db.ID)
	require.Equal(t, "new", db.Name)
}

func TestUndeleteDatabaseByID(t *testing.T) {
	api := newFakeAPI(t)
	created := api.addDatabase("metrics")
	c := newTestClient(t, testOptions(api.URL()))
	require.NoError(t, c.DeleteDatabase(context.Background(), "metrics"))

	db, err := c.UndeleteDatabase(context.Background(), created.ID)
	require.NoError(t, err)

	req := api.lastRequest(t)
	require.Equal(t, http.MethodPut, req.Method)
	require.Equal(t, clusterPath+"/databases/"+formatID(created.ID)+"/undelete", req.RequestURI)
	require.Empty(t, req.Body)
	require.Equal(t, created, db)
}

func TestDatabaseArgumentsChecked(t *testing.T) {
	api := newFakeAPI(t)
	c := newTestClient(t, testOptions(api.URL()))
	ctx := context.Background()
	one := 1

	calls := map[string]func() error{
		"create empty name": func() error { _, err := c.CreateDatabase(ctx, CreateDatabaseRequest{}); return err },
		"update dot-dot": func() error {
			_, err := c.UpdateDatabase(ctx, "..", UpdateDatabaseRequest{MaxTables: &one})
			return err
		},
		"delete empty":      func() error { return c.DeleteDatabase(ctx, "") },
		"delete dot":        func() error { return c.DeleteDatabase(ctx, ".") },
		"rename to empty":   func() error { _, err := c.RenameDatabase(ctx, "a", ""); return err },
		"undelete zero id":  func() error { _, err := c.UndeleteDatabase(ctx, 0); return err },
		"undelete negative": func() error { _, err := c.UndeleteDatabase(ctx, -4); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, call(), errInvalidArgument)
		})
	}
	require.Zero(t, api.requestCount(), "invalid arguments must not reach the server")
}
