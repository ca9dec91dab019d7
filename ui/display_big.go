package ui

import (
	"cmp"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Block letters at any size, for the customer display: the 5-row font of
// bigText drawn sx cells wide per font column and sy half-rows tall per
// font row. sy = 2·sx keeps the console banner's proportions, sy = sx
// draws square letters, and the smallest, (1, 1), are drawn in half
// blocks (▀ ▄) three rows tall — still readable across a counter.

// bigScale is one size of block letters.
type bigScale struct{ sx, sy int }

// rows is how many terminal rows one line of letters takes.
func (s bigScale) rows() int { return (5*s.sy + 1) / 2 }

// bigScales lists the sizes tried, largest letters first.
var bigScales = func() []bigScale {
	var out []bigScale
	for sx := 1; sx <= dispMaxX; sx++ {
		for sy := sx; sy <= 2*sx; sy++ {
			// An odd sy puts half blocks inside a letter's strokes,
			// which look uneven but in the smallest letters.
			if sy%2 == 0 || sy == 1 {
				out = append(out, bigScale{sx, sy})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b bigScale) int {
		return cmp.Or(cmp.Compare(b.sx*b.sy, a.sx*a.sy), cmp.Compare(b.sy, a.sy))
	})
	return out
}()

// bigFit draws text in block letters within maxW × maxH cells: on as few
// lines as it can (words wrapped, a blank row between lines), and on those
// in the largest letters that fit; each line is centred. When even the
// smallest letters do not fit it returns the text itself, wrapped to maxW.
func bigFit(text string, maxW, maxH int) string {
	// Split at spaces only: a no-break space (R$ 12,50) holds its words
	// together, as it does in text.
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' })
	for n := 1; n <= len(words); n++ {
		for _, s := range bigScales {
			lines, ok := bigWrap(words, s, maxW)
			if !ok || len(lines) > n || len(lines)*(s.rows()+1)-1 > maxH {
				continue
			}
			drawn := make([]string, len(lines))
			for i, l := range lines {
				drawn[i] = bigDraw(l, s)
			}
			return lipgloss.JoinVertical(lipgloss.Center, strings.Join(drawn, "\n\n"))
		}
	}
	return wrap(text, maxW)
}

// bigWidth is how many cells text takes in block letters of scale s.
func bigWidth(text string, s bigScale) int {
	w := 0
	for i, r := range []rune(strings.ToUpper(text)) {
		g, ok := font[r]
		if !ok {
			g = font[' ']
		}
		if i > 0 {
			w++ // bigText's gap
		}
		w += len([]rune(g[0]))
	}
	return w * s.sx
}

// bigWrap fills lines with words as long as they fit maxW at scale s.
func bigWrap(words []string, s bigScale, maxW int) ([]string, bool) {
	var lines []string
	for _, w := range words {
		if bigWidth(w, s) > maxW {
			return nil, false
		}
		if n := len(lines); n > 0 && bigWidth(lines[n-1]+" "+w, s) <= maxW {
			lines[n-1] += " " + w
			continue
		}
		lines = append(lines, w)
	}
	return lines, len(lines) > 0
}

// bigDraw draws one line of text in block letters of scale s.
func bigDraw(text string, s bigScale) string {
	var src [][]rune
	for _, row := range strings.Split(bigText(text), "\n") {
		src = append(src, []rune(row))
	}
	on := func(half, x int) bool {
		y := half / s.sy
		return y < len(src) && src[y][x/s.sx] != ' '
	}
	width := len(src[0]) * s.sx
	out := make([]string, s.rows())
	var b strings.Builder
	for r := range out {
		b.Reset()
		for x := 0; x < width; x++ {
			b.WriteString(bigHalfBlocks[boolBit(on(2*r, x))|boolBit(on(2*r+1, x))<<1])
		}
		out[r] = b.String()
	}
	return strings.Join(out, "\n")
}

// bigHalfBlocks maps a cell's halves (1 top, 2 bottom) to its character.
var bigHalfBlocks = [4]string{" ", "▀", "▄", "█"}

func boolBit(b bool) int {
	if b {
		return 1
	}
	return 0
}
