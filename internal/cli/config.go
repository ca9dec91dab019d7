package cli

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
)

// Environment names what the console is talking to; the status bar shows it.
type environment string

const (
	envSandbox    environment = "sandbox"
	envStaging    environment = "homologacao"
	envProduction environment = "producao"
)

// config is everything the console and serve read from flags and environment.
type config struct {
	// getenv is the command's environment (nil: the process's), read for
	// the default data directory.
	getenv        func(string) string
	baseURL       string
	creds         psp.Credentials
	env           environment
	embedded      bool // no credentials: run the sandbox in process
	db            string
	webhookListen string
	webhookURL    string
	terminal      string
	lang          string
	logPath       string
	maxAmount     psp.Amount
	expiry        int
	qrStyle       ui.QRStyle
	// storeOnly: the command reads the journal and never calls ConnectPSP
	// (pixdesk display), so credentials are neither needed nor checked.
	storeOnly bool
}

// configOption adapts loadConfig to one command: its own flags beside the
// shared ones (so that -h lists them together), settings before check.
type configOption func(c *config, f *flagSet)

// usageError is a configuration problem: one clear message, exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badUsage(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// loadConfig reads the shared configuration of the commands that talk to
// ConnectPSP or follow the journal — flags, then the environment, then the
// settings file — with the flags of opts beside it, and checks it.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, opts ...configOption) (*config, error) {
	c := &config{getenv: getenv}
	f := newFlagSet(name, getenv, stderr)
	f.stringVar(&c.baseURL, "base-url", "CONNECTPSP_BASE_URL", "", "ConnectPSP base URL (CONNECTPSP_BASE_URL)")
	f.dbVar(&c.db)
	f.stringVar(&c.webhookListen, "webhook-listen", "PIXDESK_WEBHOOK_LISTEN", "", "address for the webhook receiver, e.g. 0.0.0.0:8443 (PIXDESK_WEBHOOK_LISTEN)")
	f.stringVar(&c.webhookURL, "webhook-url", "PIXDESK_WEBHOOK_URL", "", "public URL sent to ConnectPSP as webhookUrl (PIXDESK_WEBHOOK_URL)")
	f.langVar(&c.lang, "interface language: pt-BR or en (PIXDESK_LANG)")
	f.stringVar(&c.logPath, "log", "PIXDESK_LOG", "", "log file (PIXDESK_LOG; default beside the data)")
	var maxAmount, expiry, qrStyle string
	f.stringVar(&maxAmount, "max-amount", "PIXDESK_MAX_AMOUNT", "10.000,00", "largest amount per charge, e.g. 10.000,00 (PIXDESK_MAX_AMOUNT)")
	f.stringVar(&expiry, "expiry", "PIXDESK_EXPIRY_MINUTES", "15", "default charge validity in minutes (PIXDESK_EXPIRY_MINUTES)")
	if err := f.settingVar(&qrStyle, "qr-style", "PIXDESK_QR_STYLE", "auto", "QR drawing: auto, graphics, sextant, half or text (PIXDESK_QR_STYLE; pixdesk qr-test saves one)"); err != nil {
		return nil, err
	}
	if err := f.settingVar(&c.terminal, "terminal", "PIXDESK_TERMINAL", "", "this counter's id (PIXDESK_TERMINAL; made up on the first run and kept in the settings file)"); err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(c, f)
	}
	if err := f.parseNone(args); err != nil {
		return nil, err
	}
	if c.terminal == "" && !f.given("terminal") {
		var err error
		if c.terminal, err = keptTerminal(settingsPath(getenv), stderr); err != nil {
			return nil, err
		}
	}
	c.creds = psp.Credentials{
		ClientID:         f.env("CONNECTPSP_CLIENT_ID"),
		ClientSecret:     psp.Secret(f.env("CONNECTPSP_CLIENT_SECRET")),
		ApplicationToken: psp.Secret(f.env("CONNECTPSP_APPLICATION_TOKEN")),
		CryptoToken:      psp.Secret(f.env("CONNECTPSP_CRYPTO_TOKEN")),
	}
	var err error
	if c.qrStyle, err = ui.ParseQRStyle(qrStyle); err != nil {
		return nil, badUsage("%s %q: use auto, graphics, sextant, half or text", f.source("qr-style"), qrStyle)
	}
	if c.expiry, err = strconv.Atoi(expiry); err != nil {
		return nil, badUsage("--expiry %q is not a whole number of minutes", expiry)
	}
	if c.maxAmount, err = psp.ParseAmount(maxAmount); err != nil || c.maxAmount <= 0 {
		return nil, badUsage("--max-amount %q is not an amount in reais, e.g. 10.000,00", maxAmount)
	}
	return c, c.check()
}

// check rejects missing or contradictory settings with one clear message.
func (c *config) check() error {
	set := 0
	for _, v := range []string{c.creds.ClientID, c.creds.ClientSecret.Reveal(), c.creds.ApplicationToken.Reveal(), c.creds.CryptoToken.Reveal()} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0 && c.baseURL == "":
		c.embedded, c.env = true, envSandbox
	case c.storeOnly:
		// Whether ConnectPSP is configured still picks the default journal
		// (storeDSN): the sandbox's without it.
	case set == 0:
		return badUsage("CONNECTPSP_BASE_URL is set but no credentials are: set CONNECTPSP_CLIENT_ID, CONNECTPSP_CLIENT_SECRET, CONNECTPSP_APPLICATION_TOKEN and CONNECTPSP_CRYPTO_TOKEN, or unset CONNECTPSP_BASE_URL to use the built-in sandbox")
	case set < 4:
		return badUsage("ConnectPSP credentials are incomplete: CONNECTPSP_CLIENT_ID, CONNECTPSP_CLIENT_SECRET, CONNECTPSP_APPLICATION_TOKEN and CONNECTPSP_CRYPTO_TOKEN are all needed")
	case c.baseURL == "":
		return badUsage("credentials are set but CONNECTPSP_BASE_URL is not: use https://api.homologacao.connectpsp.com (staging) or https://api.connectpsp.com (production)")
	default:
		u, err := url.Parse(c.baseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return badUsage("CONNECTPSP_BASE_URL %q is not an http(s) URL", c.baseURL)
		}
		c.env = environmentOf(u)
		if u.Scheme == "http" && c.env != envSandbox {
			return badUsage("CONNECTPSP_BASE_URL must use https outside loopback: %q", c.baseURL)
		}
	}
	if c.lang != "pt-BR" && c.lang != "en" {
		return badUsage("--lang %q: use pt-BR or en", c.lang)
	}
	if c.expiry < 1 || c.expiry > engine.MaxExpiryMinutes {
		return badUsage("--expiry %d: use 1 to %d minutes", c.expiry, engine.MaxExpiryMinutes)
	}
	if c.terminal == "" || len(c.terminal) > 16 || strings.ContainsAny(c.terminal, " /\\\t") {
		return badUsage("--terminal %q: use up to 16 letters, digits or dashes", c.terminal)
	}
	if c.webhookListen != "" {
		if _, _, err := net.SplitHostPort(c.webhookListen); err != nil {
			return badUsage("PIXDESK_WEBHOOK_LISTEN %q is not host:port", c.webhookListen)
		}
	}
	if c.webhookURL != "" {
		if u, err := url.Parse(c.webhookURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return badUsage("PIXDESK_WEBHOOK_URL %q is not an http(s) URL", c.webhookURL)
		}
	}
	return nil
}

// environmentOf names the ConnectPSP environment behind a base URL.
func environmentOf(u *url.URL) environment {
	h := u.Hostname()
	switch {
	case h == "api.connectpsp.com":
		return envProduction
	case strings.Contains(h, "homologacao"):
		return envStaging
	case h == "localhost" || net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback():
		return envSandbox
	}
	return envProduction // unknown hosts are treated with production care
}
