package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// The customer display in xterm: pixdesk display on a journal where the
// test created an open charge with pixdesk tx create (the built-in
// sandbox), resized like the other programs — every QR it says it drew
// must decode, and with sixel one must be drawn at every size — and then
// paid: the test records the payment in the journal, as the console's
// engine does when ConnectPSP says PAID, and the display, another
// process, hears it through its change feed. Its window must then show
// no QR (an image left behind would decode) and, in colour, the green of
// the PAGO screen.

// xtDisplay is a display job's charge: its counter, journal and code.
type xtDisplay struct {
	terminal, db string
	code, txid   string
	amount       psp.Amount
}

// command is the display's command line. PAGO is held for ten minutes:
// with the default hold (6 s) a loaded machine took the screenshot after
// the display had already gone back to its idle screen.
func (d *xtDisplay) command(bin, style, logPath string) string {
	return fmt.Sprintf("%s display --hold 10m --qr-style %s --db %s --log %s --terminal %s --shop-name %s",
		shq(bin), style, shq(d.db), shq(logPath), d.terminal, shq("Padaria Pão Quente"))
}

// displayJobs are the display's windows: plain xterm and a VT340, light
// and dark, at 12 pt through 80×24 and 120×40; at 10 pt, where the
// window fits its place on the screen, through 160×50 too (one of them
// without colour); and a VT340 at 16 pt without colour.
func (h *xtHarness) displayJobs() []xtJob {
	small, large := [][2]int{{80, 24}, {120, 40}}, [][2]int{{80, 24}, {120, 40}, {160, 50}}
	var terms []xtTerm
	for _, vt340 := range []bool{false, true} {
		for _, dark := range []bool{false, true} {
			terms = append(terms, xtTerm{font: 12, dark: dark, vt340: vt340})
		}
	}
	terms = append(terms, xtTerm{font: 10, vt340: true}, xtTerm{font: 10, dark: true, noColor: true}, xtTerm{font: 16, dark: true, noColor: true, vt340: true})
	var jobs []xtJob
	for i, term := range terms {
		s := small
		if term.font == 10 {
			s = large
		}
		jobs = append(jobs, xtJob{term: term, codeName: "display", style: "auto", sizes: s, display: h.displayCharge(i)})
	}
	return jobs
}

// displayCharge creates an open charge for display job i in a journal of
// its own, so that paying it changes no other window.
func (h *xtHarness) displayCharge(i int) *xtDisplay {
	t := h.t
	dir := filepath.Join(h.dir, fmt.Sprintf("display-%d", i))
	d := &xtDisplay{terminal: fmt.Sprintf("xd-%02d", i), db: filepath.Join(dir, "pixdesk.db")}
	cmd := exec.Command(h.bin, "tx", "create", "--amount", "12,50", "--name", "Maria Silva", "--document", "12345678909", "--json",
		"--db", d.db, "--log", filepath.Join(dir, "tx.log"), "--terminal", d.terminal)
	cmd.Env = h.env(nil)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tx create: %v\n%s", err, out)
	}
	var rec createRecord
	if err := json.Unmarshal(out, &rec); err != nil || rec.CopyAndPaste == "" || rec.TransactionID == "" {
		t.Fatalf("tx create printed %q: %v", out, err)
	}
	d.code, d.txid, d.amount = rec.CopyAndPaste, rec.TransactionID, rec.Amount
	return d
}

// pay records the job's charge as paid and reads the window once the
// display says it shows how the charge ended.
func (h *xtHarness) pay(ctx context.Context, job xtJob, win, dir, logPath string) xtResult {
	size := job.sizes[len(job.sizes)-1]
	r := xtResult{job: job, size: size, paid: true, drawn: "paid"}
	d := job.display
	db, err := store.Open(ctx, d.db)
	if err != nil {
		r.err = err
		return r
	}
	now := time.Now()
	ci := &psp.CashIn{TransactionID: d.txid, Status: psp.StatusPaid, Amount: d.amount, PaidAt: now,
		EndToEndID: "E00416968" + now.UTC().Format("200601021504") + "xtermDisplay"}
	body, _ := json.Marshal(ci)
	_, _, err = db.Apply(ctx, ci, store.EntryPoll, body)
	db.Close()
	if err != nil {
		r.err = fmt.Errorf("record the payment: %w", err)
		return r
	}
	if err := xtWait(ctx, func() bool {
		b, _ := os.ReadFile(logPath)
		return xtEnded.Match(b)
	}); err != nil {
		r.err = fmt.Errorf("the display never said the charge ended: %w", err)
		return r
	}
	// The log line comes before the frame reaches the window, and a loaded
	// machine can hold a blank window for longer than two screenshots
	// apart: look again, as a person would, for a few seconds (the hold
	// keeps PAGO there far longer).
	r.shot = filepath.Join(dir, fmt.Sprintf("%dx%d-paid.png", size[0], size[1]))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r.decoded, r.err = h.read(ctx, win, r.shot, false, "", false); r.err == nil {
			r.green, r.err = greenShare(r.shot)
		}
		if r.err != nil || job.term.noColor || r.green >= 0.5 || time.Now().After(deadline) {
			return r
		}
	}
}

var xtEnded = regexp.MustCompile(`msg=display .*screen=ended`)

// paidOK holds the window after the payment to its rules: no QR left on
// it, and in colour the PAGO screen's green over most of it (the charge
// screen has none). It reports whether they held.
func (h *xtHarness) paidOK(r xtResult, name string) bool {
	switch {
	case r.decoded != "":
		h.t.Errorf("%s paid: a QR is still on screen (%.40q; screenshot %s)", name, r.decoded, r.shot)
	case !r.job.term.noColor && r.green < 0.5:
		h.t.Errorf("%s paid: %.0f%% of the window green, not the PAGO screen (screenshot %s)", name, 100*r.green, r.shot)
	default:
		return true
	}
	return false
}

// greenShare is the share of the screenshot's pixels that are clearly
// green: the PAGO screen's background in any palette xterm maps it to.
func greenShare(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	green := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if g>>8 > r>>8+64 && g>>8 > bl>>8+64 {
				green++
			}
		}
	}
	return float64(green) / float64(b.Dx()*b.Dy()), nil
}
