// Package sinktest is the conformance suite every sinks.Sink implementation
// runs, so the file, Vault and AWS Secrets Manager sinks keep one contract.
//
// Run starts these subtests. Their names are stable, because a sink that
// runs against an emulator lists the ones it cannot pass in
// Options.Unsupported:
//
//   - EmptyRead: a new store reads as an empty State.
//   - StageThenRead: a staged secret reads as pending; current is unchanged.
//   - StageIdempotent: staging the same secret twice leaves one pending.
//   - StageReplacesPending: a second Stage replaces the first pending secret.
//   - PromoteMakesCurrent: Promote moves pending to current.
//   - PromoteIdempotent: promoting the current token again returns nil.
//   - PromoteUnknownToken: promoting a token the sink lacks wraps ErrNotFound.
//   - DiscardPending: Discard removes the pending secret.
//   - DiscardKeepsCurrent: Discard of the current token leaves it current.
//   - DiscardMissing: Discard with nothing pending returns nil.
//   - SecondRotation: a second promote replaces current and hides the old one.
//   - MetadataRoundTrip: every Metadata field survives, times to the second.
//   - ReadSurvivesReopen: a new Sink on the same store reads the same State.
//   - ConcurrentReads: parallel Reads all see the promoted secret.
//   - TokenNotInID: ID and the formatted State never contain the token.
package sinktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/secret"
	"github.com/rotatord/rotatord/internal/sinks"
)

// Options adjust the suite for one implementation.
type Options struct {
	// Unsupported maps a subtest name to the reason it is skipped.
	Unsupported map[string]string
}

// Store opens a new Sink on one backing store. Every call within a subtest
// must return a sink that reads what the earlier ones wrote. It is an alias,
// so a plain func(*testing.T) func() sinks.Sink also works as a NewStore.
type Store = func() sinks.Sink

// NewStore prepares an empty backing store for one subtest (a fresh folder,
// a fresh secret path) and returns the function that opens sinks on it.
type NewStore func(t *testing.T) Store

type testCase struct {
	name string
	run  func(t *testing.T, open Store)
}

var cases = []testCase{
	{"EmptyRead", testEmptyRead},
	{"StageThenRead", testStageThenRead},
	{"StageIdempotent", testStageIdempotent},
	{"StageReplacesPending", testStageReplacesPending},
	{"PromoteMakesCurrent", testPromoteMakesCurrent},
	{"PromoteIdempotent", testPromoteIdempotent},
	{"PromoteUnknownToken", testPromoteUnknownToken},
	{"DiscardPending", testDiscardPending},
	{"DiscardKeepsCurrent", testDiscardKeepsCurrent},
	{"DiscardMissing", testDiscardMissing},
	{"SecondRotation", testSecondRotation},
	{"MetadataRoundTrip", testMetadataRoundTrip},
	{"ReadSurvivesReopen", testReadSurvivesReopen},
	{"ConcurrentReads", testConcurrentReads},
	{"TokenNotInID", testTokenNotInID},
}

// Run runs every subtest against stores made by newStore.
func Run(t *testing.T, newStore NewStore, opts Options) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if reason, ok := opts.Unsupported[tc.name]; ok {
				t.Skip(reason)
			}
			tc.run(t, newStore(t))
		})
	}
}

// NewSecret returns a secret with a random token and every Metadata field
// set. The times carry nanoseconds, so the suite also checks that a store
// keeping only whole seconds loses nothing more.
func NewSecret(t testing.TB, tokenID string) sinks.Secret {
	t.Helper()

	raw := make([]byte, 24)
	_, err := rand.Read(raw)
	require.NoError(t, err)

	created := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)
	expires := created.Add(90 * 24 * time.Hour)
	return sinks.Secret{
		Token: secret.NewToken("apiv1_" + hex.EncodeToString(raw)),
		Metadata: sinks.Metadata{
			TokenID:    tokenID,
			Policy:     "ingest",
			AccountID:  "11111111-1111-4111-8111-111111111111",
			ClusterID:  "22222222-2222-4222-8222-222222222222",
			RotationID: "rot-" + tokenID,
			CreatedAt:  created,
			ExpiresAt:  &expires,
		},
	}
}

// RequireSecret asserts that got holds want's token and metadata, with
// times compared to the second.
func RequireSecret(t testing.TB, want sinks.Secret, got *sinks.Secret) {
	t.Helper()
	require.NotNil(t, got, "secret %s missing", want.TokenID)
	require.True(t, want.Token.Equal(got.Token), "token of %s differs", want.TokenID)
	require.Equal(t, want.TokenID, got.TokenID)
	require.Equal(t, want.Policy, got.Policy)
	require.Equal(t, want.AccountID, got.AccountID)
	require.Equal(t, want.ClusterID, got.ClusterID)
	require.Equal(t, want.RotationID, got.RotationID)
	requireSameSecond(t, want.CreatedAt, got.CreatedAt, "createdAt")
	if want.ExpiresAt == nil {
		require.Nil(t, got.ExpiresAt, "expiresAt")
		return
	}
	require.NotNil(t, got.ExpiresAt, "expiresAt")
	requireSameSecond(t, *want.ExpiresAt, *got.ExpiresAt, "expiresAt")
}

func requireSameSecond(t testing.TB, want, got time.Time, field string) {
	t.Helper()
	w, g := want.Truncate(time.Second), got.Truncate(time.Second)
	require.True(t, w.Equal(g), "%s: want %s, got %s", field, w, g)
}

func readState(t testing.TB, s sinks.Sink) sinks.State {
	t.Helper()
	st, err := s.Read(context.Background())
	require.NoError(t, err, "read %s", s.ID())
	return st
}

func stage(t testing.TB, s sinks.Sink, sec sinks.Secret) {
	t.Helper()
	require.NoError(t, s.Stage(context.Background(), sec), "stage %s", sec.TokenID)
}

func promote(t testing.TB, s sinks.Sink, tokenID string) {
	t.Helper()
	require.NoError(t, s.Promote(context.Background(), tokenID), "promote %s", tokenID)
}

// rotate stages and promotes sec, as the engine does in one rotation.
func rotate(t testing.TB, s sinks.Sink, sec sinks.Secret) {
	t.Helper()
	stage(t, s, sec)
	promote(t, s, sec.TokenID)
}

func formatState(st sinks.State) string {
	out := fmt.Sprintf("%+v %#v", st, st)
	if st.Current != nil {
		out += fmt.Sprintf(" %+v %#v", *st.Current, *st.Current)
	}
	if st.Pending != nil {
		out += fmt.Sprintf(" %+v %#v", *st.Pending, *st.Pending)
	}
	return out
}
