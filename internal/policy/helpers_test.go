package policy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// validConfig returns a small configuration that passes validation, as a
// tree that tests change before parsing it.
func validConfig() map[string]any {
	return map[string]any{
		"cluster": map[string]any{
			"accountId": "11111111-1111-4111-8111-111111111111",
			"clusterId": "33333333-3333-4333-8333-333333333333",
		},
		"policies": []any{
			map[string]any{
				"name":  "ingest",
				"token": map[string]any{"id": "55555555-5555-4555-8555-555555555555"},
				"sinks": []any{
					map[string]any{"type": "file", "path": "/run/rotatord/ingest.token"},
				},
			},
			map[string]any{
				"name":        "reader",
				"token":       map[string]any{"description": "reader token"},
				"permissions": []any{map[string]any{"action": "read", "resource": "sensors"}},
				"databases": []any{
					map[string]any{"name": "sensors"},
				},
				"sinks": []any{
					map[string]any{"type": "awssm", "secretId": "prod/reader"},
				},
			},
		},
	}
}

// setPath sets the value at a path like "policies[1].sinks[0].path" in a
// tree from validConfig, creating mappings on the way.
func setPath(t *testing.T, tree map[string]any, path string, value any) {
	t.Helper()
	segs := splitPath(path)
	var node any = tree
	for i, s := range segs {
		last := i == len(segs)-1
		switch n := node.(type) {
		case map[string]any:
			require.False(t, s.isIndex, "index into a mapping at %s", path)
			if last {
				n[s.key] = value
				return
			}
			if _, ok := n[s.key]; !ok {
				n[s.key] = map[string]any{}
			}
			node = n[s.key]
		case []any:
			require.True(t, s.isIndex, "key into a list at %s", path)
			require.Less(t, s.index, len(n), "index out of range at %s", path)
			if last {
				n[s.index] = value
				return
			}
			node = n[s.index]
		default:
			t.Fatalf("cannot descend into %T at %s", node, path)
		}
	}
}

// parseTree encodes a tree as YAML and parses it.
func parseTree(t *testing.T, tree map[string]any, environ ...string) (*Config, error) {
	t.Helper()
	data, err := yaml.Marshal(tree)
	require.NoError(t, err)
	return Parse(data, environ)
}

// problemsOf returns the problems of a failed parse.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	require.Error(t, err)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	return ve.Problems
}

// requireProblem asserts that a problem at path contains fragment.
func requireProblem(t *testing.T, problems []Problem, path, fragment string) {
	t.Helper()
	var atPath []string
	for _, p := range problems {
		if p.Path == path {
			atPath = append(atPath, p.Message)
			if strings.Contains(p.Message, fragment) {
				return
			}
		}
	}
	t.Fatalf("no problem at %s containing %q; at that path: %s; all: %v",
		path, fragment, strconv.Quote(strings.Join(atPath, " | ")), problems)
}
