package mgmt

import (
	"context"
	"fmt"
)

// databaseWire is a database as the API sends it.
type databaseWire struct {
	AccountID          *string         `json:"accountId"`
	ClusterID          *string         `json:"clusterId"`
	ID                 *int64          `json:"id"`
	Name               *string         `json:"name"`
	MaxTables          *int            `json:"maxTables"`
	MaxColumnsPerTable *int            `json:"maxColumnsPerTable"`
	RetentionPeriod    *int64          `json:"retentionPeriod"`
	PartitionTemplate  []PartitionPart `json:"partitionTemplate"`
}

// databaseShape lists which fields a response must carry: list, create and
// update responses have a retention period but no ID, rename and undelete
// responses have an ID and may leave the retention period out.
type databaseShape struct {
	withID bool
}

func (o owner) database(shape databaseShape) func(databaseWire) (Database, error) {
	return func(w databaseWire) (Database, error) {
		if err := o.check(w.AccountID, w.ClusterID); err != nil {
			return Database{}, err
		}
		checks := []error{
			requiredString("name", w.Name),
			required("maxTables", w.MaxTables != nil),
			required("maxColumnsPerTable", w.MaxColumnsPerTable != nil),
			required("retentionPeriod", shape.withID || w.RetentionPeriod != nil),
			required("id", !shape.withID || w.ID != nil),
			checkTemplate(w.PartitionTemplate),
		}
		for _, err := range checks {
			if err != nil {
				return Database{}, err
			}
		}
		return w.database(), nil
	}
}

func (w databaseWire) database() Database {
	db := Database{
		AccountID:          *w.AccountID,
		ClusterID:          *w.ClusterID,
		Name:               *w.Name,
		MaxTables:          *w.MaxTables,
		MaxColumnsPerTable: *w.MaxColumnsPerTable,
		PartitionTemplate:  w.PartitionTemplate,
	}
	if w.ID != nil {
		db.ID = *w.ID
	}
	if w.RetentionPeriod != nil {
		db.RetentionPeriod = *w.RetentionPeriod
	}
	return db
}

// ListDatabases returns every database of the cluster.
func (c *Client) ListDatabases(ctx context.Context) ([]Database, error) {
	data, err := c.call(ctx, opListDatabases, c.endpoint("databases"), nil)
	if err != nil {
		return nil, err
	}
	dbs, err := decodeList(data, c.owner().database(databaseShape{}))
	if err != nil {
		return nil, c.malformed(opListDatabases, err)
	}
	return dbs, nil
}

// CreateDatabase creates a database. Zero limits in req let the server
// apply its defaults. The call is never retried; see ErrOutcomeUnknown.
func (c *Client) CreateDatabase(ctx context.Context, req CreateDatabaseRequest) (Database, error) {
	if err := checkName("database", req.Name); err != nil {
		return Database{}, fmt.Errorf("%s: %w", opCreateDatabase.phrase, err)
	}
	data, err := c.call(ctx, opCreateDatabase, c.endpoint("databases"), req)
	return c.databaseResponse(opCreateDatabase, data, err, databaseShape{})
}

// UpdateDatabase changes the limits or retention period of a database. At
// least one field of req must be set.
func (c *Client) UpdateDatabase(
	ctx context.Context, name string, req UpdateDatabaseRequest,
) (Database, error) {
	if err := checkName("database", name); err != nil {
		return Database{}, fmt.Errorf("%s: %w", opUpdateDatabase.phrase, err)
	}
	if req.MaxTables == nil && req.MaxColumnsPerTable == nil && req.RetentionPeriod == nil {
		return Database{}, fmt.Errorf("%s %q: %w: the request sets no field",
			opUpdateDatabase.phrase, name, errInvalidArgument)
	}
	data, err := c.call(ctx, opUpdateDatabase, c.endpoint("databases", name), req)
	return c.databaseResponse(opUpdateDatabase, data, err, databaseShape{})
}

// DeleteDatabase deletes a database. The call is retried on transient
// errors, so a 404 may mean that an earlier attempt deleted it.
func (c *Client) DeleteDatabase(ctx context.Context, name string) error {
	if err := checkName("database", name); err != nil {
		return fmt.Errorf("%s: %w", opDeleteDatabase.phrase, err)
	}
	_, err := c.call(ctx, opDeleteDatabase, c.endpoint("databases", name), nil)
	return err
}

// RenameDatabase renames an active database and returns it with its ID.
// The call is never retried; see ErrOutcomeUnknown.
func (c *Client) RenameDatabase(ctx context.Context, name, newName string) (Database, error) {
	if err := checkName("database", name); err != nil {
		return Database{}, fmt.Errorf("%s: %w", opRenameDatabase.phrase, err)
	}
	if err := checkName("new database", newName); err != nil {
		return Database{}, fmt.Errorf("%s: %w", opRenameDatabase.phrase, err)
	}
	body := struct {
		Name string `json:"name"`
	}{Name: newName}
	data, err := c.call(ctx, opRenameDatabase, c.endpoint("databases", name, "rename"), body)
	return c.databaseResponse(opRenameDatabase, data, err, databaseShape{withID: true})
}

// UndeleteDatabase restores a soft-deleted database by its ID. The call is
// never retried; see ErrOutcomeUnknown.
func (c *Client) UndeleteDatabase(ctx context.Context, id int64) (Database, error) {
	if err := checkNumericID("database", id); err != nil {
		return Database{}, fmt.Errorf("%s: %w", opUndeleteDB.phrase, err)
	}
	data, err := c.call(ctx, opUndeleteDB, c.endpoint("databases", formatID(id), "undelete"), nil)
	return c.databaseResponse(opUndeleteDB, data, err, databaseShape{withID: true})
}

func (c *Client) databaseResponse(
	op operation, data []byte, err error, shape databaseShape,
) (Database, error) {
	if err != nil {
		return Database{}, err
	}
	db, err := decodeOne(data, c.owner().database(shape))
	if err != nil {
		return Database{}, c.malformed(op, err)
	}
	return db, nil
}
