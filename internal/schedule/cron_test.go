package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func berlin(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

func fires(t *testing.T, spec string, from time.Time, n int) []time.Time {
	t.Helper()
	sched, err := Parse(spec)
	require.NoError(t, err)
	var out []time.Time
	at := from
	for range n {
		at = sched.Next(at)
		out = append(out, at)
	}
	return out
}

func TestParseSpringForwardFiresOnce(t *testing.T) {
	loc := berlin(t)
	got := fires(t, "CRON_TZ=Europe/Berlin 30 2 * * *", time.Date(2026, 3, 28, 12, 0, 0, 0, loc), 3)

	// 02:30 does not exist on 2026-03-29: the clocks jump from 02:00 CET
	// to 03:00 CEST, so the fire happens at the jump.
	require.Equal(t, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), got[0].UTC())
	require.Equal(t, time.Date(2026, 3, 30, 2, 30, 0, 0, loc), got[1])
	require.Equal(t, time.Date(2026, 3, 31, 2, 30, 0, 0, loc), got[2])
}

func TestParseFallBackFiresOnce(t *testing.T) {
	loc := berlin(t)
	got := fires(t, "CRON_TZ=Europe/Berlin 30 2 * * *", time.Date(2026, 10, 24, 12, 0, 0, 0, loc), 2)

	// 02:30 occurs twice on 2026-10-25, at 00:30 and 01:30 UTC.
	require.Equal(t, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), got[0].UTC())
	require.Equal(t, time.Date(2026, 10, 26, 2, 30, 0, 0, loc), got[1])
}

func TestParseFallBackFromInsideRepeatedHour(t *testing.T) {
	// Between the two occurrences of 02:30, the next fire is the next day.
	from := time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC)
	got := fires(t, "CRON_TZ=Europe/Berlin 30 2 * * *", from, 1)
	require.Equal(t, time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC), got[0].UTC())
}

func TestParseGapWithFinerSpecFiresOnce(t *testing.T) {
	from := time.Date(2026, 3, 29, 0, 50, 0, 0, time.UTC) // 01:50 CET
	got := fires(t, "CRON_TZ=Europe/Berlin */20 * * * *", from, 3)

	// 02:00, 02:20 and 02:40 are skipped; one fire at 03:00 CEST covers
	// them, and the regular 03:20 follows.
	require.Equal(t, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), got[0].UTC())
	require.Equal(t, time.Date(2026, 3, 29, 1, 20, 0, 0, time.UTC), got[1].UTC())
	require.Equal(t, time.Date(2026, 3, 29, 1, 40, 0, 0, time.UTC), got[2].UTC())
}

func TestParseOrdinaryDaysUnchanged(t *testing.T) {
	loc := berlin(t)
	got := fires(t, "CRON_TZ=Europe/Berlin 0 3 * * 1", time.Date(2026, 6, 1, 12, 0, 0, 0, loc), 2)
	require.Equal(t, time.Date(2026, 6, 8, 3, 0, 0, 0, loc), got[0])
	require.Equal(t, time.Date(2026, 6, 15, 3, 0, 0, 0, loc), got[1])
}

func TestParseRejectsInvalidSpecs(t *testing.T) {
	for _, spec := range []string{
		"0 0 2 * * *",
		"CRON_TZ=Nowhere/Invalid 0 2 * * *",
		"",
		"61 * * * *",
	} {
		t.Run(spec, func(t *testing.T) {
			_, err := Parse(spec)
			require.Error(t, err)
		})
	}
}

func TestParseDescriptor(t *testing.T) {
	got := fires(t, "@daily", time.Date(2026, 6, 1, 12, 0, 0, 0, time.Local), 1)
	require.Equal(t, time.Date(2026, 6, 2, 0, 0, 0, 0, time.Local), got[0])
}
