package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEnvReachesCamelCaseKeys(t *testing.T) {
	cases := []struct {
		variable string
		value    string
		get      func(*Config) any
		want     any
	}{
		{"ROTATORD_CLUSTER_DATAPLANEURL", "http://127.0.0.1:8086",
			func(c *Config) any { return c.Cluster.DataPlaneURL }, "http://127.0.0.1:8086"},
		{"ROTATORD_CLUSTER_DATA_PLANE_URL", "http://127.0.0.1:8087",
			func(c *Config) any { return c.Cluster.DataPlaneURL }, "http://127.0.0.1:8087"},
		{"ROTATORD_CLUSTER__DATA_PLANE_URL", "http://127.0.0.1:8088",
			func(c *Config) any { return c.Cluster.DataPlaneURL }, "http://127.0.0.1:8088"},
		{"ROTATORD_STATEDIR", "/srv/rotatord", func(c *Config) any { return c.StateDir }, "/srv/rotatord"},
		{"ROTATORD_STATE_DIR", "/srv/state", func(c *Config) any { return c.StateDir }, "/srv/state"},
		{"ROTATORD_CONCURRENCY", "9", func(c *Config) any { return c.Concurrency }, 9},
		{"ROTATORD_CLUSTER_RATE_LIMIT", "2.5", func(c *Config) any { return c.Cluster.RateLimit }, 2.5},
		{"ROTATORD_CLUSTER_MANAGEMENT_TOKEN_FILE", "/etc/rotatord/token",
			func(c *Config) any { return c.Cluster.ManagementToken.File }, "/etc/rotatord/token"},
		{"ROTATORD_DEFAULTS_GRACE", "2d", func(c *Config) any { return c.Defaults.Grace }, 48 * time.Hour},
		{"ROTATORD_log_level", "debug", func(c *Config) any { return c.Log.Level }, "debug"},
	}
	for _, tc := range cases {
		t.Run(tc.variable, func(t *testing.T) {
			cfg, err := parseTree(t, validConfig(), tc.variable+"="+tc.value)
			require.NoError(t, err)
			require.Equal(t, tc.want, tc.get(cfg))
			require.Empty(t, cfg.Warnings)
		})
	}
}

func TestEnvOverridesFileValue(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "cluster.requestTimeout", "10s")

	cfg, err := parseTree(t, tree, "ROTATORD_CLUSTER_REQUEST_TIMEOUT=45s")
	require.NoError(t, err)
	require.Equal(t, 45*time.Second, cfg.Cluster.RequestTimeout)
}

func TestEnvEmptyKeepsFileValue(t *testing.T) {
	tree := validConfig()
	setPath(t, tree, "stateDir", "/srv/rotatord")

	cfg, err := parseTree(t, tree, "ROTATORD_STATE_DIR=")
	require.NoError(t, err)
	require.Equal(t, "/srv/rotatord", cfg.StateDir)
}

func TestEnvUnknownVariableWarns(t *testing.T) {
	cfg, err := parseTree(t, validConfig(), "ROTATORD_STATE_DIRECTORY=/x", "ROTATORD_CONFIG=/etc/rotatord.yaml", "OTHER=1")
	require.NoError(t, err)
	require.Len(t, cfg.Warnings, 1)
	require.Contains(t, cfg.Warnings[0], "ROTATORD_STATE_DIRECTORY: unknown environment variable")
	require.Equal(t, DefaultStateDir, cfg.StateDir)
}

func TestEnvUnknownVariableHidesValue(t *testing.T) {
	cfg, err := parseTree(t, validConfig(), "ROTATORD_MANAGEMENT_TOKEN=apiv3_secret")
	require.NoError(t, err)
	require.Len(t, cfg.Warnings, 1)
	require.NotContains(t, cfg.Warnings[0], "apiv3_secret")
}

func TestEnvInvalidValueIsProblem(t *testing.T) {
	_, err := parseTree(t, validConfig(), "ROTATORD_CONCURRENCY=lots")
	requireProblem(t, problemsOf(t, err), "concurrency", `"lots" is not a whole number`)
}

func TestEnvDoesNotReachLists(t *testing.T) {
	_, ok := envKeyFor("POLICIES_0_NAME")
	require.False(t, ok)
}
