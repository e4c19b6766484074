package emulator

import (
	"crypto/sha256"
	"io"
	"net/http"
	"strings"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// statusNoPermission is the status of a data-plane request whose token
// lacks the permission. A real cluster returns 401 there, the same as for a
// token that is not active yet, so the emulator does too. The error message
// distinguishes the two cases.
const statusNoPermission = http.StatusUnauthorized

func (e *Emulator) ping(*http.Request) (any, error) { return nil, nil }

// query accepts an InfluxQL query once the token may read the database.
// It runs nothing and returns an empty result.
func (e *Emulator) query(r *http.Request) (any, error) {
	secretText, err := dataToken(r)
	if err != nil {
		return nil, err
	}
	database, q := r.FormValue("db"), r.FormValue("q")
	if database == "" || q == "" {
		return nil, badRequest("missing query parameter: /query needs db and q")
	}
	if err := e.checkDataAccess(secretText, database, mgmt.ActionRead); err != nil {
		return nil, err
	}
	return map[string]any{"results": []map[string]any{{"statement_id": 0}}}, nil
}

// writeV1 accepts line protocol on /write?db=NAME and discards it.
func (e *Emulator) writeV1(r *http.Request) (any, error) {
	return e.write(r, "db")
}

// writeV2 accepts line protocol on /api/v2/write?bucket=NAME and discards
// it.
func (e *Emulator) writeV2(r *http.Request) (any, error) {
	return e.write(r, "bucket")
}

func (e *Emulator) write(r *http.Request, param string) (any, error) {
	secretText, err := dataToken(r)
	if err != nil {
		return nil, err
	}
	database := r.URL.Query().Get(param)
	if database == "" {
		return nil, badRequest("missing query parameter %q: the database to write to", param)
	}
	if err := e.checkDataAccess(secretText, database, mgmt.ActionWrite); err != nil {
		return nil, err
	}
	// NOTE: the body is read and dropped without parsing line protocol.
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(nil, r.Body, maxBodyBytes)); err != nil {
		return nil, badRequest("read write body: %v", err)
	}
	return nil, nil
}

// dataToken returns the database token of an Authorization header of the
// form "Bearer TOKEN" or "Token TOKEN".
func dataToken(r *http.Request) (string, error) {
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	credential = strings.TrimSpace(credential)
	known := strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")
	if credential == "" || !known {
		return "", unauthorized(
			"missing database token: send Authorization: Bearer <token> or Token <token>")
	}
	return credential, nil
}

// checkDataAccess checks, in order, that the token is known, unexpired and
// active, that it grants action on the database, and that the database
// exists.
func (e *Emulator) checkDataAccess(secretText, database, action string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, ok := e.secrets[sha256.Sum256([]byte(secretText))]
	if !ok {
		return unauthorized("unknown or deleted database token")
	}
	info := e.tokens[id].info
	now := e.now()
	if info.ExpiresAt != nil && !now.Before(*info.ExpiresAt) {
		return unauthorized("database token %s expired", id)
	}
	if now.Sub(info.CreatedAt) < e.cfg.ActivationDelay {
		return unauthorized("database token %s is not active yet", id)
	}
	if !grants(info.Permissions, action, database) {
		return newError(statusNoPermission,
			"database token %s has no %s permission on database %q", id, action, database)
	}
	if _, err := e.activeDatabase(database); err != nil {
		return err
	}
	return nil
}

func grants(perms []mgmt.Permission, action, database string) bool {
	for _, p := range perms {
		if p.Action == action && (p.Resource == database || p.Resource == mgmt.AllDatabases) {
			return true
		}
	}
	return false
}
