package ui

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/store"
)

// chargeModel is a console at w×h showing the open charge with payload.
func chargeModel(t *testing.T, cfg Config, payload string, w, h int) *Model {
	t.Helper()
	m, _, _ := chargeShown(t, cfg, w, h, func(c *store.Charge) { c.CopyAndPaste = payload })
	if m.active != m.charge {
		t.Fatal("the charge is not on screen")
	}
	return m
}

// text is a view's words, each run of blanks one space, so that a wrapped
// message reads as one line.
func text(v string) string { return strings.Join(strings.Fields(ansi.Strip(v)), " ") }

func TestNoQRSaysWhatToDo(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, tc := range []struct {
			lang  string
			style QRStyle
			caps  termcap.Caps
			w, h  int
			want  []string
		}{
			// 80×24 without graphics: nothing fits, not even full screen.
			{"pt-BR", QRAuto, testConfig(nil).Caps, 80, 24, []string{"Sem espaço para um QR legível: esta tela precisa de 60×34.", "Amplie a janela, mostre o QR com pixdesk display ou use o copia e cola."}},
			{"en", QRAuto, testConfig(nil).Caps, 80, 24, []string{"No room for a QR that scans: this screen needs 60×34.", "pixdesk display"}},
			// 100×30: full screen (f) fits.
			{"pt-BR", QRAuto, testConfig(nil).Caps, 100, 30, []string{"Tecle f (tela cheia), amplie a janela, use pixdesk display ou o copia e cola."}},
			{"pt-BR", QRText, testConfig(nil).Caps, 120, 40, []string{"QR desligado (--qr-style text)"}},
			{"pt-BR", QRAuto, termcap.Caps{Answered: true}, 120, 40, []string{"Sem cores e com fundo desconhecido", "pixdesk qr-test"}},
		} {
			cfg := testConfig(&bytes.Buffer{})
			cfg.Lang, cfg.QRStyle, cfg.Caps = tc.lang, tc.style, tc.caps
			m := chargeModel(t, cfg, testPayload, tc.w, tc.h)
			v := text(m.View())
			if m.charge.mode != qrNone {
				t.Errorf("%v %d×%d: a QR is drawn", tc.style, tc.w, tc.h)
			}
			for _, want := range tc.want {
				if !strings.Contains(v, want) {
					t.Errorf("%s %v %d×%d: no %q in\n%s", tc.lang, tc.style, tc.w, tc.h, want, v)
				}
			}
			if !strings.Contains(v, testPayload[:40]) {
				t.Errorf("%v %d×%d: no copy-and-paste text", tc.style, tc.w, tc.h)
			}
		}
	})
}

// TestNoQRReadsOnAnyTheme: the message has no colour of its own (xterm's
// default yellow on white could not be read); it is bold in the
// terminal's foreground.
func TestNoQRReadsOnAnyTheme(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, dark := range []bool{false, true} {
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(termenv.ANSI)
			r.SetHasDarkBackground(dark)
			cfg := testConfig(&bytes.Buffer{})
			cfg.Renderer, cfg.Caps.Dark = r, dark
			m := chargeModel(t, cfg, testPayload, 80, 24)
			msg := m.charge.noQR()
			if !strings.Contains(ansi.Strip(msg), "Sem espaço") {
				t.Fatalf("not the message: %q", msg)
			}
			if strings.Contains(msg, "[3") || strings.Contains(msg, "[9") || strings.Contains(msg, ";3") {
				t.Errorf("dark %v: the message has a colour: %q", dark, msg)
			}
			if !strings.Contains(msg, "\x1b[1m") {
				t.Errorf("dark %v: the message is not bold: %q", dark, msg)
			}
		}
	})
}

func TestSmallWindowShowsTheSizeNeeded(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m := chargeModel(t, testConfig(&bytes.Buffer{}), testPayload, 80, 24)
		v := m.View()
		if m.charge.mode != qrNone || !strings.Contains(text(v), "precisa de 60×34") || !strings.Contains(v, testPayload[:40]) {
			t.Errorf("an 80×24 window must say how large it must be and show the text:\n%s", v)
		}
		m.Update(tea.WindowSizeMsg{Width: 59, Height: 30})
		if v := m.View(); !strings.Contains(v, "pelo menos") || !strings.Contains(v, "60×20") {
			t.Errorf("below the minimum: %q", v)
		}
	})
}

// TestBadCRCNeverDrawn is issue 10's rule: a code that fails its CRC is
// never drawn, nor offered to copy; the screen says so and offers r.
func TestBadCRCNeverDrawn(t *testing.T) {
	bubble(t, func(t *testing.T) {
		bad := testPayload[:len(testPayload)-1] + "X"
		for _, lang := range []string{"pt-BR", "en"} {
			cfg := testConfig(&bytes.Buffer{})
			cfg.Lang, cfg.Caps = lang, sixel8x16
			m := chargeModel(t, cfg, bad, 120, 40)
			v := m.View()
			want := map[string]string{"pt-BR": "falhou na verificação (CRC)", "en": "fails its check (CRC)"}[lang]
			if m.charge.mode != qrNone || m.charge.qr != nil || strings.Contains(v, "\x1bP") {
				t.Errorf("%s: a code with a bad CRC is drawn", lang)
			}
			if !strings.Contains(text(v), want) || !strings.Contains(text(v), "r") {
				t.Errorf("%s: no word of the CRC:\n%s", lang, v)
			}
			if strings.Contains(v, bad[:40]) {
				t.Errorf("%s: the corrupted code is shown to copy", lang)
			}
			if _, cmd := m.Update(runes("c")); cmd != nil {
				t.Errorf("%s: c copies a corrupted code", lang)
			}
			if _, cmd := m.Update(runes("f")); cmd != nil {
				t.Errorf("%s: f opens a full-screen view of nothing", lang)
			}
			if _, cmd := m.Update(runes("r")); cmd == nil {
				t.Errorf("%s: r does not refresh", lang)
			}
			// The refresh brings the right code: it is drawn.
			c := openCharge(1)
			c.Version++
			m.charge.set(c)
			if m.charge.qr == nil || m.charge.mode == qrNone {
				t.Errorf("%s: the good code is not drawn after the refresh", lang)
			}
		}
	})
}

// clearsScreen reports whether cmd, batches flattened, clears the screen.
func clearsScreen(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if clearsScreen(c) {
				return true
			}
		}
		return false
	}
	return reflect.TypeOf(msg) == reflect.TypeOf(tea.ClearScreen())
}

// TestImagePlacementClears checks the rule of qr_place.go: the screen is
// cleared whenever the image on it changes — it appears, the window is
// resized, it goes full screen, it leaves with its screen — and not on a
// tick, which leaves it where it is.
func TestImagePlacementClears(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cfg := testConfig(&bytes.Buffer{})
		cfg.Caps = sixel8x16
		m, f := newTestModel(t, cfg, 80, 24)
		c := openCharge(1)
		f.put(c)
		_, cmd := m.Update(latestMsg{c: c})
		if m.charge.block.Kind != QRKindSixel || !clearsScreen(cmd) {
			t.Fatalf("the image appeared (%v) without a clear", m.charge.block.Kind)
		}
		for _, step := range []struct {
			name  string
			msg   tea.Msg
			clear bool
		}{
			{"tick", tickMsg(testNow), false},
			{"same size", tea.WindowSizeMsg{Width: 80, Height: 24}, false},
			{"resize", tea.WindowSizeMsg{Width: 120, Height: 40}, true},
			{"full screen", runes("f"), true}, // the screen tells the root, in the same Update
			{"full screen again", fullQRMsg{on: true}, false},
			{"back", runes("x"), true},
			{"new charge", newChargeMsg{}, true},
		} {
			_, cmd := m.Update(step.msg)
			if got := clearsScreen(cmd); got != step.clear {
				t.Errorf("%s: clear %v, want %v", step.name, got, step.clear)
			}
		}
		if m.placed != "" {
			t.Errorf("the form has an image: %q", m.placed)
		}
	})
}

// TestImageLayoutFits checks that with an image beside the details every
// line still fits the window, counting the cells the image's cursor moves
// cross (lipgloss.Width counts them as none).
func TestImageLayoutFits(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}, {60, 20}, {60, 34}} {
			for _, full := range []bool{false, true} {
				cfg := testConfig(&bytes.Buffer{})
				cfg.Caps = sixel8x16
				m := chargeModel(t, cfg, qrDynamic245(t), size[0], size[1])
				if full {
					run(m, fullQRMsg{on: true})
				}
				v := m.View()
				sc := emulate(t, v, size[0], size[1]) // fails on text written off screen
				lines := strings.Split(v, "\n")
				if len(lines) != size[1] {
					t.Errorf("%v full=%v: %d lines", size, full, len(lines))
				}
				if len(sc.images) != 1 {
					t.Errorf("%v full=%v: %d images", size, full, len(sc.images))
					continue
				}
				im := sc.images[0]
				if bottom := im.row + (im.img.Rect.Dy()+15)/16; bottom >= size[1] {
					t.Errorf("%v full=%v: the image reaches the last row (%d)", size, full, bottom)
				}
			}
		}
	})
}

// TestStatusAndHelpNameTheQRStyle: the status bar says what detection found
// (or the style forced), and the full help how to change it.
func TestStatusAndHelpNameTheQRStyle(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for _, tc := range []struct {
			style        QRStyle
			caps         termcap.Caps
			status, help string
		}{
			{QRAuto, sixel8x16, "QR sixel ·", "QR: auto · detectado: sixel 8×16px · mude com --qr-style ou pixdesk qr-test"},
			{QRAuto, testConfig(nil).Caps, "QR meios blocos", "detectado: meios blocos"},
			{QRAuto, termcap.Caps{}, "QR só texto", "detectado: só texto"},
			{QRSextants, sixel8x16, "QR sextantes (--qr-style)", "QR: sextantes · detectado: sixel"},
		} {
			cfg := testConfig(&bytes.Buffer{})
			cfg.QRStyle, cfg.Caps = tc.style, tc.caps
			m := chargeModel(t, cfg, testPayload, 140, 50)
			if v := text(m.View()); !strings.Contains(v, tc.status) {
				t.Errorf("%v: status bar lacks %q:\n%s", tc.style, tc.status, v)
			}
			run(m, runes("?"))
			if v := text(m.View()); !strings.Contains(v, tc.help) {
				t.Errorf("%v: help lacks %q:\n%s", tc.style, tc.help, v)
			}
		}
	})
}

// TestKittyImageForgotten: on a kitty terminal, a frame without the image
// deletes it (kitty keeps images over the text until told), and the
// clear that follows the change repaints that frame whole.
func TestKittyImageForgotten(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cfg := testConfig(&bytes.Buffer{})
		cfg.Caps = termcap.Caps{Answered: true, Kitty: true, CellW: 10, CellH: 20}
		m := chargeModel(t, cfg, testPayload, 80, 24)
		forget := kittyForget(cfg.Caps)
		if v := m.View(); strings.HasPrefix(v, forget) || !strings.Contains(v, "\x1b_Ga=T,") {
			t.Fatal("the charge screen does not show the kitty image, or deletes it")
		}
		_, cmd := m.Update(newChargeMsg{})
		if !clearsScreen(cmd) || !strings.HasPrefix(m.View(), forget) {
			t.Error("leaving the charge neither clears nor deletes the kitty image")
		}
		cfg.Caps = sixel8x16
		m = chargeModel(t, cfg, testPayload, 80, 24)
		m.Update(newChargeMsg{})
		if strings.Contains(m.View(), "\x1b_G") {
			t.Error("a kitty command sent to a sixel terminal")
		}
	})
}

func TestSextantHint(t *testing.T) {
	bubble(t, func(t *testing.T) {
		cfg := testConfig(&bytes.Buffer{})
		cfg.QRStyle = QRSextants
		m := chargeModel(t, cfg, testPayload, 80, 24)
		if m.charge.block.Kind != QRKindSextants || !strings.Contains(text(m.View()), "pixdesk qr-test") {
			t.Errorf("sextants from the font without a word: %v", m.charge.block.Kind)
		}
		cfg.Caps.Version = "kitty(0.35.2)" // draws them itself
		m = chargeModel(t, cfg, testPayload, 80, 24)
		if m.charge.block.Kind != QRKindSextants || strings.Contains(text(m.View()), "pixdesk qr-test") {
			t.Errorf("a terminal that draws sextants is warned about its font")
		}
	})
}
