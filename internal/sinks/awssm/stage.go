package awssm

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rotatord/rotatord/internal/sinks"
)

// Stage writes sec as a new version labelled AWSPENDING, creating the
// secret first if it does not exist. Secrets Manager moves AWSPENDING away
// from any other version, which replaces an older pending secret.
func (s *Sink) Stage(ctx context.Context, sec sinks.Secret) error {
	if s.format == FormatRaw && !directVersionID.MatchString(sec.TokenID) {
		return fmt.Errorf("stage token %s in secret %q: the raw value format needs a token ID "+
			"of 32 to 64 letters, digits or dashes, because the version ID is the only place "+
			"it is kept; use the json format", sec.TokenID, s.secretID)
	}
	value, err := encodeValue(s.format, sec)
	if err != nil {
		return err
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}

	id := versionIDFor(sec.TokenID)
	labels, err := s.putPending(ctx, id, value, sec)
	if err != nil {
		return err
	}

	// Secrets Manager ignores a repeated write of an existing version, so a
	// version that lost AWSPENDING to a Discard gets it back here.
	if !hasLabel(labels, StagePending) && !hasLabel(labels, StageCurrent) {
		v, _, err := s.describe(ctx, "stage")
		if err != nil {
			return err
		}
		if err := s.moveLabel(ctx, StagePending, id, v.holder(StagePending)); err != nil {
			return err
		}
	}

	s.logger.Info("staged secret version", slog.String("token_id", sec.TokenID),
		slog.String("version_id", id))
	return nil
}

// prepare makes sure the secret exists and has an AWSCURRENT version, so
// the version Stage writes next stays pending.
func (s *Sink) prepare(ctx context.Context) error {
	v, found, err := s.describe(ctx, "stage")
	if err != nil {
		return err
	}
	if !found {
		if err := s.create(ctx); err != nil {
			return err
		}
	}
	if v.holder(StageCurrent) != "" {
		return nil
	}

	_, err = s.api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(s.secretID),
		ClientRequestToken: aws.String(placeholderVersionID),
		SecretString:       aws.String(placeholderValue),
	})
	if err != nil {
		return s.putError(ctx, err)
	}
	return nil
}

// create creates the secret without a value, with the configured KMS key
// and tags. Losing a creation race to another writer is not an error.
func (s *Sink) create(ctx context.Context) error {
	if strings.HasPrefix(s.secretID, "arn:") {
		return fmt.Errorf("create secret %q: %w: a secret is created by name, "+
			"so create it first or set secretId to a name", s.secretID, sinks.ErrNotFound)
	}

	in := &secretsmanager.CreateSecretInput{
		Name:        aws.String(s.secretID),
		Description: aws.String("Database token managed by rotatord for policy " + s.policy),
	}
	if s.kmsKeyID != "" {
		in.KmsKeyId = aws.String(s.kmsKeyID)
	}
	for k, v := range s.tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}

	_, err := s.api.CreateSecret(ctx, in)
	switch {
	case err == nil:
		s.logger.Info("created secret")
		return nil
	case isCode(err, codeExists):
		return nil
	case isCode(err, codeInvalidRequest):
		return s.classifyInvalidRequest(ctx, "CreateSecret", err)
	default:
		return s.wrapError("CreateSecret", err)
	}
}

// putPending writes the version with AWSPENDING and returns the labels it
// carries afterwards. If the version exists with a different value, it is
// accepted when it holds the same token: the metadata may differ between
// two attempts, the token cannot.
func (s *Sink) putPending(ctx context.Context, id, value string, sec sinks.Secret) ([]string, error) {
	out, err := s.api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(s.secretID),
		ClientRequestToken: aws.String(id),
		SecretString:       aws.String(value),
		VersionStages:      []string{StagePending},
	})
	if err == nil {
		return out.VersionStages, nil
	}
	if !isCode(err, codeExists) {
		return nil, s.putError(ctx, err)
	}

	got, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:  aws.String(s.secretID),
		VersionId: aws.String(id),
	})
	if err != nil {
		return nil, s.wrapError("GetSecretValue", err)
	}
	old, err := decodeValue(s.policy, id, aws.ToString(got.SecretString), aws.ToTime(got.CreatedDate))
	if err != nil || !old.Token.Equal(sec.Token) {
		return nil, fmt.Errorf("stage token %s in secret %q: version %s already contains a different token",
			sec.TokenID, s.secretID, id)
	}
	return got.VersionStages, nil
}

func (s *Sink) putError(ctx context.Context, err error) error {
	if isCode(err, codeInvalidRequest) {
		return s.classifyInvalidRequest(ctx, "PutSecretValue", err)
	}
	return s.wrapError("PutSecretValue", err)
}

// classifyInvalidRequest turns an InvalidRequestException into the
// deletion error when the secret is scheduled for deletion, the usual
// cause on writes.
func (s *Sink) classifyInvalidRequest(ctx context.Context, op string, err error) error {
	if _, _, derr := s.describe(ctx, op); derr != nil {
		return derr
	}
	return s.wrapError(op, err)
}
