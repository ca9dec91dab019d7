package termcap

import (
	"errors"
	"io"
	"time"
)

// DefaultTimeout bounds the probe: a local terminal answers in a
// millisecond, one over ssh in a round trip; one that answers nothing costs
// this much once, at start.
const DefaultTimeout = 400 * time.Millisecond

// ErrTimeout is returned by a Conn's ReadWithin when nothing arrived in time.
var ErrTimeout = errors.New("no answer from the terminal")

// Conn is a terminal in raw mode, as Probe needs it. The real one is
// OpenTTY's; tests use a fake.
type Conn interface {
	io.Writer
	// ReadWithin reads what has arrived, waiting at most d; it returns
	// ErrTimeout when nothing did.
	ReadWithin(p []byte, d time.Duration) (int, error)
	// Size returns the window in cells and, where the terminal fills them
	// in (TIOCGWINSZ), in pixels; zeros when unknown.
	Size() (cols, rows, xpix, ypix int)
}

// Probe writes Queries to conn and reads the answers until DA1 arrives or
// timeout passes, whichever is first. now is the clock (time.Now); getenv
// breaks ties (os.Getenv), or nil.
//
// The cell size comes from CSI 16 t, else from CSI 14 t divided by the
// window's cells, else from the pixel size the terminal puts in the
// window-size ioctl (xterm does, border included: 2 px, less than a cell,
// so the division rounds it away).
func Probe(conn Conn, timeout time.Duration, now func() time.Time, getenv Env) (Caps, error) {
	if _, err := io.WriteString(conn, Queries); err != nil {
		return Caps{}, err
	}
	var p Parser
	deadline := now().Add(timeout)
	buf := make([]byte, 512)
	for !p.Done() {
		left := deadline.Sub(now())
		if left <= 0 {
			break
		}
		n, err := conn.ReadWithin(buf, left)
		if n > 0 {
			p.Write(buf[:n])
		}
		if errors.Is(err, ErrTimeout) {
			break
		}
		if err != nil {
			return Caps{}, err
		}
	}
	cols, rows, xpix, ypix := conn.Size()
	c := p.Caps(cols, rows)
	if c.CellW == 0 {
		c.CellW, c.CellH, c.CellSource = cellFromPixels(cols, rows, xpix, ypix)
	}
	c.applyEnv(getenv)
	return c, nil
}

// cellFromPixels divides a window's pixels by its cells.
func cellFromPixels(cols, rows, xpix, ypix int) (w, h int, source string) {
	if cols <= 0 || rows <= 0 || xpix < cols || ypix < rows {
		return 0, 0, ""
	}
	return xpix / cols, ypix / rows, "ioctl"
}
