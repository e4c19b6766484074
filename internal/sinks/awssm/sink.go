// Package awssm stores a policy's secret in AWS Secrets Manager with the
// staging labels of AWS's own rotation. Stage writes a new version labelled
// AWSPENDING. Promote moves AWSCURRENT to it, so Secrets Manager labels the
// old version AWSPREVIOUS, and then removes AWSPENDING. Discard removes
// AWSPENDING. Every version's ID is derived from its token ID, so a
// repeated write finds the version it made before instead of adding one.
package awssm

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rotatord/rotatord/internal/policy"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Staging labels with a fixed meaning in Secrets Manager.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// API is the part of the Secrets Manager client the sink calls.
// *secretsmanager.Client implements it.
type API interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// Sink stores one policy's secret in one Secrets Manager secret.
type Sink struct {
	api      API
	secretID string
	policy   string
	format   string
	kmsKeyID string
	tags     map[string]string
	logger   *slog.Logger
}

var _ sinks.Sink = (*Sink)(nil)

// New returns a sink on the secret cfg names. It finds credentials and the
// region the way the AWS SDK does: environment, shared config and
// profiles, web identity, instance and container roles. cfg.Region and
// cfg.Endpoint override the region and the service endpoint.
func New(ctx context.Context, cfg policy.AWSSMSink, policyName string, logger *slog.Logger) (*Sink, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}

	client, err := newClient(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return NewWithClient(client, cfg, policyName, logger)
}

// NewWithClient returns a sink that calls api, for tests and for callers
// that build their own client. cfg.Region and cfg.Endpoint are ignored.
func NewWithClient(api API, cfg policy.AWSSMSink, policyName string, logger *slog.Logger) (*Sink, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	format := cfg.ValueFormat
	if format == "" {
		format = FormatJSON
	}
	return &Sink{
		api:      api,
		secretID: cfg.SecretID,
		policy:   policyName,
		format:   format,
		kmsKeyID: cfg.KMSKeyID,
		tags:     cfg.Tags,
		logger:   logger.With(slog.String("sink", "awssm:"+cfg.SecretID)),
	}, nil
}

func validate(cfg policy.AWSSMSink) error {
	if strings.TrimSpace(cfg.SecretID) == "" {
		return fmt.Errorf("configure aws secrets manager sink: secretId is missing")
	}
	switch cfg.ValueFormat {
	case "", FormatJSON, FormatRaw:
		return nil
	default:
		return fmt.Errorf("configure aws secrets manager sink %q: invalid valueFormat %q (want %q or %q)",
			cfg.SecretID, cfg.ValueFormat, FormatJSON, FormatRaw)
	}
}

// ID returns "awssm:" followed by the secret name or ARN.
func (s *Sink) ID() string { return "awssm:" + s.secretID }

// versions maps each labelled version ID of the secret to its labels.
type versions map[string][]string

// holder returns the version that carries label, or "".
func (v versions) holder(label string) string {
	for id, labels := range v {
		if hasLabel(labels, label) {
			return id
		}
	}
	return ""
}

func hasLabel(labels []string, label string) bool {
	for _, l := range labels {
		if l == label {
			return true
		}
	}
	return false
}

// describe returns the labelled versions of the secret and whether the
// secret exists. A secret scheduled for deletion is an error that wraps
// ErrScheduledForDeletion, with op as its prefix.
func (s *Sink) describe(ctx context.Context, op string) (versions, bool, error) {
	out, err := s.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{
		SecretId: aws.String(s.secretID),
	})
	if isCode(err, codeNotFound) {
		return versions{}, false, nil
	}
	if err != nil {
		return nil, false, s.wrapError("DescribeSecret", err)
	}
	if out.DeletedDate != nil {
		return nil, true, s.deletionError(op)
	}
	v := versions(out.VersionIdsToStages)
	if v == nil {
		v = versions{}
	}
	return v, true, nil
}
