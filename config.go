package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
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
	qrStyle       string
}

// usageError is a configuration problem: one clear message, exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badUsage(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// loadConfig reads flags (which win) and the environment.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.baseURL, "base-url", env("CONNECTPSP_BASE_URL", ""), "ConnectPSP base URL (CONNECTPSP_BASE_URL)")
	fs.StringVar(&c.db, "db", env("PIXDESK_DB", ""), "SQLite file or postgres:// DSN (PIXDESK_DB)")
	fs.StringVar(&c.webhookListen, "webhook-listen", env("PIXDESK_WEBHOOK_LISTEN", ""), "address for the webhook receiver, e.g. 0.0.0.0:8443 (PIXDESK_WEBHOOK_LISTEN)")
	fs.StringVar(&c.webhookURL, "webhook-url", env("PIXDESK_WEBHOOK_URL", ""), "public URL sent to ConnectPSP as webhookUrl (PIXDESK_WEBHOOK_URL)")
	fs.StringVar(&c.terminal, "terminal", env("PIXDESK_TERMINAL", defaultTerminal()), "this counter's id (PIXDESK_TERMINAL)")
	fs.StringVar(&c.lang, "lang", env("PIXDESK_LANG", "pt-BR"), "interface language: pt-BR or en (PIXDESK_LANG)")
	fs.StringVar(&c.logPath, "log", env("PIXDESK_LOG", ""), "log file (PIXDESK_LOG; default beside the data)")
	maxAmount := fs.String("max-amount", env("PIXDESK_MAX_AMOUNT", "10.000,00"), "largest amount per charge, e.g. 10.000,00 (PIXDESK_MAX_AMOUNT)")
	expiry := fs.String("expiry", env("PIXDESK_EXPIRY_MINUTES", "15"), "default charge validity in minutes (PIXDESK_EXPIRY_MINUTES)")
	fs.StringVar(&c.qrStyle, "qr-style", env("PIXDESK_QR_STYLE", "half"), "QR drawing: half (half blocks) or sextant (PIXDESK_QR_STYLE)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, badUsage("%v", err)
	}
	if fs.NArg() > 0 {
		return nil, badUsage("unexpected argument %q", fs.Arg(0))
	}
	c.creds = psp.Credentials{
		ClientID:         env("CONNECTPSP_CLIENT_ID", ""),
		ClientSecret:     psp.Secret(env("CONNECTPSP_CLIENT_SECRET", "")),
		ApplicationToken: psp.Secret(env("CONNECTPSP_APPLICATION_TOKEN", "")),
		CryptoToken:      psp.Secret(env("CONNECTPSP_CRYPTO_TOKEN", "")),
	}
	var err error
	if c.expiry, err = strconv.Atoi(*expiry); err != nil {
		return nil, badUsage("--expiry %q is not a whole number of minutes", *expiry)
	}
	if c.maxAmount, err = psp.ParseAmount(*maxAmount); err != nil || c.maxAmount <= 0 {
		return nil, badUsage("--max-amount %q is not an amount in reais, e.g. 10.000,00", *maxAmount)
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
	if c.expiry < 1 || c.expiry > 1440 {
		return badUsage("--expiry %d: use 1 to 1440 minutes", c.expiry)
	}
	if c.qrStyle != "half" && c.qrStyle != "sextant" {
		return badUsage("--qr-style %q: use half or sextant", c.qrStyle)
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

func defaultTerminal() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "C01"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	if len(h) > 16 {
		h = h[:16]
	}
	return h
}
