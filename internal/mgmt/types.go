package mgmt

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rotatord/rotatord/internal/secret"
)

// Permission actions and the resource that stands for every database.
const (
	ActionRead   = "read"
	ActionWrite  = "write"
	AllDatabases = "*"
)

// Permission grants one action on one database, or on AllDatabases.
type Permission struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
}

// Token is a database token as the Management API lists it. The secret
// string is never part of it.
type Token struct {
	AccountID   string       `json:"accountId"`
	ClusterID   string       `json:"clusterId"`
	ID          string       `json:"id"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
	CreatedAt   time.Time    `json:"createdAt"`
	ExpiresAt   *time.Time   `json:"expiresAt,omitempty"`
	RevokedAt   *time.Time   `json:"revokedAt,omitempty"`
}

// CreatedToken is the response to a token create: the token and the secret
// string that the API returns this one time only.
type CreatedToken struct {
	Token
	AccessToken secret.Token `json:"-"`
}

// CreateTokenRequest is the body of a token create.
type CreateTokenRequest struct {
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
	ExpiresAt   *time.Time   `json:"expiresAt,omitempty"`
}

// UpdateTokenRequest is the body of a token update. Nil fields are left out;
// a non-nil Permissions replaces the whole list.
type UpdateTokenRequest struct {
	Description *string       `json:"description,omitempty"`
	Permissions *[]Permission `json:"permissions,omitempty"`
}

// Partition template part types.
const (
	PartTag    = "tag"
	PartTime   = "time"
	PartBucket = "bucket"
)

// PartitionPart is one part of a partition template. Value is set for tag
// and time parts, Bucket for bucket parts.
type PartitionPart struct {
	Type   string
	Value  string
	Bucket *Bucket
}

// Bucket is the value of a bucket part.
type Bucket struct {
	TagName         string `json:"tagName"`
	NumberOfBuckets int    `json:"numberOfBuckets"`
}

type wirePart struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// MarshalJSON encodes the part with a string value, or an object value for
// bucket parts.
func (p PartitionPart) MarshalJSON() ([]byte, error) {
	var value any = p.Value
	if p.Type == PartBucket {
		value = p.Bucket
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	return json.Marshal(wirePart{Type: p.Type, Value: raw})
}

// UnmarshalJSON decodes a part and rejects a value of the wrong shape.
func (p *PartitionPart) UnmarshalJSON(data []byte) error {
	var w wirePart
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*p = PartitionPart{Type: w.Type}
	if w.Type == PartBucket {
		p.Bucket = &Bucket{}
		if err := json.Unmarshal(w.Value, p.Bucket); err != nil {
			return fmt.Errorf("bucket partition part: %w", err)
		}
		return nil
	}
	if err := json.Unmarshal(w.Value, &p.Value); err != nil {
		return fmt.Errorf("%s partition part: %w", w.Type, err)
	}
	return nil
}

// Database is a cluster database. ID is set only by the rename and undelete
// responses. RetentionPeriod is in nanoseconds; 0 keeps data forever.
type Database struct {
	AccountID          string          `json:"accountId"`
	ClusterID          string          `json:"clusterId"`
	ID                 int64           `json:"id,omitempty"`
	Name               string          `json:"name"`
	MaxTables          int             `json:"maxTables"`
	MaxColumnsPerTable int             `json:"maxColumnsPerTable"`
	RetentionPeriod    int64           `json:"retentionPeriod"`
	PartitionTemplate  []PartitionPart `json:"partitionTemplate,omitempty"`
}

// CreateDatabaseRequest is the body of a database create. Zero limits are
// left out so the server applies its defaults.
type CreateDatabaseRequest struct {
	Name               string          `json:"name"`
	MaxTables          int             `json:"maxTables,omitempty"`
	MaxColumnsPerTable int             `json:"maxColumnsPerTable,omitempty"`
	RetentionPeriod    int64           `json:"retentionPeriod,omitempty"`
	PartitionTemplate  []PartitionPart `json:"partitionTemplate,omitempty"`
}

// UpdateDatabaseRequest is the body of a database update; at least one
// field must be set.
type UpdateDatabaseRequest struct {
	MaxTables          *int   `json:"maxTables,omitempty"`
	MaxColumnsPerTable *int   `json:"maxColumnsPerTable,omitempty"`
	RetentionPeriod    *int64 `json:"retentionPeriod,omitempty"`
}

// Table is a database table. ID is set only by the rename and undelete
// responses.
type Table struct {
	AccountID         string          `json:"accountId"`
	ClusterID         string          `json:"clusterId"`
	DatabaseName      string          `json:"databaseName"`
	ID                int64           `json:"id,omitempty"`
	Name              string          `json:"name"`
	PartitionTemplate []PartitionPart `json:"partitionTemplate,omitempty"`
}

// CreateTableRequest is the body of a table create.
type CreateTableRequest struct {
	Name              string          `json:"name"`
	PartitionTemplate []PartitionPart `json:"partitionTemplate,omitempty"`
}
