package rotate

import (
	"crypto/rand"
	"encoding/hex"
	"github.com/rotatord/rotatord/internal/mgmt"
	"regexp"
	"strings"
)

// A managed token's description ends with a marker that names the policy
// and the rotation that created it, for example
// "ingest writer [rotatord:ingest:3f9c2a7b1d0e]". The marker lets the
// engine find the token an unanswered create made, and tell its own
// orphans from tokens it must not touch.
var markerPattern = regexp.MustCompile(`\s*\[rotatord:([a-z0-9][a-z0-9._-]{0,62}):([0-9a-f]{12})\]$`)

// newRotationID returns a random 12-digit hex ID.
func newRotationID() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// withMarker returns the description with any old marker replaced by one
// for this policy and rotation.
func withMarker(description, policy, rotationID string) string {
	base := baseDescription(description)
	marker := "[rotatord:" + policy + ":" + rotationID + "]"
	if base == "" {
		return marker
	}
	return base + " " + marker
}

// baseDescription returns the description without its marker.
func baseDescription(description string) string {
	return strings.TrimSpace(markerPattern.ReplaceAllString(description, ""))
}

// parseMarker returns the policy and rotation ID of a managed token's
// description, and false for a token rotatord did not create.
func parseMarker(description string) (policy, rotationID string, ok bool) {
	m := markerPattern.FindStringSubmatch(description)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func formatPermissions(perms []mgmt.Permission) string {
	if len(perms) == 0 {
		return "(none)"
	}
	parts := make([]string, len(perms))
	for i, p := range perms {
		parts[i] = p.Action + ":" + p.Resource
	}
	return strings.Join(parts, ", ")
}
