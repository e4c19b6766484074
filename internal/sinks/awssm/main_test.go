package awssm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks/awssm/awssmfake"
	"github.com/rotatord/rotatord/internal/testenv"
)

// TestMain points the SDK's credential chain at dummy static credentials
// and away from the developer's AWS configuration, so no test can reach
// real AWS.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "awssm-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
	} {
		os.Setenv(k, v)
	}

	code := m.Run()
	testenv.StopKumo()
	os.RemoveAll(dir)
	os.Exit(code)
}

// noBackoff retries at once, so retry tests do not wait.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

var secretSeq atomic.Int64

// uniqueName returns a secret name no other test in this process uses.
func uniqueName(t testing.TB) string {
	return fmt.Sprintf("rotatord-test/%d-%d", time.Now().UnixNano(), secretSeq.Add(1))
}

// openSink builds a sink with the package's real client (default
// credential chain, standard retryer) on endpoint.
func openSink(t testing.TB, endpoint string, cfg policy.AWSSMSink) *Sink {
	t.Helper()
	cfg.Endpoint = endpoint
	client, err := newClient(context.Background(), cfg, noBackoff{})
	require.NoError(t, err)
	s, err := NewWithClient(client, cfg, "ingest", nil)
	require.NoError(t, err)
	return s
}

// fakeEnv is a fake Secrets Manager with one secret name for a test.
type fakeEnv struct {
	fake *awssmfake.Server
	cfg  policy.AWSSMSink
}

func newFakeEnv(t testing.TB) *fakeEnv {
	return &fakeEnv{fake: awssmfake.New(t), cfg: policy.AWSSMSink{SecretID: uniqueName(t)}}
}

// open returns a new sink instance on the test's secret, as a restarted
// daemon would build it.
func (e *fakeEnv) open(t testing.TB) *Sink { return openSink(t, e.fake.URL, e.cfg) }

// stored returns what the fake holds for the test's secret.
func (e *fakeEnv) stored(t testing.TB) awssmfake.Secret {
	t.Helper()
	sec, ok := e.fake.Secret(e.cfg.SecretID)
	require.True(t, ok, "secret %s missing", e.cfg.SecretID)
	return sec
}
