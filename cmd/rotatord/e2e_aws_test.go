package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/awssm"
	"github.com/rotatord/rotatord/internal/sinks/awssm/awssmfake"
)

// awsEnv points the AWS SDK at static test credentials and away from every
// other source, such as the instance metadata service.
var awsEnv = []string{
	"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
	"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
}

const awsSinkConfig = `      - type: awssm
        secretId: rotatord/ingest
        region: us-east-1
        endpoint: %s
`

func TestRotateThreeSinksDeletesOldTokenLast(t *testing.T) {
	w := newWorld(t, time.Second)
	fake := awssmfake.New(t)
	old := w.seed()
	w.writeConfig(old.ID, time.Second)
	w.appendSink(awsSinkConfig, fake.URL)
	for _, kv := range awsEnv {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}

	killAt(t, w, "promoted")

	require.Contains(t, tokenIDs(w.liveTokens()), old.ID, "the old token must live until every sink serves the new one")
	fileState, vaultState := w.states()
	awsState := awsRead(t, fake.URL)
	newID := fileState.CurrentID()
	require.NotEqual(t, old.ID, newID)
	require.Equal(t, newID, vaultState.CurrentID())
	require.Equal(t, newID, awsState.CurrentID())
	require.True(t, fileState.Current.Token.Equal(awsState.Current.Token))

	code, out := w.rotate()
	require.Equal(t, 0, code, "output:\n%s", out)

	require.Equal(t, []string{newID}, tokenIDs(w.liveTokens()), "the restart must finish the rotation it found")
	require.Equal(t, newID, awsRead(t, fake.URL).CurrentID())
	require.Equal(t, http.StatusOK, w.query(fileState.Current.Token))
}

// appendSink adds a sink, given as YAML list lines, to the config.
func (w *world) appendSink(format string, args ...any) {
	f, err := os.OpenFile(w.configPath, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(w.t, err)
	defer f.Close()
	_, err = f.WriteString(fmt.Sprintf(format, args...))
	require.NoError(w.t, err)
}

// awsRead reads the policy's secret from the fake Secrets Manager.
func awsRead(t *testing.T, endpoint string) sinks.State {
	t.Helper()
	s, err := awssm.New(context.Background(), policy.AWSSMSink{
		SecretID: "rotatord/ingest", Region: "us-east-1", Endpoint: endpoint, ValueFormat: "json",
	}, "ingest", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	st, err := s.Read(context.Background())
	require.NoError(t, err)
	return st
}

func TestKillAroundSecretsManagerStagesConverges(t *testing.T) {
	for _, step := range []string{"staged:2", "staged", "promoted:2"} {
		t.Run(step, func(t *testing.T) {
			w := newWorld(t, time.Second)
			fake := awssmfake.New(t)
			old := w.seed()
			w.writeConfig(old.ID, time.Second)
			w.appendSink(awsSinkConfig, fake.URL)
			for _, kv := range awsEnv {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}

			killAt(t, w, step)
			code, out := w.rotate()
			require.Equal(t, 0, code, "output:\n%s", out)

			fileState, _ := w.states()
			live := tokenIDs(w.liveTokens())
			require.Equal(t, []string{fileState.CurrentID()}, live)
			stored, ok := fake.Secret("rotatord/ingest")
			require.True(t, ok)
			var current []string
			for id, stages := range stored.Stages {
				if slices.Contains(stages, "AWSCURRENT") {
					current = append(current, id)
				}
				require.NotContains(t, stages, "AWSPENDING", "no pending version may be left")
			}
			require.Len(t, current, 1, "exactly one version may be AWSCURRENT")
			require.Contains(t, stored.Values[current[0]], fileState.Current.Token.Reveal(),
				"AWSCURRENT must hold the live token")
		})
	}
}
