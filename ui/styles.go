package ui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Palette: adaptive colours, a light and a dark variant of each. Every text
// colour reaches WCAG's 4.5:1 on the terminal's background and on the
// status bar's, in both variants (TestPaletteContrast).
var (
	colAccent  = lipgloss.AdaptiveColor{Light: "#005FAF", Dark: "#5FAFFF"}
	colMuted   = lipgloss.AdaptiveColor{Light: "#5F5F5F", Dark: "#9E9E9E"}
	colError   = lipgloss.AdaptiveColor{Light: "#AF0000", Dark: "#FF5F5F"}
	colOK      = lipgloss.AdaptiveColor{Light: "#006F00", Dark: "#5FD75F"}
	colWarn    = lipgloss.AdaptiveColor{Light: "#875F00", Dark: "#FFD75F"}
	colOnColor = lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#000000"}
	colPaidBg  = lipgloss.AdaptiveColor{Light: "#008700", Dark: "#00AF00"}
	colAlarmBg = lipgloss.AdaptiveColor{Light: "#D70000", Dark: "#D70000"}
	colWarnBg  = lipgloss.AdaptiveColor{Light: "#FFD700", Dark: "#FFD700"}
	colBarBg   = lipgloss.AdaptiveColor{Light: "#E4E4E4", Dark: "#262626"}
)

// Styles holds every lipgloss style the console draws with, all made by one
// renderer so that tests can force an ASCII profile and NO_COLOR holds
// everywhere.
type Styles struct {
	r *lipgloss.Renderer

	Title, Label, LabelFocus, Value, Muted, Error, Hint, OK, Warn lipgloss.Style
	// Notice is for what must be read on any theme: bold in the
	// terminal's own foreground (yellow, say, is unreadable on white).
	Notice lipgloss.Style
	Amount lipgloss.Style
	// Flash line: news, failures, and money received.
	Flash, FlashError, FlashOK lipgloss.Style
	// StripPaid is a charge paid off screen, in the open-charges strip.
	StripPaid lipgloss.Style
	// Question frames a question the cashier must answer (a matching
	// open charge).
	Question lipgloss.Style

	// Banners on the result screen.
	Paid, Expired, Cancelled, Alarm lipgloss.Style
	// Countdown and its bar, in the normal and last-minute states.
	Countdown, CountdownWarn, BarFill, BarWarnFill, BarEmpty lipgloss.Style

	// Status bar.
	Bar, EnvSandbox, EnvStaging, EnvProduction, BarOK, BarBad lipgloss.Style

	// Help line keys and descriptions.
	HelpKey, HelpDesc lipgloss.Style
}

// NewStyles returns the console's styles drawn by r. With noColor the
// renderer is switched to the ASCII profile (NO_COLOR, https://no-color.org);
// a nil r means lipgloss's default renderer.
func NewStyles(r *lipgloss.Renderer, noColor bool) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	n := r.NewStyle
	return Styles{
		r:          r,
		Title:      n().Bold(true).Foreground(colAccent),
		Label:      n().Foreground(colMuted),
		LabelFocus: n().Bold(true).Foreground(colAccent),
		Value:      n(),
		Muted:      n().Foreground(colMuted),
		Error:      n().Foreground(colError).Bold(true),
		Hint:       n().Foreground(colWarn),
		OK:         n().Foreground(colOK),
		Warn:       n().Foreground(colWarn).Bold(true),
		Notice:     n().Bold(true),
		Amount:     n().Bold(true),
		Flash:      n().Foreground(colAccent).Bold(true),
		FlashError: n().Foreground(colError).Bold(true),
		FlashOK:    n().Foreground(colOK).Bold(true),
		StripPaid:  n().Foreground(colOK).Bold(true),
		Question:   n().Border(lipgloss.RoundedBorder()).BorderForeground(colWarn).Padding(0, 1),

		Paid: n().Foreground(colOnColor).Background(colPaidBg).Bold(true).Padding(1, 2),
		// Black on gold in both palettes: white on gold reads 1.4:1.
		Expired:   n().Foreground(lipgloss.Color("#000000")).Background(colWarnBg).Bold(true).Padding(1, 2),
		Cancelled: n().Foreground(colOnColor).Background(colMuted).Bold(true).Padding(1, 2),
		Alarm: n().Foreground(lipgloss.Color("#FFFFFF")).Background(colAlarmBg).Bold(true).
			Border(lipgloss.ThickBorder()).BorderForeground(colWarnBg).Padding(0, 1),

		Countdown:     n().Bold(true),
		CountdownWarn: n().Bold(true).Foreground(colError).Blink(true),
		BarFill:       n().Foreground(colOK),
		BarWarnFill:   n().Foreground(colError),
		BarEmpty:      n().Foreground(colMuted),

		Bar:           n().Background(colBarBg),
		EnvSandbox:    n().Bold(true).Foreground(colOnColor).Background(colAccent).Padding(0, 1),
		EnvStaging:    n().Bold(true).Foreground(lipgloss.Color("#000000")).Background(colWarnBg).Padding(0, 1),
		EnvProduction: n().Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(colAlarmBg).Padding(0, 1),
		BarOK:         n().Foreground(colOK),
		BarBad:        n().Foreground(colError).Bold(true),

		HelpKey:  n().Foreground(colAccent),
		HelpDesc: n().Foreground(colMuted),
	}
}

// Renderer returns the renderer the styles were made with.
func (s Styles) Renderer() *lipgloss.Renderer { return s.r }

// colour reports whether the styles draw colour at all (not ASCII).
func (s Styles) colour() bool { return s.r.ColorProfile() != termenv.Ascii }
