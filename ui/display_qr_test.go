package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// displayTerm is a terminal the display's QR tests draw for.
type displayTerm struct {
	name  string
	style QRStyle
	caps  termcap.Caps
	cell  [2]int // pixels, for painting
}

var (
	darkSixel    = termcap.Caps{Answered: true, Sixel: true, CellW: 8, CellH: 16, BackgroundKnown: true, Dark: true}
	darkKitty    = termcap.Caps{Answered: true, Kitty: true, CellW: 10, CellH: 20, BackgroundKnown: true, Dark: true, Version: "kitty(0.35.2)"}
	displayTerms = []displayTerm{
		{"half", QRHalfBlocks, testConfig(nil).Caps, [2]int{4, 8}},
		{"sextant", QRSextants, testConfig(nil).Caps, [2]int{6, 12}},
		{"sixel", QRAuto, darkSixel, [2]int{8, 16}},
		{"kitty", QRAuto, darkKitty, [2]int{10, 20}},
	}
	// displayQRSizes grow in both directions, then two that are small.
	displayQRSizes = [][2]int{{80, 24}, {100, 30}, {120, 40}, {160, 50}, {240, 70}, {60, 20}, {40, 12}}
)

// Where the display shows a QR it is the renderer's drawing, whole — the
// text block cell for cell, or the image at its cell with nothing written
// into its box and clear of the footer — and it decodes to the charge's
// code, read from the whole screen painted as a dark terminal shows it
// (block letters and all); where none fits it says so with the window it
// needs and shows the amount, and nothing on screen decodes. Nothing is
// wider or taller than the window. As the window grows, so does the QR's
// module: whole pixels for an image, whole multiples for text.
func TestDisplayQR(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, term := range displayTerms {
			last := 0 // the module so far, as the sizes grow
			for i, size := range displayQRSizes {
				w, h := size[0], size[1]
				name := fmt.Sprintf("%s %dx%d", term.name, w, h)
				td := newTestDisplay(t, w, h, func(c *DisplayConfig) { c.QRStyle, c.Caps = term.style, term.caps })
				td.store(openCharge(1))
				v := td.View()
				if n := strings.Count(v, "\n") + 1; n != h {
					t.Fatalf("%s: %d lines", name, n)
				}
				sc := emulate(t, v, w, h) // fails on anything written past the window
				got, err := decodeQR(sc.paint(darkTheme, term.cell[0], term.cell[1]))
				r := td.lay.qr
				if !r.OK {
					text := strings.Join(strings.Fields(ansi.Strip(v)), " ")
					if err == nil || !strings.Contains(text, fmt.Sprintf("janela de %d×%d", td.lay.need[0], td.lay.need[1])) ||
						!strings.Contains(td.lay.amount, "█") && !strings.Contains(td.lay.amount, "12,50") {
						t.Fatalf("%s: no QR, and no amount or no size needed, or something decodes (%q):\n%s", name, got, v)
					}
					t.Logf("%s: no QR; needs %dx%d", name, td.lay.need[0], td.lay.need[1])
					continue
				}
				if err != nil || got != testPayload {
					t.Fatalf("%s: %v %dx%d drawn, the screen decodes as %q, %v", name, r.Kind, r.Cols, r.Rows, got, err)
				}
				top, left := td.lay.at[0], td.lay.at[1]
				if !r.Kind.Graphics() {
					if ft, fl, ok := findBlock(t, sc, r); !ok || ft != top || fl != left {
						t.Fatalf("%s: the drawing is not on screen whole at %v (found %v at %d,%d)", name, td.lay.at, ok, ft, fl)
					}
				}
				if err := blockError(t, sc, r, top, left); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if top < 1 || top+r.Rows > h-1 {
					t.Fatalf("%s: rows %d to %d, over the header or the footer", name, top, top+r.Rows-1)
				}
				module := r.Module + r.Scale // one of them is 0
				if i < 4 && module < last {
					t.Errorf("%s: module %d, smaller than in a smaller window (%d)", name, module, last)
				}
				last = module
				t.Logf("%s: %v %dx%d at %d,%d, level %s, quiet %d, module %dpx scale %d, side %v",
					name, r.Kind, r.Cols, r.Rows, top, left, r.Level, r.Quiet, r.Module, r.Scale, td.lay.side)
			}
		}
	})
}

// TestDisplayQRSizes pins what the display draws for the test code (161
// characters) at the sizes the README names: text at scale 2 from about
// 240×70, images up to the terminal's limit (1,000 pixels unless it says).
func TestDisplayQRSizes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, tc := range []struct {
			term  int // index into displayTerms
			size  [2]int
			drawn string
		}{
			{0, [2]int{80, 24}, "none"},
			{0, [2]int{120, 40}, "half-blocks 61×31 at 4,7 level M quiet 4 module 0px"},
			{0, [2]int{160, 50}, "half-blocks 61×31 at 9,8 level M quiet 4 module 0px"},
			{0, [2]int{240, 70}, "half-blocks 122×61 at 4,17 level M quiet 4 module 0px scale 2"},
			{2, [2]int{80, 24}, "sixel 39×20 at 2,1 level M quiet 4 module 5px"},
			{2, [2]int{120, 40}, "sixel 69×35 at 2,3 level M quiet 4 module 9px"},
			{2, [2]int{160, 50}, "sixel 92×46 at 2,12 level M quiet 4 module 12px"},
			{2, [2]int{240, 70}, "sixel 122×61 at 4,17 level M quiet 4 module 16px"},
			{3, [2]int{240, 70}, "kitty 98×49 at 10,9 level M quiet 4 module 16px"}, // 1,000 px
		} {
			term := displayTerms[tc.term]
			td := newTestDisplay(t, tc.size[0], tc.size[1], func(c *DisplayConfig) { c.QRStyle, c.Caps = term.style, term.caps })
			td.store(openCharge(1))
			got := "none"
			if td.showsQR() {
				got = qrDrawn(td.lay.qr, td.lay.at)
			}
			if got != tc.drawn {
				t.Errorf("%s %v: %s, want %s", term.name, tc.size, got, tc.drawn)
			}
		}
	})
}

// findBlock finds where r's drawing is on sc: the cell its first row
// starts at, compared cell by cell.
func findBlock(t *testing.T, sc *emuScreen, r QRRender) (top, left int, ok bool) {
	block := emulate(t, strings.Join(r.Lines, "\n"), r.Cols, r.Rows)
	for top := 0; top+r.Rows <= sc.h; top++ {
		for left := 0; left+r.Cols <= sc.w; left++ {
			if slices.Equal(sc.cells[top][left:left+r.Cols], block.cells[0]) {
				return top, left, true
			}
		}
	}
	return 0, 0, false
}

// TestDisplayImagePlacement checks the rule of qr_place.go on the
// display: the screen is cleared whenever the image changes — it
// appears, the window is resized, it leaves at the expiry or with its
// charge — and not on a tick, which rewrites the countdown beside it; on
// kitty the first frame without it deletes it.
func TestDisplayImagePlacement(t *testing.T) {
	bubble(t, func(t *testing.T) {
		td := newTestDisplay(t, 80, 24, func(c *DisplayConfig) { c.Caps = darkKitty })
		c := openCharge(1)
		td.f.put(c)
		step := func(name string, msg tea.Msg, clear bool) {
			t.Helper()
			_, cmd := td.Update(msg)
			if got := clearsScreen(cmd); got != clear {
				t.Errorf("%s: clear %v, want %v", name, got, clear)
			}
		}
		step("the charge", chargeMsg{id: 1, c: c}, true)
		if !td.showsQR() || td.lay.qr.Kind != QRKindKitty {
			t.Fatalf("no image: %+v", td.lay.qr)
		}
		if strings.HasPrefix(td.View(), kittyForget(darkKitty)) {
			t.Error("the frame with the image starts by deleting it")
		}
		step("tick", tickMsg(testNow), false)
		step("same size", tea.WindowSizeMsg{Width: 80, Height: 24}, false)
		step("resize", tea.WindowSizeMsg{Width: 120, Height: 40}, true)
		td.now = c.ExpiresAt.Add(-30 * time.Second)
		step("the last minute", tickMsg(td.now), false)
		td.now = c.ExpiresAt
		step("expiry", tickMsg(td.now), true)
		if td.showsQR() || !strings.HasPrefix(td.View(), kittyForget(darkKitty)) {
			t.Errorf("at the expiry: shows a QR %v, or the frame does not delete the image", td.showsQR())
		}
		step("still expired", tickMsg(td.now), false)

		n := openCharge(2)
		n.CreatedAt = c.CreatedAt.Add(time.Minute)
		n.ExpiresAt = td.now.Add(10 * time.Minute)
		step("a new charge", chargeMsg{id: 2, c: n}, true)
		p := paid(n)
		step("paid", chargeMsg{id: 2, c: p}, true)
		if v := td.View(); !strings.HasPrefix(v, kittyForget(darkKitty)) || !showsBig(ansi.Strip(v), "PAGO") {
			t.Errorf("paid: the frame does not delete the image, or shows no PAGO")
		}
		td.now = td.now.Add(DefaultHold)
		step("idle", tickMsg(td.now), false)
		if td.cur != nil || td.placed != "" {
			t.Errorf("idle: charge %v, image %q", td.cur, td.placed)
		}
	})
}

// The display measures the cell after a resize, as the console does, and
// an image drawn for the old cell is drawn again for the new one.
func TestDisplayCellChange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cell := [2]int{8, 16}
		td := newTestDisplay(t, 120, 40, func(c *DisplayConfig) {
			c.Caps = darkSixel
			c.CellSize = func() (int, int) { return cell[0], cell[1] }
		})
		td.store(openCharge(1))
		before := td.lay.qr
		cell = [2]int{10, 20}
		_, cmd := td.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		var msgs []tea.Msg
		if cmd != nil {
			msgs = drain(cmd)
		}
		if len(msgs) != 1 {
			t.Fatalf("resize: %d messages, want the cell's size", len(msgs))
		}
		_, cmd = td.Update(msgs[0])
		after := td.lay.qr
		if td.e.caps.CellW != 10 || after.Cols*10 < before.Cols*8-10 || after.Cols == before.Cols || !clearsScreen(cmd) {
			t.Errorf("cell 8×16 → 10×20: %d×%d → %d×%d cells, cleared %v", before.Cols, before.Rows, after.Cols, after.Rows, clearsScreen(cmd))
		}
	})
}
