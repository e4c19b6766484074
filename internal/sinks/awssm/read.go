package awssm

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rotatord/rotatord/internal/sinks"
)

// Read returns the versions labelled AWSCURRENT and AWSPENDING. A version
// that carries both labels counts as current only, and the placeholder
// version counts as no current secret.
func (s *Sink) Read(ctx context.Context) (sinks.State, error) {
	v, _, err := s.describe(ctx, "read")
	if err != nil {
		return sinks.State{}, err
	}

	var st sinks.State
	current := v.holder(StageCurrent)
	if current != "" && current != placeholderVersionID {
		if st.Current, err = s.getVersion(ctx, current); err != nil {
			return sinks.State{}, err
		}
	}

	pending := v.holder(StagePending)
	if pending != "" && pending != current && pending != placeholderVersionID {
		if st.Pending, err = s.getVersion(ctx, pending); err != nil {
			return sinks.State{}, err
		}
	}
	return st, nil
}

// getVersion reads one version by ID, so a label that moves between the
// describe and this call cannot mix two versions up.
func (s *Sink) getVersion(ctx context.Context, versionID string) (*sinks.Secret, error) {
	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:  aws.String(s.secretID),
		VersionId: aws.String(versionID),
	})
	if err != nil {
		return nil, s.wrapError("GetSecretValue", err)
	}

	sec, err := decodeValue(s.policy, versionID, aws.ToString(out.SecretString), aws.ToTime(out.CreatedDate))
	if err != nil {
		return nil, fmt.Errorf("read secret %q version %s: %w", s.secretID, versionID, err)
	}
	return &sec, nil
}
