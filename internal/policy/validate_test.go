package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidConfigParses(t *testing.T) {
	cfg, err := parseTree(t, validConfig())
	require.NoError(t, err)
	require.Len(t, cfg.Policies, 2)
	require.Empty(t, cfg.Warnings)
}

func TestValidationRules(t *testing.T) {
	bucket := func(tag string, n int) map[string]any {
		return map[string]any{"type": "bucket", "value": map[string]any{"tagName": tag, "numberOfBuckets": n}}
	}
	tag := func(v string) map[string]any { return map[string]any{"type": "tag", "value": v} }
	vault := map[string]any{"type": "vault", "address": "https://vault.example.com", "secretPath": "a/b"}

	cases := []struct {
		name     string
		set      map[string]any
		path     string
		fragment string
	}{
		{"account id required", map[string]any{"cluster.accountId": ""}, "cluster.accountId", "required"},
		{"account id uuid", map[string]any{"cluster.accountId": "acct-1"}, "cluster.accountId", `"acct-1" is not a UUID`},
		{"cluster id uuid", map[string]any{"cluster.clusterId": "42"}, "cluster.clusterId", "not a UUID"},
		{"management url scheme", map[string]any{"cluster.managementURL": "ftp://x"}, "cluster.managementURL", "https://"},
		{"management url host", map[string]any{"cluster.managementURL": "https://"}, "cluster.managementURL", "no host"},
		{"data plane url", map[string]any{"cluster.dataPlaneURL": "example.com"}, "cluster.dataPlaneURL", "https://"},
		{"token env and file", map[string]any{"cluster.managementToken": map[string]any{"env": "A", "file": "/x"}},
			"cluster.managementToken", "both set"},
		{"token file relative", map[string]any{"cluster.managementToken.file": "token"},
			"cluster.managementToken.file", "absolute"},
		{"request timeout zero", map[string]any{"cluster.requestTimeout": "0s"}, "cluster.requestTimeout", "greater than 0"},
		{"rate limit zero", map[string]any{"cluster.rateLimit": 0}, "cluster.rateLimit", "greater than 0"},
		{"max retries negative", map[string]any{"cluster.maxRetries": -1}, "cluster.maxRetries", "negative"},
		{"state dir relative", map[string]any{"stateDir": "state"}, "stateDir", "absolute"},
		{"concurrency zero", map[string]any{"concurrency": 0}, "concurrency", "below 1"},
		{"log format", map[string]any{"log.format": "xml"}, "log.format", `"xml" is not one of auto, text, json`},
		{"log level", map[string]any{"log.level": "trace"}, "log.level", "debug, info, warn, error"},
		{"listen", map[string]any{"listen": "9464"}, "listen", "host:port"},
		{"defaults grace zero", map[string]any{"defaults.grace": "0s"}, "defaults.grace", "greater than 0"},
		{"grace too long", map[string]any{"policies[0].grace": "100000d"}, "policies[0].grace", "longer than 90d"},
		{"policy name required", map[string]any{"policies[0].name": ""}, "policies[0].name", "required"},
		{"policy name pattern", map[string]any{"policies[0].name": "Ingest/1"}, "policies[0].name", "not a valid policy name"},
		{"policy name unique", map[string]any{"policies[1].name": "ingest"}, "policies[1].name", "already used by policies[0]"},
		{"token neither", map[string]any{"policies[0].token": map[string]any{}}, "policies[0].token", "set id"},
		{"token both", map[string]any{"policies[0].token.description": "x"}, "policies[0].token", "not both"},
		{"token id uuid", map[string]any{"policies[0].token.id": "tok"}, "policies[0].token.id", "not a UUID"},
		{"permissions required by description", map[string]any{"policies[1].permissions": []any{}},
			"policies[1].permissions", "required when the token is given by description"},
		{"permission action", map[string]any{"policies[1].permissions[0].action": "admin"},
			"policies[1].permissions[0].action", `"admin" is not read or write`},
		{"permission resource", map[string]any{"policies[1].permissions[0].resource": "a b"},
			"policies[1].permissions[0].resource", "not a database name"},
		{"database name required", map[string]any{"policies[1].databases[0].name": ""},
			"policies[1].databases[0].name", "required"},
		{"database name too long", map[string]any{"policies[1].databases[0].name": string(make([]byte, 65))},
			"policies[1].databases[0].name", "not a valid database name"},
		{"database name unique", map[string]any{"policies[1].databases": []any{
			map[string]any{"name": "a"}, map[string]any{"name": "a"}}},
			"policies[1].databases[1].name", "already listed at policies[1].databases[0]"},
		{"max tables negative", map[string]any{"policies[1].databases[0].maxTables": -1},
			"policies[1].databases[0].maxTables", "negative"},
		{"max columns negative", map[string]any{"policies[1].databases[0].maxColumnsPerTable": -5},
			"policies[1].databases[0].maxColumnsPerTable", "negative"},
		{"retention negative", map[string]any{"policies[1].databases[0].retentionPeriod": "-1h"},
			"policies[1].databases[0].retentionPeriod", "negative"},
		{"template too long", map[string]any{"policies[1].databases[0].partitionTemplate": []any{
			tag("a"), tag("b"), tag("c"), tag("d"), tag("e"), tag("f"), tag("g"), tag("h"), tag("i")}},
			"policies[1].databases[0].partitionTemplate", "has 9 parts"},
		{"template duplicate", map[string]any{"policies[1].databases[0].partitionTemplate": []any{tag("a"), tag("a")}},
			"policies[1].databases[0].partitionTemplate[1]", "repeats part 0"},
		{"template type", map[string]any{"policies[1].databases[0].partitionTemplate": []any{
			map[string]any{"type": "hash", "value": "a"}}},
			"policies[1].databases[0].partitionTemplate[0].type", `"hash" is not tag, time or bucket`},
		{"template value empty", map[string]any{"policies[1].databases[0].partitionTemplate": []any{tag("")}},
			"policies[1].databases[0].partitionTemplate[0].value", "required for a tag part"},
		{"bucket tag name", map[string]any{"policies[1].databases[0].partitionTemplate": []any{bucket("", 10)}},
			"policies[1].databases[0].partitionTemplate[0].value.tagName", "required"},
		{"bucket count high", map[string]any{"policies[1].databases[0].partitionTemplate": []any{bucket("h", 100001)}},
			"policies[1].databases[0].partitionTemplate[0].value.numberOfBuckets", "outside 1 to 100000"},
		{"bucket count zero", map[string]any{"policies[1].databases[0].partitionTemplate": []any{bucket("h", 0)}},
			"policies[1].databases[0].partitionTemplate[0].value.numberOfBuckets", "outside 1 to 100000"},
		{"table name required", map[string]any{"policies[1].databases[0].tables": []any{map[string]any{"name": ""}}},
			"policies[1].databases[0].tables[0].name", "required"},
		{"table name unique", map[string]any{"policies[1].databases[0].tables": []any{
			map[string]any{"name": "t"}, map[string]any{"name": "t"}}},
			"policies[1].databases[0].tables[1].name", "already listed"},
		{"table template", map[string]any{"policies[1].databases[0].tables": []any{
			map[string]any{"name": "t", "partitionTemplate": []any{tag("")}}}},
			"policies[1].databases[0].tables[0].partitionTemplate[0].value", "required"},
		{"sinks required", map[string]any{"policies[0].sinks": []any{}}, "policies[0].sinks", "at least one sink"},
		{"sink type", map[string]any{"policies[0].sinks[0].type": "s3"}, "policies[0].sinks[0].type", `"s3" is not file, vault or awssm`},
		{"sink type required", map[string]any{"policies[0].sinks[0].type": ""}, "policies[0].sinks[0].type", "required"},
		{"file path required", map[string]any{"policies[0].sinks[0].path": ""}, "policies[0].sinks[0].path", "required"},
		{"file path absolute", map[string]any{"policies[0].sinks[0].path": "token"}, "policies[0].sinks[0].path", "absolute"},
		{"file format", map[string]any{"policies[0].sinks[0].format": "yaml"}, "policies[0].sinks[0].format", "raw, json, env"},
		{"file env key", map[string]any{"policies[0].sinks[0].envKey": "1TOKEN"}, "policies[0].sinks[0].envKey", "shell variable"},
		{"file same path across policies", map[string]any{"policies[1].sinks[0]": map[string]any{
			"type": "file", "path": "/run/rotatord/../rotatord/ingest.token"}},
			"policies[1].sinks[0]", "same secret as policies[0].sinks[0]"},
		{"sink key of other type", map[string]any{"policies[0].sinks[0].region": "eu-west-1"},
			"policies[0].sinks[0].region", "awssm setting and has no effect on a file sink"},
		{"vault address required", map[string]any{"policies[0].sinks[0]": map[string]any{"type": "vault", "secretPath": "a"}},
			"policies[0].sinks[0].address", "required"},
		{"vault address url", map[string]any{"policies[0].sinks[0]": withKey(vault, "address", "vault:8200")},
			"policies[0].sinks[0].address", "https://"},
		{"vault secret path", map[string]any{"policies[0].sinks[0]": withKey(vault, "secretPath", "")},
			"policies[0].sinks[0].secretPath", "required"},
		{"vault kv version", map[string]any{"policies[0].sinks[0]": withKey(vault, "kvVersion", 3)},
			"policies[0].sinks[0].kvVersion", "not 1 or 2"},
		{"vault cas on kv1", map[string]any{"policies[0].sinks[0]": withKey(withKey(vault, "kvVersion", 1), "cas", true)},
			"policies[0].sinks[0].cas", "needs KV version 2"},
		{"vault auth method", map[string]any{"policies[0].sinks[0]": withKey(vault, "auth", map[string]any{"method": "ldap"})},
			"policies[0].sinks[0].auth.method", `"ldap" is not token or approle`},
		{"vault token env and file", map[string]any{"policies[0].sinks[0]": withKey(vault, "auth",
			map[string]any{"tokenEnv": "T", "tokenFile": "/t"})},
			"policies[0].sinks[0].auth", "both set"},
		{"vault approle role id", map[string]any{"policies[0].sinks[0]": withKey(vault, "auth",
			map[string]any{"method": "approle", "secretIdEnv": "S"})},
			"policies[0].sinks[0].auth.roleId", "required"},
		{"vault approle secret id source", map[string]any{"policies[0].sinks[0]": withKey(vault, "auth",
			map[string]any{"method": "approle", "roleId": "r"})},
			"policies[0].sinks[0].auth", "set secretIdEnv or secretIdFile"},
		{"vault same secret", map[string]any{"policies[0].sinks": []any{vault, vault}},
			"policies[0].sinks[1]", "same secret as policies[0].sinks[0]"},
		{"awssm secret id required", map[string]any{"policies[1].sinks[0].secretId": ""},
			"policies[1].sinks[0].secretId", "required"},
		{"awssm value format", map[string]any{"policies[1].sinks[0].valueFormat": "yaml"},
			"policies[1].sinks[0].valueFormat", "json, raw"},
		{"awssm endpoint", map[string]any{"policies[1].sinks[0].endpoint": "localhost:4566"},
			"policies[1].sinks[0].endpoint", "https://"},
		{"grace negative", map[string]any{"policies[0].grace": "-1m"}, "policies[0].grace", "negative"},
		{"propagation timeout negative", map[string]any{"policies[0].propagationTimeout": "-1s"},
			"policies[0].propagationTimeout", "negative"},
		{"defaults propagation timeout zero", map[string]any{"defaults.propagationTimeout": "0s"},
			"defaults.propagationTimeout", "greater than 0"},
		{"propagation wait negative", map[string]any{"policies[0].propagationWait": "-1s"},
			"policies[0].propagationWait", "negative"},
		{"lifetime too short", map[string]any{"policies[0].lifetime": "70m"}, "policies[0].lifetime",
			"not longer than grace + propagationTimeout (1h10m0s)"},
		{"schedule six fields", map[string]any{"policies[1].schedule": "0 3 * * * *"}, "policies[1].schedule",
			`"0 3 * * * *" has 6 fields; use 5 (minute hour day month weekday) or a descriptor like @daily`},
		{"schedule zone", map[string]any{"policies[0].schedule": "CRON_TZ=Mars/Olympus 0 3 * * *"},
			"policies[0].schedule", "not a valid schedule"},
		{"max age negative", map[string]any{"policies[0].maxAge": "-1d"}, "policies[0].maxAge", "negative"},
		{"min interval negative", map[string]any{"policies[0].minInterval": "-1h"}, "policies[0].minInterval", "negative"},
		{"jitter negative", map[string]any{"policies[0].jitter": "-5m"}, "policies[0].jitter", "negative"},
		{"max failures negative", map[string]any{"policies[0].maxFailures": -2}, "policies[0].maxFailures", "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := validConfig()
			for path, value := range tc.set {
				setPath(t, tree, path, value)
			}
			_, err := parseTree(t, tree)
			requireProblem(t, problemsOf(t, err), tc.path, tc.fragment)
		})
	}
}

// withKey returns a copy of m with key set.
func withKey(m map[string]any, key string, value any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[key] = value
	return out
}

func TestValidationReportsAllProblemsInOrder(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[1].sinks[0].secretId", "")
	setPath(t, tree, "cluster.clusterId", "")
	setPath(t, tree, "policies[0].grace", "soon")
	setPath(t, tree, "policies[0].sinks[0].path", "relative")
	setPath(t, tree, "concurrency", 0)

	_, err := parseTree(t, tree)
	problems := problemsOf(t, err)

	var paths []string
	for _, p := range problems {
		paths = append(paths, p.Path)
	}
	require.Equal(t, []string{
		"cluster.clusterId",
		"concurrency",
		"policies[0].sinks[0].path",
		"policies[0].grace",
		"policies[1].sinks[0].secretId",
	}, paths)
	require.Contains(t, err.Error(), "invalid configuration (5 problems):\n  cluster.clusterId: required")
}

func TestRetentionBelowAnHourWarns(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[1].databases[0].retentionPeriod", "30s")

	cfg, err := parseTree(t, tree)
	require.NoError(t, err)
	require.Len(t, cfg.Warnings, 1)
	require.Contains(t, cfg.Warnings[0], "policies[1].databases[0].retentionPeriod: 30s is under 1h0m0s")
}

func TestLifetimeLongEnoughPasses(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[0].lifetime", "71m")

	cfg, err := parseTree(t, tree)
	require.NoError(t, err)
	require.Equal(t, "1h11m0s", cfg.Policies[0].Lifetime.String())
}

func TestGraceNotAboveSyncIntervalWarns(t *testing.T) {
	tree := validConfig()
	policies := tree["policies"].([]any)
	p := policies[0].(map[string]any)
	p["grace"] = "30s"
	p["syncInterval"] = "1m"

	cfg, err := parseTree(t, tree)

	require.NoError(t, err)
	require.Len(t, cfg.Warnings, 1)
	require.Contains(t, cfg.Warnings[0], "policies[0].grace: 30s does not exceed syncInterval 1m0s")
}

func TestPastedTokenIsNotEchoed(t *testing.T) {
	pasted := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyb3RhdG9yZCJ9." + strings.Repeat("f", 43)
	tree := validConfig()
	tree["cluster"].(map[string]any)["managementToken"] = map[string]any{"env": pasted}

	_, err := parseTree(t, tree)

	require.ErrorContains(t, err, "cluster.managementToken.env: is not a valid environment variable name")
	require.NotContains(t, err.Error(), pasted)
}

func TestHugeValueIsTruncated(t *testing.T) {
	tree := validConfig()
	tree["policies"].([]any)[0].(map[string]any)["name"] = strings.Repeat("x", 1<<20)

	_, err := parseTree(t, tree)

	require.ErrorContains(t, err, "bytes cut")
	require.Less(t, len(err.Error()), 4096)
}
