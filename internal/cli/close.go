package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
)

// closeOptions are the flags of `pixdesk close` besides loadConfig's.
type closeOptions struct {
	day, operator      string
	json, csv, reprint bool
}

const closeUsage = `
usage: pixdesk close [--terminal C01] [--day 2026-12-01] [--operator NAME]
                     [--json|--csv] [--reprint] [--db DSN]

Closes a counter's day (fechamento de caixa): asks ConnectPSP for the
current state of every charge of the day that may still change (awaiting
payment, or paid and refundable) and applies what changed as a poll would,
then prints the day's report — charges by status with counts and totals,
refunds, payments of another amount, late payments, charges still open,
payments per hour — with what the reconciliation changed, and seals it in
the journal. A sealed day is never changed: closing it again is refused,
--reprint prints it as it was sealed.

  --terminal C01   the counter (PIXDESK_TERMINAL)
  --day DAY        the day, AAAA-MM-DD or DD/MM/AAAA, in the shop's time
                   zone (TZ; default today)
  --operator NAME  print only NAME's part of the report (the whole day is
                   still what is closed)
  --json           print JSON (with the seal's hash)
  --csv            print the report as CSV (without the reconciliation)
  --reprint        print the sealed report of a closed day; nothing is
                   asked of ConnectPSP

The day is not sealed when ConnectPSP could not be asked about every
charge; run it again when it answers. Exit status: 0 closed (or
reprinted), 1 not closed (closed already, a charge unchecked, the day not
begun, no such closed day, the store or ConnectPSP failed), 2 bad usage.
`

// closeFlags adds close's own flags to loadConfig's.
func closeFlags(o *closeOptions) configOption {
	return func(_ *config, f *flagSet) {
		f.StringVar(&o.day, "day", "", "the day to close, AAAA-MM-DD or DD/MM/AAAA (default today)")
		f.StringVar(&o.operator, "operator", "", "print only this operator's part")
		f.BoolVar(&o.json, "json", false, "print JSON")
		f.BoolVar(&o.csv, "csv", false, "print CSV")
		f.BoolVar(&o.reprint, "reprint", false, "print the sealed report of a closed day")
	}
}

// shopZone is the shop's time zone: TZ as the environment gives it, else
// the process's local zone. Days are cut at its midnight.
func shopZone(getenv func(string) string) *time.Location {
	if tz := getenv("TZ"); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.Local
}

// closeRecord is the JSON of a close: the sealed report with its hash.
type closeRecord struct {
	*engine.DayClose
	Hash string `json:"hash,omitempty"`
}

// runClose is `pixdesk close`.
func runClose(args []string, sys system) int {
	stdout, stderr := sys.stdout, sys.stderr
	var o closeOptions
	cfg, code, ok := commandConfig("pixdesk close", closeUsage, args, sys, closeFlags(&o))
	if !ok {
		return code
	}
	loc := shopZone(sys.getenv)
	day := time.Now().In(loc).Format(time.DateOnly)
	if o.day != "" {
		t, err := parseDay(o.day, loc)
		if err != nil {
			fmt.Fprintf(stderr, "pixdesk close: --day %q: %v\n", o.day, err)
			return 2
		}
		day = t.Format(time.DateOnly)
	}
	if o.json && o.csv {
		fmt.Fprintln(stderr, "pixdesk close: choose one of --json and --csv")
		return 2
	}
	fail := func(format string, a ...any) int {
		safetext.Fprintf(stderr, "pixdesk close: "+format+"\n", a...)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg.storeOnly = o.reprint
	s, err := openStack(ctx, cfg, withListen(""))
	if err != nil {
		return fail("%v", err)
	}
	defer s.stop(context.Background())

	var c *engine.DayClose
	broken := false
	if o.reprint {
		c, err = engine.Reprint(ctx, s.db, cfg.terminal, day)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fail("%s on %s is not closed", cfg.terminal, day)
		case errors.Is(err, store.ErrSealBroken):
			broken = true
			fmt.Fprintln(stderr, "pixdesk close: the sealed report was changed after the close: its hash does not match")
		case err != nil:
			return fail("%v", err)
		}
	} else {
		if cfg.embedded {
			fmt.Fprintln(stderr, "pixdesk close: no ConnectPSP credentials: using the built-in sandbox")
		}
		if c, err = closeDay(ctx, s.engine, cfg.terminal, day, loc); err != nil {
			if c != nil {
				printClose(c, o, cfg.lang, loc, false, stdout) // what was found, unsealed
			}
			return fail("%v", err)
		}
	}
	if err := printClose(c, o, cfg.lang, loc, broken, stdout); err != nil {
		return fail("%v", err)
	}
	if broken {
		return 1
	}
	return 0
}

// closeDay prepares and seals terminal's day. A close that could not be
// sealed is returned with the error, so that what the reconciliation
// found is still printed.
func closeDay(ctx context.Context, e *engine.Engine, terminal, day string, loc *time.Location) (*engine.DayClose, error) {
	c, err := e.PrepareClose(ctx, terminal, day, loc)
	switch {
	case errors.Is(err, store.ErrDayClosed):
		return nil, fmt.Errorf("%s on %s is closed already (--reprint prints it)", terminal, day)
	case errors.Is(err, engine.ErrDayNotStarted):
		return nil, fmt.Errorf("%s has not begun", day)
	case err != nil:
		return nil, err
	}
	sealed, err := e.Seal(ctx, c)
	switch {
	case errors.Is(err, engine.ErrReconcileIncomplete):
		return c, errors.New("ConnectPSP could not be asked about every open charge: the day is not closed; run it again when it answers")
	case errors.Is(err, store.ErrDayClosed):
		return nil, fmt.Errorf("%s on %s was closed meanwhile (--reprint prints it)", terminal, day)
	case err != nil:
		return c, err
	}
	return sealed, nil
}

// printClose writes c as o asks: text in lang, JSON or CSV.
func printClose(c *engine.DayClose, o closeOptions, lang string, loc *time.Location, broken bool, w io.Writer) error {
	only := o.operator != ""
	ops := c.Operators
	if only {
		ops = nil
		for _, t := range c.Operators {
			if t.Operator == o.operator {
				ops = append(ops, t)
			}
		}
	}
	switch {
	case o.json:
		v := *c
		if only {
			rep := *c.DayReport
			rep.Operators = ops
			v.DayReport = &rep
		}
		return export.WriteJSON(w, closeRecord{DayClose: &v, Hash: c.Hash}, "  ")
	case o.csv:
		if !only && len(ops) == 1 && ops[0].Operator == "" {
			ops = nil // the total says it all
		}
		return export.WriteDayCSV(w, c.DayReport, ops, !only, export.Options{Lang: lang, Location: loc})
	}
	return ui.WriteClose(w, c, lang, loc, o.operator, only, broken)
}
