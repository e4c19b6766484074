package awssm

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rotatord/rotatord/internal/sinks"
)

// Promote moves AWSCURRENT to the version of tokenID, and Secrets Manager
// then labels the old current version AWSPREVIOUS. Promote then removes
// AWSPENDING from the new version. If the version is current already, Promote
// only makes sure AWSPENDING is gone, so a promotion interrupted between
// the two calls completes on the next try.
func (s *Sink) Promote(ctx context.Context, tokenID string) error {
	v, _, err := s.describe(ctx, "promote")
	if err != nil {
		return err
	}

	id := versionIDFor(tokenID)
	labels, ok := v[id]
	current := hasLabel(labels, StageCurrent)
	if !ok || (!current && !hasLabel(labels, StagePending)) {
		return fmt.Errorf("promote token %s in secret %q: %w", tokenID, s.secretID, sinks.ErrNotFound)
	}

	if !current {
		if err := s.moveLabel(ctx, StageCurrent, id, v.holder(StageCurrent)); err != nil {
			return err
		}
		s.logger.Info("promoted secret version", slog.String("token_id", tokenID),
			slog.String("version_id", id))
	}
	if hasLabel(labels, StagePending) {
		return s.moveLabel(ctx, StagePending, "", id)
	}
	return nil
}

// Discard removes AWSPENDING from the version of tokenID. It never moves
// AWSCURRENT, so the current version stays current even if it is the
// version of tokenID.
func (s *Sink) Discard(ctx context.Context, tokenID string) error {
	v, found, err := s.describe(ctx, "discard")
	if err != nil || !found {
		return err
	}

	id := versionIDFor(tokenID)
	if !hasLabel(v[id], StagePending) {
		return nil
	}
	if err := s.moveLabel(ctx, StagePending, "", id); err != nil {
		return err
	}
	s.logger.Info("discarded pending secret version", slog.String("token_id", tokenID),
		slog.String("version_id", id))
	return nil
}

// moveLabel attaches label to version to and removes it from version from.
// An empty to only removes the label; an empty from is for a label that no
// version carries yet.
func (s *Sink) moveLabel(ctx context.Context, label, to, from string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:     aws.String(s.secretID),
		VersionStage: aws.String(label),
	}
	if to != "" {
		in.MoveToVersionId = aws.String(to)
	}
	if from != "" && from != to {
		in.RemoveFromVersionId = aws.String(from)
	}
	if to == "" {
		in.RemoveFromVersionId = aws.String(from)
	}

	if _, err := s.api.UpdateSecretVersionStage(ctx, in); err != nil {
		if isCode(err, codeInvalidRequest) {
			return s.classifyInvalidRequest(ctx, "UpdateSecretVersionStage", err)
		}
		return s.wrapError("UpdateSecretVersionStage", err)
	}
	return nil
}
