package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/store"
)

// The payments-per-hour chart of the close screen: 24 columns of block
// characters, a column per hour of the day, each cell eighths high. It is
// drawn here rather than with a charting library (ntcharts was weighed):
// one fixed-width bar chart of at most 24 integers needs no canvas, axes
// or scaling engine, and drawing it takes fewer lines than adapting one.

// eighths are the block characters one to eight eighths high.
var eighths = []rune("▁▂▃▄▅▆▇█")

// hourChart draws hours (a day's payments, store.HourTotal) as bars
// height rows tall, cell columns per hour, with its title above and the
// hours below: title, height rows, axis.
func hourChart(st Styles, l lang, hours []store.HourTotal, cell, height int) []string {
	var counts [24]int
	top := 0
	for _, h := range hours {
		if h.Hour >= 0 && h.Hour < 24 {
			counts[h.Hour] += h.Count
			top = max(top, counts[h.Hour])
		}
	}
	width := 24 * cell
	title := l.s(kCloseChart)
	if top == 0 {
		return []string{st.Label.Render(title), st.Muted.Render(l.s(kCloseChartNone))}
	}
	scale := l.s(kCloseChartMax, top)
	gap := max(1, width-lipgloss.Width(title)-lipgloss.Width(scale))
	out := []string{st.Label.Render(title) + strings.Repeat(" ", gap) + st.Muted.Render(scale)}
	for row := height - 1; row >= 0; row-- {
		var b strings.Builder
		for _, n := range counts {
			// The bar's height in eighths of a row, at least one for any
			// payment so that a single one is seen next to many.
			level := n * height * 8 / top
			if n > 0 {
				level = max(level, 1)
			}
			r := ' '
			switch fill := level - row*8; {
			case fill >= 8:
				r = eighths[7]
			case fill > 0:
				r = eighths[fill-1]
			}
			b.WriteString(strings.Repeat(string(r), cell))
		}
		out = append(out, st.OK.Render(b.String()))
	}
	return append(out, st.Muted.Render(hourAxis(cell)))
}

// hourAxis labels every sixth hour under the bars: "0     6     12    18".
func hourAxis(cell int) string {
	axis := []rune(strings.Repeat(" ", 24*cell))
	for h := 0; h < 24; h += 6 {
		label := strconv.Itoa(h)
		if cell > 1 && h < 10 {
			label = "0" + label
		}
		copy(axis[h*cell:], []rune(label))
	}
	return strings.TrimRight(string(axis), " ")
}
