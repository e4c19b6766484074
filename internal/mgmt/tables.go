package mgmt

import (
	"context"
	"fmt"
)

// tableWire is a table as the API sends it.
type tableWire struct {
	AccountID         *string         `json:"accountId"`
	ClusterID         *string         `json:"clusterId"`
	DatabaseName      *string         `json:"databaseName"`
	ID                *int64          `json:"id"`
	Name              *string         `json:"name"`
	PartitionTemplate []PartitionPart `json:"partitionTemplate"`
}

// table returns the converter for table responses. Rename and undelete
// responses must carry the table ID, create responses do not.
func (o owner) table(withID bool) func(tableWire) (Table, error) {
	return func(w tableWire) (Table, error) {
		if err := o.check(w.AccountID, w.ClusterID); err != nil {
			return Table{}, err
		}
		checks := []error{
			requiredString("databaseName", w.DatabaseName),
			requiredString("name", w.Name),
			required("id", !withID || w.ID != nil),
			checkTemplate(w.PartitionTemplate),
		}
		for _, err := range checks {
			if err != nil {
				return Table{}, err
			}
		}

		t := Table{
			AccountID:         *w.AccountID,
			ClusterID:         *w.ClusterID,
			DatabaseName:      *w.DatabaseName,
			Name:              *w.Name,
			PartitionTemplate: w.PartitionTemplate,
		}
		if w.ID != nil {
			t.ID = *w.ID
		}
		return t, nil
	}
}

// CreateTable creates a table in an existing database, typically to give
// it its own partition template before any data is written. The call is
// never retried; see ErrOutcomeUnknown.
func (c *Client) CreateTable(
	ctx context.Context, database string, req CreateTableRequest,
) (Table, error) {
	if err := checkNames(database, req.Name); err != nil {
		return Table{}, fmt.Errorf("%s: %w", opCreateTable.phrase, err)
	}
	data, err := c.call(ctx, opCreateTable, c.endpoint("databases", database, "tables"), req)
	return c.tableResponse(opCreateTable, data, err, false)
}

// DeleteTable deletes a table. The call is retried on transient errors, so
// a 404 may mean that an earlier attempt deleted it.
func (c *Client) DeleteTable(ctx context.Context, database, table string) error {
	if err := checkNames(database, table); err != nil {
		return fmt.Errorf("%s: %w", opDeleteTable.phrase, err)
	}
	_, err := c.call(ctx, opDeleteTable, c.endpoint("databases", database, "tables", table), nil)
	return err
}

// RenameTable renames a table and returns it with its ID. The call is
// never retried; see ErrOutcomeUnknown.
func (c *Client) RenameTable(ctx context.Context, database, table, newName string) (Table, error) {
	if err := checkNames(database, table); err != nil {
		return Table{}, fmt.Errorf("%s: %w", opRenameTable.phrase, err)
	}
	if err := checkName("new table", newName); err != nil {
		return Table{}, fmt.Errorf("%s: %w", opRenameTable.phrase, err)
	}
	body := struct {
		Name string `json:"name"`
	}{Name: newName}
	u := c.endpoint("databases", database, "tables", table, "rename")
	data, err := c.call(ctx, opRenameTable, u, body)
	return c.tableResponse(opRenameTable, data, err, true)
}

// UndeleteTable restores a soft-deleted table by its ID. The call is never
// retried; see ErrOutcomeUnknown.
func (c *Client) UndeleteTable(ctx context.Context, database string, tableID int64) (Table, error) {
	if err := checkName("database", database); err != nil {
		return Table{}, fmt.Errorf("%s: %w", opUndeleteTable.phrase, err)
	}
	if err := checkNumericID("table", tableID); err != nil {
		return Table{}, fmt.Errorf("%s: %w", opUndeleteTable.phrase, err)
	}
	u := c.endpoint("databases", database, "tables", formatID(tableID), "undelete")
	data, err := c.call(ctx, opUndeleteTable, u, nil)
	return c.tableResponse(opUndeleteTable, data, err, true)
}

func (c *Client) tableResponse(op operation, data []byte, err error, withID bool) (Table, error) {
	if err != nil {
		return Table{}, err
	}
	t, err := decodeOne(data, c.owner().table(withID))
	if err != nil {
		return Table{}, c.malformed(op, err)
	}
	return t, nil
}

// checkNames checks a database name and a table name.
func checkNames(database, table string) error {
	if err := checkName("database", database); err != nil {
		return err
	}
	return checkName("table", table)
}
