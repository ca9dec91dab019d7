package ui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// Authority is what the console needs for operators and the audit trail;
// *store.DB is one.
type Authority interface {
	// CheckPIN returns the enabled operator name whose PIN is pin, or
	// store.ErrBadPIN, having audited the failure (store.DB.CheckPIN).
	CheckPIN(ctx context.Context, at store.Actor, name, pin, purpose string) (*store.Operator, error)
	// Audit appends an entry to the audit trail (store.DB.Audit).
	Audit(ctx context.Context, a store.NewAudit) (*store.AuditEntry, error)
	// AuditTrail reads entries of the trail (store.DB.AuditTrail).
	AuditTrail(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error)
	// AuthoriseRefund records who asked for charge id's refund and who
	// approved it, on its history and in the audit trail
	// (store.DB.AuthoriseRefund).
	AuthoriseRefund(ctx context.Context, at store.Actor, id int64, askedBy, approvedBy string) error
}

// Purposes of a PIN, as the audit trail records them.
const (
	purposeSignIn  = "sign in"
	purposeApprove = "approve refund"
)

// defaultIdleLock is Config.IdleLock's default.
const defaultIdleLock = 5 * time.Minute

// pinTimeout bounds one PIN check: the hash takes a quarter of a second,
// the failure's audit entry a write.
const pinTimeout = 10 * time.Second

// actor is who acts at this console: its terminal and the operator signed
// in ("" when none).
func (e *env) actor() store.Actor {
	a := store.Actor{Terminal: e.cfg.Terminal}
	if e.op != nil {
		a.Operator = e.op.Name
	}
	return a
}

// authorised reports whether whoever is at the console may refund, reveal
// and export on their own: anyone when the shop has no operators.
func (e *env) authorised() bool {
	return !e.cfg.Operators || e.op != nil && e.op.Role.Authorised()
}

// auditedMsg says an entry about chargeID (0: none) was appended.
type auditedMsg struct{ chargeID int64 }

// audit appends to the trail in the background, then says so (the detail
// reads the charge's entries again); a failure is logged (the action
// itself has happened or is refused already).
func (e *env) audit(action store.AuditAction, chargeID int64, detail map[string]string) tea.Cmd {
	a := e.cfg.Authority
	if a == nil {
		return nil
	}
	entry := store.NewAudit{Actor: e.actor(), Action: action, ChargeID: chargeID, Detail: detail}
	ctx, log := e.ctx, e.cfg.Logger
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, pinTimeout)
		defer cancel()
		if _, err := a.Audit(ctx, entry); err != nil {
			log.Error("audit", "action", string(action), "charge", chargeID, "err", err)
			return nil
		}
		return auditedMsg{chargeID}
	}
}

// pinCheckedMsg is CheckPIN's answer to prompt seq.
type pinCheckedMsg struct {
	seq int
	op  *store.Operator
	err error
}

// checkPIN asks the authority whether pin is name's.
func checkPIN(ctx context.Context, a Authority, at store.Actor, seq int, name, pin, purpose string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, pinTimeout)
		defer cancel()
		op, err := a.CheckPIN(ctx, at, name, pin, purpose)
		return pinCheckedMsg{seq: seq, op: op, err: err}
	}
}
