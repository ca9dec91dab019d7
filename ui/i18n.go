package ui

import (
	"strings"

	"github.com/pixdesk/pixdesk/internal/safetext"
)

// msgKey names one sentence of the catalog.
type msgKey string

// The console's sentences. Brazilian Portuguese is the default language;
// English is chosen with Config.Lang "en".
const (
	kTitleNew        msgKey = "title.new"
	kFieldAmount     msgKey = "field.amount"
	kFieldName       msgKey = "field.name"
	kFieldDocument   msgKey = "field.document"
	kFieldReference  msgKey = "field.reference"
	kFieldExpiry     msgKey = "field.expiry"
	kPlaceName       msgKey = "place.name"
	kPlaceDocument   msgKey = "place.document"
	kPlaceReference  msgKey = "place.reference"
	kMinutes         msgKey = "minutes"
	kHintDigits      msgKey = "hint.digits"
	kMaxPerCharge    msgKey = "hint.max"
	kErrAmountZero   msgKey = "err.amount.zero"
	kErrAmountMax    msgKey = "err.amount.max"
	kErrNameEmpty    msgKey = "err.name.empty"
	kErrNameLong     msgKey = "err.name.long"
	kErrNameLetters  msgKey = "err.name.letters"
	kErrInvisible    msgKey = "err.invisible"
	kErrAmountRange  msgKey = "err.amount.range"
	kErrDocEmpty     msgKey = "err.doc.empty"
	kErrDocLength    msgKey = "err.doc.length"
	kErrDocChars     msgKey = "err.doc.chars"
	kErrDocDigits    msgKey = "err.doc.digits"
	kErrRefChars     msgKey = "err.ref.chars"
	kErrRefLong      msgKey = "err.ref.long"
	kErrRefExists    msgKey = "err.ref.exists"
	kErrRefOther     msgKey = "err.ref.other"
	kErrExpiry       msgKey = "err.expiry"
	kDocOK           msgKey = "doc.ok"
	kFormRejected    msgKey = "form.rejected"
	kFormFailed      msgKey = "form.failed"
	kFormBackground  msgKey = "form.background"
	kCreatingTitle   msgKey = "creating.title"
	kStageStart      msgKey = "stage.start"
	kStageAuth       msgKey = "stage.auth"
	kStageSend       msgKey = "stage.send"
	kStageRetry      msgKey = "stage.retry"
	kStageDone       msgKey = "stage.done"
	kSameKey         msgKey = "creating.samekey"
	kCreatingTemp    msgKey = "creating.temp"
	kCreatingAuto    msgKey = "creating.auto"
	kCreatingResumed msgKey = "creating.resumed"
	kCreatingEsc     msgKey = "creating.esc"
	kCreatingResend  msgKey = "creating.resend"
	kLabelPayer      msgKey = "label.payer"
	kLabelDocument   msgKey = "label.document"
	kLabelReference  msgKey = "label.reference"
	kLabelCode       msgKey = "label.code"
	kLabelExpiresIn  msgKey = "label.expiresin"
	kLabelCopyPaste  msgKey = "label.copypaste"
	kLabelBank       msgKey = "label.bank"
	kLabelE2E        msgKey = "label.e2e"
	kLabelPaidAt     msgKey = "label.paidat"
	kLabelExpiredAt  msgKey = "label.expiredat"
	kAwaiting        msgKey = "charge.awaiting"
	kConfirming      msgKey = "charge.confirming"
	kScanMe          msgKey = "charge.scan"
	kAnyKey          msgKey = "charge.anykey"
	kCopied          msgKey = "flash.copied"
	kCopyFailed      msgKey = "flash.copyfailed"
	kRefreshFailed   msgKey = "flash.refreshfailed"
	kSimulateFailed  msgKey = "flash.simfailed"
	kSimulated       msgKey = "flash.simulated"
	kLoadFailed      msgKey = "flash.loadfailed"
	kBgPaid          msgKey = "flash.bgpaid"
	kBgFinal         msgKey = "flash.bgfinal"
	kBgCreated       msgKey = "flash.bgcreated"
	kBgRejected      msgKey = "flash.bgrejected"
	kBannerPaid      msgKey = "banner.paid"
	kBannerExpired   msgKey = "banner.expired"
	kBannerCancelled msgKey = "banner.cancelled"
	kBannerRefunded  msgKey = "banner.refunded"
	kWarnMismatch    msgKey = "warn.mismatch"
	kWarnLate        msgKey = "warn.late"
	kWarnCheck       msgKey = "warn.check"
	kNextStep        msgKey = "result.next"
	kNextStepRetry   msgKey = "result.nextretry"
	kTooSmall        msgKey = "toosmall"
	kEnvSandbox      msgKey = "env.sandbox"
	kEnvStaging      msgKey = "env.staging"
	kEnvProduction   msgKey = "env.production"
	kPSPUp           msgKey = "bar.pspup"
	kPSPDown         msgKey = "bar.pspdown"
	kEngineStopped   msgKey = "bar.enginestopped"
	kTokenOK         msgKey = "bar.tokenok"
	kTokenNone       msgKey = "bar.tokennone"
	kPolling         msgKey = "bar.polling"
	kCreatingBg      msgKey = "bar.creating"
	kWebhook         msgKey = "bar.webhook"
	kWebhookNone     msgKey = "bar.webhooknone"
	kWebhookVia      msgKey = "bar.webhookvia"
	kWebhookOff      msgKey = "bar.webhookoff"
	kStore           msgKey = "bar.store"
	kRefusedHour     msgKey = "bar.refused"
	kRefusedHourOne  msgKey = kRefusedHour + pluralOne
	kUnknownStatus   msgKey = "status.unknown"
	kHelpNext        msgKey = "help.next"
	kHelpPrev        msgKey = "help.prev"
	kHelpEnter       msgKey = "help.enter"
	kHelpQuit        msgKey = "help.quit"
	kHelpEsc         msgKey = "help.esc"
	kHelpCopy        msgKey = "help.copy"
	kHelpRefresh     msgKey = "help.refresh"
	kHelpNew         msgKey = "help.new"
	kHelpFull        msgKey = "help.full"
	kHelpSimulate    msgKey = "help.simulate"
	kHelpHelp        msgKey = "help.help"
	kHelpRecreate    msgKey = "help.recreate"
	kHelpResend      msgKey = "help.resend"
	kHelpOpen        msgKey = "help.open"
	kHelpSameOpen    msgKey = "help.sameopen"
	kHelpSameCreate  msgKey = "help.samecreate"
	kHelpSameBack    msgKey = "help.sameback"
	kCopiedOSC52     msgKey = "flash.copiedosc52"
	kStripLabel      msgKey = "strip.label"
	kStripMore       msgKey = "strip.more"
	kStripCreating   msgKey = "strip.creating"
	kSameChecking    msgKey = "same.checking"
	kSameTitle       msgKey = "same.title"
	kSameWhat        msgKey = "same.what"
	kSameLeft        msgKey = "same.left"
	kSameCreating    msgKey = "same.creating"
	kLookupOpening   msgKey = "lookup.opening"
	kPeriodUnset     msgKey = "lookup.punset"
)

// catalog holds the sentences of each language. Both word every key
// (TestCatalogues), even where the words are the same; pt-BR is the
// fallback all the same.
var catalog = map[string]map[msgKey]string{
	"pt-BR": {
		kTitleNew:        "Nova cobrança PIX",
		kFieldAmount:     "Valor",
		kFieldName:       "Pagador",
		kFieldDocument:   "CPF/CNPJ",
		kFieldReference:  "Pedido",
		kFieldExpiry:     "Validade",
		kPlaceName:       "nome completo",
		kPlaceDocument:   "000.000.000-00",
		kPlaceReference:  "gerado automaticamente",
		kMinutes:         "min",
		kHintDigits:      "digite só números",
		kMaxPerCharge:    "máximo %s",
		kErrAmountZero:   "informe o valor",
		kErrAmountMax:    "acima do máximo por cobrança (%s)",
		kErrNameEmpty:    "informe o nome do pagador",
		kErrNameLong:     "no máximo %d caracteres",
		kErrNameLetters:  "o nome precisa ter letras",
		kErrInvisible:    "caracteres invisíveis ou de controle não são aceitos",
		kErrAmountRange:  "entre %s e %s",
		kErrDocEmpty:     "informe o CPF ou CNPJ",
		kErrDocLength:    "CPF tem 11 e CNPJ 14 caracteres",
		kErrDocChars:     "caractere inválido",
		kErrDocDigits:    "dígito verificador não confere",
		kErrRefChars:     "use só letras sem acento, números, - e _",
		kErrRefLong:      "no máximo %d caracteres",
		kErrRefExists:    "o pedido já tem a cobrança %d; nenhuma outra foi feita",
		kErrRefOther:     "o pedido já tem a cobrança %d, de outro valor ou pagador",
		kErrExpiry:       "entre %d e %d minutos",
		kDocOK:           "%s válido",
		kFormRejected:    "A ConnectPSP recusou a cobrança: %s",
		kFormFailed:      "A cobrança não foi criada: %s",
		kFormBackground:  "A cobrança anterior continua sendo criada em segundo plano — não crie outra.",
		kCreatingTitle:   "Criando cobrança de %s para %s",
		kStageStart:      "Registrando a cobrança…",
		kStageAuth:       "Autenticando na ConnectPSP…",
		kStageSend:       "Enviando à ConnectPSP (tentativa %d)…",
		kStageRetry:      "Erro de rede: nova tentativa %d em %s…",
		kStageDone:       "Resposta recebida.",
		kSameKey:         "Reenviada com a mesma chave de idempotência: a ConnectPSP não cria uma segunda cobrança.",
		kCreatingTemp:    "A ConnectPSP não respondeu: %s",
		kCreatingAuto:    "A cobrança será reenviada automaticamente com a mesma chave; o QR aparece aqui assim que ela for criada.",
		kCreatingResumed: "Esta cobrança ainda não foi confirmada pela ConnectPSP e está sendo reenviada.",
		kCreatingEsc:     "Esc: parar de esperar — a cobrança continua sendo criada em segundo plano; não crie outra.",
		kCreatingResend:  "Reenviando agora…",
		kLabelPayer:      "Pagador",
		kLabelDocument:   "Documento",
		kLabelReference:  "Pedido",
		kLabelCode:       "Código",
		kLabelExpiresIn:  "Expira em",
		kLabelCopyPaste:  "PIX copia e cola",
		kLabelBank:       "Banco",
		kLabelE2E:        "ID fim a fim",
		kLabelPaidAt:     "Pago em",
		kLabelExpiredAt:  "Expirou em",
		kAwaiting:        "Aguardando pagamento",
		kConfirming:      "confirmando com a ConnectPSP…",
		kScanMe:          "Escaneie para pagar %s",
		kAnyKey:          "qualquer tecla volta",
		kCopied:          "Código copia e cola copiado para a área de transferência.",
		kCopiedOSC52:     "Código enviado ao terminal (OSC 52) — confira se colou.",
		kCopyFailed:      "Não foi possível copiar: %s",
		kRefreshFailed:   "Não foi possível consultar a ConnectPSP: %s",
		kSimulateFailed:  "Simulação falhou: %s",
		kSimulated:       "Pagamento simulado enviado.",
		kLoadFailed:      "Não foi possível ler a cobrança %d: %s",
		kBgPaid:          "PAGO: %s de %s (pedido %s)",
		kBgFinal:         "Cobrança do pedido %s: %s",
		kBgCreated:       "Cobrança do pedido %s criada em segundo plano — ctrl+o para exibir.",
		kBgRejected:      "Cobrança do pedido %s recusada: %s",
		kBannerPaid:      "PAGO",
		kBannerExpired:   "EXPIRADA",
		kBannerCancelled: "CANCELADA",
		kBannerRefunded:  "ESTORNADA",
		kWarnMismatch:    "ATENÇÃO: VALOR PAGO DIFERENTE — cobrado %s, pago %s",
		kWarnLate:        "ATENÇÃO: PAGO APÓS O VENCIMENTO — venceu %s, pago %s",
		kWarnCheck:       "Confira com o gerente antes de entregar a mercadoria.",
		kNextStep:        "Enter: próxima cobrança",
		kNextStepRetry:   "Enter: nova cobrança · r: refazer com os mesmos dados",
		kTooSmall:        "Janela muito pequena (%d×%d). Amplie para pelo menos %d×%d.",
		kEnvSandbox:      "SANDBOX",
		kEnvStaging:      "HOMOLOGAÇÃO",
		kEnvProduction:   "PRODUÇÃO",
		kPSPUp:           "ConnectPSP ok",
		kPSPDown:         "ConnectPSP inacessível",
		kEngineStopped:   "parado: nada é consultado nem reenviado — reinicie o pixdesk",
		kTokenOK:         "token ok",
		kTokenNone:       "sem token",
		kPolling:         "consultando %d",
		kCreatingBg:      "reenviando %d",
		kWebhook:         "webhook %s · último %s",
		kWebhookNone:     "webhook %s · nenhum evento",
		kWebhookVia:      "webhook via %s",
		kWebhookOff:      "webhook desligado",
		kStore:           "banco %s",
		kRefusedHour:     "%d entregas recusadas na última hora",
		kRefusedHourOne:  "%d entrega recusada na última hora",
		kUnknownStatus:   "status desconhecido: %s",
		kHelpNext:        "próximo",
		kHelpPrev:        "anterior",
		kHelpEnter:       "avançar/criar",
		kHelpQuit:        "sair",
		kHelpEsc:         "parar de esperar",
		kHelpCopy:        "copiar código",
		kHelpRefresh:     "consultar agora",
		kHelpNew:         "nova cobrança",
		kHelpFull:        "QR em tela cheia",
		kHelpSimulate:    "simular pagamento",
		kHelpHelp:        "ajuda",
		kHelpRecreate:    "refazer",
		kHelpResend:      "reenviar agora",
		kHelpOpen:        "abertas",
		kHelpSameOpen:    "abrir a existente",
		kHelpSameCreate:  "criar outra",
		kHelpSameBack:    "voltar ao formulário",
		kStripLabel:      "Em aberto (%s):",
		kStripMore:       "+%d",
		kStripCreating:   "criando…",
		kSameChecking:    "Conferindo se já existe uma cobrança igual…",
		kSameTitle:       "Já existe uma cobrança igual aguardando pagamento: abrir / criar outra",
		kSameWhat:        "%s para %s (%s), pedido %s, criada às %s, %s.",
		kSameLeft:        "expira em %s",
		kSameCreating:    "ainda sendo criada",
		kLookupOpening:   "Buscando o texto digitado para abrir o primeiro resultado…",
		kPeriodUnset:     "personalizado (informe as datas)",
	},
	"en": {
		kTitleNew:        "New PIX charge",
		kFieldAmount:     "Amount",
		kFieldName:       "Payer",
		kFieldDocument:   "CPF/CNPJ",
		kFieldReference:  "Order",
		kFieldExpiry:     "Expires in",
		kPlaceName:       "full name",
		kPlaceDocument:   "000.000.000-00",
		kPlaceReference:  "generated",
		kMinutes:         "min",
		kHintDigits:      "digits only",
		kMaxPerCharge:    "max %s",
		kErrAmountZero:   "enter the amount",
		kErrAmountMax:    "over the maximum per charge (%s)",
		kErrNameEmpty:    "enter the payer's name",
		kErrNameLong:     "at most %d characters",
		kErrNameLetters:  "a name needs letters",
		kErrInvisible:    "invisible or control characters are not accepted",
		kErrAmountRange:  "between %s and %s",
		kErrDocEmpty:     "enter the CPF or CNPJ",
		kErrDocLength:    "a CPF has 11 and a CNPJ 14 characters",
		kErrDocChars:     "invalid character",
		kErrDocDigits:    "check digits do not match",
		kErrRefChars:     "unaccented letters, digits, - and _ only",
		kErrRefLong:      "at most %d characters",
		kErrRefExists:    "the order already has charge %d; no other was made",
		kErrRefOther:     "the order already has charge %d, for another amount or payer",
		kErrExpiry:       "between %d and %d minutes",
		kDocOK:           "valid %s",
		kFormRejected:    "ConnectPSP refused the charge: %s",
		kFormFailed:      "The charge was not created: %s",
		kFormBackground:  "The previous charge is still being created in the background — do not create another.",
		kCreatingTitle:   "Creating a charge of %s for %s",
		kStageStart:      "Recording the charge…",
		kStageAuth:       "Authenticating with ConnectPSP…",
		kStageSend:       "Sending to ConnectPSP (attempt %d)…",
		kStageRetry:      "Network error: attempt %d in %s…",
		kStageDone:       "Answer received.",
		kSameKey:         "Sent again with the same idempotency key: ConnectPSP will not create a second charge.",
		kCreatingTemp:    "ConnectPSP did not answer: %s",
		kCreatingAuto:    "The charge will be sent again automatically with the same key; its QR shows here as soon as it exists.",
		kCreatingResumed: "ConnectPSP has not confirmed this charge yet; it is being sent again.",
		kCreatingEsc:     "Esc: stop waiting — the charge keeps being created in the background; do not create another.",
		kCreatingResend:  "Sending it again now…",
		kLabelPayer:      "Payer",
		kLabelDocument:   "Document",
		kLabelReference:  "Order",
		kLabelCode:       "Code",
		kLabelExpiresIn:  "Expires in",
		kLabelCopyPaste:  "PIX copy and paste",
		kLabelBank:       "Bank",
		kLabelE2E:        "End-to-end id",
		kLabelPaidAt:     "Paid at",
		kLabelExpiredAt:  "Expired at",
		kAwaiting:        "Awaiting payment",
		kConfirming:      "confirming with ConnectPSP…",
		kScanMe:          "Scan to pay %s",
		kAnyKey:          "any key returns",
		kCopied:          "Copy-and-paste code copied to the clipboard.",
		kCopiedOSC52:     "Code sent to the terminal (OSC 52) — check that it pastes.",
		kCopyFailed:      "Could not copy: %s",
		kRefreshFailed:   "Could not ask ConnectPSP: %s",
		kSimulateFailed:  "Simulation failed: %s",
		kSimulated:       "Simulated payment sent.",
		kLoadFailed:      "Could not read charge %d: %s",
		kBgPaid:          "PAID: %s from %s (order %s)",
		kBgFinal:         "Charge for order %s: %s",
		kBgCreated:       "Charge for order %s created in the background — ctrl+o to show it.",
		kBgRejected:      "Charge for order %s refused: %s",
		kBannerPaid:      "PAID",
		kBannerExpired:   "EXPIRED",
		kBannerCancelled: "CANCELLED",
		kBannerRefunded:  "REFUNDED",
		kWarnMismatch:    "WARNING: AMOUNT PAID DIFFERS — charged %s, paid %s",
		kWarnLate:        "WARNING: PAID AFTER EXPIRY — expired %s, paid %s",
		kWarnCheck:       "Check with a manager before handing over the goods.",
		kNextStep:        "Enter: next charge",
		kNextStepRetry:   "Enter: new charge · r: redo with the same details",
		kTooSmall:        "Window too small (%d×%d). Enlarge it to at least %d×%d.",
		kEnvSandbox:      "SANDBOX",
		kEnvStaging:      "STAGING",
		kEnvProduction:   "PRODUCTION",
		kPSPUp:           "ConnectPSP ok",
		kPSPDown:         "ConnectPSP unreachable",
		kEngineStopped:   "stopped: nothing is polled or sent again — restart pixdesk",
		kTokenOK:         "token ok",
		kTokenNone:       "no token",
		kPolling:         "polling %d",
		kCreatingBg:      "resending %d",
		kWebhook:         "webhook %s · last %s",
		kWebhookNone:     "webhook %s · no event yet",
		kWebhookVia:      "webhook via %s",
		kWebhookOff:      "webhook off",
		kStore:           "store %s",
		kRefusedHour:     "%d deliveries refused in the last hour",
		kRefusedHourOne:  "%d delivery refused in the last hour",
		kUnknownStatus:   "unknown status: %s",
		kHelpNext:        "next",
		kHelpPrev:        "previous",
		kHelpEnter:       "next/create",
		kHelpQuit:        "quit",
		kHelpEsc:         "stop waiting",
		kHelpCopy:        "copy code",
		kHelpRefresh:     "ask now",
		kHelpNew:         "new charge",
		kHelpFull:        "full-screen QR",
		kHelpSimulate:    "simulate payment",
		kHelpHelp:        "help",
		kHelpRecreate:    "redo",
		kHelpResend:      "resend now",
		kHelpOpen:        "open charges",
		kHelpSameOpen:    "open that one",
		kHelpSameCreate:  "create another",
		kHelpSameBack:    "back to the form",
		kStripLabel:      "Open (%s):",
		kStripMore:       "+%d",
		kStripCreating:   "creating…",
		kSameChecking:    "Checking for a matching charge…",
		kSameTitle:       "A matching charge is already awaiting payment: open / create another",
		kSameWhat:        "%s for %s (%s), order %s, created at %s, %s.",
		kSameLeft:        "expires in %s",
		kSameCreating:    "still being created",
		kLookupOpening:   "Searching for the text typed, to open its first result…",
		kPeriodUnset:     "custom (type the dates)",
	},
}

// lang is the user's language: a catalog's key.
type lang string

// langOf picks the catalog for a Config.Lang value ("en", "en-US", …);
// anything else is pt-BR.
func langOf(s string) lang {
	if strings.HasPrefix(strings.ToLower(s), "en") {
		return "en"
	}
	return "pt-BR"
}

// s returns the sentence k, formatted with args when there are any. The
// arguments are cleaned first (safetext.Sprintf): a sentence is ours, what
// it names — a payer, an order, an error — may not be.
func (l lang) s(k msgKey, args ...any) string {
	v, ok := catalog[string(l)][k]
	if !ok {
		v, ok = catalog["pt-BR"][k]
	}
	if !ok {
		v = string(k)
	}
	if len(args) == 0 {
		return v
	}
	return safetext.Sprintf(v, args...)
}
