package ui

import (
	"io"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"rsc.io/qr"

	"github.com/pixdesk/pixdesk/psp/brcode"
)

func TestTestCode(t *testing.T) {
	code := TestCode()
	c, err := brcode.Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.URL, ".invalid/") {
		t.Errorf("test code's url %q could resolve", c.URL)
	}
	// As dense as a typical 214-character PSP code (pix-brcode.md §7):
	// the same versions, so the same boxes.
	typical := TestCode()[:len(code)-4] + strings.Repeat("0", 214-len(code)) // length only
	for level := range qrLevels {
		a, err := qr.Encode(code, qrLevels[level].level)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := qr.Encode(typical, qrLevels[level].level)
		if a.Size != b.Size {
			t.Errorf("level %s: test code %d modules, a 214-character code %d", qrLevels[level].name, a.Size, b.Size)
		}
	}
}

func calibration(t *testing.T, cfg CalibrationConfig, w, h int) *Calibration {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	cfg.Renderer = r
	c := NewCalibration(cfg)
	c.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return c
}

// decodesTo paints the calibration screen and decodes it.
func decodesTo(t *testing.T, c *Calibration, cell [2]int) string {
	t.Helper()
	sc := emulate(t, c.View(), c.width, c.height)
	got, err := decodeQR(sc.paint(lightTheme, cell[0], cell[1]))
	if err != nil {
		return ""
	}
	return got
}

func TestCalibrationOffersEachStyle(t *testing.T) {
	c := calibration(t, CalibrationConfig{Caps: sixel8x16, Current: QRHalfBlocks}, 120, 40)
	var names []string
	for range c.opts {
		names = append(names, c.optionName(c.opts[c.i]))
		want := TestCode()
		if c.opts[c.i].style == QRText {
			want = ""
		}
		cell := [2]int{4, 8}
		if c.opts[c.i].only == QRKindSextants {
			cell = [2]int{6, 12}
		} else if c.r.Kind.Graphics() {
			cell = [2]int{8, 16}
		}
		if got := decodesTo(t, c, cell); got != want {
			t.Errorf("%s: decodes to %q", names[len(names)-1], got)
		}
		c.Update(tea.KeyMsg{Type: tea.KeyRight})
	}
	// The current style is where the list starts; the list wraps.
	if want := []string{"meios blocos", "sextantes", "desligado", "auto: sixel", "sixel"}; !reflect.DeepEqual(names, want) {
		t.Errorf("options %q, want %q", names, want)
	}
	if !strings.Contains(c.View(), "(em uso)") {
		t.Error("the style in use is not marked")
	}
	c.Update(tea.KeyMsg{Type: tea.KeyLeft})
	_, cmd := c.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if style, ok := c.Chosen(); !ok || style != QRGraphics || cmd == nil {
		t.Errorf("enter on sixel: %v, %v", style, ok)
	}
}

func TestCalibrationQuitSavesNothing(t *testing.T) {
	c := calibration(t, CalibrationConfig{}, 80, 24)
	c.Update(tea.KeyMsg{Type: tea.KeyRight})
	if _, cmd := c.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}}); cmd == nil {
		t.Fatal("q does not quit")
	}
	if _, ok := c.Chosen(); ok {
		t.Error("q chose a style")
	}
}

// TestCalibrationOne is qr-test --code --style: one code, one style, the
// drawing the console would make.
func TestCalibrationOne(t *testing.T) {
	c := calibration(t, CalibrationConfig{Code: qrDynamic161, One: true, Style: QRAuto, Caps: sixel8x16}, 80, 24)
	if c.r.Kind != QRKindSixel {
		t.Fatalf("auto with sixel drew %v", c.r.Kind)
	}
	if got := decodesTo(t, c, [2]int{8, 16}); got != qrDynamic161 {
		t.Errorf("decodes to %q", got)
	}
	c.Update(tea.KeyMsg{Type: tea.KeyRight})
	c.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if _, ok := c.Chosen(); ok || c.r.Kind != QRKindSixel {
		t.Error("keys change or choose a style in the one-style view")
	}
	// Too small for half blocks: the size needed, no QR.
	c = calibration(t, CalibrationConfig{Code: qrDynamic245(t), One: true, Style: QRHalfBlocks, Caps: lightCaps}, 80, 24)
	if c.r.OK || !strings.Contains(text(c.View()), "precisa de 61×35") {
		t.Errorf("80×24 half blocks: %v\n%s", c.r.OK, text(c.View()))
	}
}
