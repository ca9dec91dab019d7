package ui

import (
	"fmt"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// truncate cuts s (which may hold escape sequences) to w cells.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// withTail joins head and tail in w cells, cutting head rather than tail:
// a payer's name may run to 100 characters, and the masked document after
// it is what tells two payers apart.
func withTail(head, tail string, w int) string {
	if room := w - lipgloss.Width(tail); lipgloss.Width(head) > room {
		head = truncate(head, max(1, room))
	}
	return head + tail
}

// wrap breaks s into lines of at most w cells, at spaces where it can.
func wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Wrap(s, w, "")
}

// paidAmount is what the payer paid, or the charge's amount when the store
// has no separate figure.
func paidAmount(c *store.Charge) psp.Amount {
	if c.PaidAmount != 0 {
		return c.PaidAmount
	}
	return c.Amount
}

// statusWord names a final status in the user's language.
func statusWord(l lang, s psp.Status) string {
	switch s {
	case psp.StatusPaid:
		return l.s(kBannerPaid)
	case psp.StatusExpired:
		return l.s(kBannerExpired)
	case psp.StatusCancelled:
		return l.s(kBannerCancelled)
	case psp.StatusRefunded:
		return l.s(kBannerRefunded)
	}
	return string(s)
}

// clock formats a time of day in loc; the date is added when it is not
// today.
func clock(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("02/01/2006 15:04:05")
}

// mmss formats a remaining duration as mm:ss (hh:mm:ss past an hour).
func mmss(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int((d + time.Second - 1) / time.Second) // round up: 0:00 only at the end
	if s >= 3600 {
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
