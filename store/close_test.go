package store

import (
	"testing"
	"time"
)

// A day is midnight to midnight on the shop's wall clock: 23 hours when
// the clocks go forward (São Paulo, 4 November 2018), 25 when they go
// back (New York, 3 November 2024), 24 otherwise.
func TestDayBounds(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("no zone database: %v", err)
		}
		return loc
	}
	for _, c := range []struct {
		zone, day string
		hours     int
	}{
		{"America/Sao_Paulo", "2026-12-01", 24},
		{"America/Sao_Paulo", "2018-11-04", 23},
		{"America/New_York", "2024-11-03", 25},
	} {
		loc := zone(c.zone)
		from, to, err := DayBounds(c.day, loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := to.Sub(from); got != time.Duration(c.hours)*time.Hour ||
			from.In(loc).Format(time.DateOnly) != c.day || from.Add(-time.Nanosecond).In(loc).Format(time.DateOnly) == c.day {
			t.Errorf("%s %s: [%s, %s) is %s, want %d hours from the day's first instant", c.zone, c.day, from, to, got, c.hours)
		}
	}
	for _, bad := range []string{"", "2026-13-01", "01/12/2026", "2026-12-01x"} {
		if _, _, err := DayBounds(bad, time.UTC); err == nil {
			t.Errorf("DayBounds(%q) accepted", bad)
		}
	}
}
