package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseScheduleAccepts(t *testing.T) {
	from := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)

	cases := []struct {
		spec string
		want time.Time
	}{
		{"0 3 * * *", time.Date(2026, 3, 3, 3, 0, 0, 0, time.UTC)},
		{"@daily", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
		{"@every 12h", from.Add(12 * time.Hour)},
		{"30 2 * * 0", time.Date(2026, 3, 8, 2, 30, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Berlin 0 3 * * *", time.Date(2026, 3, 3, 3, 0, 0, 0, berlin)},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec)
			require.NoError(t, err)
			require.True(t, tc.want.Equal(s.Next(from)), "next is %v, want %v", s.Next(from), tc.want)
		})
	}
}

func TestParseScheduleRejects(t *testing.T) {
	cases := []struct {
		spec     string
		fragment string
	}{
		{"", "empty schedule"},
		{"0 3 * * * *", "has 6 fields; use 5 (minute hour day month weekday)"},
		{"3 * *", "has 3 fields"},
		{"CRON_TZ=Nowhere/City 0 3 * * *", "not a valid schedule"},
		{"CRON_TZ=Europe/Berlin", "no schedule after it"},
		{"TZ=UTC 0 3 * * *", "write the prefix as CRON_TZ="},
		{"61 * * * *", "not a valid schedule"},
		{"@fortnightly", "not a valid schedule"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := ParseSchedule(tc.spec)
			require.ErrorContains(t, err, tc.fragment)
		})
	}
}
