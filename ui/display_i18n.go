package ui

// The customer display's sentences, kept apart like the lookup's; init adds
// them to catalog. Those drawn in block letters (kDispPayWith, kDispThanks,
// kDispReceived, kDispTooSmall) use only letters the font has: no accents.
const (
	kDispPayWith    msgKey = "display.paywith"
	kDispWaiting    msgKey = "display.waiting"
	kDispScan       msgKey = "display.scan"
	kDispExpiresIn  msgKey = "display.expiresin"
	kDispPreparing  msgKey = "display.preparing"
	kDispQRError    msgKey = "display.qrerror"
	kDispTimeUp     msgKey = "display.timeup"
	kDispTooSmall   msgKey = "display.toosmall"
	kDispNeeds      msgKey = "display.needs"
	kDispThanks     msgKey = "display.thanks"
	kDispConfirmed  msgKey = "display.confirmed"
	kDispReceived   msgKey = "display.received"
	kDispSeeCashier msgKey = "display.seecashier"
	kDispAskNew     msgKey = "display.asknew"
	kDispCounter    msgKey = "display.counter"
	kDispOffline    msgKey = "display.offline"
)

var displayCatalog = map[string]map[msgKey]string{
	"pt-BR": {
		kDispPayWith:    "Pague com PIX",
		kDispWaiting:    "Aguardando a próxima cobrança",
		kDispScan:       "Escaneie o QR Code com o app do seu banco",
		kDispExpiresIn:  "Expira em %s",
		kDispPreparing:  "Gerando o QR Code…",
		kDispQRError:    "QR Code indisponível: peça ajuda ao caixa",
		kDispTimeUp:     "Tempo esgotado: aguarde o caixa",
		kDispTooSmall:   "Tela pequena",
		kDispNeeds:      "O QR Code precisa de uma janela de %d×%d para ser lido.",
		kDispThanks:     "Obrigado!",
		kDispConfirmed:  "Pagamento confirmado",
		kDispReceived:   "Recebido",
		kDispSeeCashier: "Aguarde o caixa",
		kDispAskNew:     "Peça uma nova cobrança ao caixa",
		kDispCounter:    "Caixa %s",
		kDispOffline:    "sem acesso ao registro do caixa, tentando de novo",
	},
	"en": {
		kDispPayWith:    "Pay with PIX",
		kDispWaiting:    "Waiting for the next charge",
		kDispScan:       "Scan the QR code with your bank's app",
		kDispExpiresIn:  "Expires in %s",
		kDispPreparing:  "Preparing the QR code…",
		kDispQRError:    "QR code unavailable: ask the cashier",
		kDispTimeUp:     "Time is up: please wait for the cashier",
		kDispTooSmall:   "Window too small",
		kDispNeeds:      "The QR code needs a %d×%d window to scan.",
		kDispThanks:     "Thank you!",
		kDispConfirmed:  "Payment confirmed",
		kDispReceived:   "Received",
		kDispSeeCashier: "Please wait for the cashier",
		kDispAskNew:     "Ask the cashier for a new charge",
		kDispCounter:    "Counter %s",
		kDispOffline:    "cannot read the counter's journal, retrying",
	},
}

func init() { extendCatalog(displayCatalog) }
