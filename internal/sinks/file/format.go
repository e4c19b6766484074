package file

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Formats of the current file.
const (
	// FormatRaw writes the bare token with no trailing newline, so a reader
	// that does not trim still gets the exact token. Read ignores a trailing
	// newline that someone added by hand.
	FormatRaw = "raw"
	// FormatJSON writes the token and its metadata as an indented JSON
	// object followed by a newline.
	FormatJSON = "json"
	// FormatEnv writes one unquoted KEY=token line followed by a newline.
	FormatEnv = "env"
)

var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envUnsafe lists the characters a token must not contain in the env
// format, because a shell, a systemd EnvironmentFile and docker --env-file
// would each read the unquoted line differently.
const envUnsafe = "\"'\\$`#"

// document is the JSON shape of the json format and of the pending file.
type document struct {
	Token string `json:"token"`
	sinks.Metadata
}

// metaDocument is the side file that carries the metadata of a raw or env
// current file. TokenSHA256 ties it to one content, so Read can tell a side
// file that is newer or older than the current file after a crash.
type metaDocument struct {
	sinks.Metadata
	TokenSHA256 string `json:"tokenSha256"`
}

func newDocument(s sinks.Secret) document {
	return document{Token: s.Token.Reveal(), Metadata: utcMetadata(s.Metadata)}
}

func (d document) secret() *sinks.Secret {
	return &sinks.Secret{Token: secret.NewToken(d.Token), Metadata: d.Metadata}
}

func utcMetadata(m sinks.Metadata) sinks.Metadata {
	m.CreatedAt = m.CreatedAt.UTC()
	if m.ExpiresAt != nil {
		expires := m.ExpiresAt.UTC()
		m.ExpiresAt = &expires
	}
	return m
}

func marshalIndented(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// checkToken rejects tokens that the format cannot store faithfully. The
// error never contains the token.
func checkToken(format string, token secret.Token) error {
	value := token.Reveal()
	if value == "" {
		return errors.New("token is empty")
	}
	if format == FormatJSON {
		return nil
	}
	if strings.ContainsFunc(value, isSpaceOrControl) {
		return fmt.Errorf("token contains whitespace or a control character, which the %s format cannot store", format)
	}
	if format == FormatEnv && strings.ContainsAny(value, envUnsafe) {
		return fmt.Errorf("token contains one of %s, which the env format writes unquoted", envUnsafe)
	}
	return nil
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f
}

// encodeCurrent returns the bytes of the current file for s.
func encodeCurrent(format, envKey string, s sinks.Secret) ([]byte, error) {
	switch format {
	case FormatRaw:
		return []byte(s.Token.Reveal()), nil
	case FormatEnv:
		return []byte(envKey + "=" + s.Token.Reveal() + "\n"), nil
	default:
		return marshalIndented(newDocument(s))
	}
}

// decodeCurrent parses a current file. It returns metadata only for the
// json format, whose file carries it.
func decodeCurrent(format string, data []byte) (string, *sinks.Metadata, error) {
	switch format {
	case FormatRaw:
		return string(bytes.TrimRight(data, "\r\n")), nil, nil
	case FormatEnv:
		return decodeEnv(data)
	default:
		var doc document
		if err := json.Unmarshal(data, &doc); err != nil {
			return "", nil, fmt.Errorf("parse json format: %w", err)
		}
		return doc.Token, &doc.Metadata, nil
	}
}

// decodeEnv reads the value of the first KEY=value line. It accepts any
// key, so a change of envKey is repaired by the next Promote.
func decodeEnv(data []byte) (string, *sinks.Metadata, error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	_, value, ok := bytes.Cut(bytes.TrimRight(line, "\r"), []byte("="))
	if !ok {
		return "", nil, errors.New("parse env format: first line has no '='")
	}
	return string(value), nil, nil
}
