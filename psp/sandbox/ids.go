package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"
	"rsc.io/qr"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
)

// The BR Code merchant of every sandbox charge.
const (
	merchantName = "PIXDESK SANDBOX"
	merchantCity = "SAO PAULO"
	// connectISPB is the ISPB the sandbox uses for itself in D… refund ids.
	connectISPB = "00416968"
)

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// brasilia is the -03:00 offset ConnectPSP writes transaction times in.
var brasilia = time.FixedZone("-03", -3*60*60)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[randomInt(len(alphabet))]
	}
	return string(b)
}

// randomInt returns a uniform integer in [0, n).
func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return int(v.Int64())
}

// endToEndID returns an SPI id: prefix (E or D) + 8-char ISPB +
// yyyyMMddHHmm in UTC + 11 alphanumerics, 32 characters in all.
func endToEndID(prefix byte, ispb string, at time.Time) string {
	return string(prefix) + ispb + at.UTC().Format("200601021504") + randomString(mixedAlnum, 11)
}

// bank is a payer's bank the sandbox pretends money came from.
type bank struct{ ispb, name string }

var banks = []bank{
	{"00000000", "Banco do Brasil S.A."},
	{"00360305", "Caixa Econômica Federal"},
	{"60701190", "Itaú Unibanco S.A."},
	{"60746948", "Banco Bradesco S.A."},
	{"18236120", "Nu Pagamentos S.A."},
}

// randomBankData returns plausible payer bank data.
func randomBankData() *psp.BankData {
	b := banks[randomInt(len(banks))]
	return &psp.BankData{
		ISPB:    b.ispb,
		Bank:    b.name,
		Branch:  randomString("0123456789", 4),
		Account: randomString("0123456789", 6) + "-" + randomString("0123456789", 1),
	}
}

// pixData builds a dynamic BR Code pointing at a fresh location under the
// sandbox's public host, and a PNG QR code of exactly that text.
func (s *Sandbox) pixData() (*psp.PixData, error) {
	code, err := brcode.Build(brcode.Spec{
		URL:          s.publicHost + "/pix/v2/" + uuid.NewString(),
		MerchantName: merchantName,
		MerchantCity: merchantCity,
		OnePayment:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("build br code: %w", err)
	}
	q, err := qr.Encode(code, qr.L)
	if err != nil {
		return nil, fmt.Errorf("encode qr: %w", err)
	}
	return &psp.PixData{
		CopyAndPaste:      code,
		QRCodeImageBase64: base64.StdEncoding.EncodeToString(q.PNG()),
	}, nil
}

// validDocument reports whether doc is a valid CPF or CNPJ written bare,
// without punctuation, as the API requires.
func validDocument(doc string) bool {
	_, n, err := psp.ParseDocument(doc)
	return err == nil && n == doc
}
