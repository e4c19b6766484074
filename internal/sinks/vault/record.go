package vault

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Keys of the secret's data. Every key except dataToken is also written to
// the custom metadata of a KV v2 secret, unless its value is empty.
const (
	dataToken      = "token"
	dataTokenID    = "token_id"
	dataPolicy     = "policy"
	dataAccountID  = "account_id"
	dataClusterID  = "cluster_id"
	dataRotationID = "rotation_id"
	dataCreatedAt  = "created_at"
	dataExpiresAt  = "expires_at"

	// dataStagedAgainst, in a pending secret only, is the version of the
	// current path when the secret was staged, for check-and-set.
	dataStagedAgainst = "staged_against_version"
)

// encodeData returns the KV data for s. Times are RFC 3339 in UTC with
// nanoseconds.
func encodeData(s sinks.Secret) map[string]any {
	data := map[string]any{dataToken: s.Token.Reveal()}
	for k, v := range metadataFields(s.Metadata) {
		data[k] = v
	}
	return data
}

// metadataFields returns the secret's non-secret fields as strings, leaving
// out the ones that are unset, such as expires_at for a token that does not
// expire.
func metadataFields(m sinks.Metadata) map[string]string {
	fields := map[string]string{
		dataTokenID:    m.TokenID,
		dataPolicy:     m.Policy,
		dataAccountID:  m.AccountID,
		dataClusterID:  m.ClusterID,
		dataRotationID: m.RotationID,
		dataCreatedAt:  formatTime(m.CreatedAt),
	}
	if m.ExpiresAt != nil {
		fields[dataExpiresAt] = formatTime(*m.ExpiresAt)
	}
	for k, v := range fields {
		if v == "" {
			delete(fields, k)
		}
	}
	return fields
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// decodeData parses KV data written by encodeData. Data that has a token
// but no metadata, such as a secret seeded by hand, reads with an empty
// TokenID. The error never contains the token.
func decodeData(data map[string]any) (*sinks.Secret, error) {
	token, _ := data[dataToken].(string)
	if token == "" {
		return nil, errors.New(`the "token" field is missing or not a string`)
	}

	s := &sinks.Secret{Token: secret.NewToken(token)}
	s.TokenID = stringField(data, dataTokenID)
	s.Policy = stringField(data, dataPolicy)
	s.AccountID = stringField(data, dataAccountID)
	s.ClusterID = stringField(data, dataClusterID)
	s.RotationID = stringField(data, dataRotationID)

	created, err := timeField(data, dataCreatedAt)
	if err != nil {
		return nil, err
	}
	if created != nil {
		s.CreatedAt = *created
	}
	if s.ExpiresAt, err = timeField(data, dataExpiresAt); err != nil {
		return nil, err
	}
	return s, nil
}

func stringField(data map[string]any, key string) string {
	v, _ := data[key].(string)
	return v
}

func timeField(data map[string]any, key string) (*time.Time, error) {
	v := stringField(data, key)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", key, err)
	}
	return &t, nil
}

// decodeOptional is decodeData for data that may be absent.
func decodeOptional(data map[string]any) (*sinks.Secret, error) {
	if data == nil {
		return nil, nil
	}
	return decodeData(data)
}

// mergeData returns the data of s for the current path, keeping the fields
// of current that rotatord does not own, so a path that also contains, for
// example, a URL for its consumers keeps it.
func mergeData(s sinks.Secret, current map[string]any) map[string]any {
	data := encodeData(s)
	owned := map[string]bool{dataToken: true, dataTokenID: true, dataPolicy: true, dataAccountID: true,
		dataClusterID: true, dataRotationID: true, dataCreatedAt: true, dataExpiresAt: true,
		dataStagedAgainst: true}
	for k, v := range current {
		if !owned[k] {
			data[k] = v
		}
	}
	return data
}

// intField returns the integer in data[key], which Vault's JSON decoding
// may give as a json.Number, a float64 or an int.
func intField(data map[string]any, key string) (int, bool) {
	switch v := data[key].(type) {
	case int:
		return v, true
	case float64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	default:
		return 0, false
	}
}
