package policy

import (
	"fmt"
	"regexp"
	"time"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// databaseNamePattern is the Management API's rule for database names.
var databaseNamePattern = regexp.MustCompile(`^[A-Za-z0-9_/-]{1,64}$`)

// Limits of a partition template and of a bucket part.
const (
	maxTemplateParts = 8
	maxBuckets       = 100000
)

func validateDatabases(dbs []Database, path string, ps *problems) {
	seen := map[string]string{}
	for i, db := range dbs {
		dpath := fmt.Sprintf("%s.databases[%d]", path, i)
		switch {
		case db.Name == "":
			ps.add(dpath+".name", "required")
		case !databaseNamePattern.MatchString(db.Name):
			ps.add(dpath+".name", "%q is not a valid database name; use 1 to 64 letters, digits, '_', '-' or '/'", db.Name)
		case seen[db.Name] != "":
			ps.add(dpath+".name", "%q is already listed at %s", db.Name, seen[db.Name])
		default:
			seen[db.Name] = dpath
		}

		if db.MaxTables < 0 {
			ps.add(dpath+".maxTables", "%d is negative; use 0 for the server default", db.MaxTables)
		}
		if db.MaxColumnsPerTable < 0 {
			ps.add(dpath+".maxColumnsPerTable", "%d is negative; use 0 for the server default", db.MaxColumnsPerTable)
		}
		validateRetention(db.RetentionPeriod, dpath+".retentionPeriod", ps)
		validateTemplate(db.PartitionTemplate, dpath+".partitionTemplate", ps)
		validateTables(db.Tables, dpath, ps)
	}
}

func validateRetention(d time.Duration, path string, ps *problems) {
	switch {
	case d < 0:
		ps.add(path, "%v is negative; use 0 to keep data forever", d)
	case d > 0 && d < minRetention:
		ps.warn(path, "%v is under %v, so data is deleted almost at once; check the unit (30d is 30 days)", d, minRetention)
	}
}

func validateTables(tables []Table, path string, ps *problems) {
	seen := map[string]string{}
	for i, t := range tables {
		tpath := fmt.Sprintf("%s.tables[%d]", path, i)
		switch {
		case t.Name == "":
			ps.add(tpath+".name", "required")
		case seen[t.Name] != "":
			ps.add(tpath+".name", "%q is already listed at %s", t.Name, seen[t.Name])
		default:
			seen[t.Name] = tpath
		}
		validateTemplate(t.PartitionTemplate, tpath+".partitionTemplate", ps)
	}
}

// validateTemplate checks a partition template. An empty template is
// allowed and means the server default.
func validateTemplate(parts []mgmt.PartitionPart, path string, ps *problems) {
	if len(parts) > maxTemplateParts {
		ps.add(path, "has %d parts; a partition template has at most %d", len(parts), maxTemplateParts)
	}
	seen := map[string]int{}
	for i, part := range parts {
		ppath := fmt.Sprintf("%s[%d]", path, i)
		validatePart(part, ppath, ps)

		key := partKey(part)
		if first, dup := seen[key]; dup {
			ps.add(ppath, "repeats part %d of the template; remove one", first)
			continue
		}
		seen[key] = i
	}
}

func validatePart(part mgmt.PartitionPart, path string, ps *problems) {
	switch part.Type {
	case mgmt.PartTag, mgmt.PartTime:
		if part.Value == "" {
			ps.add(path+".value", "required for a %s part", part.Type)
		}
	case mgmt.PartBucket:
		b := part.Bucket
		if b == nil {
			b = &mgmt.Bucket{}
		}
		if b.TagName == "" {
			ps.add(path+".value.tagName", "required for a bucket part")
		}
		if b.NumberOfBuckets < 1 || b.NumberOfBuckets > maxBuckets {
			ps.add(path+".value.numberOfBuckets", "%d is outside 1 to %d", b.NumberOfBuckets, maxBuckets)
		}
	default:
		ps.add(path+".type", "%q is not tag, time or bucket", part.Type)
	}
}

func partKey(part mgmt.PartitionPart) string {
	if part.Bucket != nil {
		return fmt.Sprintf("%s/%s/%d", part.Type, part.Bucket.TagName, part.Bucket.NumberOfBuckets)
	}
	return part.Type + "/" + part.Value
}
