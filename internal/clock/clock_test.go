package clock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFakeAfterFiresOnAdvance(t *testing.T) {
	start := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	ch := f.After(time.Minute)

	f.Advance(59 * time.Second)
	select {
	case <-ch:
		t.Fatal("timer fired before its time")
	default:
	}

	f.Advance(time.Second)
	require.Equal(t, start.Add(time.Minute), <-ch)
	require.Equal(t, 0, f.Waiters())
}

func TestSleepReturnsWhenContextEnds(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, Sleep(ctx, f, time.Hour), context.Canceled)
}

func TestBlockUntilSeesWaiter(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	done := make(chan error, 1)
	go func() { done <- Sleep(context.Background(), f, time.Hour) }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, f.BlockUntil(ctx, 1))
	f.Advance(time.Hour)
	require.NoError(t, <-done)
}
