package ui

// The QR's sentences: the charge screen's fallback, the status bar, the
// help and the calibration screen (pixdesk qr-test). init adds them to
// catalog.
const (
	kQRNoRoom      msgKey = "qr.noroom"
	kQRDo          msgKey = "qr.do"
	kQRDoFull      msgKey = "qr.dofull"
	kQRCannot      msgKey = "qr.cannot"
	kQROff         msgKey = "qr.off"
	kQRError       msgKey = "qr.error"
	kQRBadCRC      msgKey = "qr.badcrc"
	kQRSextantFont msgKey = "qr.sextantfont"
	kQRStatus      msgKey = "qr.status"
	kQRStatusStyle msgKey = "qr.statusstyle"
	kQRHelpLine    msgKey = "qr.help"
	kQRKindHalf    msgKey = "qr.kind.half"
	kQRKindSext    msgKey = "qr.kind.sextant"
	kQRKindNone    msgKey = "qr.kind.none"
	kQRKindText    msgKey = "qr.kind.text"

	kCalTitle   msgKey = "cal.title"
	kCalIntro   msgKey = "cal.intro"
	kCalStyle   msgKey = "cal.style"
	kCalNoFit   msgKey = "cal.nofit"
	kCalKeys    msgKey = "cal.keys"
	kCalOneKeys msgKey = "cal.onekeys"
	kCalSaved   msgKey = "cal.saved"
	kCalCurrent msgKey = "cal.current"
)

var qrCatalog = map[string]map[msgKey]string{
	"pt-BR": {
		kQRNoRoom:      "Sem espaço para um QR legível: esta tela precisa de %d×%d.",
		kQRDo:          "Amplie a janela, mostre o QR com pixdesk display ou use o copia e cola.",
		kQRDoFull:      "Tecle f (tela cheia), amplie a janela, use pixdesk display ou o copia e cola.",
		kQRCannot:      "Sem cores e com fundo desconhecido, este terminal não desenha um QR legível. Use pixdesk display, pixdesk qr-test ou o copia e cola.",
		kQROff:         "QR desligado (--qr-style text): use o copia e cola ou pixdesk display.",
		kQRError:       "Não foi possível desenhar o QR: %s. Use o copia e cola.",
		kQRBadCRC:      "O código recebido falhou na verificação (CRC) e não é mostrado. Tecle r para pedi-lo de novo à ConnectPSP.",
		kQRSextantFont: "QR em sextantes: se o celular não ler, a fonte não os tem — teste com pixdesk qr-test.",
		kQRStatus:      "QR %s",
		kQRStatusStyle: "QR %s (--qr-style)",
		kQRHelpLine:    "QR: %s · detectado: %s · mude com --qr-style ou pixdesk qr-test",
		kQRKindHalf:    "meios blocos",
		kQRKindSext:    "sextantes",
		kQRKindNone:    "só texto",
		kQRKindText:    "desligado",

		kCalTitle:   "Calibrar o QR",
		kCalIntro:   "Aponte a câmera do celular para o QR. Ele leu? Então tecle enter para usar este estilo.",
		kCalStyle:   "Estilo %d de %d: %s",
		kCalNoFit:   "Este estilo não cabe nesta janela (precisa de %d×%d): amplie a janela.",
		kCalKeys:    "←/→ outro estilo · enter: usar este · q: sair sem salvar",
		kCalOneKeys: "q: sair",
		kCalSaved:   "Salvo em %s: qr-style = %s",
		kCalCurrent: "(em uso)",
	},
	"en": {
		kQRNoRoom:      "No room for a QR that scans: this screen needs %d×%d.",
		kQRDo:          "Enlarge the window, show the QR with pixdesk display, or use copy and paste.",
		kQRDoFull:      "Press f (full screen), enlarge the window, use pixdesk display, or copy and paste.",
		kQRCannot:      "Without colour and with an unknown background this terminal cannot draw a QR that scans. Use pixdesk display, pixdesk qr-test, or copy and paste.",
		kQROff:         "QR off (--qr-style text): use copy and paste or pixdesk display.",
		kQRError:       "Cannot draw the QR: %s. Use copy and paste.",
		kQRBadCRC:      "The code received fails its check (CRC) and is not shown. Press r to ask ConnectPSP for it again.",
		kQRSextantFont: "QR in sextants: if the phone does not read it, the font lacks them — try pixdesk qr-test.",
		kQRStatus:      "QR %s",
		kQRStatusStyle: "QR %s (--qr-style)",
		kQRHelpLine:    "QR: %s · detected: %s · change with --qr-style or pixdesk qr-test",
		kQRKindHalf:    "half blocks",
		kQRKindSext:    "sextants",
		kQRKindNone:    "text only",
		kQRKindText:    "off",

		kCalTitle:   "QR calibration",
		kCalIntro:   "Point the phone's camera at the QR. Did it read it? Then press enter to use this style.",
		kCalStyle:   "Style %d of %d: %s",
		kCalNoFit:   "This style does not fit this window (it needs %d×%d): enlarge the window.",
		kCalKeys:    "←/→ another style · enter: use this one · q: quit without saving",
		kCalOneKeys: "q: quit",
		kCalSaved:   "Saved in %s: qr-style = %s",
		kCalCurrent: "(in use)",
	},
}

func init() { extendCatalog(qrCatalog) }
