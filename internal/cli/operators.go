package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/store"
)

const operatorsUsage = `usage:
  pixdesk operators add NAME --role caixa|supervisor|suporte   new operator; the PIN is asked (or read from stdin)
  pixdesk operators list [--json]                              every operator, disabled ones too
  pixdesk operators disable NAME                               the PIN no longer signs in
  pixdesk operators reset NAME [--role ROLE]                   a new PIN (asked), enabled again
flags: --db DSN (PIXDESK_DB), --terminal T (PIXDESK_TERMINAL, recorded in the audit trail)
roles: caixa takes charges; a refund it asks for needs a supervisor's or suporte's PIN.
       supervisor and suporte refund, reveal a payer's document and export.
`

// operatorRecord is the JSON shape of an operator; the PIN's hash is never shown.
type operatorRecord struct {
	Name      string     `json:"name"`
	Role      store.Role `json:"role"`
	Disabled  bool       `json:"disabled"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// runOperators is `pixdesk operators add|list|disable|reset`. Every change
// is in the audit trail. Exit 0 done, 1 failed, 2 bad usage.
func runOperators(args []string, sys system) int {
	stderr := sys.stderr
	fs := newFlagSet("pixdesk operators", sys.getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, operatorsUsage) }
	var db, terminal, role string
	fs.dbVar(&db)
	if err := fs.settingVar(&terminal, "terminal", "PIXDESK_TERMINAL", "", "this counter's id, for the audit trail (PIXDESK_TERMINAL, or the settings file's)"); err != nil {
		fmt.Fprintf(stderr, "pixdesk operators: %v\n", err)
		return 2
	}
	fs.StringVar(&role, "role", "", "caixa, supervisor or suporte")
	asJSON := fs.Bool("json", false, "list: print JSON")
	positional, err := fs.parse(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	verb, name := "", ""
	if len(positional) > 0 {
		verb = positional[0]
	}
	if len(positional) > 1 {
		name = positional[1]
	}
	wantName := verb == "add" || verb == "disable" || verb == "reset"
	switch {
	case verb != "list" && !wantName,
		wantName && len(positional) != 2, verb == "list" && len(positional) != 1,
		verb == "add" && role == "", (verb == "list" || verb == "disable") && role != "":
		fmt.Fprint(stderr, operatorsUsage)
		return 2
	case role != "" && !store.Role(role).Valid():
		fmt.Fprintf(stderr, "pixdesk operators: --role %q: use caixa, supervisor or suporte\n", role)
		return 2
	case wantName && store.CheckOperatorName(name) != nil && verb == "add":
		fmt.Fprintf(stderr, "pixdesk operators: %v\n", store.CheckOperatorName(name))
		return 2
	}
	ctx := context.Background()
	d, ok := openTxStore(ctx, db, sys.getenv, stderr)
	if !ok {
		return 1
	}
	defer d.Close()
	by := store.Actor{Terminal: terminal}
	fail := func(err error) int {
		safetext.Fprintf(stderr, "pixdesk operators %s: %v\n", verb, err)
		return 1
	}
	switch verb {
	case "list":
		return listOperators(ctx, d, sys, *asJSON)
	case "disable":
		if err := d.DisableOperator(ctx, by, name); err != nil {
			return fail(err)
		}
		safetext.Fprintf(sys.stdout, "operator %s disabled\n", name)
		return 0
	}
	pin, err := readPIN(sys, "PIN for "+safetext.String(name)+": ")
	if err == nil {
		err = store.CheckPINText(pin)
	}
	if err != nil {
		return fail(err)
	}
	if verb == "add" {
		if _, err := d.AddOperator(ctx, by, name, store.Role(role), pin); err != nil {
			return fail(err)
		}
		safetext.Fprintf(sys.stdout, "operator %s added (%s)\n", name, role)
		return 0
	}
	if err := d.ResetOperator(ctx, by, name, store.Role(role), pin); err != nil {
		return fail(err)
	}
	safetext.Fprintf(sys.stdout, "operator %s has a new PIN\n", name)
	return 0
}

func listOperators(ctx context.Context, d *store.DB, sys system, asJSON bool) int {
	ops, err := d.Operators(ctx)
	if err != nil {
		fmt.Fprintf(sys.stderr, "pixdesk operators list: %v\n", err)
		return 1
	}
	if asJSON {
		out := []operatorRecord{}
		for _, o := range ops {
			out = append(out, operatorRecord{Name: o.Name, Role: o.Role, Disabled: o.Disabled,
				CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt})
		}
		if err := export.WriteJSON(sys.stdout, out, "  "); err != nil {
			fmt.Fprintf(sys.stderr, "pixdesk operators list: %v\n", err)
			return 1
		}
		return 0
	}
	if len(ops) == 0 {
		fmt.Fprintln(sys.stdout, "no operators: the console runs without sign-in (pixdesk operators add NAME --role …)")
		return 0
	}
	for _, o := range ops {
		state := ""
		if o.Disabled {
			state = "  disabled"
		}
		safetext.Fprintf(sys.stdout, "%-20s %-10s since %s%s\n", o.Name, o.Role, o.CreatedAt.Local().Format("02/01/2006 15:04"), state)
	}
	return 0
}
