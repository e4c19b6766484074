package policy

import (
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

var scheduleParser = cron.NewParser(
	cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor,
)

// ParseSchedule parses a cron spec of five fields (minute hour day month
// weekday) or a descriptor such as @daily or @every 12h, optionally prefixed
// with "CRON_TZ=Zone " to read it in that time zone instead of local time.
func ParseSchedule(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty schedule; use 5 fields (minute hour day month weekday) or a descriptor like @daily")
	}

	body := spec
	if rest, ok := strings.CutPrefix(spec, "CRON_TZ="); ok {
		zone, after, _ := strings.Cut(rest, " ")
		if zone == "" || strings.TrimSpace(after) == "" {
			return nil, fmt.Errorf("%q has a time zone but no schedule after it; write it like CRON_TZ=Europe/Berlin 0 3 * * *", spec)
		}
		body = strings.TrimSpace(after)
	} else if strings.HasPrefix(spec, "TZ=") {
		return nil, fmt.Errorf("%q uses TZ=; write the prefix as CRON_TZ=", spec)
	}

	if !strings.HasPrefix(body, "@") {
		if n := len(strings.Fields(body)); n != 5 {
			return nil, fmt.Errorf("%q has %d fields; use 5 (minute hour day month weekday) or a descriptor like @daily", spec, n)
		}
	}

	schedule, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid schedule: %w", spec, err)
	}
	return schedule, nil
}
