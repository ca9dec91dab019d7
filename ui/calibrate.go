package ui

import (
	"context"
	"log/slog"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp/brcode"
)

// CalibrationConfig sets up pixdesk qr-test.
type CalibrationConfig struct {
	// Lang is "pt-BR" (default) or "en".
	Lang string
	// Code is the code drawn; "" draws TestCode.
	Code string
	// One shows Code in Style alone, full screen, with nothing to choose
	// (qr-test --style): for a test, or to check one style.
	One   bool
	Style QRStyle
	// Current is the style in use (from the config file or the flags),
	// marked in the list.
	Current QRStyle
	// Caps, NoColor, Renderer, CellSize and Logger are as in Config.
	Caps     termcap.Caps
	NoColor  bool
	Renderer *lipgloss.Renderer
	CellSize func() (w, h int)
	Logger   *slog.Logger
}

// TestCode returns the code the calibration draws: a dynamic PIX code as
// dense as a typical PSP's (214 characters: version 10 at level M, 9 at
// L), whose URL is under .invalid, a domain that never resolves, so a
// banking app that reads it pays nothing.
func TestCode() string {
	code, err := brcode.Build(brcode.Spec{
		URL:          "qr-test.pixdesk.invalid/v2/cobv/3ec9d2f95f034e0e820d63a81e769e87/calibracao1",
		MerchantName: "PIXDESK CALIBRACAO QR",
		MerchantCity: "SAO JOSE CAMPOS",
		OnePayment:   true,
	})
	if err != nil {
		panic(err) // a constant spec
	}
	return code
}

// Calibration is pixdesk qr-test: a test code drawn in each style the
// terminal offers, one at a time, so that the cashier picks the one their
// phone reads. It is a tea.Model; after it quits, Chosen says what was
// picked.
type Calibration struct {
	e             *env
	qr            *QR
	qrErr         error
	opts          []calOption
	i             int
	one           bool
	width, height int
	r             QRRender
	chosen        QRStyle
	picked        bool
	qrPlacer
}

var _ tea.Model = (*Calibration)(nil)

// calOption is one style on offer: the style saved if it is picked and
// the one kind it draws (QRNone: the style chooses, as the console would).
type calOption struct {
	style QRStyle
	only  QRKind
}

// NewCalibration returns the calibration screen for cfg.
func NewCalibration(cfg CalibrationConfig) *Calibration {
	l := langOf(cfg.Lang)
	e := &env{
		ctx:    context.Background(), // it reads nothing
		cfg:    Config{Lang: cfg.Lang, QRStyle: cfg.Style, Caps: cfg.Caps, NoColor: cfg.NoColor, CellSize: cfg.CellSize, Logger: cfg.Logger}.withDefaults(),
		lang:   l,
		styles: NewStyles(cfg.Renderer, cfg.NoColor),
		caps:   cfg.Caps,
	}
	code := cfg.Code
	if code == "" {
		code = TestCode()
	}
	c := &Calibration{e: e, one: cfg.One, chosen: cfg.Current}
	c.qr, c.qrErr = NewQR(code)
	if cfg.One {
		c.opts = []calOption{{style: cfg.Style}}
		return c
	}
	// Auto first: what the console does unasked. Then each drawing alone.
	c.opts = []calOption{{QRAuto, QRNone}}
	if g := cfg.Caps.Graphics(); g != termcap.NoGraphics {
		c.opts = append(c.opts, calOption{QRGraphics, kindOf(g)})
	}
	c.opts = append(c.opts, calOption{QRHalfBlocks, QRKindHalfBlocks}, calOption{QRSextants, QRKindSextants}, calOption{QRText, QRNone})
	for i, o := range c.opts {
		if o.style == cfg.Current {
			c.i = i
		}
	}
	return c
}

// Chosen returns the style picked, and whether one was.
func (c *Calibration) Chosen() (QRStyle, bool) { return c.chosen, c.picked }

// Init implements tea.Model.
func (c *Calibration) Init() tea.Cmd { return nil }

var (
	calLeft  = key.NewBinding(key.WithKeys("left", "h", "shift+tab", "up", "k"))
	calRight = key.NewBinding(key.WithKeys("right", "l", "tab", "down", "j", " "))
	calPick  = key.NewBinding(key.WithKeys("enter"))
	calQuit  = key.NewBinding(key.WithKeys("q", "esc", "ctrl+c"))
)

// Update implements tea.Model.
func (c *Calibration) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		c.width, c.height = msg.Width, msg.Height
		cmd = measureCell(c.e.cfg.CellSize)
	case cellSizeMsg:
		if msg.w > 0 && msg.h > 0 {
			c.e.caps.CellW, c.e.caps.CellH = msg.w, msg.h
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, calQuit):
			return c, tea.Quit
		case c.one:
		case key.Matches(msg, calLeft):
			c.i = (c.i + len(c.opts) - 1) % len(c.opts)
		case key.Matches(msg, calRight):
			c.i = (c.i + 1) % len(c.opts)
		case key.Matches(msg, calPick):
			c.chosen, c.picked = c.opts[c.i].style, true
			return c, tea.Quit
		}
	}
	c.layout()
	return c, tea.Batch(cmd, c.place())
}

// layout draws the current option into the window less its four lines of
// text: title, intro, keys and what was detected.
func (c *Calibration) layout() {
	c.r = QRRender{}
	if c.qr == nil || c.width == 0 {
		return
	}
	o := c.opts[c.i]
	if o.style == QRText {
		return
	}
	t := c.e.qrTarget()
	t.Style, t.only = o.style, o.only
	c.r = c.qr.Render(c.width, c.height-4, t)
}

// at is the QR's top-left cell: centred between the two lines above and
// the two below.
func (c *Calibration) at() [2]int {
	return [2]int{2 + max(0, (c.height-4-c.r.Rows)/2), max(0, (c.width-c.r.Cols)/2)}
}

// place follows an update (qrPlacer.follow); the log is what the
// real-terminal test reads.
func (c *Calibration) place() tea.Cmd {
	drawn, image := qrDrawn(c.r, c.at()), ""
	if c.r.Kind.Graphics() {
		image = drawn
	}
	return c.follow(nil, c.e, c.opts[c.i].style, image, drawn, c.width, c.height)
}

// View implements tea.Model.
func (c *Calibration) View() string {
	if c.width == 0 || c.height == 0 {
		return ""
	}
	st, l := c.e.styles, c.e.lang
	if c.width < 20 || c.height < 6 {
		return truncate(l.s(kTooSmall, c.width, c.height, 20, 6), c.width)
	}
	o := c.opts[c.i]
	name := c.optionName(o)
	title := st.Title.Render(l.s(kCalTitle))
	if !c.one {
		title += "  " + l.s(kCalStyle, c.i+1, len(c.opts), name)
		if o.style == c.chosen {
			title += " " + st.Muted.Render(l.s(kCalCurrent))
		}
	} else {
		title += "  " + name
	}
	keys := l.s(kCalKeys)
	if c.one {
		keys = l.s(kCalOneKeys)
	}
	_, detected := qrDescribe(c.e)
	lines := make([]string, 0, c.height)
	lines = append(lines, truncate(title, c.width), truncate(st.Muted.Render(l.s(kCalIntro)), c.width))
	var body []string
	switch {
	case c.qrErr != nil:
		body = strings.Split(st.Error.Render(wrap(l.s(kQRError, c.qrErr), c.width)), "\n")
	case o.style == QRText:
		body = strings.Split(st.Notice.Render(wrap(l.s(kQROff), c.width)), "\n")
	case !c.r.OK && c.r.NeedCols > 0:
		body = strings.Split(st.Notice.Render(wrap(l.s(kCalNoFit, c.r.NeedCols, c.r.NeedRows+4), c.width)), "\n")
	case !c.r.OK:
		body = strings.Split(st.Notice.Render(wrap(l.s(kQRCannot), c.width)), "\n")
	}
	if c.r.OK {
		at := c.at()
		for len(lines) < at[0] {
			lines = append(lines, "")
		}
		pad := strings.Repeat(" ", at[1])
		for _, line := range c.r.Lines {
			lines = append(lines, pad+line)
		}
	} else {
		lines = append(lines, "")
		lines = append(lines, body...)
	}
	for len(lines) < c.height-2 {
		lines = append(lines, "")
	}
	lines = append(lines[:c.height-2], truncate(st.HelpDesc.Render(keys), c.width), truncate(st.Muted.Render(detected), c.width))
	return c.frame(strings.Join(lines, "\n"), c.e.caps)
}

// optionName names an option as the title shows it.
func (c *Calibration) optionName(o calOption) string {
	l := c.e.lang
	switch {
	case o.only.Graphics():
		return o.only.String()
	case o.only == QRKindHalfBlocks:
		return l.s(kQRKindHalf)
	case o.only == QRKindSextants:
		return l.s(kQRKindSext)
	case o.style == QRText:
		return l.s(kQRKindText)
	}
	if c.r.OK {
		return o.style.String() + ": " + c.r.Kind.String()
	}
	return o.style.String()
}
