package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// createRecheck is how often `tx create --wait` reloads its charge when
// nothing announced a change: a safety net under the change feed.
const createRecheck = 5 * time.Second

// createOptions are the flags of `pixdesk tx create` besides the shared
// configuration that loadConfig reads.
type createOptions struct {
	amount, name, document, reference string
	json, wait                        bool
}

// createRecord is a charge as `tx create --json` prints it: the record of
// `tx show --json` with the code to pay and, if refused, why.
type createRecord struct {
	txRecord
	CopyAndPaste string `json:"copyAndPaste,omitempty"`
	RejectReason string `json:"rejectReason,omitempty"`
}

const createUsage = `
usage: pixdesk tx create --amount 12,50 --name NAME --document CPF|CNPJ
                         [--reference REF] [--expiry MINUTES] [--wait] [--json]

Creates a charge as the counter form does, with the console's configuration
(CONNECTPSP_*, PIXDESK_*; without credentials, the built-in sandbox), and
prints its internal code and the PIX copy-and-paste code.

  --amount 12,50   amount in reais
  --name NAME      payer's full name
  --document DOC   payer's CPF or CNPJ
  --reference REF  order reference (default: the counter's next one). If a
                   charge with REF exists, it is reported (and sent again if
                   ConnectPSP never answered it) instead of making another:
                   rerunning a command that was interrupted is safe.
  --wait           keep running (polling, and receiving webhooks when
                   PIXDESK_WEBHOOK_LISTEN is set) until the charge is paid,
                   expired or cancelled, and print how it ended
  --json           print JSON, one object per line (with --wait, another
                   when the charge ends, unless it had ended already)

Charges of this counter that ConnectPSP never answered are sent again first,
with their stored keys. Exit status: 0 created (with --wait: paid), 1 failed,
refused, not answered yet, or ended unpaid, 2 bad usage.
`

// runTxCreate is `pixdesk tx create`.
func runTxCreate(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	rest, o, err := createFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx create: %v\n%s", err, createUsage)
		return 2
	}
	cfg, err := loadConfig("pixdesk tx create", rest, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, createUsage)
		return 0
	}
	if err != nil {
		return reportConfigError(err, stderr)
	}
	in, err := o.input(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx create: %v\n", err)
		return 2
	}
	if !o.wait && !cfg.embedded {
		// Nothing here would wait for a webhook; leave the port to the
		// console or serve that owns it. Charges still name webhookUrl.
		cfg.webhookListen = ""
	}

	sigCtx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(sigCtx)
	s, err := openStack(ctx, cfg, false)
	if err != nil {
		cancel()
		fmt.Fprintf(stderr, "pixdesk tx create: %v\n", err)
		return 1
	}
	c := &creator{s: s, o: o, terminal: cfg.terminal, stdout: stdout, stderr: stderr}
	runDone := make(chan error, 1)
	defer func() {
		cancel()
		if o.wait {
			<-runDone
		}
		s.close()
	}()
	if cfg.embedded {
		fmt.Fprintln(stderr, "pixdesk tx create: no ConnectPSP credentials: using the built-in sandbox")
	}
	var changes <-chan store.Change
	if o.wait {
		changes = s.db.Subscribe(ctx) // before anything changes, so nothing is missed
	}

	c.resumePending(ctx)
	ch, code, done := c.obtain(ctx, in)
	if done {
		return code
	}
	c.print(ch)
	if !o.wait {
		return c.unwaited(ch)
	}
	go func() { runDone <- s.engine.Run(ctx) }() // resumes a pending create, polls, and so on
	return c.wait(ctx, ch, changes, runDone)
}

// createFlags takes tx create's own flags out of args and returns the rest,
// the shared configuration flags, for loadConfig.
func createFlags(args []string) (rest []string, o createOptions, err error) {
	strs := map[string]*string{"amount": &o.amount, "name": &o.name, "document": &o.document, "reference": &o.reference}
	bools := map[string]*bool{"json": &o.json, "wait": &o.wait}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if dst, ok := bools[name]; ok {
			b := true
			if hasValue {
				if b, err = strconv.ParseBool(value); err != nil {
					return nil, o, fmt.Errorf("--%s=%q: use true or false", name, value)
				}
			}
			*dst = b
			continue
		}
		dst, ok := strs[name]
		if !ok {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, o, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	return rest, o, nil
}

// input checks the flags as the counter form checks its fields.
func (o createOptions) input(cfg *config) (engine.Input, error) {
	in := engine.Input{Reference: strings.TrimSpace(o.reference), ExpiresInMinutes: cfg.expiry}
	switch a, err := psp.ParseAmount(o.amount); {
	case strings.TrimSpace(o.amount) == "":
		return in, errors.New("--amount is required, e.g. --amount 12,50")
	case err != nil || a <= 0:
		return in, fmt.Errorf("--amount %q is not an amount in reais, e.g. 12,50", o.amount)
	case a > cfg.maxAmount:
		return in, fmt.Errorf("--amount %s is above the largest amount per charge, %s (--max-amount)", a, cfg.maxAmount)
	default:
		in.Amount = a
	}
	in.Payer.Name = strings.TrimSpace(o.name)
	if in.Payer.Name == "" {
		return in, errors.New(`--name is required: the payer's full name, e.g. --name "João Silva"`)
	}
	_, doc, err := psp.ParseDocument(o.document)
	if err != nil {
		return in, fmt.Errorf("--document is not a valid CPF or CNPJ (%v)", err)
	}
	in.Payer.Document = doc
	if len(in.Reference) > 255 {
		return in, errors.New("--reference is longer than 255 characters")
	}
	return in, nil
}

// creator runs one `tx create`.
type creator struct {
	s              *stack
	o              createOptions
	terminal       string
	stdout, stderr io.Writer
}

func (c *creator) errorf(format string, a ...any) {
	fmt.Fprintf(c.stderr, "pixdesk tx create: "+format+"\n", a...)
}

// resumePending sends again, with their stored keys, this counter's charges
// that ConnectPSP never answered (a crash or an outage cut them short).
func (c *creator) resumePending(ctx context.Context) {
	pending, err := c.s.db.PendingCreates(ctx, c.terminal)
	if err != nil {
		c.errorf("cannot list unanswered charges: %v", err)
		return
	}
	for _, p := range pending {
		ch, err := c.s.engine.Resume(ctx, p.ID)
		switch {
		case err != nil && ch != nil && ch.Stage == store.StageRejected:
			c.errorf("unanswered charge %s was sent again: ConnectPSP refused it: %s", p.ExternalReference, ch.RejectReason)
		case err != nil:
			c.errorf("unanswered charge %s was sent again and is still unanswered (%v); it will be retried", p.ExternalReference, err)
		case ch.Stage == store.StageCreated:
			fmt.Fprintf(c.stderr, "pixdesk tx create: unanswered charge %s sent again with its key: ConnectPSP has it as %s (%s)\n",
				p.ExternalReference, ch.InternalCode, ch.Status)
		}
	}
}

// obtain returns the charge for the order: the one already stored under
// --reference, or a new one. done reports that the command ends with code.
func (c *creator) obtain(ctx context.Context, in engine.Input) (ch *store.Charge, code int, done bool) {
	if in.Reference != "" {
		ch, err := findByReference(ctx, c.s.db, in.Reference)
		switch {
		case err == nil:
			return c.existing(ctx, ch, in)
		case !errors.Is(err, store.ErrNotFound):
			c.errorf("cannot look up order %s: %v", in.Reference, err)
			return nil, 1, true
		}
	}
	ch, err := c.s.engine.Create(ctx, in)
	switch {
	case ch == nil:
		c.errorf("%v", err)
		if errors.Is(err, store.ErrConflict) {
			c.errorf("order reference %s is taken by another charge", in.Reference)
		}
		return nil, 1, true
	case ch.Stage == store.StageRejected:
		c.print(ch)
		c.errorf("ConnectPSP refused the charge: %s", ch.RejectReason)
		return ch, 1, true
	case err != nil:
		c.errorf("ConnectPSP has not answered yet (%v)", err)
	}
	return ch, 0, false
}

// existing handles an order that has a charge already: the same charge is
// reported (another counter's pending one is sent again with its key; this
// counter's were just tried by resumePending); a different one is an error,
// never a second charge.
func (c *creator) existing(ctx context.Context, ch *store.Charge, in engine.Input) (*store.Charge, int, bool) {
	if ch.Amount != in.Amount || ch.Payer.Document != in.Payer.Document {
		c.errorf("order %s already has a charge of %s for another payer or amount (charge %d); no second charge was made",
			in.Reference, ch.Amount, ch.ID)
		return ch, 1, true
	}
	fmt.Fprintf(c.stderr, "pixdesk tx create: order %s already has charge %d; not creating another\n", in.Reference, ch.ID)
	if ch.Stage == store.StagePending && ch.Terminal != c.terminal {
		res, err := c.s.engine.Resume(ctx, ch.ID)
		if res != nil {
			ch = res
		}
		if err != nil && ch.Stage != store.StageRejected {
			c.errorf("ConnectPSP has not answered yet (%v)", err)
		}
	}
	if ch.Stage == store.StageRejected {
		c.print(ch)
		c.errorf("ConnectPSP refused the charge: %s", ch.RejectReason)
		return ch, 1, true
	}
	return ch, 0, false
}

// findByReference returns the charge whose order reference is exactly ref.
func findByReference(ctx context.Context, db *store.DB, ref string) (*store.Charge, error) {
	ch, err := db.Find(ctx, ref)
	if err == nil && ch.ExternalReference == ref {
		return ch, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// Find tries local ids and other identifiers first: search by text.
	rows, err := db.Search(ctx, store.Query{Text: ref, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.ExternalReference == ref {
			return r, nil
		}
	}
	return nil, store.ErrNotFound
}

// unwaited ends a run without --wait.
func (c *creator) unwaited(ch *store.Charge) int {
	if ch.Stage == store.StagePending {
		c.errorf("charge %d is stored with its key but ConnectPSP has not answered: run the same command again with --reference %s to retry; it will not make a second charge",
			ch.ID, ch.ExternalReference)
		return 1
	}
	return 0
}

// wait keeps the engine running until the charge ends, then prints it.
func (c *creator) wait(ctx context.Context, ch *store.Charge, changes <-chan store.Change, runDone <-chan error) int {
	if ended(ch) {
		return c.outcome(ch) // printed already
	}
	until := ""
	if !ch.ExpiresAt.IsZero() {
		until = " (the code is valid until " + ch.ExpiresAt.Local().Format("15:04:05") + ")"
	}
	fmt.Fprintf(c.stderr, "pixdesk tx create: waiting for the payment of %s%s\n", ch.ExternalReference, until)
	tick := time.NewTicker(createRecheck)
	defer tick.Stop()
	for !ended(ch) {
		select {
		case <-ctx.Done():
			c.errorf("stopped waiting; charge %s is %s", ch.ExternalReference, stateOf(ch))
			return 1
		case err := <-runDone:
			c.errorf("the engine stopped: %v", err)
			return 1
		case chg, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if chg.ChargeID != ch.ID {
				continue
			}
		case n := <-c.s.notices:
			if n.ChargeID == ch.ID && n.Kind == engine.NoticeProgress && n.Progress.Stage == psp.StageRetrying {
				c.errorf("ConnectPSP has not answered; retrying in %s", n.Progress.Wait.Round(time.Second))
			}
			continue
		case <-tick.C:
		}
		cur, err := c.s.db.Get(ctx, ch.ID)
		if err != nil {
			if ctx.Err() == nil {
				c.errorf("cannot read charge %d: %v", ch.ID, err)
			}
			continue
		}
		ch = cur
	}
	c.print(ch)
	return c.outcome(ch)
}

// outcome reports how an ended charge ended and returns the exit status.
func (c *creator) outcome(ch *store.Charge) int {
	switch {
	case ch.Stage == store.StageRejected:
		c.errorf("ConnectPSP refused the charge: %s", ch.RejectReason)
		return 1
	case ch.Status != psp.StatusPaid:
		c.errorf("charge %s ended %s, unpaid", ch.ExternalReference, ch.Status)
		return 1
	}
	return 0
}

// ended reports whether a charge will not be paid any more, or was.
func ended(ch *store.Charge) bool {
	return ch.Stage == store.StageRejected || ch.Stage == store.StageCreated && ch.Status != psp.StatusAwaitingPayment
}

func stateOf(ch *store.Charge) string {
	if ch.Status != "" {
		return string(ch.Status)
	}
	return string(ch.Stage)
}

// print writes the charge to stdout: the copy-and-paste code while it can
// be paid, how it ended otherwise.
func (c *creator) print(ch *store.Charge) {
	if c.o.json {
		r := createRecord{txRecord: newTxRecord(ch, false), RejectReason: ch.RejectReason}
		if ch.Status == psp.StatusAwaitingPayment {
			r.CopyAndPaste = ch.CopyAndPaste
		}
		if err := json.NewEncoder(c.stdout).Encode(r); err != nil {
			c.errorf("%v", err)
		}
		return
	}
	w := c.stdout
	fmt.Fprintf(w, "charge %d  %s  %s  %s\n", ch.ID, stateOf(ch), ch.Amount, ch.ExternalReference)
	if ch.TransactionID != "" {
		fmt.Fprintf(w, "code      %s  (transactionId %s)\n", ch.InternalCode, ch.TransactionID)
	}
	switch {
	case ch.Status == psp.StatusAwaitingPayment && ch.CopyAndPaste != "":
		fmt.Fprintf(w, "pix       %s\n", ch.CopyAndPaste)
	case ch.Status == psp.StatusPaid:
		fmt.Fprintf(w, "paid      %s  %s\n", ch.PaidAt.Local().Format("02/01/2006 15:04:05"), ch.EndToEndID)
	}
}
