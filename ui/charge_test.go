package ui

import (
	"bytes"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// BenchmarkChargeView measures a redraw of the charge screen, the work of
// every countdown tick. The QR is cached, so this is text layout only.
func BenchmarkChargeView(b *testing.B) {
	for _, size := range []struct {
		name  string
		w, h  int
		sixel bool
	}{{"80x24", 80, 24, false}, {"120x40", 120, 40, false}, {"80x24-sixel", 80, 24, true}, {"120x40-sixel", 120, 40, true}} {
		b.Run(size.name, func(b *testing.B) {
			var out bytes.Buffer
			cfg := testConfig(&out)
			if size.sixel {
				cfg.Caps = sixel8x16
			}
			m, f := newTestModel(b, cfg, size.w, size.h)
			c := openCharge(1)
			f.put(c)
			m.Update(latestMsg{c: c}) // its commands are not needed here
			if m.active != m.charge {
				b.Fatal("not on the charge screen")
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				m.Update(tickMsg(testNow))
				_ = m.View()
			}
		})
	}
}

// TestChargeLayoutPerSize checks where the QR goes at a few sizes.
func TestChargeLayoutPerSize(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, tc := range []struct {
			w, h  int
			style QRStyle
			want  qrMode
		}{
			{80, 24, QRHalfBlocks, qrNone},
			{80, 24, QRSextants, qrSide},
			{100, 40, QRHalfBlocks, qrSide},
			{60, 40, QRHalfBlocks, qrStacked},
			{120, 40, QRHalfBlocks, qrSide},
		} {
			var out bytes.Buffer
			cfg := testConfig(&out)
			cfg.QRStyle = tc.style
			m, f := newTestModel(t, cfg, tc.w, tc.h)
			c := openCharge(1)
			f.put(c)
			run(m, latestMsg{c: c})
			if m.charge.mode != tc.want {
				t.Errorf("%d×%d %v: mode %d, want %d", tc.w, tc.h, tc.style, m.charge.mode, tc.want)
			}
			m.Update(tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
			for _, line := range splitLines(m.View()) {
				if w := lipglossWidth(line); w > tc.w {
					t.Errorf("%d×%d: a line is %d cells wide", tc.w, tc.h, w)
				}
			}
			if n := len(splitLines(m.View())); n != tc.h {
				t.Errorf("%d×%d: %d lines", tc.w, tc.h, n)
			}
		}
	})
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

func lipglossWidth(s string) int { return lipgloss.Width(s) }
