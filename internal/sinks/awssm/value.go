package awssm

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Value formats of the secret string.
const (
	FormatJSON = "json"
	FormatRaw  = "raw"
)

// placeholderVersionID is the version that holds AWSCURRENT in a secret no
// token has been promoted into yet. Secrets Manager attaches AWSCURRENT to
// the first version of a secret whatever stages the request names, so
// Stage writes this version first to keep the new token pending.
const placeholderVersionID = "00000000-0000-4000-8000-726f74617464"

// placeholderValue is the secret string of the placeholder version. It is
// not a token, so a consumer that reads it before the first promotion fails
// to authenticate instead of using a half-rotated token.
const placeholderValue = `{"placeholder":"no token has been promoted into this secret yet"}`

// directVersionID matches token IDs that Secrets Manager accepts as a
// version ID (ClientRequestToken) as they are: 32 to 64 characters.
// InfluxDB token IDs are UUIDs and match.
var directVersionID = regexp.MustCompile(`^[A-Za-z0-9-]{32,64}$`)

// versionNamespace seeds the name-based UUIDs of token IDs that do not
// match directVersionID.
var versionNamespace = uuid.MustParse("5d0c9c0e-4f5b-4c43-9a51-726f74617464")

// versionIDFor returns the Secrets Manager version ID that holds tokenID.
// It depends on the token ID alone, because Promote and Discard receive
// nothing else, and it is the same for every retry, so a repeated
// PutSecretValue never creates a second version.
func versionIDFor(tokenID string) string {
	if directVersionID.MatchString(tokenID) {
		return tokenID
	}
	return uuid.NewHash(sha256.New(), versionNamespace, []byte(tokenID), 5).String()
}

// jsonValue is the secret string in the json value format.
type jsonValue struct {
	Token string `json:"token"`
	sinks.Metadata
}

func encodeValue(format string, s sinks.Secret) (string, error) {
	if format == FormatRaw {
		return s.Token.Reveal(), nil
	}
	b, err := json.Marshal(jsonValue{Token: s.Token.Reveal(), Metadata: s.Metadata})
	if err != nil {
		return "", fmt.Errorf("encode value of token %s: %w", s.TokenID, err)
	}
	return string(b), nil
}

// decodeValue turns one version into a Secret. A json value written by
// rotatord yields its metadata. A JSON object without a token is someone
// else's secret, such as a username and password, and is an error, so
// rotatord never moves AWSCURRENT away from it. Any other string is taken
// as a bare token whose ID is the version ID, which is how raw values are
// written.
//
// NOTE: a raw value keeps only the token ID (as the version ID), the
// policy and the version's creation time. AccountID, ClusterID,
// RotationID and ExpiresAt read back empty.
func decodeValue(policy, versionID, value string, created time.Time) (sinks.Secret, error) {
	var object map[string]json.RawMessage
	if json.Unmarshal([]byte(value), &object) == nil {
		var v jsonValue
		if json.Unmarshal([]byte(value), &v) != nil || v.Token == "" || v.TokenID == "" {
			return sinks.Secret{}, errForeignValue
		}
		return sinks.Secret{Token: secret.NewToken(v.Token), Metadata: v.Metadata}, nil
	}
	return sinks.Secret{
		Token: secret.NewToken(value),
		Metadata: sinks.Metadata{
			TokenID:   versionID,
			Policy:    policy,
			CreatedAt: created.UTC(),
		},
	}, nil
}

// errForeignValue marks a version that holds a JSON object rotatord did
// not write.
var errForeignValue = errors.New("the value is a JSON object without a token and token ID, " +
	"which rotatord did not write; give the policy a secret of its own")
