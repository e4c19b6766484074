package rotate

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/rotatord/rotatord/internal/mgmt"
	"github.com/rotatord/rotatord/internal/policy"
)

// provision makes sure every database the policy names exists with the
// policy's limits, and creates its tables. With dryRun it only records the
// actions it would take.
func (r *run) provision(ctx context.Context, dryRun bool) error {
	if len(r.p.Databases) == 0 {
		return nil
	}
	have, err := r.api().ListDatabases(ctx)
	if err != nil {
		return fmt.Errorf("provision databases of policy %s: list databases: %w", r.p.Name, err)
	}
	byName := map[string]mgmt.Database{}
	for _, d := range have {
		byName[d.Name] = d
	}
	for _, want := range r.p.Databases {
		got, exists := byName[want.Name]
		if err := r.provisionDatabase(ctx, want, got, exists, dryRun); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) provisionDatabase(ctx context.Context, want policy.Database, got mgmt.Database,
	exists, dryRun bool) error {
	if !exists {
		if err := r.createDatabase(ctx, want, dryRun); err != nil {
			return err
		}
	} else {
		if err := r.patchDrift(ctx, want, got, dryRun); err != nil {
			return err
		}
		if len(want.PartitionTemplate) > 0 && !reflect.DeepEqual(want.PartitionTemplate,
			got.PartitionTemplate) {
			r.log.Warn("partition template of database differs from policy; the API cannot change it",
				"database", want.Name)
			r.action("partition template of database %s differs from the policy; recreate the database to change it", want.Name)
		}
	}
	for _, t := range want.Tables {
		if err := r.createTable(ctx, want.Name, t, dryRun); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) createDatabase(ctx context.Context, want policy.Database, dryRun bool) error {
	r.action("create database %s", want.Name)
	if dryRun {
		return nil
	}
	_, err := r.api().CreateDatabase(ctx, mgmt.CreateDatabaseRequest{
		Name: want.Name, MaxTables: want.MaxTables, MaxColumnsPerTable: want.MaxColumnsPerTable,
		RetentionPeriod: int64(want.RetentionPeriod), PartitionTemplate: want.PartitionTemplate,
	})
	if err == nil {
		r.log.Info("database created", "database", want.Name)
		return nil
	}
	if mgmt.IsConflict(err) {
		r.log.Debug("database exists already", "database", want.Name)
		return nil
	}
	if errors.Is(err, mgmt.ErrOutcomeUnknown) {
		if dbs, lerr := r.api().ListDatabases(ctx); lerr == nil && hasDatabase(dbs, want.Name) {
			return nil
		}
	}
	return fmt.Errorf("create database %s for policy %s: %w", want.Name, r.p.Name, err)
}

func hasDatabase(dbs []mgmt.Database, name string) bool {
	for _, d := range dbs {
		if d.Name == name {
			return true
		}
	}
	return false
}

// patchDrift updates the limits that differ from the policy. A zero limit
// in the policy leaves the database's value alone.
func (r *run) patchDrift(ctx context.Context, want policy.Database, got mgmt.Database,
	dryRun bool) error {
	var req mgmt.UpdateDatabaseRequest
	drift := false
	if want.MaxTables > 0 && want.MaxTables != got.MaxTables {
		req.MaxTables, drift = &want.MaxTables, true
		r.action("set maxTables of database %s from %d to %d", want.Name, got.MaxTables,
			want.MaxTables)
	}
	if want.MaxColumnsPerTable > 0 && want.MaxColumnsPerTable != got.MaxColumnsPerTable {
		req.MaxColumnsPerTable, drift = &want.MaxColumnsPerTable, true
		r.action("set maxColumnsPerTable of database %s from %d to %d", want.Name,
			got.MaxColumnsPerTable, want.MaxColumnsPerTable)
	}
	// NOTE: a zero retentionPeriod in the policy means "not managed", so a
	// policy cannot switch a database back to infinite retention.
	if rp := int64(want.RetentionPeriod); rp > 0 && rp != got.RetentionPeriod {
		req.RetentionPeriod, drift = &rp, true
		r.action("set retentionPeriod of database %s from %dns to %dns", want.Name,
			got.RetentionPeriod, rp)
	}
	if !drift || dryRun {
		return nil
	}
	if _, err := r.api().UpdateDatabase(ctx, want.Name, req); err != nil {
		return fmt.Errorf("update database %s for policy %s: %w", want.Name, r.p.Name, err)
	}
	r.log.Info("database limits updated", "database", want.Name)
	return nil
}

// createTable creates a table once per engine; a table that exists already
// counts as created, since the API has no way to list tables.
func (r *run) createTable(ctx context.Context, database string, t policy.Table, dryRun bool) error {
	key := database + "\x00" + t.Name
	r.e.mu.Lock()
	done := r.e.started[key]
	r.e.mu.Unlock()
	if done {
		return nil
	}
	if dryRun {
		r.action("create table %s in database %s unless it exists", t.Name, database)
		return nil
	}
	_, err := r.api().CreateTable(ctx, database, mgmt.CreateTableRequest{Name: t.Name,
		PartitionTemplate: t.PartitionTemplate})
	if err != nil && !mgmt.IsConflict(err) {
		return fmt.Errorf("create table %s in database %s for policy %s: %w", t.Name, database,
			r.p.Name, err)
	}
	if err == nil {
		r.action("created table %s in database %s", t.Name, database)
	}
	r.e.mu.Lock()
	r.e.started[key] = true
	r.e.mu.Unlock()
	return nil
}
