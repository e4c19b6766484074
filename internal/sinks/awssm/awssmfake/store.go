package awssmfake

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

type secretRecord struct {
	name        string
	arn         string
	description string
	kmsKeyID    string
	tags        []tag
	created     time.Time
	changed     time.Time
	deleted     *time.Time
	versions    map[string]*version
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type version struct {
	id      string
	value   string
	stages  []string
	created time.Time
}

// Secret is a copy of one stored secret, for assertions.
type Secret struct {
	Name     string
	ARN      string
	KMSKeyID string
	Tags     map[string]string
	// Stages maps every version ID, labelled or not, to its labels.
	Stages map[string][]string
	// Values maps every version ID to its secret string.
	Values    map[string]string
	Scheduled bool
}

// Secret returns a copy of the secret named name.
func (s *Server) Secret(name string) (Secret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	rec, ok := s.secrets[name]
	if !ok {
		return Secret{}, false
	}
	out := Secret{Name: rec.name, ARN: rec.arn, KMSKeyID: rec.kmsKeyID, Tags: map[string]string{},
		Stages: map[string][]string{}, Values: map[string]string{}, Scheduled: rec.deleted != nil}
	for _, t := range rec.tags {
		out.Tags[t.Key] = t.Value
	}
	for id, v := range rec.versions {
		out.Stages[id] = slices.Clone(v.stages)
		out.Values[id] = v.value
	}
	return out, true
}

// lookup finds a secret by name, full ARN or partial ARN (an ARN without
// the six random characters AWS appends).
func (s *Server) lookup(id string) (*secretRecord, *apiError) {
	if rec, ok := s.secrets[id]; ok {
		return rec, nil
	}
	for _, rec := range s.secrets {
		if id == rec.arn || (strings.HasPrefix(id, "arn:") && id == rec.arn[:len(rec.arn)-7]) {
			return rec, nil
		}
	}
	return nil, errBadRequest("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

// lookupLive is lookup for operations that a scheduled deletion blocks.
func (s *Server) lookupLive(id string) (*secretRecord, *apiError) {
	rec, err := s.lookup(id)
	if err != nil {
		return nil, err
	}
	if rec.deleted != nil {
		return nil, errBadRequest("InvalidRequestException",
			"You can't perform this operation on the secret because it was marked for deletion.")
	}
	return rec, nil
}

func (s *Server) newARN(name string) string {
	s.seq++
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", Region, Account, name, suffix(s.seq))
}

// suffix returns six characters standing in for the random ARN suffix.
func suffix(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	out := make([]byte, 6)
	for i := range out {
		out[i] = letters[(n*7919+i*104729)%len(letters)]
	}
	return string(out)
}

// holder returns the version carrying label, or nil.
func (rec *secretRecord) holder(label string) *version {
	for _, v := range rec.versions {
		if slices.Contains(v.stages, label) {
			return v
		}
	}
	return nil
}

// attach puts label on v and takes it off every other version. Moving
// AWSCURRENT moves AWSPREVIOUS to the version AWSCURRENT left.
func (rec *secretRecord) attach(label string, v *version) {
	old := rec.holder(label)
	if old == v {
		return
	}
	if old != nil {
		old.stages = slices.DeleteFunc(old.stages, func(l string) bool { return l == label })
	}
	v.stages = append(v.stages, label)
	if label == stageCurrent && old != nil {
		rec.attach(stagePrevious, old)
	}
}

// detach takes label off v.
func (v *version) detach(label string) {
	v.stages = slices.DeleteFunc(v.stages, func(l string) bool { return l == label })
}

// labelled returns the versions with at least one label, as
// DescribeSecret lists them.
func (rec *secretRecord) labelled() map[string][]string {
	out := map[string][]string{}
	for id, v := range rec.versions {
		if len(v.stages) > 0 {
			stages := slices.Clone(v.stages)
			sort.Strings(stages)
			out[id] = stages
		}
	}
	return out
}

func (rec *secretRecord) setTags(tags []tag) {
	for _, t := range tags {
		i := slices.IndexFunc(rec.tags, func(old tag) bool { return old.Key == t.Key })
		if i >= 0 {
			rec.tags[i] = t
			continue
		}
		rec.tags = append(rec.tags, t)
	}
}
