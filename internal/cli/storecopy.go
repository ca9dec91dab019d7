package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/store"
)

const storeUsage = `usage:
  pixdesk store copy --from FILE --to postgres://… [--replace]

copy moves a shop's SQLite journal to PostgreSQL exactly: every charge,
its history, every delivery, refusal, lease and counter, with their ids, in
one transaction; the numbering goes on where the file's stopped. Each
table is counted and hashed on both sides before the copy commits, and the
sums are printed. The target is a blank database (it gets the schema) or an
empty pixdesk journal of this version; one holding rows is refused unless
--replace. Stop the counters using the file first.

  --from FILE       the SQLite journal
  --to DSN          the PostgreSQL database, postgres://user@host/db
  --replace         delete what the target holds, then copy (a sealed day is
                    never deleted: such a target is refused)
`

// runStore is `pixdesk store …`. Exit 0 done, 1 failed, 2 bad usage.
func runStore(args []string, sys system) int {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprint(sys.stderr, storeUsage)
		return 2
	}
	return runStoreCopy(args[1:], sys)
}

// runStoreCopy is `pixdesk store copy`: store.Copy, and its report.
func runStoreCopy(args []string, sys system) int {
	stdout, stderr := sys.stdout, sys.stderr
	fs := newFlagSet("pixdesk store copy", sys.getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, storeUsage) }
	from := fs.String("from", "", "the SQLite journal")
	to := fs.String("to", "", "the PostgreSQL database (postgres://…)")
	replace := fs.Bool("replace", false, "delete what the target holds, then copy")
	if err := fs.parseNone(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "pixdesk store copy: %v\n", err)
		return 2
	}
	switch {
	case *from == "" || *to == "":
		fmt.Fprintf(stderr, "pixdesk store copy: --from and --to are both needed\n\n%s", storeUsage)
		return 2
	case isPostgres(*from):
		fmt.Fprintln(stderr, "pixdesk store copy: --from is the SQLite file to copy, not a postgres:// DSN")
		return 2
	case !isPostgres(*to):
		fmt.Fprintln(stderr, "pixdesk store copy: --to is a postgres:// DSN")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := store.Copy(ctx, *from, *to, store.CopyOptions{Replace: *replace})
	if err != nil {
		// store's errors never quote the DSN (its password).
		safetext.Fprintf(stderr, "pixdesk store copy: %v\n", err)
		switch {
		case errors.Is(err, store.ErrTargetNotEmpty):
			fmt.Fprintln(stderr, "nothing was written; --replace deletes what the target holds and copies")
		case errors.Is(err, store.ErrSchemaDiffers):
			fmt.Fprintln(stderr, "nothing was written")
		}
		return 1
	}
	safetext.Fprintf(stdout, "copied %s\n    to %s (schema %d)\n", rep.From, rep.To, rep.Schema)
	if rep.CreatedSchema {
		fmt.Fprintln(stdout, "the target was blank: the schema was created in the same transaction")
	}
	if rep.Replaced > 0 {
		fmt.Fprintf(stdout, "replaced %d rows the target held\n", rep.Replaced)
	}
	fmt.Fprintf(stdout, "%-19s %-7s %8s  %-64s  %s\n", "table", "side", "rows", "sha256", "next id")
	for _, tb := range rep.Tables {
		for i, s := range []store.TableSum{tb.Source, tb.Target} {
			name, side := tb.Name, "source"
			if i == 1 {
				name, side = "", "target"
			}
			line := fmt.Sprintf("%-19s %-7s %8d  %s", name, side, s.Rows, s.SHA256)
			if s.NextID > 0 {
				line += fmt.Sprintf("  %d", s.NextID)
			}
			fmt.Fprintln(stdout, line)
		}
	}
	fmt.Fprintf(stdout, "name index rebuilt on the target: %d rows, one per charge\n", rep.NameRows)
	fmt.Fprintln(stdout, "verified: every table has the same rows and hash on both sides")
	return 0
}
