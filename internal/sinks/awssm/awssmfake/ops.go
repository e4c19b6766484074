package awssmfake

import (
	"slices"
	"time"
)

type createInput struct {
	Name               string
	ClientRequestToken string
	Description        string
	KmsKeyId           string
	SecretString       *string
	Tags               []tag
}

func (s *Server) createSecret(body []byte) (any, *apiError) {
	var in createInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, errBadRequest("InvalidParameterException", "Name is required.")
	}

	if rec, ok := s.secrets[in.Name]; ok {
		if rec.deleted != nil {
			return nil, errBadRequest("InvalidRequestException", "You can't create this secret "+
				"because a secret with this name is already scheduled for deletion.")
		}
		// A retried create of the same initial version succeeds unchanged.
		if v, ok := rec.versions[in.ClientRequestToken]; ok && in.SecretString != nil &&
			v.value == *in.SecretString {
			return map[string]any{"ARN": rec.arn, "Name": rec.name, "VersionId": v.id}, nil
		}
		return nil, errBadRequest("ResourceExistsException",
			"The operation failed because the secret %s already exists.", in.Name)
	}

	now := s.now()
	rec := &secretRecord{name: in.Name, arn: s.newARN(in.Name), description: in.Description,
		kmsKeyID: in.KmsKeyId, created: now, changed: now, versions: map[string]*version{}}
	rec.setTags(in.Tags)
	s.secrets[in.Name] = rec

	out := map[string]any{"ARN": rec.arn, "Name": rec.name}
	if in.SecretString != nil {
		v := &version{id: in.ClientRequestToken, value: *in.SecretString,
			stages: []string{stageCurrent}, created: now}
		rec.versions[v.id] = v
		out["VersionId"] = v.id
	}
	return out, nil
}

type secretIDInput struct {
	SecretId string
}

func (s *Server) describeSecret(body []byte) (any, *apiError) {
	var in secretIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookup(in.SecretId)
	if err != nil {
		return nil, err
	}

	out := map[string]any{
		"ARN": rec.arn, "Name": rec.name,
		"CreatedDate": epoch(rec.created), "LastChangedDate": epoch(rec.changed),
	}
	if labelled := rec.labelled(); len(labelled) > 0 {
		out["VersionIdsToStages"] = labelled
	}
	if rec.description != "" {
		out["Description"] = rec.description
	}
	if rec.kmsKeyID != "" {
		out["KmsKeyId"] = rec.kmsKeyID
	}
	if len(rec.tags) > 0 {
		out["Tags"] = rec.tags
	}
	if rec.deleted != nil {
		out["DeletedDate"] = epoch(*rec.deleted)
	}
	return out, nil
}

type getInput struct {
	SecretId     string
	VersionId    string
	VersionStage string
}

func (s *Server) getSecretValue(body []byte) (any, *apiError) {
	var in getInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookupLive(in.SecretId)
	if err != nil {
		return nil, err
	}

	var v *version
	switch {
	case in.VersionId != "":
		v = rec.versions[in.VersionId]
		if v != nil && in.VersionStage != "" && !slices.Contains(v.stages, in.VersionStage) {
			v = nil
		}
	case in.VersionStage != "":
		v = rec.holder(in.VersionStage)
	default:
		v = rec.holder(stageCurrent)
	}
	if v == nil {
		return nil, errBadRequest("ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for VersionId %q and staging label %q.",
			in.VersionId, in.VersionStage)
	}

	return map[string]any{
		"ARN": rec.arn, "Name": rec.name, "VersionId": v.id, "SecretString": v.value,
		"VersionStages": slices.Clone(v.stages), "CreatedDate": epoch(v.created),
	}, nil
}

type putInput struct {
	SecretId           string
	ClientRequestToken string
	SecretString       *string
	VersionStages      []string
}

func (s *Server) putSecretValue(body []byte) (any, *apiError) {
	var in putInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookupLive(in.SecretId)
	if err != nil {
		return nil, err
	}
	if in.SecretString == nil {
		return nil, errBadRequest("InvalidParameterException", "You must provide either SecretString or SecretBinary.")
	}
	if n := len(in.ClientRequestToken); n < 32 || n > 64 {
		return nil, errBadRequest("InvalidParameterException", "ClientRequestToken must be 32 to 64 characters.")
	}

	// A version is never modified: the same token with the same value is
	// ignored, with another value rejected.
	if v, ok := rec.versions[in.ClientRequestToken]; ok {
		if v.value != *in.SecretString {
			return nil, errBadRequest("ResourceExistsException",
				"You can't modify an existing version, you can only create new versions.")
		}
		return putOutput(rec, v), nil
	}

	stages := in.VersionStages
	if len(stages) == 0 || len(rec.versions) == 0 {
		stages = append(slices.Clone(stages), stageCurrent)
	}
	v := &version{id: in.ClientRequestToken, value: *in.SecretString, created: s.now()}
	rec.versions[v.id] = v
	for _, label := range slices.Compact(slices.Sorted(slices.Values(stages))) {
		rec.attach(label, v)
	}
	rec.changed = s.now()
	return putOutput(rec, v), nil
}

func putOutput(rec *secretRecord, v *version) map[string]any {
	return map[string]any{"ARN": rec.arn, "Name": rec.name, "VersionId": v.id,
		"VersionStages": slices.Clone(v.stages)}
}

type updateStageInput struct {
	SecretId            string
	VersionStage        string
	MoveToVersionId     string
	RemoveFromVersionId string
}

// updateSecretVersionStage follows the API reference: attaching a label
// that another version carries requires RemoveFromVersionId naming that
// version, and a label is removed by giving only RemoveFromVersionId.
func (s *Server) updateSecretVersionStage(body []byte) (any, *apiError) {
	var in updateStageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookupLive(in.SecretId)
	if err != nil {
		return nil, err
	}
	if in.VersionStage == "" {
		return nil, errBadRequest("InvalidParameterException", "VersionStage is required.")
	}

	var to, from *version
	for _, ref := range []struct {
		id  string
		dst **version
	}{{in.MoveToVersionId, &to}, {in.RemoveFromVersionId, &from}} {
		if ref.id == "" {
			continue
		}
		if *ref.dst = rec.versions[ref.id]; *ref.dst == nil {
			return nil, errBadRequest("ResourceNotFoundException",
				"Secrets Manager can't find the specified secret version: %s.", ref.id)
		}
	}
	if err := rec.moveStage(in.VersionStage, to, from); err != nil {
		return nil, err
	}
	rec.changed = s.now()
	return map[string]any{"ARN": rec.arn, "Name": rec.name}, nil
}

func (rec *secretRecord) moveStage(label string, to, from *version) *apiError {
	holder := rec.holder(label)
	if from != nil && from != holder && from != to {
		return errBadRequest("InvalidParameterException",
			"The staging label %s is not attached to version %s.", label, from.id)
	}
	if to == nil {
		if from == nil {
			return errBadRequest("InvalidParameterException",
				"You must specify MoveToVersionId, RemoveFromVersionId or both.")
		}
		if label == stageCurrent {
			return errBadRequest("InvalidParameterException",
				"You can't remove the staging label AWSCURRENT without moving it to another version.")
		}
		from.detach(label)
		return nil
	}
	if holder != nil && holder != to && from != holder {
		return errBadRequest("InvalidParameterException",
			"The staging label %s is attached to version %s; specify it as RemoveFromVersionId.",
			label, holder.id)
	}
	rec.attach(label, to)
	return nil
}

type tagInput struct {
	SecretId string
	Tags     []tag
}

func (s *Server) tagResource(body []byte) (any, *apiError) {
	var in tagInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookupLive(in.SecretId)
	if err != nil {
		return nil, err
	}
	rec.setTags(in.Tags)
	return map[string]any{}, nil
}

type deleteInput struct {
	SecretId                   string
	RecoveryWindowInDays       *int64
	ForceDeleteWithoutRecovery bool
}

func (s *Server) deleteSecret(body []byte) (any, *apiError) {
	var in deleteInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookup(in.SecretId)
	if err != nil {
		return nil, err
	}
	if in.ForceDeleteWithoutRecovery && in.RecoveryWindowInDays != nil {
		return nil, errBadRequest("InvalidParameterException",
			"You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}

	now := s.now()
	if in.ForceDeleteWithoutRecovery {
		delete(s.secrets, rec.name)
		return map[string]any{"ARN": rec.arn, "Name": rec.name, "DeletionDate": epoch(now)}, nil
	}
	days := int64(30)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
	}
	if days < 7 || days > 30 {
		return nil, errBadRequest("InvalidParameterException", "RecoveryWindowInDays must be 7 to 30.")
	}
	if rec.deleted == nil {
		rec.deleted = &now
	}
	return map[string]any{"ARN": rec.arn, "Name": rec.name,
		"DeletionDate": epoch(rec.deleted.Add(time.Duration(days) * 24 * time.Hour))}, nil
}

func (s *Server) restoreSecret(body []byte) (any, *apiError) {
	var in secretIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	rec, err := s.lookup(in.SecretId)
	if err != nil {
		return nil, err
	}
	rec.deleted = nil
	return map[string]any{"ARN": rec.arn, "Name": rec.name}, nil
}
