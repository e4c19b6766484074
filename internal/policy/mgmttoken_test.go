package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// getenvFrom returns a getenv function over a fixed set of variables.
func getenvFrom(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func writeTokenFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	require.NoError(t, os.Chmod(path, mode))
	return path
}

func TestManagementTokenFromEnv(t *testing.T) {
	c := Cluster{ManagementToken: ManagementToken{Env: "MY_TOKEN"}}

	token, err := c.ReadManagementToken(getenvFrom(map[string]string{"MY_TOKEN": "apiv3_env"}))
	require.NoError(t, err)
	require.Equal(t, "apiv3_env", token.Reveal())
}

func TestManagementTokenFromDefaultEnv(t *testing.T) {
	cfg, err := parseTree(t, validConfig())
	require.NoError(t, err)
	require.Equal(t, DefaultManagementTokenEnv, cfg.Cluster.ManagementToken.Env)

	token, err := cfg.Cluster.ReadManagementToken(getenvFrom(map[string]string{DefaultManagementTokenEnv: "apiv3_default"}))
	require.NoError(t, err)
	require.Equal(t, "apiv3_default", token.Reveal())
}

func TestManagementTokenFromFile(t *testing.T) {
	path := writeTokenFile(t, t.TempDir(), "token", "apiv3_file\n", 0o600)
	c := Cluster{ManagementToken: ManagementToken{File: path}}

	token, err := c.ReadManagementToken(getenvFrom(nil))
	require.NoError(t, err)
	require.Equal(t, "apiv3_file", token.Reveal())
}

func TestManagementTokenLooseFileRejected(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620} {
		t.Run(mode.String(), func(t *testing.T) {
			path := writeTokenFile(t, t.TempDir(), "token", "apiv3_loose\n", mode)
			c := Cluster{ManagementToken: ManagementToken{File: path}}

			_, err := c.ReadManagementToken(getenvFrom(nil))
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, "chmod 600")
			require.NotContains(t, err.Error(), "apiv3_loose")
		})
	}
}

func TestManagementTokenEmptyFileRejected(t *testing.T) {
	path := writeTokenFile(t, t.TempDir(), "token", "\n", 0o600)
	c := Cluster{ManagementToken: ManagementToken{File: path}}

	_, err := c.ReadManagementToken(getenvFrom(nil))
	require.ErrorContains(t, err, "is empty")
}

func TestManagementTokenMissingFile(t *testing.T) {
	c := Cluster{ManagementToken: ManagementToken{File: filepath.Join(t.TempDir(), "absent")}}

	_, err := c.ReadManagementToken(getenvFrom(nil))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestManagementTokenFromCredentialsDirectory(t *testing.T) {
	dir := t.TempDir()
	writeTokenFile(t, dir, "management-token", "apiv3_credential\n", 0o400)
	c := Cluster{ManagementToken: ManagementToken{Env: DefaultManagementTokenEnv}}

	token, err := c.ReadManagementToken(getenvFrom(map[string]string{"CREDENTIALS_DIRECTORY": dir}))
	require.NoError(t, err)
	require.Equal(t, "apiv3_credential", token.Reveal())
}

func TestManagementTokenEnvBeatsCredential(t *testing.T) {
	dir := t.TempDir()
	writeTokenFile(t, dir, "management-token", "apiv3_credential", 0o400)
	c := Cluster{}

	token, err := c.ReadManagementToken(getenvFrom(map[string]string{
		"CREDENTIALS_DIRECTORY": dir, DefaultManagementTokenEnv: "apiv3_env",
	}))
	require.NoError(t, err)
	require.Equal(t, "apiv3_env", token.Reveal())
}

func TestManagementTokenMissingEverywhere(t *testing.T) {
	c := Cluster{ManagementToken: ManagementToken{Env: "MY_TOKEN"}}

	_, err := c.ReadManagementToken(getenvFrom(map[string]string{"CREDENTIALS_DIRECTORY": t.TempDir()}))
	require.ErrorContains(t, err, "environment variable MY_TOKEN is not set")
}
