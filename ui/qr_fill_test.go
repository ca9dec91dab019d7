package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// A target that fills its box (the customer display) draws text modules
// k units a side. These tests read such drawings back unit by unit
// against the encoder's matrix, paint them and decode them, and pin which
// scale a box gets.

// TestQRFillTextDecodes draws each code filling boxes that hold its best
// half-block drawing at scales 2 and 3, in half blocks and in sextants
// (which take what scale fits them), in colour and under NO_COLOR, checks
// every unit against the encoder and decodes the painted cells; the same
// boxes without fill keep scale 1.
func TestQRFillTextDecodes(t *testing.T) {
	targets := []QRTarget{
		{Profile: termenv.ANSI256},
		{Profile: termenv.Ascii, Caps: termcap.Caps{BackgroundKnown: true, Dark: true}},
	}
	eachCode(t, func(t *testing.T, pc qrPayloadCase, q *QR) {
		// pc.best is level M with a quiet zone of 4 at scale 1 in
		// half blocks; twice and three times that hold scale 2 and 3.
		for _, scale := range []int{2, 3} {
			box := [2]int{pc.best[0] * scale, (pc.best[1]*2*scale + 1) / 2}
			for _, kind := range []QRKind{QRKindHalfBlocks, QRKindSextants} {
				for _, target := range targets {
					target.only, target.fill = kind, true
					r := q.Render(box[0], box[1], target)
					checkRender(t, q, r, box, target)
					name := fmt.Sprintf("%v/%s/%dx%d", kind, targetName(target), box[0], box[1])
					switch {
					case !r.OK || r.Kind != kind:
						t.Fatalf("%s: ok=%v %v", name, r.OK, r.Kind)
					case kind == QRKindHalfBlocks && (r.Scale != scale || r.Level != "M" || r.Quiet != 4 || r.Cols != box[0]):
						t.Fatalf("%s: scale %d level %s quiet %d, %d×%d; want scale %d, M, 4, %d columns", name, r.Scale, r.Level, r.Quiet, r.Cols, r.Rows, scale, box[0])
					case r.Scale < scale:
						t.Fatalf("%s: scale %d, want at least %d", name, r.Scale, scale)
					}
					plain := target
					plain.fill = false
					if p := q.Render(box[0], box[1], plain); p.Scale != 1 {
						t.Errorf("%s without fill: scale %d", name, p.Scale)
					}
					th := targetThemes(target)[0]
					t.Run(name, func(t *testing.T) {
						checkModules(t, pc.payload, r, textModules(t, r, target, th))
						sc := emulate(t, strings.Join(r.Lines, "\n"), r.Cols, r.Rows)
						cell := qrFonts[kind][0]
						if got, err := decodeQR(paintMargin(sc.paint(th, cell[0], cell[1]), th)); err != nil || got != pc.payload {
							t.Fatalf("decode in %v cells: %q, %v", cell, got, err)
						}
					})
				}
			}
		}
	})
}

// TestQRFillPrefersSize pins the order of a filling target: the largest
// module on screen first, giving up the quiet zone and level M for it;
// sextants where they give a wider module than the half blocks that fit,
// half blocks where the width is the same.
func TestQRFillPrefersSize(t *testing.T) {
	q, err := NewQR(qrDynamic161) // M: 53 modules, L: 49
	if err != nil {
		t.Fatal(err)
	}
	half := QRTarget{Style: QRHalfBlocks, Profile: termenv.ANSI256, fill: true}
	sext := QRTarget{Style: QRSextants, Profile: termenv.ANSI256, fill: true}
	for _, tc := range []struct {
		name          string
		target        QRTarget
		box           [2]int
		kind          QRKind
		scale, quiet  int
		level         string
		cols, rows    int
		modulesAcross int // scale / units per cell, times 2: half cells
	}{
		// 61×31 at scale 1; at 2, (53+8)·2 = 122 × 61.
		{"half, 120×40 body", half, [2]int{118, 38}, QRKindHalfBlocks, 1, 4, "M", 61, 31, 2},
		{"half, scale 2 fits", half, [2]int{122, 61}, QRKindHalfBlocks, 2, 4, "M", 122, 61, 4},
		// (49+4)·2 = 106 × 53: level L and a quiet zone of 2 at twice
		// the size beat M and 4 at scale 1.
		{"half, scale 2 at L, quiet 2", half, [2]int{110, 53}, QRKindHalfBlocks, 2, 2, "L", 106, 53, 4},
		// Sextants at scale 3, 1.5 cells a module: (53+8)·3 = 183 units,
		// 92 × 61 cells, wider modules than half blocks at scale 1.
		{"sextant 3 over half 1", sext, [2]int{100, 61}, QRKindSextants, 3, 4, "M", 92, 61, 3},
		// Sextants at 2 are as wide as half blocks at 1: half blocks.
		{"half 1 over sextant 2", sext, [2]int{70, 41}, QRKindHalfBlocks, 1, 4, "M", 61, 31, 2},
	} {
		r := q.Render(tc.box[0], tc.box[1], tc.target)
		checkRender(t, q, r, tc.box, tc.target)
		cw, _ := qrCellModules(r.Kind)
		if !r.OK || r.Kind != tc.kind || r.Scale != tc.scale || r.Quiet != tc.quiet || r.Level != tc.level ||
			r.Cols != tc.cols || r.Rows != tc.rows || 2*r.Scale/cw != tc.modulesAcross {
			t.Errorf("%s in %v: ok=%v %v scale %d quiet %d level %s %d×%d; want %v scale %d quiet %d level %s %d×%d",
				tc.name, tc.box, r.OK, r.Kind, r.Scale, r.Quiet, r.Level, r.Cols, r.Rows,
				tc.kind, tc.scale, tc.quiet, tc.level, tc.cols, tc.rows)
		}
	}
	// Nothing changes where even scale 1 does not fit: the same size
	// needed as without fill.
	plain := half
	plain.fill = false
	a, b := q.Render(40, 20, half), q.Render(40, 20, plain)
	if a.OK || a.NeedCols != b.NeedCols || a.NeedRows != b.NeedRows {
		t.Errorf("40×20: filled ok=%v need %d×%d, plain need %d×%d", a.OK, a.NeedCols, a.NeedRows, b.NeedCols, b.NeedRows)
	}
}
