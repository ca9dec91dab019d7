package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/pixdesk/pixdesk/psp/sandbox"
)

// runSandbox serves the ConnectPSP sandbox standalone until interrupted.
func runSandbox(args []string, sys system) int {
	stdout, stderr := sys.stdout, sys.stderr
	fs := newFlagSet("pixdesk sandbox", sys.getenv, stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	public := fs.String("public-url", "", "base URL put into BR Codes (default: the listen address)")
	lifetime := fs.Duration("token-lifetime", time.Hour, "access token lifetime")
	retry := fs.Duration("webhook-retry", time.Second, "first webhook retry delay (doubles per attempt)")
	verbose := fs.Bool("v", false, "log every request to stderr")
	state := fs.String("state", "", "JSON file that keeps the sandbox's charges across restarts (default: memory only)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: pixdesk sandbox [--listen 127.0.0.1:8080] [--public-url URL] [--token-lifetime 1h] [--webhook-retry 1s] [--state FILE] [-v]\n\n")
		fs.PrintDefaults()
	}
	positional, err := fs.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(positional) > 0 {
		fmt.Fprintf(stderr, "pixdesk sandbox: unexpected argument %q\n", positional[0])
		return 2
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		fmt.Fprintf(stderr, "pixdesk sandbox: --listen %q is not host:port (for example 127.0.0.1:8080)\n", *listen)
		return 2
	}
	if *lifetime < time.Second || *retry <= 0 {
		fmt.Fprintln(stderr, "pixdesk sandbox: --token-lifetime must be at least 1s and --webhook-retry positive")
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	base, sb, err := sandbox.Serve(ctx, *listen, sandbox.Options{
		PublicURL:     *public,
		TokenLifetime: *lifetime,
		RetryBase:     *retry,
		StatePath:     *state,
		Logger:        newLogger(stderr, level),
	})
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk sandbox: cannot listen on %s: %v\n", *listen, err)
		return 1
	}
	c := sb.Credentials()
	fmt.Fprintf(stdout, `ConnectPSP sandbox listening on %s
Point a console at it with:

  export CONNECTPSP_BASE_URL=%s
  export CONNECTPSP_CLIENT_ID=%s
  export CONNECTPSP_CLIENT_SECRET=%s
  export CONNECTPSP_APPLICATION_TOKEN=%s
  export CONNECTPSP_CRYPTO_TOKEN=%s

Control: POST %s/_sandbox/cash-in/{id}/pay | /expire | /cancel, GET %s/_sandbox/deliveries
Ctrl-C stops it.
`, base, base, c.ClientID, c.ClientSecret.Reveal(), c.ApplicationToken.Reveal(), c.CryptoToken.Reveal(), base, base)
	<-ctx.Done()
	fmt.Fprintln(stdout, "sandbox stopped")
	return 0
}
