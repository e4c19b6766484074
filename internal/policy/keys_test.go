package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUnknownKeys(t *testing.T) {
	cases := []struct {
		name     string
		path     string
		fragment string
	}{
		{"typo suggests field", "policies[0].gracePeriod", `unknown key (did you mean "grace"?)`},
		{"case suggests field", "cluster.dataPlaneUrl", `unknown key (did you mean "dataPlaneURL"?)`},
		{"edit suggests field", "cluster.acountId", `did you mean "accountId"?`},
		{"top level", "listenAddress", `did you mean "listen"?`},
		{"nothing close", "policies[0].sinks[0].colour", "unknown key"},
		{"inside database", "policies[1].databases[0].retention", `did you mean "retentionPeriod"?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := validConfig()
			setPath(t, tree, tc.path, "x")
			_, err := parseTree(t, tree)
			requireProblem(t, problemsOf(t, err), tc.path, tc.fragment)
		})
	}
}

func TestSecretKeysRejected(t *testing.T) {
	const secretValue = "apiv3_do-not-print"
	cases := []struct {
		name     string
		path     string
		value    any
		fragment string
	}{
		{"management token string", "cluster.managementToken", secretValue,
			"must not contain the token itself; set managementToken.env"},
		{"management token value key", "cluster.managementToken.token", secretValue,
			"secrets must not be written in the configuration file"},
		{"vault auth token", "policies[0].sinks[0]", map[string]any{"type": "vault",
			"address": "https://vault.example.com", "secretPath": "a", "auth": map[string]any{"token": secretValue}},
			"name an environment variable with tokenEnv or a file with tokenFile"},
		{"vault approle secret id", "policies[0].sinks[0]", map[string]any{"type": "vault",
			"address": "https://vault.example.com", "secretPath": "a",
			"auth": map[string]any{"method": "approle", "roleId": "r", "secretId": secretValue}},
			"with secretIdEnv or a file with secretIdFile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := validConfig()
			setPath(t, tree, tc.path, tc.value)
			_, err := parseTree(t, tree)
			require.NotContains(t, err.Error(), secretValue)
			problems := problemsOf(t, err)
			require.NotEmpty(t, problems)
			found := false
			for _, p := range problems {
				if strings.HasPrefix(p.Path, tc.path) && strings.Contains(p.Message, tc.fragment) {
					found = true
				}
			}
			require.True(t, found, "no problem under %s containing %q: %v", tc.path, tc.fragment, problems)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name     string
		path     string
		value    any
		fragment string
	}{
		{"duration without unit", "defaults.grace", 3600, "3600 has no unit; write a duration like 90s"},
		{"duration garbage", "policies[0].maxAge", "a month", `"a month" is not a duration; use Go syntax`},
		{"number garbage", "cluster.rateLimit", "fast", `"fast" is not a number`},
		{"whole number garbage", "concurrency", "many", `"many" is not a whole number`},
		{"list item expected", "policies[0].sinks", "file", "expected a mapping"},
		{"mapping expected", "policies[0].token", "abc", "expected a mapping"},
		{"whole number expected", "policies[0].maxFailures", []any{1}, "expected a whole number, got a list"},
		{"partition part key", "policies[1].databases[0].partitionTemplate",
			[]any{map[string]any{"type": "tag", "value": "a", "name": "b"}}, `unknown key "name" in a partition part`},
		{"bucket value shape", "policies[1].databases[0].partitionTemplate",
			[]any{map[string]any{"type": "bucket", "value": "host"}}, "mapping with tagName and numberOfBuckets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := validConfig()
			setPath(t, tree, tc.path, tc.value)
			_, err := parseTree(t, tree)
			problems := problemsOf(t, err)
			path := tc.path
			if tc.name == "partition part key" || tc.name == "bucket value shape" || tc.name == "list item expected" {
				path += "[0]"
			}
			requireProblem(t, problems, path, tc.fragment)
		})
	}
}

func TestDecodeErrorNotRepeatedByValidation(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "defaults.grace", "soon")

	_, err := parseTree(t, tree)
	problems := problemsOf(t, err)
	require.Len(t, problems, 1, "%v", problems)
	require.Equal(t, "defaults.grace", problems[0].Path)
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"720h", 720 * time.Hour},
		{"30d", 30 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"-2d", -48 * time.Hour},
		{"0", 0},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseDurationRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "d", "30 days", "1w", "h1"} {
		_, err := ParseDuration(in)
		require.Error(t, err, in)
	}
}

func TestDurationsAcceptDays(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[0].maxAge", "30d")
	setPath(t, tree, "policies[1].databases[0].retentionPeriod", "365d")

	cfg, err := parseTree(t, tree)
	require.NoError(t, err)
	require.Equal(t, 30*24*time.Hour, cfg.Policies[0].MaxAge)
	require.Equal(t, 365*24*time.Hour, cfg.Policies[1].Databases[0].RetentionPeriod)
}

func TestPartitionTemplateDecodes(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[1].databases[0].partitionTemplate", []any{
		map[string]any{"type": "time", "value": "%Y"},
		map[string]any{"type": "bucket", "value": map[string]any{"tagName": "host", "numberOfBuckets": 16}},
	})

	cfg, err := parseTree(t, tree)
	require.NoError(t, err)
	parts := cfg.Policies[1].Databases[0].PartitionTemplate
	require.Len(t, parts, 2)
	require.Equal(t, "%Y", parts[0].Value)
	require.Equal(t, "host", parts[1].Bucket.TagName)
	require.Equal(t, 16, parts[1].Bucket.NumberOfBuckets)
}

func TestTagKeysWithDotsStayWhole(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[1].sinks[0].tags", map[string]any{"app.example.com/team": "data"})

	cfg, err := parseTree(t, tree)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"app.example.com/team": "data"}, cfg.Policies[1].Sinks[0].AWSSM.Tags)
}
