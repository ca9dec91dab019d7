package ui

import (
	"cmp"
	"slices"
	"strings"

	"github.com/muesli/termenv"
	"rsc.io/qr"
)

// Text drawing. A terminal shows a cell's background edge to edge, but a
// glyph only as the font draws it: a full block in a cell an odd number of
// pixels tall, anti-aliased, leaves grey seams between rows. So a cell
// whose modules are all alike is a space with that background, and a
// glyph (▀ ▄ or a sextant) appears only where a cell mixes colours, its
// ink being the other colour.

// qrCandidate is one way of drawing the code as text; renderText takes the
// first that fits.
type qrCandidate struct {
	level int // index into qrLevels
	quiet int
	kind  QRKind
	scale int // units a module takes across and down, 1 or more
}

// qrCandidates is the order of preference for t in a maxCols × maxRows
// box. Half blocks come before sextants because their modules are twice as
// large on screen. Within a kind the quiet zone is given up before error
// correction: the painted quiet zone is the only light border between the
// finder patterns and a possibly dark terminal, whereas a screen is never
// smudged, so level M's extra redundancy rarely matters. The quiet zone
// never goes below 2.
//
// A target that fills its box tries each of those at every whole scale
// the box could hold, largest module on screen first (half blocks before
// sextants where the width is the same): a module k units a side is
// exactly k times as large, and a phone at arm's length reads a larger
// code sooner. The quiet zone and the level are given up for size: at
// twice the scale, a quiet zone of 2 is as wide on screen as one of 4.
func qrCandidates(t QRTarget, maxCols, maxRows int) []qrCandidate {
	kinds := []QRKind{QRKindHalfBlocks}
	if t.only == QRKindSextants {
		kinds = nil
	}
	if t.sextantsAllowed() {
		kinds = append(kinds, QRKindSextants)
	}
	var cs []qrCandidate
	for _, kind := range kinds {
		top := 1
		if t.fill {
			// No code is smaller than version 1's 21 modules and a
			// quiet zone of 2 on each side.
			cw, ch := qrCellModules(kind)
			top = max(1, min(maxCols*cw, maxRows*ch)/25)
		}
		for scale := 1; scale <= top; scale++ {
			for quiet := 4; quiet >= 2; quiet-- {
				for level := range qrLevels {
					cs = append(cs, qrCandidate{level: level, quiet: quiet, kind: kind, scale: scale})
				}
			}
		}
	}
	// Largest module on screen first: scale/cw cells wide. The sort is
	// stable, so at scale 1 half blocks stay before sextants and each
	// kind keeps its order of quiet zones and levels.
	slices.SortStableFunc(cs, func(a, b qrCandidate) int {
		aw, _ := qrCellModules(a.kind)
		bw, _ := qrCellModules(b.kind)
		return cmp.Compare(b.scale*aw, a.scale*bw)
	})
	return cs
}

// qrCellModules returns the units per cell, across and down, of a kind:
// modules, at scale 1.
func qrCellModules(k QRKind) (cw, ch int) {
	if k == QRKindSextants {
		return 2, 3
	}
	return 1, 2
}

// qrTextSize returns the cells needed for a matrix of size modules a side.
func qrTextSize(size int, cand qrCandidate) (cols, rows int) {
	n := (size + 2*cand.quiet) * cand.scale
	cw, ch := qrCellModules(cand.kind)
	return (n + cw - 1) / cw, (n + ch - 1) / ch
}

// qrPens are the two colours of a text QR as SGR. With colour, dark is
// pure black and light pure white, in the best form the profile has (the
// 256-colour cube's 16 and 231 are not remapped by themes; the 16-colour
// set has black and bright white). Without colour (NO_COLOR), the
// terminal's own two colours are used, and reverse video puts the light
// one where it belongs: a QR is never drawn negative.
type qrPens struct {
	// onDark and onLight start a run of cells whose background is dark or
	// light; the glyph ink is then the other colour.
	onDark, onLight string
}

type qrTextKey struct {
	cand qrCandidate
	pens qrPens
}

// pens returns t's pens.
func (t QRTarget) pens() qrPens {
	switch t.Profile {
	case termenv.TrueColor:
		return qrPens{"\x1b[38;2;255;255;255;48;2;0;0;0m", "\x1b[38;2;0;0;0;48;2;255;255;255m"}
	case termenv.ANSI256:
		return qrPens{"\x1b[38;5;231;48;5;16m", "\x1b[38;5;16;48;5;231m"}
	case termenv.ANSI:
		return qrPens{"\x1b[97;40m", "\x1b[30;107m"}
	}
	// Reverse video swaps the terminal's foreground and background. On a
	// dark background (or one not known: termenv's guess) a plain cell is
	// dark; on a light one a reversed cell is.
	if t.Caps.Dark || !t.Caps.BackgroundKnown {
		return qrPens{"\x1b[27m", "\x1b[7m"}
	}
	return qrPens{"\x1b[7m", "\x1b[27m"}
}

// qrSGRReset ends every line of a text QR.
const qrSGRReset = "\x1b[0m"

// renderText returns the first candidate that fits, or what the smallest
// would need.
func (q *QR) renderText(maxCols, maxRows int, cands []qrCandidate, t QRTarget) QRRender {
	var need QRRender
	for _, cand := range cands {
		c, err := q.code(cand.level)
		if err != nil {
			// Unreachable once level M encoded in NewQR; a lower level
			// needs fewer modules.
			continue
		}
		cols, rows := qrTextSize(c.Size, cand)
		if cols <= maxCols && rows <= maxRows {
			return q.drawText(cand, c, t.pens(), cols, rows)
		}
		if need.NeedCols == 0 || cols*rows < need.NeedCols*need.NeedRows {
			need = QRRender{NeedCols: cols, NeedRows: rows, Level: qrLevels[cand.level].name, Quiet: cand.quiet}
		}
	}
	return need
}

func (q *QR) drawText(cand qrCandidate, c *qr.Code, pens qrPens, cols, rows int) QRRender {
	key := qrTextKey{cand, pens}
	if r, ok := q.drawn[key]; ok {
		return r
	}
	cw, ch := qrCellModules(cand.kind)
	k := cand.scale
	dark := func(x, y int) bool {
		// Black is false outside the matrix: the quiet zone and the
		// padding that rounds the last cell up come out light.
		return x >= 0 && y >= 0 && c.Black(x/k-cand.quiet, y/k-cand.quiet)
	}
	lines := make([]string, rows)
	var b strings.Builder
	for row := range rows {
		b.Reset()
		on := -1 // background of the current run: 1 dark, 0 light
		for col := range cols {
			bgDark, glyph := qrCell(dark, col*cw, row*ch, cand.kind)
			if v := boolBit(bgDark); v != on {
				on = v
				if bgDark {
					b.WriteString(pens.onDark)
				} else {
					b.WriteString(pens.onLight)
				}
			}
			b.WriteString(glyph)
		}
		b.WriteString(qrSGRReset)
		lines[row] = b.String()
	}
	r := QRRender{
		Lines: lines,
		Cols:  cols,
		Rows:  rows,
		OK:    true,
		Kind:  cand.kind,
		Level: qrLevels[cand.level].name,
		Quiet: cand.quiet,
		Scale: k,
	}
	if len(q.drawn) >= qrMaxResults {
		clear(q.drawn)
	}
	q.drawn[key] = r
	return r
}

// qrCell chooses the cell whose top-left module is (x, y): its background
// and the glyph drawn on it in the other colour.
func qrCell(dark func(x, y int) bool, x, y int, kind QRKind) (bgDark bool, glyph string) {
	if kind == QRKindSextants {
		bits, n := 0, 0
		for cy := range 3 {
			for cx := range 2 {
				if dark(x+cx, y+cy) {
					bits |= 1 << (cy*2 + cx)
					n++
				}
			}
		}
		switch n {
		case 0, 6:
			return n == 6, " "
		}
		// The glyph inks the dark modules on a light background.
		return false, sextantGlyphs[bits]
	}
	top, bottom := dark(x, y), dark(x, y+1)
	if top == bottom {
		return top, " "
	}
	// A mixed cell: ▀ inks the top on the bottom's colour, or ▄ the
	// bottom on the top's. Where a font's block falls short of the cell
	// edge it meets, the background shows through there; pick the glyph
	// whose outer edge meets a module of the background's colour, so a
	// shortfall merges with its neighbour instead of cutting a seam
	// through a run of modules.
	if dark(x, y-1) == bottom {
		return bottom, "▀"
	}
	if dark(x, y+2) == top {
		return top, "▄"
	}
	return bottom, "▀"
}

// sextantGlyphs maps a cell's 6 bits (bit 2*row+col, row 0 at the top) to
// its character. Unicode numbers the sextants in the same bit order but
// leaves out the four patterns that already had characters: empty, left
// column, right column and full.
var sextantGlyphs = func() [64]string {
	var g [64]string
	for p := range g {
		switch p {
		case 0:
			g[p] = " "
		case 0b010101:
			g[p] = "▌"
		case 0b101010:
			g[p] = "▐"
		case 0b111111:
			g[p] = "█"
		default:
			r := rune(0x1FB00 + p - 1)
			if p > 0b010101 {
				r--
			}
			if p > 0b101010 {
				r--
			}
			g[p] = string(r)
		}
	}
	return g
}()
