package ui

import (
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// detailView is what the detail screen shows, from a recorded charge or
// from ConnectPSP's answer about one that is not recorded here.
type detailView struct {
	status                        psp.Status
	stage                         store.Stage
	flags                         store.Flag
	amount, paid                  psp.Amount
	payer                         psp.Payer
	ref, code, txid, e2e, origE2E string
	terminal                      string
	requested                     time.Time
	paidAt, refundedAt, expiredAt time.Time
}

func viewOfCharge(c *store.Charge) detailView {
	return detailView{
		status: c.Status, stage: c.Stage, flags: c.Flags,
		amount: c.Amount, paid: c.PaidAmount, payer: c.Payer,
		ref: c.ExternalReference, code: c.InternalCode, txid: c.TransactionID,
		e2e: c.EndToEndID, origE2E: c.OriginalEndToEndID, terminal: c.Terminal,
		requested: c.RequestedAt, paidAt: c.PaidAt, refundedAt: c.RefundedAt, expiredAt: c.ExpiredAt,
	}
}

func viewOfCashIn(ci *psp.CashIn) detailView {
	ci = shownCashIn(ci) // kept as sent, for Import
	return detailView{
		status: ci.Status, stage: store.StageCreated,
		amount: ci.Amount, payer: ci.Payer,
		ref: ci.ExternalReference, code: ci.InternalCode, txid: ci.TransactionID,
		e2e: ci.EndToEndID, origE2E: ci.OriginalEndToEndID,
		requested: ci.RequestedAt, paidAt: ci.PaidAt, refundedAt: ci.RefundedAt, expiredAt: ci.ExpiredAt,
	}
}
