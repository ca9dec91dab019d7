package ui

import "github.com/pixdesk/pixdesk/psp"

// The lookup's sentences, kept apart from i18n.go so that the counter's
// catalog stays readable; init adds them to catalog.
const (
	kSearchLabel       msgKey = "lookup.search"
	kSearchPlaceholder msgKey = "lookup.placeholder"
	kSearchHint        msgKey = "lookup.hint"
	kSearching         msgKey = "lookup.searching"
	kSearchFailed      msgKey = "lookup.failed"
	kNothing           msgKey = "lookup.nothing"
	kAskingRemote      msgKey = "lookup.askingremote"
	kNowhere           msgKey = "lookup.nowhere"
	kRemoteFailed      msgKey = "lookup.remotefailed"
	kNotHereRemote     msgKey = "lookup.notHere"
	kNotHereKeys       msgKey = "lookup.notHereKeys"
	kAll               msgKey = "lookup.all"
	kFilterStatus      msgKey = "lookup.fstatus"
	kFilterPeriod      msgKey = "lookup.fperiod"
	kFilterTerminal    msgKey = "lookup.fterminal"
	kPeriodAll         msgKey = "lookup.pall"
	kPeriodToday       msgKey = "lookup.ptoday"
	kPeriod7Days       msgKey = "lookup.p7"
	kCount             msgKey = "lookup.count"
	kCountOne          msgKey = kCount + pluralOne
	kCounting          msgKey = "lookup.counting"
	kPosition          msgKey = "lookup.pos"
	kPositionOf        msgKey = "lookup.posof"
	kLoadingMore       msgKey = "lookup.loadingmore"
	kPromptRange       msgKey = "lookup.prange"
	kPromptTerminal    msgKey = "lookup.pterminal"
	kPromptExport      msgKey = "lookup.pexport"
	kRangeBad          msgKey = "lookup.rangebad"
	kExportNoPath      msgKey = "lookup.exportnopath"
	kExportNothing     msgKey = "lookup.exportnothing"
	kExporting         msgKey = "lookup.exporting"
	kExported          msgKey = "lookup.exported"
	kExportedOne       msgKey = kExported + pluralOne
	kExportFailed      msgKey = "lookup.exportfailed"
	kAsCode            msgKey = "lookup.ascode"
	kAsTxID            msgKey = "lookup.astxid"
	kAsE2E             msgKey = "lookup.ase2e"
	kAsDocument        msgKey = "lookup.asdoc"
	kAsAmount          msgKey = "lookup.asamount"
	kAsText            msgKey = "lookup.astext"
	kAsBRCode          msgKey = "lookup.asbrcode"
	kBRStatic          msgKey = "lookup.brstatic"
	kBRDynamic         msgKey = "lookup.brdynamic"
	kBRRecurring       msgKey = "lookup.brrecurring"
	kBRWithRecurrence  msgKey = "lookup.brwithrecurrence"
	kBRBadCRC          msgKey = "lookup.brbadcrc"
	kBRBad             msgKey = "lookup.brbad"
	kAmountBad         msgKey = "lookup.amountbad"
	kColTime           msgKey = "col.time"
	kColCode           msgKey = "col.code"
	kColRef            msgKey = "col.ref"
	kColName           msgKey = "col.name"
	kColDoc            msgKey = "col.doc"
	kColAmount         msgKey = "col.amount"
	kColStatus         msgKey = "col.status"
	kColTerminal       msgKey = "col.terminal"
	kStAwaiting        msgKey = "st.awaiting"
	kStPending         msgKey = "st.pending"
	kStRejected        msgKey = "st.rejected"

	kDetailTitle      msgKey = "detail.title"
	kRemoteTitle      msgKey = "detail.remote"
	kRemoteImportHint msgKey = "detail.importhint"
	kLabelAmount      msgKey = "label.amount"
	kLabelTxID        msgKey = "label.txid"
	kLabelOrigE2E     msgKey = "label.orige2e"
	kLabelTerminal    msgKey = "label.terminal"
	kLabelCreated     msgKey = "label.created"
	kLabelExpires     msgKey = "label.expires"
	kLabelRefundedAt  msgKey = "label.refundedat"
	kLabelRefund      msgKey = "label.refund"
	kLabelRefundID    msgKey = "label.refundid"
	kLabelRejected    msgKey = "label.rejected"
	kBankLine         msgKey = "detail.bank"
	kPaidOther        msgKey = "detail.paidother"
	kRevealHint       msgKey = "detail.reveal"
	kLeft             msgKey = "detail.left"
	kRefundIntent     msgKey = "detail.refundintent"
	kTimeline         msgKey = "detail.timeline"
	kTimelineFailed   msgKey = "detail.timelinefailed"
	kFlagMismatch     msgKey = "flag.mismatch"
	kFlagLate         msgKey = "flag.late"
	kFlagForged       msgKey = "flag.forged"
	kFlagBackwards    msgKey = "flag.backwards"
	kFlagTxid         msgKey = "flag.txid"
	kSigGenuine       msgKey = "sig.genuine"
	kSigForged        msgKey = "sig.forged"
	kSigMalformed     msgKey = "sig.malformed"
	kAsking           msgKey = "detail.asking"
	kRefreshed        msgKey = "detail.refreshed"
	kImporting        msgKey = "detail.importing"
	kImported         msgKey = "detail.imported"
	kImportFailed     msgKey = "detail.importfailed"

	kRefundTitle       msgKey = "refund.title"
	kRefundReason      msgKey = "refund.reason"
	kRefundAgain       msgKey = "refund.again"
	kRefundNote        msgKey = "refund.note"
	kRefundNotePlace   msgKey = "refund.noteplace"
	kRefundNoteHint    msgKey = "refund.notehint"
	kRefundWarn        msgKey = "refund.warn"
	kRefundConfirm     msgKey = "refund.confirm"
	kRefundSending     msgKey = "refund.sending"
	kRefundOK          msgKey = "refund.ok"
	kRefundAccepted    msgKey = "refund.accepted"
	kRefundRetry       msgKey = "refund.retry"
	kRefundTemp        msgKey = "refund.temp"
	kRefundNotPaidHere msgKey = "refund.notpaidhere"
	kRefundRefused     msgKey = "refund.refused"
	kRefundFailed      msgKey = "refund.failed"

	kHelpLookup   msgKey = "help.lookup"
	kHelpUp       msgKey = "help.up"
	kHelpDown     msgKey = "help.down"
	kHelpPgUp     msgKey = "help.pgup"
	kHelpPgDown   msgKey = "help.pgdown"
	kHelpDetail   msgKey = "help.detail"
	kHelpStatus   msgKey = "help.status"
	kHelpPeriod   msgKey = "help.period"
	kHelpTerminal msgKey = "help.terminal"
	kHelpExport   msgKey = "help.export"
	kHelpClear    msgKey = "help.clear"
	kHelpAccept   msgKey = "help.accept"
	kHelpCancel   msgKey = "help.cancel"
	kHelpBack     msgKey = "help.back"
	kHelpReopen   msgKey = "help.reopen"
	kHelpRefund   msgKey = "help.refund"
	kHelpReveal   msgKey = "help.reveal"
	kHelpImport   msgKey = "help.import"
	kHelpScroll   msgKey = "help.scroll"
	kHelpChoose   msgKey = "help.choose"
	kHelpConfirm  msgKey = "help.confirm"
	kHelpRetry    msgKey = "help.retry"
	kHelpSend     msgKey = "help.send"
)

var lookupCatalog = map[string]map[msgKey]string{
	"en": lookupEnglish,
	"pt-BR": {
		kSearchLabel:       "Buscar",
		kSearchPlaceholder: "o que o cliente tiver",
		kSearchHint:        "Código, pedido, CPF/CNPJ, nome, valor (12,50), ID ou o PIX copia e cola.",
		kSearching:         "Buscando…",
		kSearchFailed:      "A busca falhou: %s",
		kNothing:           "Nenhuma transação encontrada.",
		kAskingRemote:      "Nada registrado aqui. Consultando a ConnectPSP…",
		kNowhere:           "Nenhuma transação com este identificador, nem aqui nem na ConnectPSP.",
		kRemoteFailed:      "Nada registrado aqui, e a ConnectPSP não respondeu: %s",
		kNotHereRemote:     "Não registrada aqui — a ConnectPSP conhece esta transação:",
		kNotHereKeys:       "enter: ver na ConnectPSP · i (no detalhe): registrar no diário",
		kAll:               "todos",
		kFilterStatus:      "Status",
		kFilterPeriod:      "Período",
		kFilterTerminal:    "Terminal",
		kPeriodAll:         "tudo",
		kPeriodToday:       "hoje",
		kPeriod7Days:       "7 dias",
		kCount:             "%s transações",
		kCountOne:          "%s transação",
		kCounting:          "contando…",
		kPosition:          "linha %s",
		kPositionOf:        "linha %s de %s",
		kLoadingMore:       "carregando…",
		kPromptRange:       "Período (dd/mm/aaaa–dd/mm/aaaa):",
		kPromptTerminal:    "Terminal (vazio: todos):",
		kPromptExport:      "Exportar CSV para:",
		kRangeBad:          "use dd/mm/aaaa–dd/mm/aaaa",
		kExportNoPath:      "informe o arquivo",
		kExportNothing:     "nada a exportar",
		kExporting:         "Exportando…",
		kExported:          "%s transações exportadas para %s (documentos mascarados).",
		kExportedOne:       "%s transação exportada para %s (documento mascarado).",
		kExportFailed:      "A exportação falhou: %s",
		kAsCode:            "busca: código interno %s",
		kAsTxID:            "busca: transactionId",
		kAsE2E:             "busca: ID fim a fim",
		kAsDocument:        "busca: CPF/CNPJ %s",
		kAsAmount:          "busca: valor %s",
		kAsText:            "busca: pedido ou nome “%s”",
		kAsBRCode:          "copia e cola com CRC %s correto · %s · %s",
		kBRStatic:          "estático",
		kBRDynamic:         "dinâmico",
		kBRRecurring:       "Pix Automático (autorização de recorrência)",
		kBRWithRecurrence:  "%s + Pix Automático",
		kBRBadCRC:          "Copia e cola com CRC inválido: o código foi alterado ou cortado — peça o código de novo.",
		kBRBad:             "Não é um copia e cola PIX válido: %s",
		kAmountBad:         "Valor inválido: escreva como 12,50 ou R$ 1.234,56.",
		kColTime:           "Hora",
		kColCode:           "Código",
		kColRef:            "Pedido",
		kColName:           "Pagador",
		kColDoc:            "Documento",
		kColAmount:         "Valor R$",
		kColStatus:         "Status",
		kColTerminal:       "Terminal",
		kStAwaiting:        "AGUARDANDO",
		kStPending:         "ENVIANDO",
		kStRejected:        "RECUSADA",

		kDetailTitle:      "Transação %d",
		kRemoteTitle:      "NÃO REGISTRADA AQUI — resposta da ConnectPSP",
		kRemoteImportHint: "Esta transação não está no diário deste pixdesk. Tecle i para registrá-la.",
		kLabelAmount:      "Valor",
		kLabelTxID:        "Transação",
		kLabelOrigE2E:     "ID original",
		kLabelTerminal:    "Terminal",
		kLabelCreated:     "Criada em",
		kLabelExpires:     "Expira em",
		kLabelRefundedAt:  "Estornada em",
		kLabelRefund:      "Estorno",
		kLabelRefundID:    "ID do estorno",
		kLabelRejected:    "Recusada",
		kBankLine:         "%s · ISPB %s · agência %s · conta %s",
		kPaidOther:        "pago %s",
		kRevealHint:       "v: mostrar",
		kLeft:             "restam %s",
		kRefundIntent:     "pedido (%s), chave %s",
		kTimeline:         "Histórico (%d)",
		kTimelineFailed:   "Não foi possível ler o histórico: %s",
		kFlagMismatch:     "VALOR PAGO DIFERENTE: cobrado %s, pago %s",
		kFlagLate:         "PAGO APÓS O VENCIMENTO",
		kFlagForged:       "ENTREGA FORJADA: um webhook com assinatura inválida citou esta transação",
		kFlagBackwards:    "STATUS PARA TRÁS: uma observação tentou voltar o status (ignorada)",
		kFlagTxid:         "OUTRA TRANSAÇÃO: um evento assinado citou esta cobrança com outro transactionId (não aplicado)",
		kSigGenuine:       "assinatura válida",
		kSigForged:        "assinatura INVÁLIDA",
		kSigMalformed:     "JSON inválido",
		kAsking:           "Consultando a ConnectPSP…",
		kRefreshed:        "ConnectPSP consultada: %s",
		kImporting:        "Registrando no diário…",
		kImported:         "Transação registrada no diário.",
		kImportFailed:     "Não foi possível registrar: %s",

		kRefundTitle:       "Estornar %s a %s",
		kRefundReason:      "Motivo",
		kRefundAgain:       "Um estorno já foi pedido (chave %s). Ele será reenviado com a mesma chave e o mesmo motivo: a ConnectPSP estorna uma vez só.",
		kRefundNote:        "Observação",
		kRefundNotePlace:   "opcional, só para auditoria",
		kRefundNoteHint:    "A observação não é mostrada ao pagador.",
		kRefundWarn:        "O valor inteiro volta ao pagador. Um estorno não pode ser desfeito.",
		kRefundConfirm:     "Enter: confirmar o estorno · Esc: voltar",
		kRefundSending:     "Enviando o estorno à ConnectPSP…",
		kRefundOK:          "Estorno aceito: %s devolvidos a %s.",
		kRefundAccepted:    "A ConnectPSP aceitou o pedido; status agora: %s.",
		kRefundRetry:       "Nada foi duplicado. Tecle r para tentar de novo: o pedido usa a mesma chave de idempotência e a ConnectPSP estorna uma vez só.",
		kRefundTemp:        "A ConnectPSP não respondeu ao estorno: %s",
		kRefundNotPaidHere: "Pelo diário esta transação não está paga. Consulte a ConnectPSP (r) antes de estornar.",
		kRefundRefused:     "A ConnectPSP recusou o estorno: %s",
		kRefundFailed:      "O estorno falhou: %s",

		"refund.err." + psp.CodeCashInNotPaid:         "A ConnectPSP diz que esta cobrança não foi paga: não há o que estornar.",
		"refund.err." + psp.CodeCashInAlreadyRefunded: "Esta cobrança já foi estornada. Tecle r para atualizar o status.",
		"refund.err." + psp.CodeCashInExpired:         "Esta cobrança expirou sem pagamento: não há o que estornar.",
		"refund.err." + psp.CodeCashInCancelled:       "Esta cobrança foi cancelada: não há o que estornar.",
		"refund.err." + psp.CodeMissingEndToEndID:     "O pagamento ainda não tem ID fim a fim na ConnectPSP. Tente de novo em alguns minutos.",
		"refund.err." + psp.CodeInvalidSignature:      "A ConnectPSP recusou a assinatura do pedido (DigitalSignature): confira o CryptoToken configurado. Nada foi estornado.",

		"reason.CUSTOMER_REQUEST":   "Pedido do cliente",
		"reason.DUPLICATED_PAYMENT": "Pagamento em duplicidade",
		"reason.MERCHANT_ERROR":     "Erro do estabelecimento",
		"reason.FRAUD":              "Fraude",

		"entry.created":         "Registrada",
		"entry.create_retried":  "Reenviada (mesma chave)",
		"entry.create_answer":   "Resposta da ConnectPSP",
		"entry.create_rejected": "Recusada",
		"entry.webhook":         "Webhook",
		"entry.poll":            "Consulta",
		"entry.status":          "Status",
		"entry.refund_request":  "Pedido de estorno",
		"entry.refund_answer":   "Resposta do estorno",
		"entry.flag":            "Alerta",
		"entry.imported":        "Importada da ConnectPSP",

		"outcome.applied":   "aplicado",
		"outcome.duplicate": "repetido",
		"outcome.backwards": "para trás (ignorado)",
		"outcome.unknown":   "desconhecido",
		"outcome.updated":   "atualizado",
		"outcome.forged":    "forjado",
		"outcome.malformed": "malformado",
		"outcome.ignored":   "ignorado",
		"outcome.mismatch":  "outra transação (ignorado)",

		kHelpLookup:   "consultar",
		kHelpUp:       "acima",
		kHelpDown:     "abaixo",
		kHelpPgUp:     "página acima",
		kHelpPgDown:   "página abaixo",
		kHelpDetail:   "detalhe",
		kHelpStatus:   "status",
		kHelpPeriod:   "período",
		kHelpTerminal: "terminal",
		kHelpExport:   "exportar CSV",
		kHelpClear:    "limpar/voltar",
		kHelpAccept:   "aplicar",
		kHelpCancel:   "cancelar",
		kHelpBack:     "voltar",
		kHelpReopen:   "reabrir QR",
		kHelpRefund:   "estornar",
		kHelpReveal:   "documento",
		kHelpImport:   "registrar",
		kHelpScroll:   "rolar",
		kHelpChoose:   "escolher",
		kHelpConfirm:  "continuar",
		kHelpRetry:    "tentar de novo",
		kHelpSend:     "estornar",
	},
}

func init() { extendCatalog(lookupCatalog) }

// extendCatalog adds a part's sentences (the lookup's, the display's) to
// catalog.
func extendCatalog(part map[string]map[msgKey]string) {
	for lang, m := range part {
		if catalog[lang] == nil {
			catalog[lang] = map[msgKey]string{}
		}
		for k, v := range m {
			catalog[lang][k] = v
		}
	}
}

// has reports whether the catalog words k (in l or in pt-BR).
func (l lang) has(k msgKey) bool {
	_, ok := catalog[string(l)][k]
	if !ok {
		_, ok = catalog["pt-BR"][k]
	}
	return ok
}

// or returns sentence k, or def when the catalog lacks it.
func (l lang) or(k msgKey, def string) string {
	if !l.has(k) {
		return def
	}
	return l.s(k)
}
