package sinktest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rotatord/rotatord/internal/sinks"
)

func testEmptyRead(t *testing.T, open Store) {
	st := readState(t, open())

	require.Nil(t, st.Current)
	require.Nil(t, st.Pending)
}

func testStageThenRead(t *testing.T, open Store) {
	s := open()
	old, next := NewSecret(t, "tok-1"), NewSecret(t, "tok-2")
	rotate(t, s, old)

	stage(t, s, next)

	st := readState(t, s)
	RequireSecret(t, old, st.Current)
	RequireSecret(t, next, st.Pending)
}

func testStageIdempotent(t *testing.T, open Store) {
	s := open()
	sec := NewSecret(t, "tok-1")

	stage(t, s, sec)
	stage(t, s, sec)

	st := readState(t, s)
	require.Nil(t, st.Current)
	RequireSecret(t, sec, st.Pending)
}

func testStageReplacesPending(t *testing.T, open Store) {
	s := open()
	first, second := NewSecret(t, "tok-1"), NewSecret(t, "tok-2")

	stage(t, s, first)
	stage(t, s, second)

	st := readState(t, s)
	require.Nil(t, st.Current)
	RequireSecret(t, second, st.Pending)
}

func testPromoteMakesCurrent(t *testing.T, open Store) {
	s := open()
	sec := NewSecret(t, "tok-1")
	stage(t, s, sec)

	promote(t, s, sec.TokenID)

	st := readState(t, s)
	RequireSecret(t, sec, st.Current)
	require.Nil(t, st.Pending)
}

func testPromoteIdempotent(t *testing.T, open Store) {
	s := open()
	sec := NewSecret(t, "tok-1")
	rotate(t, s, sec)

	promote(t, s, sec.TokenID)

	st := readState(t, s)
	RequireSecret(t, sec, st.Current)
	require.Nil(t, st.Pending)
}

func testPromoteUnknownToken(t *testing.T, open Store) {
	s := open()
	rotate(t, s, NewSecret(t, "tok-1"))
	stage(t, s, NewSecret(t, "tok-2"))

	err := s.Promote(context.Background(), "tok-unknown")

	require.ErrorIs(t, err, sinks.ErrNotFound)
	require.Equal(t, "tok-1", readState(t, s).CurrentID())
}

func testDiscardPending(t *testing.T, open Store) {
	s := open()
	cur, next := NewSecret(t, "tok-1"), NewSecret(t, "tok-2")
	rotate(t, s, cur)
	stage(t, s, next)

	require.NoError(t, s.Discard(context.Background(), next.TokenID))

	st := readState(t, s)
	RequireSecret(t, cur, st.Current)
	require.Nil(t, st.Pending)
}

func testDiscardKeepsCurrent(t *testing.T, open Store) {
	s := open()
	cur := NewSecret(t, "tok-1")
	rotate(t, s, cur)

	require.NoError(t, s.Discard(context.Background(), cur.TokenID))

	st := readState(t, s)
	RequireSecret(t, cur, st.Current)
	require.Nil(t, st.Pending)
}

func testDiscardMissing(t *testing.T, open Store) {
	s := open()
	pending := NewSecret(t, "tok-1")

	require.NoError(t, s.Discard(context.Background(), "tok-none"), "empty store")

	stage(t, s, pending)
	require.NoError(t, s.Discard(context.Background(), "tok-other"), "other pending")
	RequireSecret(t, pending, readState(t, s).Pending)
}

func testSecondRotation(t *testing.T, open Store) {
	s := open()
	first, second := NewSecret(t, "tok-1"), NewSecret(t, "tok-2")
	rotate(t, s, first)

	rotate(t, s, second)

	st := readState(t, s)
	RequireSecret(t, second, st.Current)
	require.Nil(t, st.Pending)
	require.False(t, st.Holds(first.TokenID), "old token still held")
}

func testMetadataRoundTrip(t *testing.T, open Store) {
	s := open()
	sec := NewSecret(t, "tok-1")
	stage(t, s, sec)
	RequireSecret(t, sec, readState(t, s).Pending)

	promote(t, s, sec.TokenID)

	RequireSecret(t, sec, readState(t, s).Current)
}

func testReadSurvivesReopen(t *testing.T, open Store) {
	cur, next := NewSecret(t, "tok-1"), NewSecret(t, "tok-2")
	first := open()
	rotate(t, first, cur)
	stage(t, first, next)

	st := readState(t, open())

	RequireSecret(t, cur, st.Current)
	RequireSecret(t, next, st.Pending)
}

func testConcurrentReads(t *testing.T, open Store) {
	s := open()
	sec := NewSecret(t, "tok-1")
	rotate(t, s, sec)

	const readers = 8
	states := make([]sinks.State, readers)
	errs := make([]error, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Go(func() { states[i], errs[i] = s.Read(context.Background()) })
	}
	wg.Wait()

	for i := range readers {
		require.NoError(t, errs[i], "reader %d", i)
		RequireSecret(t, sec, states[i].Current)
	}
}

func testTokenNotInID(t *testing.T, open Store) {
	s := open()
	cur, next := NewSecret(t, "tok-1"), NewSecret(t, "tok-2")
	rotate(t, s, cur)
	stage(t, s, next)

	st := readState(t, s)

	for _, sec := range []sinks.Secret{cur, next} {
		token := sec.Token.Reveal()
		require.NotContains(t, s.ID(), token, "ID")
		require.False(t, strings.Contains(formatState(st), token), "formatted state")
	}
}
