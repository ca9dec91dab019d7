package ui

// noQR is the one message the charge screen shows where it draws no QR:
// why, and what to do. It is bold in the terminal's own foreground, which
// reads on any theme (a coloured warning such as yellow does not on white).
func (s *chargeScreen) noQR() string {
	st, l := s.env.styles, s.env.lang
	switch {
	case s.badCRC:
		return st.Error.Render(wrap(l.s(kQRBadCRC), s.infoW))
	case s.qrErr != nil:
		return st.Error.Render(wrap(l.s(kQRError, s.qrErr), s.infoW))
	}
	msg := s.whyNoQR(s.need)
	if s.need[0] > 0 {
		if s.fullFits {
			msg += " " + l.s(kQRDoFull)
		} else {
			msg += " " + l.s(kQRDo)
		}
	}
	return st.Notice.Render(wrap(msg, s.infoW))
}

// fullMessage is the full-window view's message when the QR does not fit
// even there; need is the window it would need.
func (s *chargeScreen) fullMessage(need [2]int) string {
	l := s.env.lang
	switch {
	case s.badCRC:
		return l.s(kQRBadCRC)
	case s.qrErr != nil:
		return l.s(kQRError, s.qrErr)
	case s.full.NeedCols == 0:
		return s.whyNoQR([2]int{})
	}
	return s.whyNoQR(need) + " " + l.s(kQRDo)
}

// whyNoQR says why no QR is drawn: the window needs to be need (zero when
// no size would do), or the style is text.
func (s *chargeScreen) whyNoQR(need [2]int) string {
	l := s.env.lang
	switch {
	case s.env.cfg.QRStyle == QRText:
		return l.s(kQROff)
	case need[0] == 0:
		return l.s(kQRCannot)
	}
	return l.s(kQRNoRoom, need[0], need[1])
}

// sextantHint is a word under the details when the QR is drawn in
// sextants the terminal takes from its font: many fonts have none, and
// then the code shows as stray bars.
func (s *chargeScreen) sextantHint() string {
	if s.block.Kind != QRKindSextants || s.env.caps.DrawsSextants() {
		return ""
	}
	return s.env.styles.Muted.Render(wrap(s.env.lang.s(kQRSextantFont), s.infoW))
}
