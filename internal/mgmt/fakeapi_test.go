package mgmt

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

const (
	testAccount   = "11111111-1111-4111-8111-111111111111"
	testCluster   = "33333333-3333-4333-8333-333333333333"
	testMgmtToken = "mgmt-token-must-not-leak-4f1d"
)

// recordedRequest is one request as the fake API received it.
type recordedRequest struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
}

// fakeAPI is an in-memory Management API that follows the specification:
// its status codes, its {"code","message"} error bodies and its responses.
type fakeAPI struct {
	mu        sync.Mutex
	requests  []recordedRequest
	databases map[string]Database
	deleted   map[int64]Database
	tables    map[string]map[string]Table
	dropped   map[int64]Table
	tokens    map[string]Token
	nextID    int64
	now       time.Time
	server    *httptest.Server
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{
		databases: map[string]Database{},
		deleted:   map[int64]Database{},
		tables:    map[string]map[string]Table{},
		dropped:   map[int64]Table{},
		tokens:    map[string]Token{},
		nextID:    100,
		now:       time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC),
	}
	prefix := "/api/v0/accounts/{account}/clusters/{cluster}"
	routes := map[string]http.HandlerFunc{
		"GET /databases":                              f.listDatabases,
		"POST /databases":                             f.createDatabase,
		"PATCH /databases/{db}":                       f.updateDatabase,
		"DELETE /databases/{db}":                      f.deleteDatabase,
		"PUT /databases/{db}/rename":                  f.renameDatabase,
		"PUT /databases/{db}/undelete":                f.undeleteDatabase,
		"POST /databases/{db}/tables":                 f.createTable,
		"DELETE /databases/{db}/tables/{table}":       f.deleteTable,
		"PUT /databases/{db}/tables/{table}/rename":   f.renameTable,
		"PUT /databases/{db}/tables/{table}/undelete": f.undeleteTable,
		"GET /tokens":                                 f.listTokens,
		"POST /tokens":                                f.createToken,
		"GET /tokens/{id}":                            f.getToken,
		"PATCH /tokens/{id}":                          f.updateToken,
		"DELETE /tokens/{id}":                         f.deleteToken,
	}
	mux := http.NewServeMux()
	for route, handler := range routes {
		method, path, _ := strings.Cut(route, " ")
		mux.HandleFunc(method+" "+prefix+path, handler)
	}
	f.server = httptest.NewServer(f.middleware(mux))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.server.URL + "/api/v0" }

// middleware records every request, then checks the bearer token and the
// account and cluster the way the real API does.
func (f *fakeAPI) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recordedRequest{
			Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body,
		})
		f.mu.Unlock()

		if r.Header.Get("Authorization") != "Bearer "+testMgmtToken {
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/v0/accounts/"+testAccount+"/clusters/"+testCluster+"/") {
			writeError(w, http.StatusNotFound, "cluster not found")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		defer f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (f *fakeAPI) lastRequest(t *testing.T) recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.requests, "the fake API received no request")
	return f.requests[len(f.requests)-1]
}

func (f *fakeAPI) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"code": status, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readBody decodes a JSON request body, responding with 400 when it is invalid.
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return false
	}
	return true
}

func (f *fakeAPI) id() int64 {
	f.nextID++
	return f.nextID
}

func (f *fakeAPI) listDatabases(w http.ResponseWriter, r *http.Request) {
	list := []Database{}
	for _, db := range f.databases {
		db.ID = 0
		list = append(list, db)
	}
	writeJSON(w, http.StatusOK, list)
}

func (f *fakeAPI) createDatabase(w http.ResponseWriter, r *http.Request) {
	var req CreateDatabaseRequest
	if !readBody(w, r, &req) {
		return
	}
	if req.Name == "" {
		writeError(w, http.StatusBadRequest, "name is required")
		return
	}
	if _, ok := f.databases[req.Name]; ok {
		writeError(w, http.StatusConflict, "database already exists")
		return
	}
	db := Database{
		AccountID: testAccount, ClusterID: testCluster, ID: f.id(), Name: req.Name,
		MaxTables: 500, MaxColumnsPerTable: 200, RetentionPeriod: req.RetentionPeriod,
		PartitionTemplate: req.PartitionTemplate,
	}
	if req.MaxTables != 0 {
		db.MaxTables = req.MaxTables
	}
	if req.MaxColumnsPerTable != 0 {
		db.MaxColumnsPerTable = req.MaxColumnsPerTable
	}
	f.databases[db.Name] = db
	f.tables[db.Name] = map[string]Table{}
	db.ID = 0
	writeJSON(w, http.StatusOK, db)
}

func (f *fakeAPI) updateDatabase(w http.ResponseWriter, r *http.Request) {
	db, ok := f.databases[r.PathValue("db")]
	if !ok {
		writeError(w, http.StatusNotFound, "database not found")
		return
	}
	var req map[string]int64
	if !readBody(w, r, &req) {
		return
	}
	if len(req) == 0 {
		writeError(w, http.StatusBadRequest, "at least one property is required")
		return
	}
	if v, ok := req["maxTables"]; ok {
		db.MaxTables = int(v)
	}
	if v, ok := req["maxColumnsPerTable"]; ok {
		db.MaxColumnsPerTable = int(v)
	}
	if v, ok := req["retentionPeriod"]; ok {
		db.RetentionPeriod = v
	}
	f.databases[db.Name] = db
	db.ID = 0
	writeJSON(w, http.StatusOK, db)
}

func (f *fakeAPI) deleteDatabase(w http.ResponseWriter, r *http.Request) {
	db, ok := f.databases[r.PathValue("db")]
	if !ok {
		writeError(w, http.StatusNotFound, "database not found")
		return
	}
	delete(f.databases, db.Name)
	f.deleted[db.ID] = db
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAPI) renameDatabase(w http.ResponseWriter, r *http.Request) {
	db, ok := f.databases[r.PathValue("db")]
	if !ok {
		writeError(w, http.StatusNotFound, "database not found")
		return
	}
	var req struct{ Name string }
	if !readBody(w, r, &req) {
		return
	}
	if _, taken := f.databases[req.Name]; taken {
		writeError(w, http.StatusConflict, "database already exists")
		return
	}
	delete(f.databases, db.Name)
	db.Name = req.Name
	f.databases[db.Name] = db
	writeJSON(w, http.StatusOK, db)
}

func (f *fakeAPI) undeleteDatabase(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("db"), 10, 64)
	db, ok := f.deleted[id]
	if !ok {
		writeError(w, http.StatusNotFound, "deleted database not found")
		return
	}
	delete(f.deleted, id)
	f.databases[db.Name] = db
	writeJSON(w, http.StatusOK, db)
}

func (f *fakeAPI) createTable(w http.ResponseWriter, r *http.Request) {
	tables, ok := f.tables[r.PathValue("db")]
	if !ok {
		writeError(w, http.StatusNotFound, "database not found")
		return
	}
	var req CreateTableRequest
	if !readBody(w, r, &req) {
		return
	}
	if _, exists := tables[req.Name]; exists {
		writeError(w, http.StatusConflict, "table already exists")
		return
	}
	table := Table{
		AccountID: testAccount, ClusterID: testCluster, DatabaseName: r.PathValue("db"),
		ID: f.id(), Name: req.Name, PartitionTemplate: req.PartitionTemplate,
	}
	tables[table.Name] = table
	table.ID = 0
	writeJSON(w, http.StatusOK, table)
}

func (f *fakeAPI) deleteTable(w http.ResponseWriter, r *http.Request) {
	table, ok := f.tables[r.PathValue("db")][r.PathValue("table")]
	if !ok {
		writeError(w, http.StatusNotFound, "table not found")
		return
	}
	delete(f.tables[table.DatabaseName], table.Name)
	f.dropped[table.ID] = table
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAPI) renameTable(w http.ResponseWriter, r *http.Request) {
	table, ok := f.tables[r.PathValue("db")][r.PathValue("table")]
	if !ok {
		writeError(w, http.StatusNotFound, "table not found")
		return
	}
	var req struct{ Name string }
	if !readBody(w, r, &req) {
		return
	}
	delete(f.tables[table.DatabaseName], table.Name)
	table.Name = req.Name
	f.tables[table.DatabaseName][table.Name] = table
	writeJSON(w, http.StatusOK, table)
}

func (f *fakeAPI) undeleteTable(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("table"), 10, 64)
	table, ok := f.dropped[id]
	if !ok || table.DatabaseName != r.PathValue("db") {
		writeError(w, http.StatusNotFound, "deleted table not found")
		return
	}
	delete(f.dropped, id)
	f.tables[table.DatabaseName][table.Name] = table
	writeJSON(w, http.StatusOK, table)
}

func (f *fakeAPI) listTokens(w http.ResponseWriter, r *http.Request) {
	list := []Token{}
	for _, t := range f.tokens {
		list = append(list, t)
	}
	writeJSON(w, http.StatusOK, list)
}

func (f *fakeAPI) createToken(w http.ResponseWriter, r *http.Request) {
	var req CreateTokenRequest
	if !readBody(w, r, &req) {
		return
	}
	token := Token{
		AccountID: testAccount, ClusterID: testCluster, ID: uuid.NewString(),
		Description: req.Description, Permissions: req.Permissions, CreatedAt: f.now,
		ExpiresAt: req.ExpiresAt,
	}
	f.tokens[token.ID] = token
	writeJSON(w, http.StatusOK, struct {
		Token
		AccessToken string `json:"accessToken"`
	}{token, newAccessToken()})
}

func newAccessToken() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return "apiv1_" + hex.EncodeToString(raw)
}

func (f *fakeAPI) getToken(w http.ResponseWriter, r *http.Request) {
	token, ok := f.tokens[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "token not found")
		return
	}
	writeJSON(w, http.StatusOK, token)
}

func (f *fakeAPI) updateToken(w http.ResponseWriter, r *http.Request) {
	token, ok := f.tokens[r.PathValue("id")]
	if !ok {
		writeError(w, http.StatusNotFound, "token not found")
		return
	}
	var req UpdateTokenRequest
	if !readBody(w, r, &req) {
		return
	}
	if req.Description != nil {
		token.Description = *req.Description
	}
	if req.Permissions != nil {
		token.Permissions = *req.Permissions
	}
	f.tokens[token.ID] = token
	writeJSON(w, http.StatusOK, token)
}

func (f *fakeAPI) deleteToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.tokens[r.PathValue("id")]; !ok {
		writeError(w, http.StatusNotFound, "token not found")
		return
	}
	delete(f.tokens, r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}

// addToken stores a token directly, as if it had been created earlier.
func (f *fakeAPI) addToken(description string, perms ...Permission) Token {
	f.mu.Lock()
	defer f.mu.Unlock()
	token := Token{
		AccountID: testAccount, ClusterID: testCluster, ID: uuid.NewString(),
		Description: description, Permissions: append([]Permission{}, perms...), CreatedAt: f.now,
	}
	f.tokens[token.ID] = token
	return token
}

// addDatabase stores a database directly and returns it with its ID.
func (f *fakeAPI) addDatabase(name string) Database {
	f.mu.Lock()
	defer f.mu.Unlock()
	db := Database{
		AccountID: testAccount, ClusterID: testCluster, ID: f.id(), Name: name,
		MaxTables: 500, MaxColumnsPerTable: 200,
	}
	f.databases[name] = db
	f.tables[name] = map[string]Table{}
	return db
}
