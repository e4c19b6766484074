package policy

import (
	"reflect"
	"strings"

	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/v2"
)

// EnvPrefix starts every environment variable that overrides a setting.
const EnvPrefix = "ROTATORD_"

// envIgnored are ROTATORD_ variables that are not settings, so they draw
// no unknown-variable warning: ROTATORD_CONFIG names the file itself, and
// the others belong to the emulator, the demo and the test setup.
var envIgnored = map[string]bool{
	"CONFIG": true, "EMULATOR_TOKEN": true, "DEMO_MANAGEMENT_TOKEN": true,
	"TEST_HALT_AT": true, "REQUIRE_SERVERS": true, "VAULT_BIN": true, "KUMO_BIN": true,
}

// envKeys maps a normalized variable name (lowercase, no underscores) to
// the key it overrides, for every scalar setting outside of lists.
//
// NOTE: settings inside lists (policies and their sinks) cannot be
// overridden from the environment, because a list item has no stable name
// to put in a variable.
var envKeys = buildEnvKeys(reflect.TypeFor[Config](), nil, map[string][]string{})

func buildEnvKeys(t reflect.Type, prefix []string, out map[string][]string) map[string][]string {
	for _, f := range schemaFields(t) {
		path := append(append([]string(nil), prefix...), f.name)
		switch {
		case f.typ.Kind() == reflect.Struct && f.typ != durationType:
			buildEnvKeys(f.typ, path, out)
		case f.typ.Kind() == reflect.Slice || f.typ.Kind() == reflect.Map:
			continue
		default:
			norm := strings.ToLower(strings.Join(path, ""))
			if _, dup := out[norm]; dup {
				panic("policy: two settings share the environment name " + norm)
			}
			out[norm] = path
		}
	}
	return out
}

// envKeyFor returns the key path a variable name (without the prefix)
// overrides. Matching ignores case and underscores, so CLUSTER_DATAPLANEURL,
// CLUSTER_DATA_PLANE_URL and CLUSTER__DATA_PLANE_URL all reach
// cluster.dataPlaneURL.
func envKeyFor(name string) ([]string, bool) {
	norm := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	path, ok := envKeys[norm]
	return path, ok
}

// applyEnv merges ROTATORD_ variables from environ over the configuration.
// An empty variable leaves the value from the file in place.
func applyEnv(k *koanf.Koanf, environ []string, ps *problems) error {
	transform := func(name, value string) (string, any) {
		short := strings.TrimPrefix(name, EnvPrefix)
		if value == "" || envIgnored[short] {
			return "", nil
		}
		path, ok := envKeyFor(short)
		if !ok {
			ps.warnings = append(ps.warnings, name+": unknown environment variable, ignored; "+
				"names are ROTATORD_ followed by a setting path such as ROTATORD_CLUSTER_DATA_PLANE_URL")
			return "", nil
		}
		return strings.Join(path, keyDelim), value
	}
	provider := env.Provider(keyDelim, env.Opt{
		Prefix:        EnvPrefix,
		TransformFunc: transform,
		EnvironFunc:   func() []string { return environ },
	})
	return k.Load(provider, nil)
}
