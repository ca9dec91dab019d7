package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp/brcode"
)

// The QR as a customer's phone meets it: the real binary in xterm under
// Xvfb, DejaVu Sans Mono at 10, 12 and 16 pt, light and dark themes,
// colour and NO_COLOR, plain xterm and xterm as a VT340 (sixel), each
// window screenshotted (ImageMagick's import) and decoded by zbarimg — a
// decoder that is not ours, reading pixels that are not our model's.
//
// Each xterm runs one program and is resized (xdotool, as a user dragging
// the edge would) through 80×24, 100×30 and 120×40. The program logs what
// it drew at each size; every QR it says it drew must decode to the code,
// and where it says none, zbarimg must find none. Several xterms run at
// once on one Xvfb, each in its own place on the screen. The customer
// display runs too, on a charge of its own, and is then paid
// (xterm_display_test.go).
//
// The test skips, loudly, where the tools are missing;
// PIXDESK_TEST_REQUIRE_XTERM=1 (set by .ci/run) makes that a failure.

const xtermRequireEnv = "PIXDESK_TEST_REQUIRE_XTERM"

// xtSizes are the windows every program is resized through.
var xtSizes = [][2]int{{80, 24}, {100, 30}, {120, 40}}

// xtTerm is one xterm setup.
type xtTerm struct {
	font    int  // DejaVu Sans Mono, points
	dark    bool // white on black, else xterm's black on white
	noColor bool // NO_COLOR=1
	vt340   bool // -ti vt340: DA1 reports sixel
}

func (x xtTerm) String() string {
	theme, colour, term := "light", "colour", "xterm"
	if x.dark {
		theme = "dark"
	}
	if x.noColor {
		colour = "NO_COLOR"
	}
	if x.vt340 {
		term = "vt340"
	}
	return fmt.Sprintf("%s/%dpt/%s/%s", term, x.font, theme, colour)
}

// args are xterm's arguments for x. UTF-8 is forced (-u8) so the block
// characters are not mistaken for Latin-1; sixel as the VT340 needs the
// terminal id, and colour registers as xterm's VT340 has them.
func (x xtTerm) args() []string {
	a := []string{"-u8", "-fa", "DejaVu Sans Mono", "-fs", strconv.Itoa(x.font), "-b", "2", "+sb"}
	if x.dark {
		a = append(a, "-fg", "white", "-bg", "black")
	} else {
		a = append(a, "-fg", "black", "-bg", "white")
	}
	if x.vt340 {
		a = append(a, "-ti", "vt340", "-xrm", "XTerm*decTerminalID: vt340", "-xrm", "XTerm*numColorRegisters: 256")
	}
	return a
}

// xtJob is one program in one xterm, resized through sizes.
type xtJob struct {
	term     xtTerm
	codeName string
	code     string // qr-test --code; "" runs the console on its open charge
	style    string // the program's --qr-style or qr-test --style
	sizes    [][2]int
	// unreadable: the drawing is known not to scan, and the test checks
	// that it does not — sextants asked for in a font without them.
	unreadable bool
	// display runs pixdesk display on this charge rather than qr-test
	// or the console.
	display *xtDisplay
}

// live reports whether the job's program shows a charge, whose countdown
// keeps its screen moving and which it draws once it has read it: the
// console or the display, not qr-test.
func (j xtJob) live() bool { return j.code == "" }

// want is the code the job's QR must decode to.
func (j xtJob) want(h *xtHarness) string {
	switch {
	case j.display != nil:
		return j.display.code
	case j.code == "":
		return h.consoleCode
	}
	return j.code
}

// xtResult is what one window showed.
type xtResult struct {
	job     xtJob
	size    [2]int
	drawn   string // the program's log: "sixel 37×19 at …", "none"
	decoded string // what zbarimg read, "" for nothing
	shot    string
	err     error
	// paid: the window after the charge was paid (display jobs), and the
	// share of its pixels that are green.
	paid  bool
	green float64
}

func (r xtResult) kind() string { return strings.Fields(r.drawn + " none")[0] }

// detail is the drawing as the table shows it: its kind and box in cells,
// and its module (pixels for an image, the scale of text above 1).
func (r xtResult) detail() string {
	f := strings.Fields(r.drawn)
	if len(f) < 2 {
		return r.kind()
	}
	d := f[0] + " " + f[1]
	for i := 2; i+1 < len(f); i++ {
		switch {
		case f[i] == "module" && f[i+1] != "0px":
			d += " " + f[i+1]
		case f[i] == "scale":
			d += " ×" + f[i+1]
		}
	}
	return d
}

// xtHarness is one Xvfb with a pool of places for xterms.
type xtHarness struct {
	t       *testing.T
	display string
	bin     string
	dir     string
	places  chan [2]int
	// dbDir and code: the console's store, whose open charge the console
	// shows, and that charge's copy-and-paste.
	dbDir, consoleCode string
}

// Places on the Xvfb screen, each room for 120×40 at 16 pt (1564×1084).
const (
	xtPlaceW, xtPlaceH = 1600, 1120
	xtCols, xtRows     = 3, 2
)

func xtermTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"Xvfb", "xterm", "xdotool", "import", "zbarimg", "fc-list"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		out, _ := exec.Command("fc-list", ":family=DejaVu Sans Mono").Output()
		if len(bytes.TrimSpace(out)) == 0 {
			missing = append(missing, "the DejaVu Sans Mono font")
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "\n" + strings.Repeat("!", 72) + "\n!!! REAL-TERMINAL QR TEST SKIPPED: missing " + strings.Join(missing, ", ") +
		"\n!!! (Debian: apt-get install xvfb xterm xdotool imagemagick zbar-tools fonts-dejavu-core)" +
		"\n!!! set " + xtermRequireEnv + "=1 to make this a failure\n" + strings.Repeat("!", 72)
	if os.Getenv(xtermRequireEnv) == "1" {
		t.Fatal(msg)
	}
	fmt.Fprintln(os.Stderr, msg)
	t.Skip(msg)
}

// startXvfb starts a virtual X server on a free display and returns it.
func startXvfb(t *testing.T, w, h int) string {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{wr}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatalf("Xvfb did not start: %s", stderr.String())
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatalf("Xvfb did not start in 20 s: %s", stderr.String())
	}
	return ""
}

// codes: pix-brcode.md §3's 147 and 161, and 245 with a tag 80.
func xtCodes(t *testing.T) [][2]string {
	const (
		static147  = "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***63040DC6"
		dynamic161 = "00020126740014br.gov.bcb.pix2552payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e875204000053039865802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***630442C5"
	)
	tlv := func(id, v string) string { return fmt.Sprintf("%s%02d%s", id, len(v), v) }
	body := strings.TrimSuffix(dynamic161, "630442C5") + tlv("80", tlv("00", "br.gov.bcb.pix")+tlv("25", "pix.example.com/rec/3ec9d2f9-5f03-4e0e-820d-63a81e769e87/1")) + "6304"
	tag80 := body + fmt.Sprintf("%04X", brcode.CRC16(body))
	codes := [][2]string{{"147", static147}, {"161", dynamic161}, {"245", tag80}}
	for _, c := range codes {
		if err := brcode.CheckCRC(c[1]); err != nil || strconv.Itoa(len(c[1])) != c[0] {
			t.Fatalf("code %s: %d characters, %v", c[0], len(c[1]), err)
		}
	}
	return codes
}

func TestXtermQR(t *testing.T) {
	// Parallel with the other slow tests that build or drive the real binary:
	// much of their time is waiting on processes, so two overlap well.
	t.Parallel()
	if testing.Short() {
		t.Skip("the real-terminal test takes a minute or two")
	}
	xtermTools(t)
	start := time.Now()
	dir := t.TempDir()
	h := &xtHarness{t: t, dir: dir, bin: plainBinary(t), places: make(chan [2]int, xtCols*xtRows)}
	h.display = startXvfb(t, xtCols*xtPlaceW, xtRows*xtPlaceH)
	for i := range xtCols * xtRows {
		h.places <- [2]int{i % xtCols * xtPlaceW, i / xtCols * xtPlaceH}
	}
	h.createCharge()

	var jobs []xtJob
	for _, vt340 := range []bool{false, true} {
		for _, font := range []int{10, 12, 16} {
			for _, dark := range []bool{false, true} {
				for _, noColor := range []bool{false, true} {
					term := xtTerm{font: font, dark: dark, noColor: noColor, vt340: vt340}
					for _, c := range xtCodes(t) {
						jobs = append(jobs, xtJob{term: term, codeName: c[0], code: c[1], style: "auto", sizes: xtSizes})
					}
				}
			}
		}
	}
	// The console itself on its charge screen, sandbox code: in vt340 at
	// each font (the 80×24 charge screen must show a QR that decodes),
	// and in plain xterm, where 80×24 shows none and 120×40 one. 60×20
	// is the console's smallest window; 60×34 and 60×33 the smallest for
	// a stacked half-block QR of this code and one row less.
	for _, font := range []int{10, 12, 16} {
		jobs = append(jobs, xtJob{term: xtTerm{font: font, vt340: true, dark: font == 16, noColor: font == 10}, codeName: "console", style: "auto",
			sizes: append(append([][2]int{}, xtSizes...), [2]int{60, 20})})
	}
	jobs = append(jobs, xtJob{term: xtTerm{font: 12}, codeName: "console", style: "auto", sizes: append(append([][2]int{}, xtSizes...), [2]int{60, 34}, [2]int{60, 33})})
	jobs = append(jobs, xtJob{term: xtTerm{font: 12, dark: true, noColor: true}, codeName: "console", style: "auto", sizes: xtSizes})
	// Sextants asked for in DejaVu Sans Mono, which has none: why they
	// are never chosen for the cashier and pixdesk qr-test exists.
	jobs = append(jobs, xtJob{term: xtTerm{font: 12}, codeName: "161", code: xtCodes(t)[1][1], style: "sextant", sizes: [][2]int{{80, 24}}, unreadable: true})
	jobs = append(jobs, h.displayJobs()...)

	var (
		mu      sync.Mutex
		results []xtResult
		wg      sync.WaitGroup
	)
	for _, job := range jobs {
		wg.Add(1)
		place := <-h.places
		go func() {
			defer wg.Done()
			defer func() { h.places <- place }()
			rs := h.run(job, place)
			mu.Lock()
			results = append(results, rs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	h.check(results)
	t.Logf("%d windows in %d xterms, %v", len(results), len(jobs), time.Since(start).Round(time.Second))
}

// createCharge creates the console's open charge on the built-in sandbox.
func (h *xtHarness) createCharge() {
	t := h.t
	h.dbDir = filepath.Join(h.dir, "console")
	cmd := exec.Command(h.bin, "tx", "create", "--amount", "12,50", "--name", "Maria Silva", "--document", "12345678909", "--json",
		"--db", filepath.Join(h.dbDir, "pixdesk.db"), "--log", filepath.Join(h.dbDir, "tx.log"), "--terminal", "xt-01")
	cmd.Env = h.env(nil)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tx create: %v\n%s", err, out)
	}
	var rec createRecord
	if err := json.Unmarshal(out, &rec); err != nil || rec.CopyAndPaste == "" {
		t.Fatalf("tx create printed %q: %v", out, err)
	}
	h.consoleCode = rec.CopyAndPaste
}

// env is a clean environment for the programs: no PIXDESK_* or
// CONNECTPSP_* from the caller, a private home, UTF-8.
func (h *xtHarness) env(extra []string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PIXDESK_") || strings.HasPrefix(k, "CONNECTPSP_") || k == "NO_COLOR" || k == "CI" || k == "XDG_CONFIG_HOME" || k == "TERM" {
			continue
		}
		out = append(out, kv)
	}
	// CI=true as on the build machine, where pixdesk once drew without
	// colour because termenv takes CI for "no terminal".
	return append(out, append([]string{"DISPLAY=" + h.display, "LANG=C.UTF-8", "CI=true", "XDG_CONFIG_HOME=" + filepath.Join(h.dir, "config")}, extra...)...)
}

// shq quotes s for sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// run starts job's program in an xterm at place and reads each size.
func (h *xtHarness) run(job xtJob, place [2]int) []xtResult {
	dir, err := os.MkdirTemp(h.dir, "xterm-")
	if err != nil {
		return []xtResult{{job: job, size: job.sizes[0], err: err}}
	}
	wid, logPath := filepath.Join(dir, "wid"), filepath.Join(dir, "pixdesk.log")
	program := fmt.Sprintf("%s qr-test --code %s --style %s --log %s", shq(h.bin), shq(job.code), job.style, shq(logPath))
	switch {
	case job.display != nil:
		program = job.display.command(h.bin, job.style, logPath)
	case job.code == "":
		program = fmt.Sprintf("%s --qr-style %s --db %s --log %s --terminal xt-01", shq(h.bin), job.style, shq(filepath.Join(h.dbDir, "pixdesk.db")), shq(logPath))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	first := job.sizes[0]
	args := append(job.term.args(), "-geometry", fmt.Sprintf("%dx%d+%d+%d", first[0], first[1], place[0], place[1]),
		"-e", "sh", "-c", "echo $WINDOWID > "+shq(wid)+"; exec "+program)
	cmd := exec.CommandContext(ctx, "xterm", args...)
	var extra []string
	if job.term.noColor {
		extra = append(extra, "NO_COLOR=1")
	}
	cmd.Env = h.env(extra)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	fail := func(err error) []xtResult {
		return []xtResult{{job: job, size: first, err: fmt.Errorf("%w (xterm: %s)", err, strings.TrimSpace(stderr.String()))}}
	}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var win string
	if err := xtWait(ctx, func() bool {
		b, _ := os.ReadFile(wid)
		win = strings.TrimSpace(string(b))
		return win != ""
	}); err != nil {
		return fail(fmt.Errorf("no window id: %v", err))
	}
	var results []xtResult
	for i, size := range job.sizes {
		if i > 0 {
			if out, err := h.x(ctx, "xdotool", "windowsize", "--usehints", win, strconv.Itoa(size[0]), strconv.Itoa(size[1])); err != nil {
				return append(results, xtResult{job: job, size: size, err: fmt.Errorf("xdotool: %v %s", err, out)})
			}
		}
		r := xtResult{job: job, size: size}
		r.drawn, r.err = h.drawn(ctx, logPath, size, job.live())
		if r.err == nil {
			r.shot = filepath.Join(dir, fmt.Sprintf("%dx%d.png", size[0], size[1]))
			r.decoded, r.err = h.read(ctx, win, r.shot, r.drawn != "none", job.want(h), job.live())
		}
		results = append(results, r)
	}
	if job.display != nil {
		results = append(results, h.pay(ctx, job, win, dir, logPath))
	}
	return results
}

// x runs an X client against the harness's display and returns its
// standard output (zbarimg writes warnings about D-Bus on stderr).
func (h *xtHarness) x(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = h.env(nil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && stderr.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, err
}

var xtLogLine = regexp.MustCompile(`msg=qr .*drawn=("[^"]*"|\S+) window=(\d+)×(\d+)`)

// drawn waits for the program's log to report a drawing at size and
// returns the last one. The console first draws its form, then the charge
// once it is loaded: for it, a drawing other than none is waited for a
// little longer before none is believed.
func (h *xtHarness) drawn(ctx context.Context, logPath string, size [2]int, console bool) (string, error) {
	var last string
	var seen time.Time
	err := xtWait(ctx, func() bool {
		b, _ := os.ReadFile(logPath)
		last = ""
		for _, m := range xtLogLine.FindAllStringSubmatch(string(b), -1) {
			if m[2] == strconv.Itoa(size[0]) && m[3] == strconv.Itoa(size[1]) {
				last = strings.Trim(m[1], `"`)
			}
		}
		switch {
		case last == "":
			return false
		case last != "none" || !console:
			return true
		case seen.IsZero():
			seen = time.Now()
		}
		return time.Since(seen) > 3*time.Second
	})
	if err != nil {
		return "", fmt.Errorf("no drawing logged at %d×%d: %v", size[0], size[1], err)
	}
	return last, nil
}

// read screenshots the window into shot once the screen is settled and
// decodes it. qr-test's screen is still, so two equal screenshots in a row
// mean the frame after the resize and its repaint have landed. The
// console's countdown changes every second, so there a QR said to be
// drawn is screenshotted until it decodes, for a few seconds at most.
func (h *xtHarness) read(ctx context.Context, win, shot string, drawn bool, want string, console bool) (decoded string, err error) {
	var prev []byte
	deadline := time.Now().Add(8 * time.Second)
	for {
		time.Sleep(150 * time.Millisecond)
		png, err := h.x(ctx, "import", "-window", win, "png:-")
		if err != nil {
			return "", fmt.Errorf("import: %v", err)
		}
		settled := bytes.Equal(png, prev)
		prev = png
		if !console && !settled && time.Now().Before(deadline) {
			continue
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			return "", err
		}
		out, _ := h.x(ctx, "zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", shot)
		decoded = strings.TrimSpace(string(out))
		if !console || !drawn || decoded == want || time.Now().After(deadline) {
			return decoded, nil
		}
	}
}

// xtWait polls ok every 50 ms until it holds or ctx ends.
func xtWait(ctx context.Context, ok func() bool) error {
	for !ok() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// check holds the results to the rules and logs the table.
func (h *xtHarness) check(results []xtResult) {
	t := h.t
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.job.term.String() != b.job.term.String() {
			return a.job.term.String() < b.job.term.String()
		}
		if a.job.codeName != b.job.codeName {
			return a.job.codeName < b.job.codeName
		}
		if a.size != b.size {
			return a.size[0]*1000+a.size[1] < b.size[0]*1000+b.size[1]
		}
		return !a.paid && b.paid
	})
	var table strings.Builder
	fmt.Fprintf(&table, "%-32s %-7s %-7s %-22s %s\n", "terminal", "code", "window", "drawn", "zbarimg")
	keep := false
	for _, r := range results {
		want := r.job.want(h)
		verdict := "none found"
		switch {
		case r.decoded == want:
			verdict = "decodes"
		case r.decoded != "":
			verdict = fmt.Sprintf("WRONG %.20q", r.decoded)
		}
		if r.paid {
			verdict += fmt.Sprintf(", %.0f%% green", 100*r.green)
		}
		term := r.job.term.String()
		if r.job.style != "auto" {
			term += " --qr-style " + r.job.style
		}
		fmt.Fprintf(&table, "%-32s %-7s %-7s %-22s %s\n", term, r.job.codeName, fmt.Sprintf("%d×%d", r.size[0], r.size[1]), r.detail(), verdict)
		name := fmt.Sprintf("%v %s %d×%d", r.job.term, r.job.codeName, r.size[0], r.size[1])
		switch {
		case r.err != nil:
			t.Errorf("%s: %v", name, r.err)
		case r.paid:
			keep = !h.paidOK(r, name) || keep
		case r.job.unreadable:
			if r.kind() == "none" || r.decoded != "" {
				t.Errorf("%s: drew %q and zbarimg read %.20q: expected a drawing that does not scan", name, r.drawn, r.decoded)
			}
		case r.kind() != "none" && r.decoded != want:
			t.Errorf("%s: drew %q, zbarimg read %.40q (screenshot %s)", name, r.drawn, r.decoded, r.shot)
			keep = true
		case r.kind() == "none" && r.decoded != "":
			t.Errorf("%s: said it drew no QR, yet zbarimg read %.40q", name, r.decoded)
			keep = true
		// With sixel every window, down to the console's smallest,
		// shows the QR; plain xterm has no graphics.
		case r.job.term.vt340 && r.kind() != "sixel":
			t.Errorf("%s: a VT340 (sixel) drew %q", name, r.drawn)
		case !r.job.term.vt340 && r.kind() == "sixel":
			t.Errorf("%s: plain xterm drew sixel", name)
		// Without graphics, 120×40 is room for any of these codes in
		// half blocks, and 60×34 the smallest for the console's code.
		case r.size == [2]int{120, 40} && r.kind() != "half-blocks" && !r.job.term.vt340:
			t.Errorf("%s: drew %q, want half blocks", name, r.drawn)
		case r.job.codeName == "console" && r.size == [2]int{60, 34} && r.kind() != "half-blocks" && !r.job.term.vt340:
			t.Errorf("%s: drew %q, want half blocks (the smallest window for them)", name, r.drawn)
		case r.job.codeName == "console" && r.size == [2]int{60, 33} && r.kind() != "none":
			t.Errorf("%s: drew %q below the smallest window for half blocks", name, r.drawn)
		}
	}
	t.Log("\n" + table.String())
	if path := os.Getenv("PIXDESK_XTERM_REPORT"); path != "" {
		os.WriteFile(path, []byte(table.String()), 0o644)
	}
	if keep {
		// The screenshots of failures outlive the test's directory.
		out, err := os.MkdirTemp("", "pixdesk-xterm-")
		if err == nil {
			for _, r := range results {
				if r.shot != "" {
					name := strings.NewReplacer("/", "_", " ", "_").Replace(fmt.Sprintf("%v_%s_%s", r.job.term, r.job.codeName, filepath.Base(r.shot)))
					if b, err := os.ReadFile(r.shot); err == nil {
						os.WriteFile(filepath.Join(out, name), b, 0o644)
					}
				}
			}
			t.Logf("screenshots kept in %s", out)
		}
	}
}
