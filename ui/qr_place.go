package ui

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// How an image lives with Bubble Tea v1's renderer.
//
// The renderer owns the terminal: it writes frames of text lines, skipping
// lines that did not change. A QR image is part of the frame, not written
// beside it: its sequence (sixel, kitty, iTerm2) opens the first line of
// the box the layout reserved, between a cursor save and restore, and every
// line of the box moves the cursor over the box's cells (CUF) instead of
// writing into them. So
//
//   - the image is drawn by the one writer, in the renderer's order, under
//     its lock: nothing races a frame;
//   - it is drawn again exactly when its line is written: when it changes
//     and on every repaint (a resize);
//   - text beside it (the countdown, ticking every second) is rewritten
//     without touching the image's cells.
//
// What the line diff cannot do is take an image away: a terminal keeps
// sixel pixels (and kitty images, in their own layer) until erased. So
// whenever the image on screen changes — it appears, moves, changes size,
// the window is resized, or it leaves with its screen — Update adds
// tea.ClearScreen, which erases the whole screen (ED 2, which also deletes
// xterm's sixel graphics and kitty's images) and repaints every line.

// qrPlacer is that rule, kept by every model that may draw an image (the
// console, pixdesk qr-test, the customer display): it remembers the image
// in the frame and the drawing last logged.
type qrPlacer struct {
	placed string // the image in the frame and where; "" for none
	shown  string // the drawing last logged, and the window
}

// follow is called after every update with what the next frame holds:
// image names the image and where it is ("" for none), drawn the QR
// drawing for the log (qrDrawn), style the style it was drawn in. It logs the drawing when it changed — the
// real-terminal test reads these lines — and adds tea.ClearScreen to cmd
// when the image changed or the window did under it.
func (p *qrPlacer) follow(cmd tea.Cmd, e *env, style QRStyle, image, drawn string, w, h int) tea.Cmd {
	window := fmt.Sprintf("%d×%d", w, h)
	if shown := drawn + " in " + window; shown != p.shown && w > 0 {
		p.shown = shown
		e.cfg.Logger.Info("qr", "drawn", drawn, "window", window,
			"style", style.String(), "cell", fmt.Sprintf("%d×%d", e.caps.CellW, e.caps.CellH))
	}
	if image != "" {
		image += " in " + window
	}
	if image == p.placed {
		return cmd
	}
	p.placed = image
	return tea.Batch(cmd, tea.ClearScreen)
}

// frame is the view v as it is sent: a frame without an image starts, on a
// kitty terminal, by deleting pixdesk's (kittyForget).
func (p *qrPlacer) frame(v string, caps termcap.Caps) string {
	if p.placed == "" && v != "" {
		return kittyForget(caps) + v
	}
	return v
}

// qrDrawn names the drawing r with its top-left cell at (row, column), for
// the log and the placer; "none" when r draws nothing.
func qrDrawn(r QRRender, at [2]int) string {
	if !r.OK {
		return "none"
	}
	s := fmt.Sprintf("%v %d×%d at %d,%d level %s quiet %d module %dpx", r.Kind, r.Cols, r.Rows, at[0], at[1], r.Level, r.Quiet, r.Module)
	if r.Scale > 1 {
		s += fmt.Sprintf(" scale %d", r.Scale)
	}
	return s
}

// imager is a screen that may show an image.
type imager interface {
	// imageKey names the image shown and where; "" when there is none.
	imageKey(full bool) string
	// qrState names the QR drawn, image or text, for the log.
	qrState(full bool) string
}

var _ imager = (*chargeScreen)(nil)

// place follows an update of the console (qrPlacer.follow).
func (m *Model) place(cmd tea.Cmd) tea.Cmd {
	key, state := "", "none"
	if im, ok := m.visible().(imager); ok && m.gate == nil {
		key, state = im.imageKey(m.full), im.qrState(m.full)
	}
	if key != "" && m.stripShown() && !m.full {
		key += " under the strip" // the body, and the image, one row lower
	}
	return m.follow(cmd, m.env, m.env.cfg.QRStyle, key, state, m.width, m.height)
}

// visible is the screen whose content is on the terminal, nil when the
// window is too small for any.
func (m *Model) visible() screen {
	if m.width < MinWidth || m.height < MinHeight {
		return nil
	}
	if m.full {
		return m.charge
	}
	return m.active
}

// cellSizeMsg is the cell's size in pixels, measured after a resize.
type cellSizeMsg struct{ w, h int }

// measureCell measures the cell with measure (an ioctl, no terminal
// query), if there is one.
func measureCell(measure func() (w, h int)) tea.Cmd {
	if measure == nil {
		return nil
	}
	return func() tea.Msg {
		w, h := measure()
		return cellSizeMsg{w, h}
	}
}

// qrState names the QR the charge screen draws, for the log.
func (s *chargeScreen) qrState(full bool) string {
	r, at := s.block, s.blockAt
	switch {
	case s.c == nil:
		return "none"
	case full:
		r, at = s.full, s.fullAt()
	case s.mode == qrNone:
		r = QRRender{}
	}
	return qrDrawn(r, at)
}

// helpView is the help, and with the full help a line on how QR codes are
// drawn and how to change it.
func (m *Model) helpView() string {
	h := m.env.help.View(m.active)
	if m.env.help.ShowAll {
		style, detected := qrDescribe(m.env)
		h += "\n" + m.env.styles.HelpDesc.Render(m.env.lang.s(kQRHelpLine, style, detected))
	}
	return h
}

// qrStatus is the status bar's word on QR codes, short: what auto found
// (a protocol, or text), or the style the cashier forced. The full help
// has the details.
func qrStatus(e *env) string {
	style, detected := qrDescribe(e)
	if e.cfg.QRStyle != QRAuto {
		return e.lang.s(kQRStatusStyle, style)
	}
	if g := e.caps.Graphics(); g != termcap.NoGraphics && e.caps.CellW > 0 {
		detected = g.String()
	}
	return e.lang.s(kQRStatus, detected)
}

// qrDescribe names the style in use and what detection found: a graphics
// protocol, text (half blocks), or nothing that scans.
func qrDescribe(e *env) (style, detected string) {
	l, t := e.lang, e.qrTarget()
	switch g := t.Caps.Graphics(); {
	case g != termcap.NoGraphics && t.Caps.CellW > 0:
		detected = fmt.Sprintf("%v %d×%dpx", g, t.Caps.CellW, t.Caps.CellH)
	case QRTarget{Caps: t.Caps, Profile: t.Profile}.textScans():
		detected = l.s(kQRKindHalf)
	default:
		detected = l.s(kQRKindNone)
	}
	switch t.Style {
	case QRAuto:
		style = "auto"
	case QRGraphics:
		g, _ := t.graphics()
		style = g.String()
	case QRSextants:
		style = l.s(kQRKindSext)
	case QRHalfBlocks:
		style = l.s(kQRKindHalf)
	case QRText:
		style = l.s(kQRKindText)
	}
	return style, detected
}
