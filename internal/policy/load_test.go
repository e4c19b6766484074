package policy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "config.example.yaml"), nil)
	require.NoError(t, err)
	require.Empty(t, cfg.Warnings)
	require.Len(t, cfg.Policies, 2)

	byID, ok := cfg.Policy("telegraf-write")
	require.True(t, ok)
	require.Equal(t, []string{SinkFile, SinkVault}, sinkTypes(byID))

	byDescription, ok := cfg.Policy("app-readwrite")
	require.True(t, ok)
	require.NotEmpty(t, byDescription.Token.Description)
	require.Equal(t, []string{SinkAWSSM}, sinkTypes(byDescription))
	require.NotEmpty(t, byDescription.Databases[0].Tables)
	require.NotEmpty(t, byDescription.Databases[0].PartitionTemplate)

	token, err := cfg.Cluster.ReadManagementToken(getenvFrom(map[string]string{"INFLUX_MANAGEMENT_TOKEN": "apiv3_example"}))
	require.NoError(t, err)
	require.Equal(t, "apiv3_example", token.Reveal())
}

func sinkTypes(p *Policy) []string {
	var types []string
	for _, s := range p.Sinks {
		types = append(types, s.Type)
	}
	return types
}

func TestLoadRecordsSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rotatord.yaml")
	data, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))

	cfg, err := Load(path, nil)
	require.NoError(t, err)
	require.Equal(t, path, cfg.Source)
	require.False(t, cfg.Loaded.IsZero())
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := Load(path, nil)
	require.ErrorContains(t, err, path)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseInvalidYAML(t *testing.T) {
	_, err := Parse([]byte("cluster: [unclosed"), nil)
	require.ErrorContains(t, err, "parse config")
}

func TestPolicyLookupMissing(t *testing.T) {
	cfg, err := parseTree(t, validConfig())
	require.NoError(t, err)

	_, ok := cfg.Policy("absent")
	require.False(t, ok)
}

// TestDefaults compares a minimal configuration after defaults with
// testdata/defaults.golden.json. Run with -update to rewrite the file.
func TestDefaults(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "policies[0].sinks", []any{
		map[string]any{"type": "file", "path": "/run/a.token"},
		map[string]any{"type": "file", "path": "/run/a.env", "format": "env"},
		map[string]any{"type": "vault", "address": "https://vault.example.com", "secretPath": "a"},
		map[string]any{"type": "vault", "address": "https://vault.example.com", "secretPath": "b",
			"kvVersion": 1, "auth": map[string]any{"method": "approle", "roleId": "r", "secretIdEnv": "S"}},
	})
	setPath(t, tree, "policies[1].grace", "2h")

	cfg, err := parseTree(t, tree)
	require.NoError(t, err)
	cfg.Loaded = time.Time{}
	got, err := json.MarshalIndent(cfg, "", "  ")
	require.NoError(t, err)

	golden := filepath.Join("testdata", "defaults.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}

func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	require.NoError(f, err)
	f.Add(example)
	f.Add([]byte("cluster: ~\npolicies: [~, 1, {sinks: [~]}]"))
	f.Add([]byte("policies: [{databases: [{partitionTemplate: [{type: bucket, value: [1]}]}]}]"))
	f.Add([]byte("cluster: {managementToken: [1]}\ndefaults: 5"))
	f.Add([]byte("- 1\n- 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, []string{"ROTATORD_LOG_LEVEL=debug"})
		if err == nil {
			require.NotNil(t, cfg)
		}
	})
}
