package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/store/engine"
)

// statusBarHeight is the status bar's height in lines.
const statusBarHeight = 2

// refusedSpike is how many refused webhook deliveries in an hour the bar
// mentions: a stray one is noise, a burst is someone knocking.
const refusedSpike = 10

// statusBar is always at the bottom: the environment (production in red),
// the link to ConnectPSP, the webhook listener, the polling and the store.
type statusBar struct{ env *env }

// envBadge names the environment; production is unmistakable.
func (s statusBar) envBadge() string {
	st, l := s.env.styles, s.env.lang
	switch strings.ToLower(s.env.cfg.Env) {
	case EnvProduction, "production", "prod":
		text := l.s(kEnvProduction)
		if !st.colour() {
			text = "!! " + text + " !!"
		}
		return st.EnvProduction.Render(text)
	case EnvStaging, "homologação", "staging":
		return st.EnvStaging.Render(l.s(kEnvStaging))
	}
	return st.EnvSandbox.Render(l.s(kEnvSandbox))
}

func (s statusBar) view(width int, h engine.Health) string {
	st, l, cfg := s.env.styles, s.env.lang, s.env.cfg
	sep := st.Muted.Render(" · ")

	link := st.BarBad.Render("✗ " + l.s(kPSPDown))
	if h.Reachable {
		link = st.BarOK.Render("✓ " + l.s(kPSPUp))
	}
	token := st.BarBad.Render("✗ " + l.s(kTokenNone))
	if h.TokenValid {
		token = st.BarOK.Render("✓ " + l.s(kTokenOK))
	}
	// Most important first: what is cut at a narrow width is the end.
	first := []string{s.envBadge() + " " + link, token}
	if h.Stopped != "" {
		// The engine is gone: said first, where it is not cut off, and
		// why at the start of the second line.
		first = []string{s.envBadge() + " " + st.BarBad.Render("✗ "+l.s(kEngineStopped))}
	}
	if h.Creating > 0 {
		first = append(first, st.Warn.Render(l.s(kCreatingBg, h.Creating)))
	}
	first = append(first, s.operatorBadge())
	if h.Pending > 0 && h.Stopped == "" {
		// "consultando 0" said nothing and cost the operator's badge its
		// place at 80 columns.
		first = append(first, l.s(kPolling, h.Pending))
	}
	if cfg.Terminal != "" {
		first = append(first, cfg.Terminal)
	}

	var hook string
	switch {
	case cfg.WebhookAddr == "" && cfg.WebhookVia != "":
		hook = l.s(kWebhookVia, cfg.WebhookVia)
	case cfg.WebhookAddr == "":
		hook = l.s(kWebhookOff)
	case h.LastWebhook.IsZero():
		hook = l.s(kWebhookNone, cfg.WebhookAddr)
	default:
		hook = l.s(kWebhook, cfg.WebhookAddr, clock(h.LastWebhook, s.env.now, cfg.Location))
	}
	second := []string{hook, qrStatus(s.env)}
	if h.Stopped != "" {
		second = append([]string{st.BarBad.Render(h.Stopped)}, second...)
	}
	if h.RefusedLastHour >= refusedSpike {
		second = append(second, st.Warn.Render(l.n(kRefusedHour, h.RefusedLastHour, h.RefusedLastHour)))
	}
	if cfg.Store != "" {
		second = append(second, l.s(kStore, cfg.Store))
	}
	if h.LastErr != "" && !h.Reachable {
		second = append(second, st.BarBad.Render(h.LastErr))
	}
	line := func(parts []string) string {
		return truncate(" "+strings.Join(parts, sep), width)
	}
	bar := st.Bar.Width(width)
	return lipgloss.JoinVertical(lipgloss.Left, bar.Render(line(first)), bar.Render(line(second)))
}
