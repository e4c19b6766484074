// Package secret holds the type that carries secret strings through
// rotatord without letting them reach logs, errors or JSON by accident.
package secret

import "log/slog"

// Token is a secret string that prints as "[redacted]" through fmt, slog and
// encoding/json. Reveal returns the real value, so every place that hands
// the secret on is explicit and easy to audit.
type Token struct {
	value string
}

// NewToken wraps a secret string.
func NewToken(value string) Token { return Token{value: value} }

// Reveal returns the secret string.
func (t Token) Reveal() string { return t.value }

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t.value == "" }

// Equal reports whether two tokens hold the same secret.
func (t Token) Equal(other Token) bool { return t.value == other.value }

const redacted = "[redacted]"

// String returns a placeholder, never the secret.
func (t Token) String() string { return redacted }

// GoString returns a placeholder, never the secret.
func (t Token) GoString() string { return redacted }

// LogValue returns a placeholder, never the secret.
func (t Token) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns a placeholder, never the secret. Sinks serialize
// Reveal() explicitly.
func (t Token) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
