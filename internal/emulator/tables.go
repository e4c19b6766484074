package emulator

import (
	"net/http"
	"slices"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// table is a stored table. Like databases, deleted tables keep their name
// taken until undeleted.
type table struct {
	id       int64
	name     string
	template []mgmt.PartitionPart
	deleted  bool
}

func (e *Emulator) wireTable(db *database, t *table, withID bool) mgmt.Table {
	out := mgmt.Table{
		AccountID:         e.cfg.AccountID,
		ClusterID:         e.cfg.ClusterID,
		DatabaseName:      db.name,
		Name:              t.name,
		PartitionTemplate: slices.Clone(t.template),
	}
	if withID {
		out.ID = t.id
	}
	return out
}

func tableNamed(db *database, name string) *table {
	for _, t := range db.tables {
		if t.name == name {
			return t
		}
	}
	return nil
}

// tableFromPath validates the database and table names of the path and
// returns the live table. The caller holds e.mu.
func (e *Emulator) tableFromPath(r *http.Request) (*database, *table, error) {
	db, err := e.activeDatabase(r.PathValue("databaseName"))
	if err != nil {
		return nil, nil, err
	}
	name := r.PathValue("tableName")
	t := tableNamed(db, name)
	if t == nil || t.deleted {
		return nil, nil, notFound("table %q not found in database %q", name, db.name)
	}
	return db, t, nil
}

func validateTablePath(r *http.Request) error {
	if err := validateDatabaseName("databaseName", r.PathValue("databaseName")); err != nil {
		return err
	}
	return validateTableName("tableName", r.PathValue("tableName"))
}

func checkTableNameFree(db *database, name string) error {
	t := tableNamed(db, name)
	switch {
	case t == nil:
		return nil
	case t.deleted:
		return conflict("table %q already exists in database %q as deleted table %d",
			name, db.name, t.id)
	default:
		return conflict("table %q already exists in database %q", name, db.name)
	}
}

// createTable adds a table. A table without its own partition template
// reports the database's template, which it inherits.
//
// NOTE: maxTables is stored but not enforced, because the API does not
// document the response to a create beyond it.
func (e *Emulator) createTable(r *http.Request) (any, error) {
	if err := validateDatabaseName("databaseName", r.PathValue("databaseName")); err != nil {
		return nil, err
	}
	obj, err := decodeObject(r, "name", "partitionTemplate")
	if err != nil {
		return nil, err
	}
	t := &table{}
	if err := requireField(obj, "name", &t.name); err != nil {
		return nil, err
	}
	if err := validateTableName("name", t.name); err != nil {
		return nil, err
	}
	if t.template, err = decodeTemplate(obj); err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	db, err := e.activeDatabase(r.PathValue("databaseName"))
	if err != nil {
		return nil, err
	}
	if err := checkTableNameFree(db, t.name); err != nil {
		return nil, err
	}
	if t.template == nil {
		t.template = slices.Clone(db.template)
	}
	e.nextTableID++
	t.id = e.nextTableID
	db.tables[t.id] = t
	return e.wireTable(db, t, false), nil
}

func (e *Emulator) deleteTable(r *http.Request) (any, error) {
	if err := validateTablePath(r); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, t, err := e.tableFromPath(r)
	if err != nil {
		return nil, err
	}
	t.deleted = true
	return nil, nil
}

func (e *Emulator) renameTable(r *http.Request) (any, error) {
	if err := validateTablePath(r); err != nil {
		return nil, err
	}
	newName, err := decodeNewName(r)
	if err != nil {
		return nil, err
	}
	if err := validateTableName("name", newName); err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	db, t, err := e.tableFromPath(r)
	if err != nil {
		return nil, err
	}
	if err := checkTableNameFree(db, newName); err != nil {
		return nil, err
	}
	t.name = newName
	return e.wireTable(db, t, true), nil
}

func (e *Emulator) undeleteTable(r *http.Request) (any, error) {
	if err := validateDatabaseName("databaseName", r.PathValue("databaseName")); err != nil {
		return nil, err
	}
	id, err := parseID("tableId", r.PathValue("tableId"))
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	db, err := e.activeDatabase(r.PathValue("databaseName"))
	if err != nil {
		return nil, err
	}
	t := db.tables[id]
	if t == nil || !t.deleted {
		return nil, notFound("no deleted table with ID %d in database %q", id, db.name)
	}
	t.deleted = false
	return e.wireTable(db, t, true), nil
}
