package awssm

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rotatord/rotatord/internal/policy"
)

// maxAttempts bounds the SDK's attempts per API call. The SDK's standard
// retryer retries throttling errors (ThrottlingException among them),
// 5xx responses and connection errors with exponential backoff and jitter,
// up to 20 s between attempts.
const maxAttempts = 6

// newRetryer returns the SDK's standard retryer with maxAttempts. A nil
// backoff keeps the SDK's exponential backoff; tests pass one that does
// not wait.
func newRetryer(backoff retry.BackoffDelayer) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		if backoff != nil {
			o.Backoff = backoff
		}
	})
}

// requestTimeout bounds one attempt of a Secrets Manager call.
const requestTimeout = 30 * time.Second

// newClient builds a Secrets Manager client from the SDK's default
// configuration chain, with cfg's region and endpoint on top.
func newClient(ctx context.Context, cfg policy.AWSSMSink, backoff retry.BackoffDelayer) (*secretsmanager.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newRetryer(backoff) }),
		// A stalled endpoint must fail the call, not hang the rotation.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(requestTimeout)),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}

	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws configuration for secret %q: %w", cfg.SecretID, err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("load aws configuration for secret %q: no region: "+
			"set region in the sink, AWS_REGION, or region in the shared config profile", cfg.SecretID)
	}

	return secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	}), nil
}
