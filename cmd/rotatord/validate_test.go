package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const validateConfig = `
cluster:
  accountId: 11111111-1111-4111-8111-111111111111
  clusterId: 33333333-3333-4333-8333-333333333333
  managementToken:
    env: VALIDATE_TEST_TOKEN
policies:
  - name: ingest
    token:
      id: 22222222-2222-4222-8222-222222222222
    sinks:
      - type: file
        path: SINK
`

func writeValidateConfig(t *testing.T, sinkPath string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg := bytes.ReplaceAll([]byte(validateConfig), []byte("SINK"), []byte(sinkPath))
	require.NoError(t, os.WriteFile(path, cfg, 0o600))
	return path
}

func TestValidateAcceptsRunnableConfig(t *testing.T) {
	t.Setenv("VALIDATE_TEST_TOKEN", "a-management-token")
	path := writeValidateConfig(t, filepath.Join(t.TempDir(), "token"))
	var stdout, stderr bytes.Buffer

	code := run(context.Background(), []string{"validate", "--config", path}, &stdout, &stderr)

	require.Equal(t, exitOK, code, stderr.String())
	require.Contains(t, stdout.String(), "is valid: 1 policies (ingest)")
}

func TestValidateRejectsMissingSinkFolder(t *testing.T) {
	t.Setenv("VALIDATE_TEST_TOKEN", "a-management-token")
	missing := filepath.Join(t.TempDir(), "absent", "token")
	path := writeValidateConfig(t, missing)
	var stdout, stderr bytes.Buffer

	code := run(context.Background(), []string{"validate", "--config", path}, &stdout, &stderr)

	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr.String(), "policies[0].sinks[0].path")
	require.Contains(t, stderr.String(), "create it or mount the volume")
}

func TestValidateRejectsMissingManagementToken(t *testing.T) {
	t.Setenv("VALIDATE_TEST_TOKEN", "")
	path := writeValidateConfig(t, filepath.Join(t.TempDir(), "token"))
	var stdout, stderr bytes.Buffer

	code := run(context.Background(), []string{"validate", "--config", path}, &stdout, &stderr)

	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr.String(), "cluster.managementToken")
}

func TestValidateRejectsReadOnlySinkFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write to any folder, so a read-only folder cannot be tested as root")
	}
	t.Setenv("VALIDATE_TEST_TOKEN", "a-management-token")
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	path := writeValidateConfig(t, filepath.Join(dir, "token"))
	var stdout, stderr bytes.Buffer

	code := run(context.Background(), []string{"validate", "--config", path}, &stdout, &stderr)

	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr.String(), "is not writable by this user")
}
