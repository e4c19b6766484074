package emulator

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// database is a stored database. A deleted database keeps its ID, name and
// tables so undelete can restore it.
//
// NOTE: the name of a deleted database stays taken, so create and rename
// to that name return 409. The real API's rule for reusing such names is
// not documented.
type database struct {
	id                 int64
	name               string
	maxTables          int
	maxColumnsPerTable int
	retentionPeriod    int64
	template           []mgmt.PartitionPart
	deleted            bool
	tables             map[int64]*table
}

func (e *Emulator) wireDatabase(db *database, withID bool) mgmt.Database {
	out := mgmt.Database{
		AccountID:          e.cfg.AccountID,
		ClusterID:          e.cfg.ClusterID,
		Name:               db.name,
		MaxTables:          db.maxTables,
		MaxColumnsPerTable: db.maxColumnsPerTable,
		RetentionPeriod:    db.retentionPeriod,
		PartitionTemplate:  slices.Clone(db.template),
	}
	if withID {
		out.ID = db.id
	}
	return out
}

// databaseNamed returns the database with that name, deleted or not, or nil.
// The caller holds e.mu.
func (e *Emulator) databaseNamed(name string) *database {
	for _, db := range e.databases {
		if db.name == name {
			return db
		}
	}
	return nil
}

// activeDatabase returns the database with that name unless it is missing
// or deleted. The caller holds e.mu.
func (e *Emulator) activeDatabase(name string) (*database, error) {
	db := e.databaseNamed(name)
	if db == nil || db.deleted {
		return nil, notFound("database %q not found", name)
	}
	return db, nil
}

// sortedDatabases returns the databases in creation order. The caller
// holds e.mu.
func (e *Emulator) sortedDatabases(deleted bool) []*database {
	var out []*database
	for _, db := range e.databases {
		if db.deleted == deleted {
			out = append(out, db)
		}
	}
	slices.SortFunc(out, func(a, b *database) int { return int(a.id - b.id) })
	return out
}

func (e *Emulator) listDatabases(*http.Request) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []mgmt.Database{}
	for _, db := range e.sortedDatabases(false) {
		out = append(out, e.wireDatabase(db, false))
	}
	return out, nil
}

func (e *Emulator) createDatabase(r *http.Request) (any, error) {
	obj, err := decodeObject(r,
		"name", "maxTables", "maxColumnsPerTable", "retentionPeriod", "partitionTemplate")
	if err != nil {
		return nil, err
	}
	db := &database{
		maxTables:          DefaultMaxTables,
		maxColumnsPerTable: DefaultMaxColumnsPerTable,
		tables:             map[int64]*table{},
	}
	if err := requireField(obj, "name", &db.name); err != nil {
		return nil, err
	}
	if err := validateDatabaseName("name", db.name); err != nil {
		return nil, err
	}
	set, err := decodeSettings(obj)
	if err != nil {
		return nil, err
	}
	set.apply(db)
	if db.template, err = decodeTemplate(obj); err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.checkNameFree(db.name); err != nil {
		return nil, err
	}
	e.nextDBID++
	db.id = e.nextDBID
	e.databases[db.id] = db
	return e.wireDatabase(db, false), nil
}

// settings holds the database properties present in a create or update
// body. Nil fields were absent.
type settings struct {
	maxTables, maxColumnsPerTable *int
	retentionPeriod               *int64
}

func decodeSettings(obj map[string]json.RawMessage) (settings, error) {
	var s settings
	maxTables, ok, err := decodeLimit(obj, "maxTables")
	if err != nil {
		return s, err
	}
	if ok {
		s.maxTables = &maxTables
	}
	maxColumns, ok, err := decodeLimit(obj, "maxColumnsPerTable")
	if err != nil {
		return s, err
	}
	if ok {
		s.maxColumnsPerTable = &maxColumns
	}
	retention, ok, err := decodeRetention(obj)
	if err != nil {
		return s, err
	}
	if ok {
		s.retentionPeriod = &retention
	}
	return s, nil
}

func (s settings) empty() bool {
	return s.maxTables == nil && s.maxColumnsPerTable == nil && s.retentionPeriod == nil
}

func (s settings) apply(db *database) {
	if s.maxTables != nil {
		db.maxTables = *s.maxTables
	}
	if s.maxColumnsPerTable != nil {
		db.maxColumnsPerTable = *s.maxColumnsPerTable
	}
	if s.retentionPeriod != nil {
		db.retentionPeriod = *s.retentionPeriod
	}
}

// checkNameFree rejects a database name already used by a live or deleted
// database. The caller holds e.mu.
func (e *Emulator) checkNameFree(name string) error {
	db := e.databaseNamed(name)
	switch {
	case db == nil:
		return nil
	case db.deleted:
		return conflict("database %q already exists as deleted database %d", name, db.id)
	default:
		return conflict("database %q already exists", name)
	}
}

func (e *Emulator) updateDatabase(r *http.Request) (any, error) {
	name := r.PathValue("databaseName")
	if err := validateDatabaseName("databaseName", name); err != nil {
		return nil, err
	}
	obj, err := decodeObject(r, "maxTables", "maxColumnsPerTable", "retentionPeriod")
	if err != nil {
		return nil, err
	}
	set, err := decodeSettings(obj)
	if err != nil {
		return nil, err
	}
	if set.empty() {
		return nil, badRequest(
			"empty update: set at least one of maxTables, maxColumnsPerTable, retentionPeriod")
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	db, err := e.activeDatabase(name)
	if err != nil {
		return nil, err
	}
	set.apply(db)
	return e.wireDatabase(db, false), nil
}

func (e *Emulator) deleteDatabase(r *http.Request) (any, error) {
	name := r.PathValue("databaseName")
	if err := validateDatabaseName("databaseName", name); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	db, err := e.activeDatabase(name)
	if err != nil {
		return nil, err
	}
	db.deleted = true
	return nil, nil
}

func (e *Emulator) renameDatabase(r *http.Request) (any, error) {
	name := r.PathValue("databaseName")
	if err := validateDatabaseName("databaseName", name); err != nil {
		return nil, err
	}
	newName, err := decodeNewName(r)
	if err != nil {
		return nil, err
	}
	if err := validateDatabaseName("name", newName); err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	db, err := e.activeDatabase(name)
	if err != nil {
		return nil, err
	}
	if err := e.checkNameFree(newName); err != nil {
		return nil, err
	}
	db.name = newName
	return e.wireDatabase(db, true), nil
}

// decodeNewName reads the body of a rename: {"name": "..."}.
func decodeNewName(r *http.Request) (string, error) {
	obj, err := decodeObject(r, "name")
	if err != nil {
		return "", err
	}
	var name string
	return name, requireField(obj, "name", &name)
}

func (e *Emulator) undeleteDatabase(r *http.Request) (any, error) {
	id, err := parseID("databaseId", r.PathValue("databaseId"))
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	db := e.databases[id]
	if db == nil || !db.deleted {
		return nil, notFound("no deleted database with ID %d", id)
	}
	db.deleted = false
	return e.wireDatabase(db, true), nil
}

// Databases returns the live databases in creation order, with their IDs.
func (e *Emulator) Databases() []mgmt.Database {
	return e.inspectDatabases(false)
}

// DeletedDatabases returns the soft-deleted databases with their IDs, which
// undelete takes.
func (e *Emulator) DeletedDatabases() []mgmt.Database {
	return e.inspectDatabases(true)
}

func (e *Emulator) inspectDatabases(deleted bool) []mgmt.Database {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []mgmt.Database{}
	for _, db := range e.sortedDatabases(deleted) {
		out = append(out, e.wireDatabase(db, true))
	}
	return out
}
