package mgmt

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The decoders below read responses into structs of pointers, so a required
// field that is missing or null is distinguished from a zero value, then copy
// them into the types callers use.

// owner is the account and cluster every response must belong to.
type owner struct {
	accountID string
	clusterID string
}

func (c *Client) owner() owner { return owner{accountID: c.accountID, clusterID: c.clusterID} }

// check reports a missing, null or foreign accountId or clusterId.
func (o owner) check(accountID, clusterID *string) error {
	if err := required("accountId", accountID != nil); err != nil {
		return err
	}
	if err := required("clusterId", clusterID != nil); err != nil {
		return err
	}
	if !strings.EqualFold(*accountID, o.accountID) {
		return fmt.Errorf("%w: accountId %q is not this client's account",
			ErrMalformedResponse, *accountID)
	}
	if !strings.EqualFold(*clusterID, o.clusterID) {
		return fmt.Errorf("%w: clusterId %q is not this client's cluster",
			ErrMalformedResponse, *clusterID)
	}
	return nil
}

func required(field string, present bool) error {
	if !present {
		return fmt.Errorf("%w: required field %s is missing or null", ErrMalformedResponse, field)
	}
	return nil
}

// requiredString reports a string field that is missing, null or empty.
func requiredString(field string, v *string) error {
	if err := required(field, v != nil); err != nil {
		return err
	}
	if *v == "" {
		return fmt.Errorf("%w: required field %s is empty", ErrMalformedResponse, field)
	}
	return nil
}

// malformed prefixes a decode error with the operation phrase. A POST or
// PUT returned 2xx, so the server acted, but the caller cannot tell what it
// made: the error wraps ErrOutcomeUnknown too.
func (c *Client) malformed(op operation, err error) error {
	err = fmt.Errorf("%s: %w", op.phrase, err)
	if op.idempotent() {
		return err
	}
	return fmt.Errorf("%w: %w", err, ErrOutcomeUnknown)
}

// decodeJSON unmarshals a whole response body. Trailing data is an error.
func decodeJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	return nil
}

// decodeList decodes a JSON array, rejecting null, and converts each item
// with convert. Errors name the index of the bad item.
func decodeList[W, T any](data []byte, convert func(W) (T, error)) ([]T, error) {
	var wires []W
	if err := decodeJSON(data, &wires); err != nil {
		return nil, err
	}
	if wires == nil {
		return nil, fmt.Errorf("%w: expected a JSON array, got null", ErrMalformedResponse)
	}

	items := make([]T, 0, len(wires))
	for i, w := range wires {
		item, err := convert(w)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		items = append(items, item)
	}
	return items, nil
}

// decodeOne decodes a JSON object and converts it with convert.
func decodeOne[W, T any](data []byte, convert func(W) (T, error)) (T, error) {
	var w W
	if err := decodeJSON(data, &w); err != nil {
		var zero T
		return zero, err
	}
	return convert(w)
}

// checkTemplate rejects partition template parts of a known type whose
// value is empty or out of the range the API allows. Parts of other types
// are kept as decoded.
func checkTemplate(parts []PartitionPart) error {
	for i, p := range parts {
		var err error
		switch p.Type {
		case PartTag, PartTime:
			if p.Value == "" {
				err = fmt.Errorf("%s part has an empty value", p.Type)
			}
		case PartBucket:
			err = checkBucket(p.Bucket)
		case "":
			err = fmt.Errorf("part has no type")
		}
		if err != nil {
			return fmt.Errorf("%w: partitionTemplate[%d]: %w", ErrMalformedResponse, i, err)
		}
	}
	return nil
}

// maxBuckets is the largest numberOfBuckets the API accepts.
const maxBuckets = 100000

func checkBucket(b *Bucket) error {
	switch {
	case b == nil:
		return fmt.Errorf("bucket part has no value")
	case b.TagName == "":
		return fmt.Errorf("bucket part has an empty tagName")
	case b.NumberOfBuckets < 1 || b.NumberOfBuckets > maxBuckets:
		return fmt.Errorf("bucket part numberOfBuckets %d is outside 1 to %d",
			b.NumberOfBuckets, maxBuckets)
	}
	return nil
}
