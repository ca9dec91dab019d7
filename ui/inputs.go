package ui

import (
	"errors"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/engine"
)

// InputMessage returns the sentence, in language ("pt-BR" or "en", as
// Config.Lang), that tells a person why the engine refused an input of a
// new charge, and the field it is about: the words the counter form shows
// beside the field, which `pixdesk tx create` prints too. ok is false when
// err is not an *engine.InputError.
func InputMessage(language string, err error) (field engine.Field, sentence string, ok bool) {
	var ie *engine.InputError
	if !errors.As(err, &ie) {
		return "", "", false
	}
	return ie.Field, langOf(language).inputError(ie), true
}

// inputError words an *engine.InputError; "" for nil.
func (l lang) inputError(ie *engine.InputError) string {
	if ie == nil {
		return ""
	}
	r := ie.Reason
	is := func(target error) bool { return errors.Is(r, target) }
	var taken *engine.ReferenceExistsError
	switch {
	case errors.As(r, &taken) && taken.Same:
		return l.s(kErrRefExists, taken.Charge.ID)
	case errors.As(r, &taken):
		return l.s(kErrRefOther, taken.Charge.ID)
	case is(engine.ErrInvisible):
		return l.s(kErrInvisible)
	case ie.Field == engine.FieldAmount && is(engine.ErrRequired):
		return l.s(kErrAmountZero)
	case ie.Field == engine.FieldAmount:
		return l.s(kErrAmountRange, psp.Amount(1), psp.MaxAmount)
	case ie.Field == engine.FieldName && is(engine.ErrRequired):
		return l.s(kErrNameEmpty)
	case ie.Field == engine.FieldName && is(engine.ErrTooLong):
		return l.s(kErrNameLong, engine.MaxNameLen)
	case ie.Field == engine.FieldName && is(engine.ErrNoLetters):
		return l.s(kErrNameLetters)
	case ie.Field == engine.FieldReference && is(engine.ErrTooLong):
		return l.s(kErrRefLong, engine.MaxReferenceLen)
	case ie.Field == engine.FieldReference:
		return l.s(kErrRefChars)
	case ie.Field == engine.FieldExpiry:
		return l.s(kErrExpiry, minExpiry, engine.MaxExpiryMinutes)
	case is(psp.ErrDocumentEmpty):
		return l.s(kErrDocEmpty)
	case is(psp.ErrDocumentLength):
		return l.s(kErrDocLength)
	case is(psp.ErrDocumentChars):
		return l.s(kErrDocChars)
	case is(psp.ErrDocumentCheckDigits):
		return l.s(kErrDocDigits)
	}
	return ie.Error()
}

// inputSentence words err when it is an *engine.InputError, else "".
func (l lang) inputSentence(err error) string {
	var ie *engine.InputError
	if errors.As(err, &ie) {
		return l.inputError(ie)
	}
	return ""
}
