package ui

// The sentences of operators, the lock and authority (lock.go,
// pinprompt.go, the refund's approval), kept apart like the lookup's;
// init adds them to catalog.
const (
	kSignInTitle      msgKey = "op.signin"
	kApproveTitle     msgKey = "op.approve"
	kPINName          msgKey = "op.name"
	kPINLabel         msgKey = "op.pin"
	kPINNamePlace     msgKey = "op.nameplace"
	kPINChecking      msgKey = "op.checking"
	kPINWrong         msgKey = "op.wrong"
	kPINWait          msgKey = "op.wait"
	kPINFailed        msgKey = "op.failed"
	kHelpPINNext      msgKey = "help.pinnext"
	kHelpPINEnter     msgKey = "help.pinenter"
	kHelpPINCancel    msgKey = "help.pincancel"
	kNoOperators      msgKey = "bar.nooperators"
	kLockedBadge      msgKey = "bar.locked"
	kOperatorBadge    msgKey = "bar.operator"
	kRoleCaixa        msgKey = "role.caixa"
	kRoleSupervisor   msgKey = "role.supervisor"
	kRoleSuporte      msgKey = "role.suporte"
	kNeedAuthority    msgKey = "op.needauthority"
	kApproverNotAllow msgKey = "op.approvernot"
	kApproveHint      msgKey = "op.approvehint"
	kApprovedBy       msgKey = "op.approvedby"
	kAuditTitle       msgKey = "detail.audit"
	kAuditFailed      msgKey = "detail.auditfailed"
	kLabelOperator    msgKey = "label.operator"
	kHelpLock         msgKey = "help.lock"
	kNoteAuthorised   msgKey = "note.refundauthorised"
	kNoteRefundSelf   msgKey = "note.refundself"
)

var operatorsCatalog = map[string]map[msgKey]string{
	"pt-BR": {
		kSignInTitle:              "Quem está no caixa?",
		kApproveTitle:             "Estorno pedido por operador de caixa: PIN de um supervisor",
		kPINName:                  "Operador",
		kPINLabel:                 "PIN",
		kPINNamePlace:             "nome do operador",
		kPINChecking:              "conferindo o PIN…",
		kPINWrong:                 "Operador ou PIN errado.",
		kPINWait:                  "Muitas tentativas erradas: aguarde %d s.",
		kPINFailed:                "Não foi possível conferir o PIN: %s",
		kHelpPINNext:              "campo",
		kHelpPINEnter:             "entrar",
		kHelpPINCancel:            "limpar",
		kNoOperators:              "sem operadores",
		kLockedBadge:              "bloqueado",
		kOperatorBadge:            "operador %s (%s)",
		kRoleCaixa:                "caixa",
		kRoleSupervisor:           "supervisor",
		kRoleSuporte:              "suporte",
		kNeedAuthority:            "Só um supervisor ou o suporte pode fazer isso.",
		kApproverNotAllow:         "%s não pode aprovar estornos: peça a um supervisor ou ao suporte.",
		kApproveHint:              "O supervisor digita o próprio nome e PIN neste teclado; esc volta.",
		kApprovedBy:               "Aprovado por %s.",
		kAuditTitle:               "Auditoria",
		kAuditFailed:              "Não foi possível ler a auditoria: %s",
		kLabelOperator:            "Operador",
		kHelpLock:                 "bloquear",
		kNoteAuthorised:           "pedido por %s, aprovado por %s",
		kNoteRefundSelf:           "pedido e aprovado por %s",
		"entry.refund_authorised": "Estorno autorizado",
		"audit.operator_added":    "operador criado",
		"audit.operator_disabled": "operador desativado",
		"audit.operator_reset":    "PIN trocado",
		"audit.signed_in":         "entrou",
		"audit.pin_failed":        "PIN errado",
		"audit.locked":            "bloqueou",
		"audit.refund_asked":      "estorno pedido",
		"audit.refund_approved":   "estorno aprovado",
		"audit.refund_refused":    "estorno recusado",
		"audit.refund_sent":       "estorno enviado",
		"audit.reveal":            "revelar documento",
		"audit.export":            "exportação",
		"audit.closed":            "dia fechado",
	},
	"en": {
		kSignInTitle:              "Who is at the counter?",
		kApproveTitle:             "Refund asked by a cashier: a supervisor's PIN",
		kPINName:                  "Operator",
		kPINLabel:                 "PIN",
		kPINNamePlace:             "operator's name",
		kPINChecking:              "checking the PIN…",
		kPINWrong:                 "Wrong operator or PIN.",
		kPINWait:                  "Too many wrong tries: wait %d s.",
		kPINFailed:                "Could not check the PIN: %s",
		kHelpPINNext:              "field",
		kHelpPINEnter:             "sign in",
		kHelpPINCancel:            "clear",
		kNoOperators:              "no operators",
		kLockedBadge:              "locked",
		kOperatorBadge:            "operator %s (%s)",
		kRoleCaixa:                "cashier",
		kRoleSupervisor:           "supervisor",
		kRoleSuporte:              "support",
		kNeedAuthority:            "Only a supervisor or support can do that.",
		kApproverNotAllow:         "%s cannot approve refunds: ask a supervisor or support.",
		kApproveHint:              "The supervisor types their own name and PIN at this keyboard; esc goes back.",
		kApprovedBy:               "Approved by %s.",
		kAuditTitle:               "Audit",
		kAuditFailed:              "Could not read the audit trail: %s",
		kLabelOperator:            "Operator",
		kHelpLock:                 "lock",
		kNoteAuthorised:           "asked by %s, approved by %s",
		kNoteRefundSelf:           "asked and approved by %s",
		"entry.refund_authorised": "Refund authorised",
		"audit.operator_added":    "operator added",
		"audit.operator_disabled": "operator disabled",
		"audit.operator_reset":    "PIN changed",
		"audit.signed_in":         "signed in",
		"audit.pin_failed":        "wrong PIN",
		"audit.locked":            "locked",
		"audit.refund_asked":      "refund asked",
		"audit.refund_approved":   "refund approved",
		"audit.refund_refused":    "refund refused",
		"audit.refund_sent":       "refund sent",
		"audit.reveal":            "reveal document",
		"audit.export":            "export",
		"audit.closed":            "day closed",
	},
}

func init() { extendCatalog(operatorsCatalog) }
