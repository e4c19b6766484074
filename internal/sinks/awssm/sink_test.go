package awssm

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
	"github.com/rotatord/rotatord/internal/sinks/awssm/awssmfake"
	"github.com/rotatord/rotatord/internal/sinks/sinktest"
)

const (
	tokenID1 = "0b3c6a4e-1d2f-4a5b-9c8d-7e6f5a4b3c21"
	tokenID2 = "1c4d7b5f-2e3a-4b6c-8d9e-8f7a6b5c4d32"
)

// holders returns, for each label, the versions that carry it.
func holders(sec awssmfake.Secret) map[string][]string {
	out := map[string][]string{}
	for id, labels := range sec.Stages {
		for _, l := range labels {
			out[l] = append(out[l], id)
		}
	}
	return out
}

func rotate(t *testing.T, s *Sink, sec sinks.Secret) {
	t.Helper()
	require.NoError(t, s.Stage(context.Background(), sec))
	require.NoError(t, s.Promote(context.Background(), sec.TokenID))
}

func TestPromoteAfterCrashAfterStage(t *testing.T) {
	env := newFakeEnv(t)
	old, next := testSecret(t, tokenID1), testSecret(t, tokenID2)
	rotate(t, env.open(t), old)
	require.NoError(t, env.open(t).Stage(context.Background(), next))

	restarted := env.open(t)
	st, err := restarted.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, old, st.Current)
	sinktest.RequireSecret(t, next, st.Pending)

	require.NoError(t, restarted.Promote(context.Background(), next.TokenID))

	labels := holders(env.stored(t))
	require.Equal(t, []string{tokenID2}, labels[StageCurrent])
	require.Equal(t, []string{tokenID1}, labels[StagePrevious])
	require.Empty(t, labels[StagePending])
	st, err = restarted.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, next, st.Current)
}

func TestPromoteAfterCrashAfterStageMove(t *testing.T) {
	env := newFakeEnv(t)
	old, next := testSecret(t, tokenID1), testSecret(t, tokenID2)
	s := env.open(t)
	rotate(t, s, old)
	require.NoError(t, s.Stage(context.Background(), next))
	// The first half of Promote: AWSCURRENT moved, AWSPENDING still there.
	require.NoError(t, s.moveLabel(context.Background(), StageCurrent, tokenID2, tokenID1))

	restarted := env.open(t)
	st, err := restarted.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, next, st.Current)
	require.Nil(t, st.Pending, "a pending version that is also current counts as current")

	require.NoError(t, restarted.Promote(context.Background(), next.TokenID))
	require.NoError(t, restarted.Promote(context.Background(), next.TokenID))

	labels := holders(env.stored(t))
	require.Equal(t, []string{tokenID2}, labels[StageCurrent])
	require.Empty(t, labels[StagePending])
}

func TestStageRetryKeepsOneVersion(t *testing.T) {
	env := newFakeEnv(t)
	sec := testSecret(t, tokenID1)
	s := env.open(t)
	require.NoError(t, s.Stage(context.Background(), sec))
	// The write lands but its response is lost: the SDK retries after a 500.
	env.fake.FailNext("PutSecretValue", 1, awssmfake.InternalError())

	require.NoError(t, s.Stage(context.Background(), sec))
	require.NoError(t, env.open(t).Stage(context.Background(), sec))

	stored := env.stored(t)
	require.Len(t, stored.Values, 2, "placeholder and one token version")
	require.Equal(t, []string{tokenID1}, holders(stored)[StagePending])
}

func TestStageAgainAfterDiscard(t *testing.T) {
	env := newFakeEnv(t)
	sec := testSecret(t, tokenID1)
	s := env.open(t)
	require.NoError(t, s.Stage(context.Background(), sec))
	require.NoError(t, s.Discard(context.Background(), sec.TokenID))

	require.NoError(t, s.Stage(context.Background(), sec))

	st, err := s.Read(context.Background())
	require.NoError(t, err)
	sinktest.RequireSecret(t, sec, st.Pending)
}

func TestFirstStageKeepsTokenPending(t *testing.T) {
	env := newFakeEnv(t)

	require.NoError(t, env.open(t).Stage(context.Background(), testSecret(t, tokenID1)))

	stored := env.stored(t)
	labels := holders(stored)
	require.Equal(t, []string{placeholderVersionID}, labels[StageCurrent])
	require.Equal(t, []string{tokenID1}, labels[StagePending])
	require.Equal(t, placeholderValue, stored.Values[placeholderVersionID])
}

func TestStageScheduledForDeletion(t *testing.T) {
	env := newFakeEnv(t)
	s := env.open(t)
	rotate(t, s, testSecret(t, tokenID1))
	_, err := s.api.(*secretsmanager.Client).DeleteSecret(context.Background(),
		&secretsmanager.DeleteSecretInput{SecretId: aws.String(env.cfg.SecretID)})
	require.NoError(t, err)

	err = s.Stage(context.Background(), testSecret(t, tokenID2))

	require.ErrorIs(t, err, ErrScheduledForDeletion)
	require.Contains(t, err.Error(), env.cfg.SecretID)
	require.Contains(t, err.Error(), "restore-secret")
	_, err = s.Read(context.Background())
	require.ErrorIs(t, err, ErrScheduledForDeletion)
}

func TestPutOnSecretDeletedAfterDescribe(t *testing.T) {
	env := newFakeEnv(t)
	s := env.open(t)
	rotate(t, s, testSecret(t, tokenID1))
	// Deleted between the describe and the write.
	client := s.api.(*secretsmanager.Client)
	s.api = deleteBeforePut{API: client, secretID: env.cfg.SecretID}

	err := s.Stage(context.Background(), testSecret(t, tokenID2))

	require.ErrorIs(t, err, ErrScheduledForDeletion)
}

// deleteBeforePut schedules the secret for deletion just before each
// PutSecretValue.
type deleteBeforePut struct {
	API
	secretID string
}

func (d deleteBeforePut) PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput,
	opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	_, err := d.API.(*secretsmanager.Client).DeleteSecret(ctx,
		&secretsmanager.DeleteSecretInput{SecretId: aws.String(d.secretID)})
	if err != nil {
		return nil, err
	}
	return d.API.PutSecretValue(ctx, in, opts...)
}

func TestThrottlingRetried(t *testing.T) {
	env := newFakeEnv(t)
	env.fake.FailNext("PutSecretValue", maxAttempts-1, awssmfake.Throttling())
	env.fake.FailNext("DescribeSecret", 2, awssmfake.Throttling())

	require.NoError(t, env.open(t).Stage(context.Background(), testSecret(t, tokenID1)))

	require.Equal(t, maxAttempts+1, env.fake.Calls("PutSecretValue"), "placeholder retried, then token")
}

func TestThrottlingGivesUp(t *testing.T) {
	env := newFakeEnv(t)
	env.fake.FailNext("DescribeSecret", maxAttempts, awssmfake.Throttling())

	_, err := env.open(t).Read(context.Background())

	require.Error(t, err)
	require.Equal(t, "ThrottlingException", errorCode(err))
	require.Equal(t, maxAttempts, env.fake.Calls("DescribeSecret"))
}

func TestAccessDeniedNamesAction(t *testing.T) {
	tests := []struct {
		op  string
		run func(s *Sink) error
	}{
		{"DescribeSecret", func(s *Sink) error { _, err := s.Read(context.Background()); return err }},
		{"GetSecretValue", func(s *Sink) error { _, err := s.Read(context.Background()); return err }},
		{"PutSecretValue", func(s *Sink) error { return s.Stage(context.Background(), testSecret(t, tokenID2)) }},
		{"UpdateSecretVersionStage", func(s *Sink) error { return s.Promote(context.Background(), tokenID2) }},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			env := newFakeEnv(t)
			s := env.open(t)
			rotate(t, s, testSecret(t, tokenID1))
			if tc.op == "UpdateSecretVersionStage" {
				require.NoError(t, s.Stage(context.Background(), testSecret(t, tokenID2)))
			}
			env.fake.FailNext(tc.op, 1, awssmfake.AccessDenied())

			err := tc.run(s)

			require.Error(t, err)
			require.Contains(t, err.Error(), "allow IAM action secretsmanager:"+tc.op)
			require.Contains(t, err.Error(), env.cfg.SecretID)
			require.Equal(t, 1, env.fake.Calls(tc.op)-callsBefore(tc.op), "access denied is not retried")
		})
	}
}

// callsBefore is how many calls of op the setup in TestAccessDeniedNamesAction
// makes before the denied one.
func callsBefore(op string) int {
	return map[string]int{"DescribeSecret": 2, "GetSecretValue": 0, "PutSecretValue": 2,
		"UpdateSecretVersionStage": 2}[op]
}

func TestCreateSendsKMSKeyAndTags(t *testing.T) {
	env := newFakeEnv(t)
	env.cfg.KMSKeyID = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	env.cfg.Tags = map[string]string{"team": "data", "env": "prod"}

	require.NoError(t, env.open(t).Stage(context.Background(), testSecret(t, tokenID1)))

	stored := env.stored(t)
	require.Equal(t, env.cfg.KMSKeyID, stored.KMSKeyID)
	require.Equal(t, env.cfg.Tags, stored.Tags)
}

func TestJSONValueFields(t *testing.T) {
	env := newFakeEnv(t)
	sec := testSecret(t, tokenID1)

	require.NoError(t, env.open(t).Stage(context.Background(), sec))

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(env.stored(t).Values[tokenID1]), &got))
	require.Equal(t, sec.Token.Reveal(), got["token"])
	require.Equal(t, tokenID1, got["tokenId"])
	for _, key := range []string{"policy", "accountId", "clusterId", "rotationId", "createdAt", "expiresAt"} {
		require.Contains(t, got, key)
	}
}

func TestRawFormat(t *testing.T) {
	env := newFakeEnv(t)
	env.cfg.ValueFormat = FormatRaw
	sec := testSecret(t, tokenID1)
	s := env.open(t)

	rotate(t, s, sec)

	require.Equal(t, sec.Token.Reveal(), env.stored(t).Values[tokenID1])
	st, err := env.open(t).Read(context.Background())
	require.NoError(t, err)
	require.True(t, sec.Token.Equal(st.Current.Token))
	require.Equal(t, tokenID1, st.Current.TokenID)
	require.Equal(t, "ingest", st.Current.Policy)
	require.False(t, st.Current.CreatedAt.IsZero())
}

func TestRawFormatRejectsShortTokenID(t *testing.T) {
	env := newFakeEnv(t)
	env.cfg.ValueFormat = FormatRaw

	err := env.open(t).Stage(context.Background(), testSecret(t, "tok-1"))

	require.ErrorContains(t, err, "raw value format")
}

func TestShortTokenIDGetsDerivedVersionID(t *testing.T) {
	id := versionIDFor("tok-1")

	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
	require.Equal(t, id, versionIDFor("tok-1"))
	require.NotEqual(t, id, versionIDFor("tok-2"))
	require.Equal(t, tokenID1, versionIDFor(tokenID1))
}

func TestSecretByARN(t *testing.T) {
	env := newFakeEnv(t)
	rotate(t, env.open(t), testSecret(t, tokenID1))
	byARN := openSink(t, env.fake.URL, policy.AWSSMSink{SecretID: env.stored(t).ARN})

	st, err := byARN.Read(context.Background())

	require.NoError(t, err)
	require.Equal(t, tokenID1, st.CurrentID())
}

func TestMissingSecretByARN(t *testing.T) {
	fake := awssmfake.New(t)
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:absent-AbCdEf"
	s := openSink(t, fake.URL, policy.AWSSMSink{SecretID: arn})

	err := s.Stage(context.Background(), testSecret(t, tokenID1))

	require.ErrorIs(t, err, sinks.ErrNotFound)
	require.ErrorContains(t, err, "set secretId to a name")
}

func TestTokenNotInLogsOrErrors(t *testing.T) {
	env := newFakeEnv(t)
	var logs bytes.Buffer
	client, err := newClient(context.Background(), policy.AWSSMSink{SecretID: env.cfg.SecretID,
		Endpoint: env.fake.URL}, noBackoff{})
	require.NoError(t, err)
	s, err := NewWithClient(client, env.cfg, "ingest", slog.New(slog.NewTextHandler(&logs,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)
	old, next := testSecret(t, tokenID1), testSecret(t, tokenID2)
	rotate(t, s, old)
	env.fake.FailNext("PutSecretValue", 1, awssmfake.AccessDenied())

	stageErr := s.Stage(context.Background(), next)

	require.Error(t, stageErr)
	require.NotContains(t, stageErr.Error(), next.Token.Reveal())
	require.NotContains(t, logs.String(), old.Token.Reveal())
	require.NotContains(t, logs.String(), next.Token.Reveal())
	require.Contains(t, logs.String(), "promoted secret version")
}

func TestNewUsesEndpointAndRegion(t *testing.T) {
	fake := awssmfake.New(t)
	cfg := policy.AWSSMSink{SecretID: uniqueName(t), Endpoint: fake.URL, Region: "eu-west-1"}

	s, err := New(context.Background(), cfg, "ingest", nil)
	require.NoError(t, err)
	require.NoError(t, s.Stage(context.Background(), testSecret(t, tokenID1)))

	require.Equal(t, "awssm:"+cfg.SecretID, s.ID())
	_, ok := fake.Secret(cfg.SecretID)
	require.True(t, ok)
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  policy.AWSSMSink
		want string
	}{
		{"missing secret", policy.AWSSMSink{}, "secretId is missing"},
		{"bad format", policy.AWSSMSink{SecretID: "x", ValueFormat: "yaml"}, `invalid valueFormat "yaml"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg, "ingest", nil)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
