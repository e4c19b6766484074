package awssm

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// ErrScheduledForDeletion is wrapped by every operation on a secret that is
// scheduled for deletion. Secrets Manager rejects writes to such a secret
// until it is restored.
var ErrScheduledForDeletion = errors.New("secret is scheduled for deletion")

// Error codes of the Secrets Manager API that the sink acts on.
const (
	codeNotFound       = "ResourceNotFoundException"
	codeExists         = "ResourceExistsException"
	codeInvalidRequest = "InvalidRequestException"
	codeAccessDenied   = "AccessDeniedException"
)

// errorCode returns the API error code of err, or "" if err did not come
// from the API.
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func isCode(err error, code string) bool { return errorCode(err) == code }

// wrapError prefixes err with the operation and the secret and, when the
// credentials lack a permission, names the IAM action to grant.
func (s *Sink) wrapError(op string, err error) error {
	if isCode(err, codeAccessDenied) {
		return fmt.Errorf("%s on secret %q: access denied: allow IAM action secretsmanager:%s "+
			"on this secret (and the KMS key, if one is set): %w", op, s.secretID, op, err)
	}
	return fmt.Errorf("%s on secret %q: %w", op, s.secretID, err)
}

// deletionError explains what to do about a secret scheduled for deletion.
func (s *Sink) deletionError(op string) error {
	return fmt.Errorf("%s on secret %q: %w: restore it with "+
		"`aws secretsmanager restore-secret --secret-id %s` or set another secretId",
		op, s.secretID, ErrScheduledForDeletion, s.secretID)
}
