package ui

import "testing"

// BenchmarkQRRenderCached is what a countdown tick or any redraw costs once
// the charge's code has been rendered for the current window.
func BenchmarkQRRenderCached(b *testing.B) {
	q, err := NewQR(qrDynamic245(b))
	if err != nil {
		b.Fatal(err)
	}
	q.Render(80, 24, QRSextants, true)
	b.ReportAllocs()
	for b.Loop() {
		if r := q.Render(80, 24, QRSextants, true); !r.OK {
			b.Fatal("does not fit")
		}
	}
}

// BenchmarkQRFirstRender is the cost of a new charge: NewQR (level M), then
// a render that also needs level L and sextants (80×24) — the worst case.
func BenchmarkQRFirstRender(b *testing.B) {
	payload := qrDynamic245(b)
	b.ReportAllocs()
	for b.Loop() {
		q, err := NewQR(payload)
		if err != nil {
			b.Fatal(err)
		}
		if r := q.Render(80, 24, QRSextants, true); !r.OK {
			b.Fatal("does not fit")
		}
	}
}

// BenchmarkQRFirstRenderRoomy is a new charge in a 120×40 window: level M
// with a full quiet zone in half blocks, one encode.
func BenchmarkQRFirstRenderRoomy(b *testing.B) {
	payload := qrDynamic245(b)
	b.ReportAllocs()
	for b.Loop() {
		q, err := NewQR(payload)
		if err != nil {
			b.Fatal(err)
		}
		if r := q.Render(120, 40, QRHalfBlocks, true); !r.OK {
			b.Fatal("does not fit")
		}
	}
}
