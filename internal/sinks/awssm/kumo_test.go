package awssm

// kumo 0.33.1 (github.com/sivchari/kumo) serves CreateSecret,
// GetSecretValue, PutSecretValue with default stages, DescribeSecret and
// DeleteSecret the way AWS does. The tests below pin down
// where it differs from AWS; each asserts kumo's current behaviour, so a
// kumo upgrade that fixes one fails here and the matching entry of
// kumoGaps can go:
//
//   - UpdateSecretVersionStage, TagResource, RestoreSecret and
//     ListSecretVersionIds are not implemented (InvalidAction).
//   - PutSecretValue with VersionStages [AWSPENDING] moves AWSCURRENT to
//     AWSPREVIOUS, leaving the secret with no current version. AWS leaves
//     AWSCURRENT where it is.
//   - The first version written with VersionStages [AWSPENDING] does not
//     get AWSCURRENT. AWS always labels a secret's first version current.
//   - AWSPENDING is not taken off the old version when a new one gets it,
//     so two versions carry it. AWS keeps every label on one version.
//   - A reused ClientRequestToken with a different value overwrites the
//     version. AWS rejects it with ResourceExistsException.

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/testenv"
)

const (
	versionA = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
	versionB = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	versionC = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
)

// kumoClient returns an SDK client on the package's kumo and a fresh
// secret name.
func kumoClient(t *testing.T) (*secretsmanager.Client, string) {
	t.Helper()
	cfg := policy.AWSSMSink{SecretID: uniqueName(t), Endpoint: testenv.Kumo(t)}
	client, err := newClient(context.Background(), cfg, noBackoff{})
	require.NoError(t, err)
	return client, cfg.SecretID
}

func putVersion(t *testing.T, c *secretsmanager.Client, name, id, value string, stages ...string) {
	t.Helper()
	_, err := c.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), ClientRequestToken: aws.String(id),
		SecretString: aws.String(value), VersionStages: stages,
	})
	require.NoError(t, err)
}

func createEmpty(t *testing.T, c *secretsmanager.Client, name string) {
	t.Helper()
	_, err := c.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String(name)})
	require.NoError(t, err)
}

func stagesOf(t *testing.T, c *secretsmanager.Client, name string) map[string][]string {
	t.Helper()
	out, err := c.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	require.NoError(t, err)
	return out.VersionIdsToStages
}

func TestKumoLacksOperations(t *testing.T) {
	c, name := kumoClient(t)
	ctx := context.Background()
	createEmpty(t, c, name)
	putVersion(t, c, name, versionA, "a")

	calls := map[string]func() error{
		"UpdateSecretVersionStage": func() error {
			_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String(name), VersionStage: aws.String("custom"), MoveToVersionId: aws.String(versionA)})
			return err
		},
		"TagResource": func() error {
			_, err := c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(name),
				Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"RestoreSecret": func() error {
			_, err := c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)})
			return err
		},
		"ListSecretVersionIds": func() error {
			_, err := c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(name)})
			return err
		},
	}
	for op, call := range calls {
		require.Equal(t, "InvalidAction", errorCode(call()), op)
	}
}

func TestKumoPendingWriteDropsCurrent(t *testing.T) {
	c, name := kumoClient(t)
	createEmpty(t, c, name)
	putVersion(t, c, name, versionA, "a")

	putVersion(t, c, name, versionB, "b", StagePending)

	stages := stagesOf(t, c, name)
	require.Equal(t, []string{StagePrevious}, stages[versionA], "AWS keeps AWSCURRENT here")
	require.Equal(t, []string{StagePending}, stages[versionB])
	_, err := c.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	require.Equal(t, codeNotFound, errorCode(err), "no AWSCURRENT version left")
}

func TestKumoFirstPendingVersionNotCurrent(t *testing.T) {
	c, name := kumoClient(t)
	createEmpty(t, c, name)

	putVersion(t, c, name, versionA, "a", StagePending)

	require.Equal(t, []string{StagePending}, stagesOf(t, c, name)[versionA], "AWS adds AWSCURRENT")
}

func TestKumoPendingOnTwoVersions(t *testing.T) {
	c, name := kumoClient(t)
	createEmpty(t, c, name)
	putVersion(t, c, name, versionA, "a")

	putVersion(t, c, name, versionB, "b", StagePending)
	putVersion(t, c, name, versionC, "c", StagePending)

	stages := stagesOf(t, c, name)
	require.Contains(t, stages[versionB], StagePending, "AWS moves AWSPENDING to the newer version")
	require.Contains(t, stages[versionC], StagePending)
}

func TestKumoRequestTokenReuseOverwrites(t *testing.T) {
	c, name := kumoClient(t)
	createEmpty(t, c, name)
	putVersion(t, c, name, versionA, "a")

	putVersion(t, c, name, versionA, "changed")

	out, err := c.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(name), VersionId: aws.String(versionA)})
	require.NoError(t, err)
	require.Equal(t, "changed", aws.ToString(out.SecretString), "AWS rejects the second write")
}

// TestKumoCreateKeepsTags shows what kumo does get right for a secret the
// sink creates: the KMS key ID and the tags.
func TestKumoCreateKeepsTags(t *testing.T) {
	endpoint := testenv.Kumo(t)
	cfg := policy.AWSSMSink{SecretID: uniqueName(t), KMSKeyID: "alias/rotatord",
		Tags: map[string]string{"team": "data"}}
	s := openSink(t, endpoint, cfg)

	require.NoError(t, s.Stage(context.Background(), testSecret(t, "tok-1")))

	out, err := s.api.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{
		SecretId: aws.String(cfg.SecretID)})
	require.NoError(t, err)
	require.Equal(t, "alias/rotatord", aws.ToString(out.KmsKeyId))
	require.Len(t, out.Tags, 1)
	require.Equal(t, "team", aws.ToString(out.Tags[0].Key))
	require.Equal(t, "data", aws.ToString(out.Tags[0].Value))
}
