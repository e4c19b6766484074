package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rotatord/rotatord/internal/policy"
)

// zoneShifts are the sizes of daylight-saving shifts in use: most zones
// move by an hour, Lord Howe Island by 30 minutes, Troll station by two
// hours.
var zoneShifts = []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour}

// Parse reads a cron spec with policy.ParseSchedule, so validation and
// scheduling accept the same specs, and corrects how
// robfig/cron v3.0.1 handles daylight-saving changes.
//
// On a spring-forward day v3.0.1 skips a fire whose local time does not
// exist (02:30 in Europe/Berlin on 2026-03-29). The returned schedule fires
// once at the instant the clocks jump instead. On a fall-back day v3.0.1
// fires twice for a local time that occurs twice. The returned schedule
// fires only at the first occurrence, which also drops the repeated hour of
// an hourly or finer spec.
func Parse(spec string) (cron.Schedule, error) {
	parsed, err := policy.ParseSchedule(spec)
	if err != nil {
		return nil, fmt.Errorf("parse schedule: %w", err)
	}
	inner, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		// @every specs run at a constant delay and ignore the wall clock.
		return parsed, nil
	}
	return dstSchedule{inner: inner}, nil
}

// dstSchedule wraps a cron spec so that daylight-saving gaps and repeats
// lead to exactly one fire.
type dstSchedule struct {
	inner *cron.SpecSchedule
}

// Next returns the first fire time after t.
func (s dstSchedule) Next(t time.Time) time.Time {
	next := s.inner.Next(t)
	for !next.IsZero() && s.isRepeat(next) {
		next = s.inner.Next(next)
	}
	if gap := s.firstGapFire(t, next); !gap.IsZero() {
		return gap.In(t.Location())
	}
	return next
}

// isRepeat reports whether the local time of fire already occurred shortly
// before, which happens only in the hour a fall-back change repeats.
func (s dstSchedule) isRepeat(fire time.Time) bool {
	local := fire.In(s.inner.Location)
	for _, shift := range zoneShifts {
		earlier := local.Add(-shift)
		if sameWallClock(earlier, local) {
			return true
		}
	}
	return false
}

// firstGapFire returns the first spring-forward instant in (after, before)
// whose skipped local times include a fire of the spec, or the zero time.
func (s dstSchedule) firstGapFire(after, before time.Time) time.Time {
	cursor := after.In(s.inner.Location)
	for {
		_, end := cursor.ZoneBounds()
		if end.IsZero() || (!before.IsZero() && !end.Before(before)) {
			return time.Time{}
		}
		if s.firesInGap(end) {
			return end
		}
		cursor = end
	}
}

// firesInGap reports whether the zone change at instant skips local times
// and the spec would fire at one of them.
func (s dstSchedule) firesInGap(instant time.Time) bool {
	_, offsetBefore := instant.Add(-time.Second).Zone()
	_, offsetAfter := instant.Zone()
	if offsetAfter <= offsetBefore {
		return false
	}

	// Compare on wall clocks: the skipped local times run from the instant
	// read in the old offset up to the instant read in the new offset.
	gapStart := wallClockUTC(instant.In(time.FixedZone("", offsetBefore)))
	gapEnd := wallClockUTC(instant.In(time.FixedZone("", offsetAfter)))
	utcSpec := *s.inner
	utcSpec.Location = time.UTC
	fire := utcSpec.Next(gapStart.Add(-time.Second))
	return !fire.IsZero() && fire.Before(gapEnd)
}

func sameWallClock(a, b time.Time) bool {
	return wallClockUTC(a).Equal(wallClockUTC(b))
}

// wallClockUTC returns t's local date and time read as if it were UTC.
func wallClockUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
