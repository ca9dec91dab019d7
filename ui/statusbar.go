package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/store/engine"
)

// statusBarHeight is the status bar's height in lines.
const statusBarHeight = 2

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
	first := []string{s.envBadge() + " " + link, token, l.s(kPolling, h.Pending)}
	if h.Creating > 0 {
		first = append(first, st.Warn.Render(l.s(kCreatingBg, h.Creating)))
	}
	if cfg.Terminal != "" {
		first = append(first, cfg.Terminal)
	}

	var hook string
	switch {
	case cfg.WebhookAddr == "":
		hook = l.s(kWebhookOff)
	case h.LastWebhook.IsZero():
		hook = l.s(kWebhookNone, cfg.WebhookAddr)
	default:
		hook = l.s(kWebhook, cfg.WebhookAddr, clock(h.LastWebhook, s.env.now, cfg.Location))
	}
	second := []string{hook}
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
