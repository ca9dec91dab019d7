package ui

import (
	"errors"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// ConnectPSP already having an order reference, in the reader's language:
// the counter's own reference moved on by itself (store.Charge's
// ReplacedReference, the engine's reference.go), or a typed one refused.
// Either way the cashier reads the catalogue's sentence, never ConnectPSP's
// English detail, which the journal keeps as evidence.

const (
	kRefMoved     msgKey = "ref.moved"
	kRefTaken     msgKey = "ref.taken"
	kNoteRefMoved msgKey = "note.refmoved"
)

var referenceCatalog = map[string]map[msgKey]string{
	"pt-BR": {
		kRefMoved:     "O pedido %s já existia na ConnectPSP; usamos %s",
		kRefTaken:     "o pedido %s já tem uma cobrança na ConnectPSP; nenhuma outra foi feita — use outro número de pedido",
		kNoteRefMoved: "o pedido %s já existia na ConnectPSP; usamos %s, chave de idempotência %s",
		"entry." + msgKey(store.EntryReferenceReplaced): "Pedido trocado",
	},
	"en": {
		kRefMoved:     "Order %s already existed at ConnectPSP; we used %s",
		kRefTaken:     "order %s already has a charge at ConnectPSP; no other was made — use another order number",
		kNoteRefMoved: "order %s already existed at ConnectPSP; we used %s, idempotency key %s",
		"entry." + msgKey(store.EntryReferenceReplaced): "Order changed",
	},
}

func init() { extendCatalog(referenceCatalog) }

// ReferenceNote says, in the language lang names, that charge c took
// another order reference because ConnectPSP had its first ("O pedido
// C01-000001 já existia na ConnectPSP; usamos C01-000006"); "" when it
// did not.
func ReferenceNote(lang string, c *store.Charge) string {
	if c == nil || c.ReplacedReference == "" {
		return ""
	}
	return langOf(lang).s(kRefMoved, c.ReplacedReference, c.ExternalReference)
}

// RefusalText is why ConnectPSP refused charge c's create, in the language
// lang names (rejection: c and err as there).
func RefusalText(lang string, c *store.Charge, err error) string {
	return langOf(lang).rejection(c, err)
}

// rejection words why ConnectPSP refused a create: a reference it already
// had in the catalogue's words, anything else in ConnectPSP's (err's
// detail or code when the answer is at hand, else the charge's stored
// reason).
func (l lang) rejection(c *store.Charge, err error) string {
	if errors.Is(err, psp.ErrDuplicateReference) || c != nil && c.RejectCode == psp.CodeDuplicateReference {
		ref := ""
		if c != nil {
			ref = c.ExternalReference
		}
		return l.s(kRefTaken, ref)
	}
	return refusalWords(c, err)
}

// noteMoved tells the cashier, on the screen of charge c just created, that
// it took another order reference, when it did.
func (m *Model) noteMoved(c *store.Charge) {
	if note := ReferenceNote(string(m.env.lang), c); note != "" {
		m.flashAbout(c.ID, note, false)
	}
}
