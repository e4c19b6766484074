package awssm

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/require"
)

func TestReadRejectsForeignSecret(t *testing.T) {
	env := newFakeEnv(t)
	client, err := newClient(context.Background(), env.cfg, noBackoff{})
	require.NoError(t, err)
	_, err = client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(env.cfg.SecretID),
		SecretString: aws.String(`{"username":"bob","password":"s3cret"}`),
	}, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(env.fake.URL) })
	require.NoError(t, err)

	_, err = env.open(t).Read(context.Background())

	require.ErrorContains(t, err, "rotatord did not write")
	require.NotContains(t, err.Error(), "s3cret")
}
