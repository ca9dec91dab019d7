package ui

import (
	"testing"

	"github.com/muesli/termenv"
)

// BenchmarkQRRenderCached is what a countdown tick or any redraw costs once
// the charge's code has been rendered for the current window.
func BenchmarkQRRenderCached(b *testing.B) {
	q, err := NewQR(qrDynamic245(b))
	if err != nil {
		b.Fatal(err)
	}
	target := QRTarget{Style: QRSextants, Profile: termenv.ANSI256}
	q.Render(80, 24, target)
	b.ReportAllocs()
	for b.Loop() {
		if r := q.Render(80, 24, target); !r.OK {
			b.Fatal("does not fit")
		}
	}
}

// BenchmarkQRFirstRender is the cost of a new charge: NewQR (level M), then
// a render that also needs level L and sextants (80×24) — the worst case
// in text.
func BenchmarkQRFirstRender(b *testing.B) {
	payload := qrDynamic245(b)
	target := QRTarget{Style: QRSextants, Profile: termenv.ANSI256}
	b.ReportAllocs()
	for b.Loop() {
		q, err := NewQR(payload)
		if err != nil {
			b.Fatal(err)
		}
		if r := q.Render(80, 24, target); !r.OK {
			b.Fatal("does not fit")
		}
	}
}

// BenchmarkQRFirstRenderRoomy is a new charge in a 120×40 window: level M
// with a full quiet zone in half blocks, one encode.
func BenchmarkQRFirstRenderRoomy(b *testing.B) {
	payload := qrDynamic245(b)
	target := QRTarget{Style: QRHalfBlocks, Profile: termenv.ANSI256}
	b.ReportAllocs()
	for b.Loop() {
		q, err := NewQR(payload)
		if err != nil {
			b.Fatal(err)
		}
		if r := q.Render(120, 40, target); !r.OK {
			b.Fatal("does not fit")
		}
	}
}

// BenchmarkQRFirstImage is a new charge on a sixel terminal at 80×24
// (8×16-pixel cells): encode, draw the bitmap, write the sixels.
func BenchmarkQRFirstImage(b *testing.B) {
	payload := qrDynamic245(b)
	target := QRTarget{Caps: sixel8x16}
	b.ReportAllocs()
	for b.Loop() {
		q, err := NewQR(payload)
		if err != nil {
			b.Fatal(err)
		}
		if r := q.Render(46, 20, target); !r.OK {
			b.Fatal("does not fit")
		}
	}
}
