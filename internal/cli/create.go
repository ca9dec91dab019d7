package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
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
  --document DOC   payer's CPF or CNPJ, with or without punctuation
  --reference REF  order reference: letters without accents, digits, - and _
                   (default: the counter's next one). If REF has a charge
                   of the same amount and payer, it is reported (and sent
                   again if ConnectPSP never answered it) instead of making
                   another: rerunning a command that was interrupted is
                   safe. For another amount or payer, nothing is made.
  --wait           keep running (polling, and receiving webhooks when
                   PIXDESK_WEBHOOK_LISTEN is set) until the charge is paid,
                   expired or cancelled, and print how it ended
  --json           print JSON, one object per line (with --wait, another
                   when the charge ends, unless it had ended already)

Name, document and reference follow the counter form's rules, and a refusal
is the form's sentence, in --lang (PIXDESK_LANG).

Charges of this counter that ConnectPSP never answered are sent again first,
with their stored keys. Exit status: 0 created (with --wait: paid), 1 failed,
refused, not answered yet, or ended unpaid, 2 bad usage.
`

// createFlags adds tx create's own flags to loadConfig's.
func createFlags(o *createOptions) configOption {
	return func(_ *config, f *flagSet) {
		f.StringVar(&o.amount, "amount", "", "amount in reais, e.g. 12,50")
		f.StringVar(&o.name, "name", "", "payer's full name")
		f.StringVar(&o.document, "document", "", "payer's CPF or CNPJ, with or without punctuation")
		f.StringVar(&o.reference, "reference", "", "order reference (default: the counter's next one)")
		f.BoolVar(&o.wait, "wait", false, "keep running until the charge is paid, expired or cancelled")
		f.BoolVar(&o.json, "json", false, "print JSON, one object per line")
	}
}

// runTxCreate is `pixdesk tx create`.
func runTxCreate(args []string, sys system) int {
	stdout, stderr := sys.stdout, sys.stderr
	var o createOptions
	cfg, code, ok := commandConfig("pixdesk tx create", createUsage, args, sys, createFlags(&o))
	if !ok {
		return code
	}
	in, err := o.input(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx create: %v\n", err)
		return 2
	}
	var opts []stackOption
	if !o.wait && !cfg.embedded {
		// Nothing here would wait for a webhook; leave the port to the
		// console or serve that owns it. Charges still name webhookUrl.
		opts = append(opts, withListen(""))
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := openStack(ctx, cfg, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx create: %v\n", err)
		return 1
	}
	defer s.stop(context.Background())
	c := &creator{s: s, o: o, terminal: cfg.terminal, lang: cfg.lang, stdout: stdout, stderr: stderr}
	if cfg.embedded {
		fmt.Fprintln(stderr, "pixdesk tx create: no ConnectPSP credentials: using the built-in sandbox")
	}
	var changes <-chan store.Change
	if o.wait {
		changes = s.db.Subscribe(s.life) // before anything changes, so nothing is missed
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
	s.start() // resumes a pending create, polls, and so on
	return c.wait(ctx, ch, changes)
}

// input checks the flags by the engine's rules, which the counter form
// follows too, and words a refusal with the form's sentence in the
// configured language (ui.InputMessage): a script and a cashier are told
// the same thing.
func (o createOptions) input(cfg *config) (engine.Input, error) {
	in := engine.Input{
		Payer:            psp.Payer{Name: o.name, Document: o.document},
		Reference:        o.reference,
		ExpiresInMinutes: cfg.expiry,
	}
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
	checked, err := engine.CheckInput(in)
	if why, ok := flagRefusal(cfg.lang, err); ok {
		return in, errors.New(why)
	}
	return checked, err
}

// flagRefusal words a refused input as the form does (ui.InputMessage),
// after the flag that gave it; ok is false when err is no *engine.InputError.
func flagRefusal(lang string, err error) (string, bool) {
	field, why, ok := ui.InputMessage(lang, err)
	if !ok {
		return "", false
	}
	return inputFlags[field] + ": " + why, true
}

// inputFlags names the flag that gives each field of a new charge.
var inputFlags = map[engine.Field]string{
	engine.FieldAmount: "--amount", engine.FieldName: "--name", engine.FieldDocument: "--document",
	engine.FieldReference: "--reference", engine.FieldExpiry: "--expiry",
}

// creator runs one `tx create`.
type creator struct {
	s              *stack
	o              createOptions
	terminal, lang string
	stdout, stderr io.Writer
}

// errorf reports on stderr; the arguments (ConnectPSP's reasons, ids) are
// printed in their visible form.
func (c *creator) errorf(format string, a ...any) {
	safetext.Fprintf(c.stderr, "pixdesk tx create: "+format+"\n", a...)
}

// refusal says why ConnectPSP refused ch: an order reference it already
// had in the catalogue's words (ui.RefusalText), anything else in its own.
func (c *creator) refusal(ch *store.Charge) string {
	if ch.RejectCode == psp.CodeDuplicateReference {
		return ui.RefusalText(c.lang, ch, nil)
	}
	return "ConnectPSP refused the charge: " + ch.RejectReason
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
			c.errorf("unanswered charge %s was sent again: %s", p.ExternalReference, c.refusal(ch))
		case err != nil:
			c.errorf("unanswered charge %s was sent again and is still unanswered (%v); it will be retried", p.ExternalReference, err)
		case ch.Stage == store.StageCreated:
			safetext.Fprintf(c.stderr, "pixdesk tx create: unanswered charge %s sent again with its key: ConnectPSP has it as %s (%s)\n",
				p.ExternalReference, ch.InternalCode, ch.Status)
		}
	}
}

// obtain returns the charge for the order: a new one, or the one the
// engine found under --reference for the same amount and payer. done
// reports that the command ends with code.
func (c *creator) obtain(ctx context.Context, in engine.Input) (ch *store.Charge, code int, done bool) {
	ch, err := c.s.engine.Create(ctx, in)
	var taken *engine.ReferenceExistsError
	switch {
	case errors.As(err, &taken) && taken.Same:
		return c.existing(ctx, taken.Charge)
	case ch == nil:
		if why, ok := flagRefusal(c.lang, err); ok {
			c.errorf("%s", why)
		} else {
			c.errorf("%v", err)
		}
		return nil, 1, true
	case ch.Stage == store.StageRejected:
		c.print(ch)
		c.errorf("%s", c.refusal(ch))
		return ch, 1, true
	case err != nil:
		c.errorf("ConnectPSP has not answered yet (%v)", err)
	}
	if note := ui.ReferenceNote(c.lang, ch); note != "" {
		c.errorf("%s", note)
	}
	return ch, 0, false
}

// existing takes up the charge the order already has, for the same amount
// and payer: it is reported, not made again (another counter's pending one
// is sent again with its key; this counter's were just tried by
// resumePending).
func (c *creator) existing(ctx context.Context, ch *store.Charge) (*store.Charge, int, bool) {
	safetext.Fprintf(c.stderr, "pixdesk tx create: order %s already has charge %d; not creating another\n", ch.ExternalReference, ch.ID)
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
		c.errorf("%s", c.refusal(ch))
		return ch, 1, true
	}
	return ch, 0, false
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
func (c *creator) wait(ctx context.Context, ch *store.Charge, changes <-chan store.Change) int {
	if ended(ch) {
		return c.outcome(ch) // printed already
	}
	until := ""
	if !ch.ExpiresAt.IsZero() {
		until = " (the code is valid until " + ch.ExpiresAt.Local().Format("15:04:05") + ")"
	}
	safetext.Fprintf(c.stderr, "pixdesk tx create: waiting for the payment of %s%s\n", ch.ExternalReference, until)
	tick := time.NewTicker(createRecheck)
	defer tick.Stop()
	for !ended(ch) {
		select {
		case <-ctx.Done():
			c.errorf("stopped waiting; charge %s is %s", ch.ExternalReference, stateOf(ch))
			return 1
		case <-c.s.engineDone:
			c.errorf("the engine stopped: %v", c.s.engineErr)
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
		c.errorf("%s", c.refusal(ch))
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
		if err := export.WriteJSON(c.stdout, r, ""); err != nil {
			c.errorf("%v", err)
		}
		return
	}
	w := c.stdout
	safetext.Fprintf(w, "charge %d  %s  %s  %s\n", ch.ID, stateOf(ch), ch.Amount, ch.ExternalReference)
	if ch.TransactionID != "" {
		safetext.Fprintf(w, "code      %s  (transactionId %s)\n", ch.InternalCode, ch.TransactionID)
	}
	switch {
	case ch.Status == psp.StatusAwaitingPayment && ch.CopyAndPaste != "":
		safetext.Fprintf(w, "pix       %s\n", ch.CopyAndPaste)
	case ch.Status == psp.StatusPaid:
		safetext.Fprintf(w, "paid      %s  %s\n", ch.PaidAt.Local().Format("02/01/2006 15:04:05"), ch.EndToEndID)
	}
}
