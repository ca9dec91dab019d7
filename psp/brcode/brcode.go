// Package brcode reads and writes PIX "Copia e Cola" payloads: EMV BR Codes,
// strings of two-digit-id, two-digit-length TLV objects ending in a CRC-16.
//
// Lengths are counted in bytes. Parse never puts field values in its errors:
// a PIX key may be a person's CPF.
package brcode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// MaxLen is the longest payload a BR Code may have.
const MaxLen = 512

// GUI is the globally unique identifier of the PIX merchant account template.
const GUI = "br.gov.bcb.pix"

// Errors for errors.Is. Every error from Parse wraps exactly one of ErrCRC,
// ErrSyntax, ErrNotPix and ErrTooLong; Build's errors wrap ErrSpec or ErrTooLong.
var (
	ErrCRC     = errors.New("crc does not match")
	ErrSyntax  = errors.New("malformed BR Code")
	ErrNotPix  = errors.New("not a PIX BR Code")
	ErrTooLong = errors.New("BR Code too long")
	ErrSpec    = errors.New("cannot build BR Code")
)

// Code is a parsed BR Code.
type Code struct {
	Raw          string
	Initiation   string     // tag 01: "11" reusable, "12" one payment, "" absent
	GUI          string     // 26-00, e.g. "br.gov.bcb.pix"
	Key          string     // 26-01 (static)
	Info         string     // 26-02 (static free text)
	URL          string     // 26-25 (dynamic), without scheme
	Recurrence   string     // 80-25: the PIX Automático recurrence's location, without scheme
	MCC          string     // 52
	Currency     string     // 53, must be "986"
	Amount       psp.Amount // 54; 0 when absent
	HasAmount    bool
	Country      string // 58
	MerchantName string // 59
	MerchantCity string // 60
	PostalCode   string // 61
	TxID         string // 62-05
	CRC          string // 63, 4 upper-case hex
}

// Dynamic reports whether the code points to a payload URL (26-25), whose
// signed content holds the amount and txid, rather than carrying a key.
func (c *Code) Dynamic() bool { return c.URL != "" }

// Recurring reports whether the code carries a PIX Automático template
// (tag 80): it asks the payer to authorise a recurrence, alone (tag 26 then
// holds only the GUI) or together with a payment (26-25 set too).
func (c *Code) Recurring() bool { return c.Recurrence != "" }

// RecurrenceTag is the id of the template that holds a PIX Automático
// recurrence's location, as BACEN's API Pix writes it.
const RecurrenceTag = 80

// Field limits of the BR Code manual, in bytes.
const (
	maxKey  = 77
	maxName = 25
	maxCity = 15
	maxTxID = 25
)

// fields holds the values of one TLV level, indexed by id. It is filled in
// place so that it can live on the caller's stack.
type fields struct {
	val  [100]string
	seen [100]bool
	last int // id of the last object, -1 when empty
}

// split reads one TLV level into f. tmpl is the id of the enclosing template,
// named in errors; -1 at the top level.
func (f *fields) split(s string, tmpl int) error {
	f.last = -1
	where := func() string {
		if tmpl < 0 {
			return ""
		}
		return fmt.Sprintf("tag %02d: ", tmpl)
	}
	for i := 0; i < len(s); {
		if len(s)-i < 4 {
			return syntaxf("%sobject at offset %d is cut short", where(), i)
		}
		id, okID := twoDigits(s[i:])
		n, okLen := twoDigits(s[i+2:])
		if !okID || !okLen {
			return syntaxf("%sobject at offset %d does not start with a numeric id and length", where(), i)
		}
		if i+4+n > len(s) {
			return syntaxf("%stag %02d declares %d bytes, only %d remain", where(), id, n, len(s)-i-4)
		}
		if f.seen[id] {
			return syntaxf("%stag %02d appears twice", where(), id)
		}
		f.val[id], f.seen[id], f.last = s[i+4:i+4+n], true, id
		i += 4 + n
	}
	return nil
}

func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func syntaxf(format string, args ...any) error {
	return fmt.Errorf("brcode: "+format+": %w", append(args, ErrSyntax)...)
}

// Parse reads and validates a BR Code: its TLV structure, the CRC (which must
// be the last object, "6304" and 4 upper-case hex digits), the PIX merchant
// account template (the first of tags 26–51 whose GUI is br.gov.bcb.pix, in
// any case), the PIX Automático template (tag 80 with the same GUI), the
// currency (986), and the mandatory merchant name, city and additional data
// template. Tags it has no use for, such as the other unreserved templates
// 81–99 or a tag 80 of another scheme, are skipped.
func Parse(s string) (*Code, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("brcode: %d bytes, over %d: %w", len(s), MaxLen, ErrTooLong)
	}
	if s == "" {
		return nil, syntaxf("empty")
	}
	var top fields
	if err := top.split(s, -1); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(s, "000201") {
		return nil, syntaxf("tag 00 payload format indicator must come first, with value 01")
	}
	if top.last != 63 || len(top.val[63]) != 4 {
		return nil, syntaxf("tag 63 crc must be the last object, with 4 hex digits")
	}
	if err := CheckCRC(s); err != nil {
		return nil, err
	}
	c := &Code{Raw: s, CRC: top.val[63]}
	if err := c.readRecurrence(&top); err != nil {
		return nil, err
	}
	if err := c.readAccount(&top); err != nil {
		return nil, err
	}
	if err := c.readTop(&top); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckCRC reports whether s ends in its own CRC: "6304" and 4 upper-case
// hex digits computed over everything before them. It checks nothing else,
// so that a screen can refuse to show a corrupted code without judging the
// rest of its structure; the error wraps ErrCRC.
func CheckCRC(s string) error {
	if len(s) < 8 || s[len(s)-8:len(s)-4] != "6304" {
		return fmt.Errorf("brcode: no tag 63 crc at the end: %w", ErrCRC)
	}
	got := s[len(s)-4:]
	want := crcHex(CRC16(s[:len(s)-4]))
	switch {
	case got == want:
		return nil
	case strings.EqualFold(got, want):
		return fmt.Errorf("brcode: tag 63 crc %s is written in lower case, want %s: %w", got, want, ErrCRC)
	}
	return fmt.Errorf("brcode: tag 63 crc is %q, computed %s: %w", got, want, ErrCRC)
}

// readAccount finds the PIX merchant account template among tags 26–51.
// It holds a key (static) or a url (dynamic); when a PIX Automático
// template carries a recurrence, it may hold only the GUI, as in BACEN's
// codes that ask for a recurrence alone.
func (c *Code) readAccount(top *fields) error {
	for id := 26; id <= 51; id++ {
		if !top.seen[id] {
			continue
		}
		var sub fields
		if err := sub.split(top.val[id], id); err != nil {
			return err
		}
		if !strings.EqualFold(sub.val[0], GUI) {
			continue
		}
		c.GUI, c.Key, c.Info, c.URL = sub.val[0], sub.val[1], sub.val[2], sub.val[25]
		switch {
		case c.Key != "" && c.URL != "":
			return syntaxf("tag %02d has both a key (01) and a url (25)", id)
		case c.Key == "" && c.URL == "" && !c.Recurring():
			return syntaxf("tag %02d has neither a key (01) nor a url (25), and there is no PIX Automático template (80)", id)
		case c.Key != "" && (len(c.Key) > maxKey || !token(c.Key)):
			return syntaxf("tag %02d-01 key must be 1 to %d printable ASCII characters without spaces", id, maxKey)
		case c.URL != "" && !locationURL(c.URL):
			return syntaxf("tag %02d-25 url must be printable ASCII without spaces or a scheme", id)
		}
		return nil
	}
	return fmt.Errorf("brcode: no merchant account template (26-51) with gui %s: %w", GUI, ErrNotPix)
}

// readRecurrence reads the PIX Automático template, tag 80: the PIX GUI and,
// in 25, where the payer's bank fetches the recurrence (scheme left out, as
// in 26-25). A tag 80 that is not a template of the PIX GUI belongs to
// another scheme and is skipped; one of the PIX GUI must be well formed.
func (c *Code) readRecurrence(top *fields) error {
	if !top.seen[RecurrenceTag] {
		return nil
	}
	var sub fields
	if sub.split(top.val[RecurrenceTag], RecurrenceTag) != nil || !strings.EqualFold(sub.val[0], GUI) {
		return nil
	}
	if !locationURL(sub.val[25]) {
		return syntaxf("tag 80-25 recurrence url must be printable ASCII without spaces or a scheme")
	}
	c.Recurrence = sub.val[25]
	return nil
}

// locationURL reports whether u is a payload location as BR Codes write
// it: printable ASCII, no spaces, no scheme.
func locationURL(u string) bool { return token(u) && !strings.Contains(u, "://") }

// readTop reads and checks the top-level objects other than 00, 26–51 and 63.
func (c *Code) readTop(top *fields) error {
	c.Initiation, c.MCC, c.Currency = top.val[1], top.val[52], top.val[53]
	c.Country, c.MerchantName, c.MerchantCity, c.PostalCode = top.val[58], top.val[59], top.val[60], top.val[61]
	if top.seen[1] && c.Initiation != "11" && c.Initiation != "12" {
		return syntaxf("tag 01 point of initiation must be 11 or 12")
	}
	if top.seen[53] && c.Currency != "986" {
		return fmt.Errorf("brcode: tag 53 currency is %q, not 986 (BRL): %w", c.Currency, ErrNotPix)
	}
	if !top.seen[53] {
		return fmt.Errorf("brcode: tag 53 currency is missing: %w", ErrNotPix)
	}
	if !strings.EqualFold(c.Country, "BR") {
		return fmt.Errorf("brcode: tag 58 country must be BR: %w", ErrNotPix)
	}
	if len(c.MCC) != 4 || !digits(c.MCC) {
		return syntaxf("tag 52 merchant category code must be 4 digits")
	}
	if top.seen[54] {
		a, err := psp.ParseDecimal(top.val[54])
		if err != nil {
			return fmt.Errorf("brcode: tag 54 amount: %v: %w", err, ErrSyntax)
		}
		c.Amount, c.HasAmount = a, true
	}
	if err := checkName(59, "merchant name", c.MerchantName, maxName); err != nil {
		return err
	}
	if err := checkName(60, "merchant city", c.MerchantCity, maxCity); err != nil {
		return err
	}
	if !top.seen[62] {
		return syntaxf("tag 62 additional data template is missing")
	}
	var add fields
	if err := add.split(top.val[62], 62); err != nil {
		return err
	}
	if !add.seen[5] {
		return syntaxf("tag 62-05 txid is missing (*** when there is none)")
	}
	if c.TxID = add.val[5]; len(c.TxID) > maxTxID {
		return syntaxf("tag 62-05 txid has %d bytes, over %d", len(c.TxID), maxTxID)
	}
	return nil
}

// checkName requires a value of at most limit bytes with something printable.
func checkName(id int, what, v string, limit int) error {
	switch {
	case len(v) > limit:
		return syntaxf("tag %d %s has %d bytes, over %d", id, what, len(v), limit)
	case !foldable(v):
		return syntaxf("tag %d %s is missing or blank", id, what)
	}
	return nil
}

// foldable reports whether fold(v) keeps anything, without building it.
func foldable(v string) bool {
	for _, r := range v {
		if r > ' ' && r < 0x7F || r >= 0x80 && foldTable[r] != "" {
			return true
		}
	}
	return false
}

// token reports whether s is non-empty printable ASCII without spaces.
func token(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return s != ""
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
