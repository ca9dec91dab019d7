package psp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMaskDocuments(t *testing.T) {
	for in, want := range map[string]string{
		"payer.document 123.456.789-09 is not valid": "payer.document ***.456.789-** is not valid",
		"document 12345678909 rejected":              "document ***.456.789-** rejected",
		"CPF:12345678900,":                           "CPF:*********00,", // not a valid CPF, still someone's
		"e2e E00416968202603101422cemeFscF6AG":       "e2e E00416968202603101422cemeFscF6AG",
		"phone 5511987654321":                        "phone 5511987654321",
		"CNPJ 11.222.333/0001-81":                    "CNPJ 11.222.333/0001-81",
		"two: 123.456.789-09 and 98765432100":        "two: ***.456.789-** and ***.654.321-**",
		"":                                           "",
	} {
		if got := maskDocuments(in); got != want {
			t.Errorf("maskDocuments(%q) = %q, want %q", in, got, want)
		}
	}
}

// A CPF ConnectPSP echoes in a problem never leaves the client whole:
// not in the *Error's fields, not in its text.
func TestProblemMasksEchoedCPF(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(w http.ResponseWriter)
	}{
		{"problem+json", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(422)
			io.WriteString(w, `{"title":"CPF 12345678909 inválido","status":422,"code":"VALIDATION_ERROR",`+
				`"detail":"payer.document 123.456.789-09 is not a valid CPF"}`)
		}},
		{"plain text", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(422)
			io.WriteString(w, "bad document 123.456.789-09")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := setup(t)
			f.handle("POST /cash-in", func(w http.ResponseWriter, _ *http.Request, _ int) { tc.body(w) })
			_, err := c.CreateCashIn(context.Background(), testParams, "key-mask-1")
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			all := strings.Join([]string{pe.Title, pe.Detail, pe.Body, err.Error()}, "\n")
			for _, full := range []string{"12345678909", "123.456.789-09"} {
				if strings.Contains(all, full) {
					t.Errorf("the CPF %s is in the error:\n%s", full, all)
				}
			}
			if !strings.Contains(all, "***.456.789-**") {
				t.Errorf("the masked CPF is not in the error:\n%s", all)
			}
		})
	}
}
