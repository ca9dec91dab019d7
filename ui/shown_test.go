package ui

import (
	"reflect"
	"testing"

	"github.com/pixdesk/pixdesk/internal/safetext/hostiletest"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// fillStrings sets every string (and byte slice) inside v, a pointer to a
// struct, to text, allocating the structs its pointers lead to.
func fillStrings(v reflect.Value, text string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillStrings(v.Elem(), text)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), text)
			}
		}
	case reflect.String:
		v.SetString(text)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(text))
		}
	}
}

// dirtyStrings returns the paths of the strings inside v that are not clean.
func dirtyStrings(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return dirtyStrings(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, dirtyStrings(v.Field(i), path+"."+v.Type().Field(i).Name)...)
			}
		}
		return out
	case reflect.String:
		if hostiletest.Check(v.String()) != nil {
			return []string{path}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 && hostiletest.Check(string(v.Bytes())) != nil {
			return []string{path}
		}
	}
	return nil
}

// Every text field of what the backend returns is shown cleaned — a field
// added to store.Charge, store.Entry or psp.CashIn later included — and
// the backend's own copy is left as it was.
func TestShownCopiesCleanEveryTextField(t *testing.T) {
	raw := hostiletest.All("x")
	c, e, ci := &store.Charge{}, &store.Entry{}, &psp.CashIn{}
	for _, v := range []any{c, e, ci} {
		fillStrings(reflect.ValueOf(v), raw)
	}
	for name, shown := range map[string]any{
		"store.Charge": shownCharge(c), "store.Entry": shownEntries([]store.Entry{*e})[0], "psp.CashIn": shownCashIn(ci),
	} {
		if bad := dirtyStrings(reflect.ValueOf(shown), name); len(bad) > 0 {
			t.Errorf("shown with raw text: %v", bad)
		}
	}
	if c.Payer.Name != raw || c.Payer.BankData.Bank != raw || ci.Payer.BankData.Bank != raw || ci.PixData.CopyAndPaste != raw {
		t.Error("making the display copy changed the original")
	}
}
