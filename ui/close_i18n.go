package ui

// The day's close's sentences (close.go, close_report.go), kept apart
// like the lookup's; init adds them to catalog.
const (
	kCloseTitle          msgKey = "close.title"
	kCloseDayLayout      msgKey = "close.daylayout"
	kCloseCount          msgKey = "close.count"
	kCloseAmount         msgKey = "close.amount"
	kCloseTotal          msgKey = "close.total"
	kCloseReceived       msgKey = "close.received"
	kCloseRefunds        msgKey = "close.refunds"
	kCloseRefundsPending msgKey = "close.refundspending"
	kCloseNet            msgKey = "close.net"
	kCloseMismatch       msgKey = "close.mismatch"
	kCloseLate           msgKey = "close.late"
	kCloseOpen           msgKey = "close.open"
	kCloseOperator       msgKey = "close.operator"
	kCloseNoOperator     msgKey = "close.nooperator"
	kCloseNone           msgKey = "close.none"
	kCloseReconcile      msgKey = "close.reconcile"
	kCloseAsked          msgKey = "close.asked"
	kCloseAskedOne       msgKey = kCloseAsked + pluralOne
	kCloseChanged        msgKey = "close.changed"
	kCloseChangedOne     msgKey = kCloseChanged + pluralOne
	kCloseUnchanged      msgKey = "close.unchanged"
	kCloseChange         msgKey = "close.change"
	kCloseFailed         msgKey = "close.failed"
	kCloseFailedNote     msgKey = "close.failednote"
	kCloseSealed         msgKey = "close.sealed"
	kCloseBroken         msgKey = "close.broken"
	kCloseChecking       msgKey = "close.checking"
	kClosePreview        msgKey = "close.preview"
	kCloseSealing        msgKey = "close.sealing"
	kCloseDone           msgKey = "close.done"
	kCloseAlready        msgKey = "close.already"
	kCloseLoadFailed     msgKey = "close.loadfailed"
	kCloseSealFailed     msgKey = "close.sealfailed"
	kCloseChart          msgKey = "close.chart"
	kCloseChartMax       msgKey = "close.chartmax"
	kCloseChartNone      msgKey = "close.chartnone"
	kHelpClose           msgKey = "help.close"
	kHelpSeal            msgKey = "help.seal"
	kHelpCloseBack       msgKey = "help.closeback"
	kHelpCloseRetry      msgKey = "help.closeretry"
)

var closeCatalog = map[string]map[msgKey]string{
	"pt-BR": {
		kCloseTitle:          "Fechamento do caixa %s — %s (%s)",
		kCloseDayLayout:      "02/01/2006",
		kCloseCount:          "qtd.",
		kCloseAmount:         "valor",
		kCloseTotal:          "Total do dia",
		kCloseReceived:       "Recebido",
		kCloseRefunds:        "Estornado",
		kCloseRefundsPending: "Estorno pedido, sem confirmação",
		kCloseNet:            "Líquido (recebido − estornado)",
		kCloseMismatch:       "Pago com outro valor",
		kCloseLate:           "Pago após o vencimento",
		kCloseOpen:           "Ainda em aberto",
		kCloseOperator:       "Operador %s",
		kCloseNoOperator:     "Sem operador",
		kCloseNone:           "Nenhuma cobrança neste dia.",
		kCloseReconcile:      "Conciliação",
		kCloseAsked:          "%d cobranças conferidas na ConnectPSP",
		kCloseAskedOne:       "%d cobrança conferida na ConnectPSP",
		kCloseChanged:        "%d mudaram",
		kCloseChangedOne:     "%d mudou",
		kCloseUnchanged:      "nada mudou",
		kCloseChange:         "%s  %s  %s → %s",
		kCloseFailed:         "%s  %s: não foi possível conferir (%s)",
		kCloseFailedNote:     "A ConnectPSP não respondeu por todas: o dia não pode ser fechado agora.",
		kCloseSealed:         "Dia fechado em %s · sha256 %s",
		kCloseBroken:         "ATENÇÃO: o relatório selado foi alterado depois do fechamento (o hash não confere).",
		kCloseChecking:       "Conferindo na ConnectPSP as cobranças do dia ainda em aberto…",
		kClosePreview:        "Confira e tecle s para fechar o dia. Depois de fechado, ele só é reimpresso.",
		kCloseSealing:        "Fechando o dia…",
		kCloseDone:           "Dia fechado. Este relatório foi selado e não muda mais.",
		kCloseAlready:        "Este dia já foi fechado; este é o relatório selado.",
		kCloseLoadFailed:     "Não foi possível preparar o fechamento: %s",
		kCloseSealFailed:     "Não foi possível fechar o dia: %s",
		kCloseChart:          "Pagamentos por hora",
		kCloseChartMax:       "máx. %d",
		kCloseChartNone:      "nenhum pagamento",
		kHelpClose:           "fechar o dia",
		kHelpSeal:            "fechar e selar",
		kHelpCloseBack:       "voltar",
		kHelpCloseRetry:      "conferir de novo",
	},
	"en": {
		kCloseTitle:          "Day's close, counter %s — %s (%s)",
		kCloseDayLayout:      "2006-01-02",
		kCloseCount:          "count",
		kCloseAmount:         "amount",
		kCloseTotal:          "Day's total",
		kCloseReceived:       "Received",
		kCloseRefunds:        "Refunded",
		kCloseRefundsPending: "Refund asked, not confirmed",
		kCloseNet:            "Net (received − refunded)",
		kCloseMismatch:       "Paid another amount",
		kCloseLate:           "Paid after expiry",
		kCloseOpen:           "Still open",
		kCloseOperator:       "Operator %s",
		kCloseNoOperator:     "No operator",
		kCloseNone:           "No charges this day.",
		kCloseReconcile:      "Reconciliation",
		kCloseAsked:          "%d charges checked with ConnectPSP",
		kCloseAskedOne:       "%d charge checked with ConnectPSP",
		kCloseChanged:        "%d changed",
		kCloseChangedOne:     "%d changed",
		kCloseUnchanged:      "nothing changed",
		kCloseChange:         "%s  %s  %s → %s",
		kCloseFailed:         "%s  %s: could not be checked (%s)",
		kCloseFailedNote:     "ConnectPSP did not answer for every charge: the day cannot be closed now.",
		kCloseSealed:         "Day closed at %s · sha256 %s",
		kCloseBroken:         "WARNING: the sealed report was changed after the close (its hash does not match).",
		kCloseChecking:       "Checking the day's open charges with ConnectPSP…",
		kClosePreview:        "Check it, then press s to close the day. Once closed it can only be reprinted.",
		kCloseSealing:        "Closing the day…",
		kCloseDone:           "Day closed. This report is sealed and will not change.",
		kCloseAlready:        "This day is closed already; this is the sealed report.",
		kCloseLoadFailed:     "Could not prepare the close: %s",
		kCloseSealFailed:     "Could not close the day: %s",
		kCloseChart:          "Payments per hour",
		kCloseChartMax:       "max %d",
		kCloseChartNone:      "no payments",
		kHelpClose:           "close the day",
		kHelpSeal:            "close and seal",
		kHelpCloseBack:       "back",
		kHelpCloseRetry:      "check again",
	},
}

func init() { extendCatalog(closeCatalog) }
