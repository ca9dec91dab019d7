//go:build !unix

package termcap

import "os"

// WindowSize returns zeros: pixel sizes are read with a Unix ioctl.
func WindowSize(f *os.File) (cols, rows, xpix, ypix int) { return 0, 0, 0, 0 }

// Detect returns empty Caps: the probe needs a Unix terminal.
func Detect(getenv Env) Caps { return Caps{} }

// CellSize returns zeros: pixel sizes are read with a Unix ioctl.
func CellSize(f *os.File) (w, h int) { return 0, 0 }
