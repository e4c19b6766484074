package emulator

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// Limits of the Management API schema.
const (
	maxDatabaseNameLength = 64
	maxTemplateParts      = 8
	maxBuckets            = 100000
)

var (
	uuidPattern = regexp.MustCompile(
		`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	databaseNamePattern = regexp.MustCompile(`^[A-Za-z0-9_/-]{1,64}$`)
)

// isUUID reports whether s is a UUID in the canonical 8-4-4-4-12 form.
func isUUID(s string) bool { return uuidPattern.MatchString(s) }

func validateDatabaseName(field, name string) error {
	if databaseNamePattern.MatchString(name) {
		return nil
	}
	return badRequest(
		"invalid %s %q: must be 1 to %d characters of letters, digits, '_', '-' and '/'",
		field, name, maxDatabaseNameLength)
}

// validateTableName checks a table name. The schema sets only a minimum
// length, so any non-empty UTF-8 string passes.
func validateTableName(field, name string) error {
	if name == "" || !utf8.ValidString(name) {
		return badRequest("invalid %s %q: must be a non-empty UTF-8 string", field, name)
	}
	return nil
}

// parseID parses a database or table ID from a path: an int64 of at least 1.
func parseID(field, s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("invalid %s %q: must be an integer of at least 1", field, s)
	}
	return id, nil
}

// decodeLimit decodes maxTables or maxColumnsPerTable: an int32 of at
// least 1.
func decodeLimit(obj map[string]json.RawMessage, name string) (int, bool, error) {
	var v int64
	present, err := decodeField(obj, name, &v)
	if err != nil || !present {
		return 0, present, err
	}
	if v < 1 || v > math.MaxInt32 {
		return 0, true, badRequest("invalid %s %d: must be between 1 and %d",
			name, v, math.MaxInt32)
	}
	return int(v), true, nil
}

// decodeRetention decodes retentionPeriod: nanoseconds, at least 0.
func decodeRetention(obj map[string]json.RawMessage) (int64, bool, error) {
	var v int64
	present, err := decodeField(obj, "retentionPeriod", &v)
	if err != nil || !present {
		return 0, present, err
	}
	if v < 0 {
		return 0, true, badRequest(
			"invalid retentionPeriod %d: must be 0 (keep forever) or more nanoseconds", v)
	}
	return v, true, nil
}

// decodeTemplate decodes an optional partitionTemplate: 1 to 8 distinct
// parts of type tag, time or bucket.
func decodeTemplate(obj map[string]json.RawMessage) ([]mgmt.PartitionPart, error) {
	var raws []json.RawMessage
	present, err := decodeField(obj, "partitionTemplate", &raws)
	if err != nil || !present {
		return nil, err
	}
	if len(raws) < 1 || len(raws) > maxTemplateParts {
		return nil, badRequest("invalid partitionTemplate: has %d parts, must have 1 to %d",
			len(raws), maxTemplateParts)
	}
	parts := make([]mgmt.PartitionPart, 0, len(raws))
	for i, raw := range raws {
		part, err := decodePart(i, raw)
		if err != nil {
			return nil, err
		}
		for j, prev := range parts {
			if samePart(prev, part) {
				return nil, badRequest("invalid partitionTemplate: part %d repeats part %d", i, j)
			}
		}
		parts = append(parts, part)
	}
	return parts, nil
}

func decodePart(i int, raw json.RawMessage) (mgmt.PartitionPart, error) {
	field := "partitionTemplate[" + strconv.Itoa(i) + "]"
	obj, err := decodeNested(field, raw, "type", "value")
	if err != nil {
		return mgmt.PartitionPart{}, err
	}
	var part mgmt.PartitionPart
	if err := requireField(obj, "type", &part.Type); err != nil {
		return part, badRequest("invalid %s: %v", field, err)
	}
	switch part.Type {
	case mgmt.PartTag, mgmt.PartTime:
		err = requireField(obj, "value", &part.Value)
		if err == nil && part.Value == "" {
			err = badRequest("value must not be empty")
		}
	case mgmt.PartBucket:
		part.Bucket, err = decodeBucket(obj)
	default:
		err = badRequest("unknown type %q, must be tag, time or bucket", part.Type)
	}
	if err != nil {
		return part, badRequest("invalid %s: %v", field, err)
	}
	return part, nil
}

func decodeBucket(obj map[string]json.RawMessage) (*mgmt.Bucket, error) {
	raw, ok := obj["value"]
	if !ok {
		return nil, badRequest("missing required property \"value\"")
	}
	value, err := decodeNested("bucket value", raw, "tagName", "numberOfBuckets")
	if err != nil {
		return nil, err
	}
	var b mgmt.Bucket
	var count int64
	if err := requireField(value, "tagName", &b.TagName); err != nil {
		return nil, err
	}
	if err := requireField(value, "numberOfBuckets", &count); err != nil {
		return nil, err
	}
	if b.TagName == "" {
		return nil, badRequest("tagName must not be empty")
	}
	if count < 1 || count > maxBuckets {
		return nil, badRequest("numberOfBuckets %d must be between 1 and %d", count, maxBuckets)
	}
	b.NumberOfBuckets = int(count)
	return &b, nil
}

func samePart(a, b mgmt.PartitionPart) bool {
	if a.Type != b.Type {
		return false
	}
	if a.Type == mgmt.PartBucket {
		return *a.Bucket == *b.Bucket
	}
	return a.Value == b.Value
}

// decodePermissions decodes a permissions list: each entry is an action
// (read or write) on a database name or on "*".
func decodePermissions(obj map[string]json.RawMessage) ([]mgmt.Permission, bool, error) {
	var raws []json.RawMessage
	present, err := decodeField(obj, "permissions", &raws)
	if err != nil || !present {
		return nil, present, err
	}
	perms := make([]mgmt.Permission, 0, len(raws))
	for i, raw := range raws {
		field := "permissions[" + strconv.Itoa(i) + "]"
		entry, err := decodeNested(field, raw, "action", "resource")
		if err != nil {
			return nil, true, err
		}
		var p mgmt.Permission
		if err := requireField(entry, "action", &p.Action); err != nil {
			return nil, true, badRequest("invalid %s: %v", field, err)
		}
		if err := requireField(entry, "resource", &p.Resource); err != nil {
			return nil, true, badRequest("invalid %s: %v", field, err)
		}
		if err := validatePermission(field, p); err != nil {
			return nil, true, err
		}
		perms = append(perms, p)
	}
	return perms, true, nil
}

func validatePermission(field string, p mgmt.Permission) error {
	if p.Action != mgmt.ActionRead && p.Action != mgmt.ActionWrite {
		return badRequest("invalid %s: action %q must be read or write", field, p.Action)
	}
	if p.Resource == mgmt.AllDatabases {
		return nil
	}
	return validateDatabaseName(field+" resource", p.Resource)
}
