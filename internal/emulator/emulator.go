// Package emulator serves an in-memory emulation of the InfluxDB Cloud
// Dedicated Management API (databases, tables and database tokens) and of
// the data-plane token check (/ping, /query, /write, /api/v2/write). It
// validates requests as strictly as the API schema allows, so client bugs
// show up in tests, and it can inject latency, errors and lost responses
// per operation.
//
// A new database token works on the data plane only once it is older than
// Config.ActivationDelay on the emulator's clock, like on a real cluster.
package emulator

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/clock"
)

// Defaults for Config fields left empty. They are test values: an emulator
// reachable by others must get its own management token.
const (
	DefaultAccountID       = "11111111-1111-4111-8111-111111111111"
	DefaultClusterID       = "33333333-3333-4333-8333-333333333333"
	DefaultManagementToken = "emulator-management-token"
)

// Database defaults applied on create. NOTE: the description of database
// create gives 250 columns, but the schema default and the response
// examples give 200, so the emulator uses 200.
const (
	DefaultMaxTables          = 500
	DefaultMaxColumnsPerTable = 200
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	// AccountID and ClusterID are the only IDs the management paths accept.
	AccountID, ClusterID string
	// ManagementToken is the bearer token of the Management API.
	ManagementToken string
	// ActivationDelay is the minimum age of a database token before the
	// data plane accepts it.
	ActivationDelay time.Duration
	// Clock drives token times, activation, expiry and injected latency.
	Clock clock.Clock
	// Logger receives one Debug record per request, which contains no token.
	Logger *slog.Logger
}

// Emulator is the emulated cluster. It is safe for concurrent use.
type Emulator struct {
	cfg     Config
	handler http.Handler

	mu          sync.Mutex
	databases   map[int64]*database
	nextDBID    int64
	nextTableID int64
	tokens      map[string]*token
	tokenSeq    int64
	secrets     map[[32]byte]string
	requests    map[string]int
	faults      map[string]*faultState
}

// New returns an emulator with no databases and no tokens.
func New(cfg Config) *Emulator {
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.ClusterID == "" {
		cfg.ClusterID = DefaultClusterID
	}
	if cfg.ManagementToken == "" {
		cfg.ManagementToken = DefaultManagementToken
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{
		cfg:       cfg,
		databases: map[int64]*database{},
		tokens:    map[string]*token{},
		secrets:   map[[32]byte]string{},
		requests:  map[string]int{},
		faults:    map[string]*faultState{},
	}
	e.handler = e.routes()
	return e
}

// Handler returns the HTTP handler: the Management API under
// /api/v0/accounts/... and the data plane at /ping, /query, /write and
// /api/v2/write.
func (e *Emulator) Handler() http.Handler { return e.handler }

// operation is one route: its operationId, the status of a success and the
// code that runs it. run returns the response body, or nil for no body.
type operation struct {
	id         string
	pattern    string
	success    int
	management bool
	run        func(r *http.Request) (any, error)
}

const (
	scopePrefix = "/api/v0/accounts/{accountId}/clusters/{clusterId}"
	dbPath      = "/databases/{databaseName}"
	tablePath   = dbPath + "/tables/{tableName}"
)

// managementOp returns a Management API operation. Deletes succeed with
// 204 and no body, everything else with 200.
func managementOp(id, method, path string, run func(*http.Request) (any, error)) operation {
	success := http.StatusOK
	if method == http.MethodDelete {
		success = http.StatusNoContent
	}
	return operation{id, method + " " + scopePrefix + path, success, true, run}
}

func (e *Emulator) operations() []operation {
	const get, post, put, patch, del = "GET", "POST", "PUT", "PATCH", "DELETE"
	return []operation{
		managementOp(OpGetClusterDatabases, get, "/databases", e.listDatabases),
		managementOp(OpCreateClusterDatabase, post, "/databases", e.createDatabase),
		managementOp(OpUpdateClusterDatabase, patch, dbPath, e.updateDatabase),
		managementOp(OpDeleteClusterDatabase, del, dbPath, e.deleteDatabase),
		managementOp(OpRenameClusterDatabase, put, dbPath+"/rename", e.renameDatabase),
		managementOp(OpUndeleteClusterDatabase, put, "/databases/{databaseId}/undelete",
			e.undeleteDatabase),
		managementOp(OpCreateClusterDatabaseTable, post, dbPath+"/tables", e.createTable),
		managementOp(OpDeleteClusterDatabaseTable, del, tablePath, e.deleteTable),
		managementOp(OpRenameClusterDatabaseTable, put, tablePath+"/rename", e.renameTable),
		managementOp(OpUndeleteClusterDatabaseTable, put, dbPath+"/tables/{tableId}/undelete",
			e.undeleteTable),
		managementOp(OpGetDatabaseTokens, get, "/tokens", e.listTokens),
		managementOp(OpCreateDatabaseToken, post, "/tokens", e.createToken),
		managementOp(OpGetDatabaseToken, get, "/tokens/{tokenId}", e.getToken),
		managementOp(OpUpdateDatabaseToken, patch, "/tokens/{tokenId}", e.updateToken),
		managementOp(OpDeleteDatabaseToken, del, "/tokens/{tokenId}", e.deleteToken),

		{OpPing, "GET /ping", http.StatusNoContent, false, e.ping},
		{OpQuery, "GET /query", http.StatusOK, false, e.query},
		{OpQuery, "POST /query", http.StatusOK, false, e.query},
		{OpWrite, "POST /write", http.StatusNoContent, false, e.writeV1},
		{OpWrite, "POST /api/v2/write", http.StatusNoContent, false, e.writeV2},
	}
}

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	for _, op := range e.operations() {
		mux.Handle(op.pattern, e.serve(op))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &muxErrorWriter{ResponseWriter: w}
		}
		mux.ServeHTTP(w, r)
	})
}

// serve runs one request of op: count it, apply any fault, check the
// management token and path IDs, run the operation and write the response.
func (e *Emulator) serve(op operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.countRequest(op.id)
		fault := e.takeFault(op.id)
		if err := e.applyFault(r.Context(), fault); err != nil {
			e.finish(w, r, op, nil, err)
			return
		}

		var body any
		err := e.authorizeManagement(r, op)
		if err == nil {
			body, err = op.run(r)
		}
		if fault.LoseResponse {
			e.cfg.Logger.Debug("emulator dropped response", "operation", op.id)
			dropConnection(w)
			return
		}
		e.finish(w, r, op, body, err)
	})
}

func (e *Emulator) finish(
	w http.ResponseWriter, r *http.Request, op operation, body any, err error,
) {
	log := e.cfg.Logger.With("operation", op.id, "method", r.Method)
	switch {
	case err != nil:
		writeError(w, err)
		log.Debug("emulator request failed", "status", statusOf(err), "error", err)
	case body == nil:
		w.WriteHeader(op.success)
		log.Debug("emulator request", "status", op.success)
	default:
		writeJSON(w, op.success, body)
		log.Debug("emulator request", "status", op.success)
	}
}

// authorizeManagement checks the management token, then the account and
// cluster IDs of the path. A wrong account ID is 403 and a wrong cluster ID
// is 404, both of which the API documents.
func (e *Emulator) authorizeManagement(r *http.Request, op operation) error {
	if !op.management {
		return nil
	}
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	match := subtle.ConstantTimeCompare([]byte(credential), []byte(e.cfg.ManagementToken)) == 1
	if !strings.EqualFold(scheme, "Bearer") || !match {
		return unauthorized(
			"missing or invalid management token: send Authorization: Bearer <management token>")
	}

	account, cluster := r.PathValue("accountId"), r.PathValue("clusterId")
	switch {
	case !isUUID(account):
		return badRequest("invalid accountId %q: must be a UUID", account)
	case !isUUID(cluster):
		return badRequest("invalid clusterId %q: must be a UUID", cluster)
	case !strings.EqualFold(account, e.cfg.AccountID):
		return newError(http.StatusForbidden,
			"account %s is not accessible with this management token", account)
	case !strings.EqualFold(cluster, e.cfg.ClusterID):
		return notFound("cluster %s not found in account %s", cluster, account)
	}
	return nil
}

func (e *Emulator) countRequest(op string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests[op]++
}

// Requests returns how many requests reached the operation, by its
// operationId (or OpPing, OpQuery, OpWrite), whatever their outcome.
func (e *Emulator) Requests(operation string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[operation]
}

func (e *Emulator) now() time.Time { return e.cfg.Clock.Now().UTC() }
