package ui

import (
	"io"
	"math"
	"reflect"
	"strconv"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/psp"
)

// The palette is read by people at a counter, in daylight, on whatever
// terminal the shop has: every text style must reach WCAG's 4.5:1 contrast
// (the AA level for normal text) on the light and on the dark palette,
// against its own background or the terminal's. Terminal backgrounds are
// not ours to know: the light palette is checked on white and on an
// off-white, the dark one on black and on the greys common dark themes use.
var (
	lightBackgrounds = []string{"#FFFFFF", "#F5F5F5"}
	darkBackgrounds  = []string{"#000000", "#1E1E1E", "#282C34"}
	// The terminal's own text colour, for styles that set a background only.
	lightForeground, darkForeground = "#000000", "#D3D7CF"
)

// minContrast is WCAG 2's AA level for normal text.
const minContrast = 4.5

// onBar lists the styles drawn on the status bar's background.
var onBar = map[string]bool{"Bar": true, "BarOK": true, "BarBad": true, "Muted": true, "Warn": true}

// luminance is WCAG 2's relative luminance of a #RRGGBB colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 7 || hex[0] != '#' {
		t.Fatalf("colour %q is not #RRGGBB", hex)
	}
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}

// contrast is WCAG 2's contrast ratio of two colours.
func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// hexOf is the colour c draws on the palette of dark, or "" for none.
func hexOf(t *testing.T, c lipgloss.TerminalColor, dark bool) string {
	t.Helper()
	switch c := c.(type) {
	case lipgloss.NoColor, nil:
		return ""
	case lipgloss.AdaptiveColor:
		if dark {
			return c.Dark
		}
		return c.Light
	case lipgloss.Color:
		return string(c)
	}
	t.Fatalf("colour %#v: a kind this test does not read", c)
	return ""
}

func TestContrastKnownValues(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#FFFFFF", 21},
		{"#FFFFFF", "#FFFFFF", 1},
		{"#777777", "#FFFFFF", 4.48}, // the well-known grey just under AA
		{"#767676", "#FFFFFF", 4.54}, // and the one just over
	} {
		if got := contrast(t, tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestPaletteContrast checks every style in Styles, and the status
// colours of the lookup, on both palettes.
func TestPaletteContrast(t *testing.T) {
	for _, dark := range []bool{false, true} {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.TrueColor)
		r.SetHasDarkBackground(dark)
		st := NewStyles(r, false)
		palette, bgs, fg := "light", lightBackgrounds, lightForeground
		if dark {
			palette, bgs, fg = "dark", darkBackgrounds, darkForeground
		}
		styles := map[string]lipgloss.Style{}
		v := reflect.ValueOf(st)
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if s, ok := v.Field(i).Interface().(lipgloss.Style); ok {
				styles[v.Type().Field(i).Name] = s
			}
		}
		for _, s := range psp.Statuses {
			styles["status "+string(s)] = statusStyle(st, s)
		}
		bar := hexOf(t, colBarBg, dark)
		for name, s := range styles {
			front, back := hexOf(t, s.GetForeground(), dark), hexOf(t, s.GetBackground(), dark)
			grounds := bgs
			switch {
			case back != "":
				grounds = []string{back}
			case onBar[name]:
				grounds = append(grounds[:len(grounds):len(grounds)], bar)
			}
			if front == "" {
				if back == "" {
					continue // the terminal's own colours
				}
				front = fg
			}
			for _, g := range grounds {
				if c := contrast(t, front, g); c < minContrast {
					t.Errorf("%s palette: %s %s on %s: contrast %.2f, want at least %.1f", palette, name, front, g, c, minContrast)
				}
			}
		}
	}
}

// The PAGO banner and the environment badges are named: a palette that
// lost them from Styles would pass the loop above by omission.
func TestPaletteCoversTheBanners(t *testing.T) {
	fields := map[string]bool{}
	for i := range reflect.TypeOf(Styles{}).NumField() {
		fields[reflect.TypeOf(Styles{}).Field(i).Name] = true
	}
	for _, want := range []string{"Paid", "Expired", "Cancelled", "Alarm", "EnvSandbox", "EnvStaging", "EnvProduction", "StripPaid", "FlashOK"} {
		if !fields[want] {
			t.Errorf("Styles has no %s", want)
		}
	}
}
