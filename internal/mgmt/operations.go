package mgmt

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Operation IDs, as the Management API specification names them. They label
// log records, APIError.Operation and the Observe hook.
const (
	OpGetClusterDatabases          = "GetClusterDatabases"
	OpCreateClusterDatabase        = "CreateClusterDatabase"
	OpUpdateClusterDatabase        = "UpdateClusterDatabase"
	OpDeleteClusterDatabase        = "DeleteClusterDatabase"
	OpRenameClusterDatabase        = "RenameClusterDatabase"
	OpUndeleteClusterDatabase      = "UndeleteClusterDatabase"
	OpCreateClusterDatabaseTable   = "CreateClusterDatabaseTable"
	OpDeleteClusterDatabaseTable   = "DeleteClusterDatabaseTable"
	OpRenameClusterDatabaseTable   = "RenameClusterDatabaseTable"
	OpUndeleteClusterDatabaseTable = "UndeleteClusterDatabaseTable"
	OpGetDatabaseTokens            = "GetDatabaseTokens"
	OpGetDatabaseToken             = "GetDatabaseToken"
	OpCreateDatabaseToken          = "CreateDatabaseToken"
	OpUpdateDatabaseToken          = "UpdateDatabaseToken"
	OpDeleteDatabaseToken          = "DeleteDatabaseToken"
)

// operation is one API endpoint: its ID, HTTP method and the phrase that
// prefixes its errors.
type operation struct {
	id     string
	method string
	phrase string
}

var operations = map[string]operation{}

func register(id, method, phrase string) operation {
	op := operation{id: id, method: method, phrase: phrase}
	operations[id] = op
	return op
}

var (
	opListDatabases  = register(OpGetClusterDatabases, http.MethodGet, "list databases")
	opCreateDatabase = register(OpCreateClusterDatabase, http.MethodPost, "create database")
	opUpdateDatabase = register(OpUpdateClusterDatabase, http.MethodPatch, "update database")
	opDeleteDatabase = register(OpDeleteClusterDatabase, http.MethodDelete, "delete database")
	opRenameDatabase = register(OpRenameClusterDatabase, http.MethodPut, "rename database")
	opUndeleteDB     = register(OpUndeleteClusterDatabase, http.MethodPut, "undelete database")
	opCreateTable    = register(OpCreateClusterDatabaseTable, http.MethodPost, "create table")
	opDeleteTable    = register(OpDeleteClusterDatabaseTable, http.MethodDelete, "delete table")
	opRenameTable    = register(OpRenameClusterDatabaseTable, http.MethodPut, "rename table")
	opUndeleteTable  = register(OpUndeleteClusterDatabaseTable, http.MethodPut, "undelete table")
	opListTokens     = register(OpGetDatabaseTokens, http.MethodGet, "list tokens")
	opGetToken       = register(OpGetDatabaseToken, http.MethodGet, "get token")
	opCreateToken    = register(OpCreateDatabaseToken, http.MethodPost, "create token")
	opUpdateToken    = register(OpUpdateDatabaseToken, http.MethodPatch, "update token")
	opDeleteToken    = register(OpDeleteDatabaseToken, http.MethodDelete, "delete token")
)

// idempotent reports whether repeating the request cannot change the
// outcome, so a retry after an unknown outcome is safe. POST creates a new
// object each time, and a repeated rename or undelete (PUT) returns 404 or
// 409 even though the first attempt worked.
func (op operation) idempotent() bool {
	switch op.method {
	case http.MethodGet, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// phraseOf returns the error prefix for an operation ID, or the ID itself
// when it is unknown.
func phraseOf(id string) string {
	if op, ok := operations[id]; ok {
		return op.phrase
	}
	return id
}

// endpoint builds the URL of a path below /accounts/{id}/clusters/{id}.
// Every segment is escaped with url.PathEscape, and RawPath keeps the
// escaping, so a database named "a/b" travels as "a%2Fb".
func (c *Client) endpoint(segments ...string) *url.URL {
	escaped := []string{c.base.EscapedPath(), "accounts", url.PathEscape(c.accountID),
		"clusters", url.PathEscape(c.clusterID)}
	for _, s := range segments {
		escaped = append(escaped, url.PathEscape(s))
	}

	u := *c.base
	u.RawPath = strings.Join(escaped, "/")
	// The segments were escaped just above, so unescaping cannot fail.
	u.Path, _ = url.PathUnescape(u.RawPath)
	return &u
}

// errInvalidArgument is wrapped by errors for arguments rejected before any
// request is sent.
var errInvalidArgument = errors.New("invalid argument")

// checkName rejects names that would change the request path: an empty
// name drops a segment and "." or ".." may be resolved away by a proxy.
func checkName(kind, name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("%w: %s name %q", errInvalidArgument, kind, name)
	}
	return nil
}

// checkTokenID rejects token IDs that are not UUIDs in their canonical
// 36-character form.
func checkTokenID(id string) error {
	if !isUUID(id) {
		return fmt.Errorf("%w: token id %q is not a UUID", errInvalidArgument, id)
	}
	return nil
}

// checkNumericID rejects database and table IDs below 1.
func checkNumericID(kind string, id int64) error {
	if id < 1 {
		return fmt.Errorf("%w: %s id %d is not positive", errInvalidArgument, kind, id)
	}
	return nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
