package ui

// The history's sentences: each timeline entry's facts (store.Facts) in
// words, kept apart like the lookup's; init adds them to catalog. The
// entry's kind ("entry.…"), outcome ("outcome.…") and status words are
// the lookup's.
const (
	kNoteCreated       msgKey = "note.created"
	kNoteRetryCashier  msgKey = "note.retrycashier"
	kNoteRetryAuto     msgKey = "note.retryauto"
	kNoteRejected      msgKey = "note.rejected"
	kNoteRejectedBare  msgKey = "note.rejectedbare"
	kNoteDuplicate     msgKey = "note.duplicate"
	kNoteRefund        msgKey = "note.refund"
	kNoteRefundAgain   msgKey = "note.refundagain"
	kNoteRefundNote    msgKey = "note.refundnote"
	kNoteRefundAsked   msgKey = "note.refundasked"
	kNoteEvent         msgKey = "note.event"
	kNoteEventBare     msgKey = "note.eventbare"
	kNoteBodyCut       msgKey = "note.bodycut"
	kNoteReplayed      msgKey = "note.replayed"
	kNoteReplayedOne   msgKey = kNoteReplayed + pluralOne
	kNotePolls         msgKey = "note.polls"
	kNoteMove          msgKey = "note.move"
	kNoteFirst         msgKey = "note.first"
	kNoteBackwards     msgKey = "note.backwards"
	kNoteAmount        msgKey = "note.amount"
	kNoteLate          msgKey = "note.late"
	kNoteFlagBackwards msgKey = "note.flagbackwards"
	kNoteOtherTx       msgKey = "note.othertx"
	kNoteOtherCode     msgKey = "note.othercode"
	kNoteNoID          msgKey = "note.noid"
)

var historyCatalog = map[string]map[msgKey]string{
	"pt-BR": {
		kNoteCreated:       "pedido %s, %s, chave de idempotência %s",
		kNoteRetryCashier:  "chave %s, reenviada pelo operador",
		kNoteRetryAuto:     "chave %s, reenviada em segundo plano (tentativa %d)",
		kNoteRejected:      "a ConnectPSP recusou: %s (%s)",
		kNoteRejectedBare:  "a ConnectPSP recusou: %s",
		kNoteDuplicate:     "o pedido %s já tem uma cobrança na ConnectPSP; nenhuma outra foi feita",
		kNoteRefund:        "chave %s, motivo: %s",
		kNoteRefundAgain:   "chave %s de novo, motivo: %s",
		kNoteRefundNote:    "observação: %s",
		kNoteRefundAsked:   "pedido agora: %s — a chave reenvia o primeiro pedido",
		kNoteEvent:         "evento %s, %s",
		kNoteEventBare:     "evento %s",
		kNoteBodyCut:       "corpo guardado até %d de %d bytes",
		kNoteReplayed:      "%d reenvios idênticos, o último às %s",
		kNoteReplayedOne:   "%d reenvio idêntico, às %s",
		kNotePolls:         "%d respostas iguais, a última às %s",
		kNoteMove:          "%s → %s",
		kNoteFirst:         "→ %s",
		kNoteBackwards:     "%s voltaria a cobrança de %s",
		kNoteAmount:        "a ConnectPSP diz %s, a cobrança é de %s",
		kNoteLate:          "pago às %s, depois do vencimento local (%s)",
		kNoteFlagBackwards: "%s visto depois de %s",
		kNoteOtherTx:       "a transação %s da ConnectPSP (pedido %s) não é a desta cobrança, %s; a própria é consultada",
		kNoteOtherCode:     "o código interno %s da ConnectPSP (transação %s) não é o desta cobrança, %s; a própria é consultada",
		kNoteNoID:          "sem id",
	},
	"en": {
		kNoteCreated:       "order %s, %s, idempotency key %s",
		kNoteRetryCashier:  "key %s, sent again by the cashier",
		kNoteRetryAuto:     "key %s, sent again in the background (retry %d)",
		kNoteRejected:      "ConnectPSP refused it: %s (%s)",
		kNoteRejectedBare:  "ConnectPSP refused it: %s",
		kNoteDuplicate:     "order %s already has a charge at ConnectPSP; no other was made",
		kNoteRefund:        "key %s, reason: %s",
		kNoteRefundAgain:   "key %s again, reason: %s",
		kNoteRefundNote:    "note: %s",
		kNoteRefundAsked:   "asked now: %s — the key sends its first request again",
		kNoteEvent:         "event %s, %s",
		kNoteEventBare:     "event %s",
		kNoteBodyCut:       "body kept up to %d of %d bytes",
		kNoteReplayed:      "%d identical replays, the last at %s",
		kNoteReplayedOne:   "%d identical replay, at %s",
		kNotePolls:         "%d identical answers, the last at %s",
		kNoteMove:          "%s → %s",
		kNoteFirst:         "→ %s",
		kNoteBackwards:     "%s would move the charge back from %s",
		kNoteAmount:        "ConnectPSP says %s, the charge is %s",
		kNoteLate:          "paid at %s, after the local expiry (%s)",
		kNoteFlagBackwards: "%s seen after %s",
		kNoteOtherTx:       "ConnectPSP's transaction %s (order %s) is not this charge's, %s; its own is polled",
		kNoteOtherCode:     "ConnectPSP's internal code %s (transaction %s) is not this charge's, %s; its own is polled",
		kNoteNoID:          "no id",
	},
}

func init() { extendCatalog(historyCatalog) }
