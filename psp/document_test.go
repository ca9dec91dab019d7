package psp

import (
	"errors"
	"testing"
)

func TestParseDocument(t *testing.T) {
	tests := []struct {
		in   string
		kind DocumentKind
		norm string
		err  error
	}{
		// Valid vectors of pix-brcode.md §5, bare and as people paste them.
		{in: "238.584.881-35", kind: DocCPF, norm: "23858488135"},
		{in: "23858488135", kind: DocCPF, norm: "23858488135"},
		{in: "123.456.789-09", kind: DocCPF, norm: "12345678909"},
		{in: " 123 456 789 09\n", kind: DocCPF, norm: "12345678909"},
		{in: "123.456.789/09", kind: DocCPF, norm: "12345678909"},
		{in: "11.222.333/0001-81", kind: DocCNPJ, norm: "11222333000181"},
		{in: "11222333000181", kind: DocCNPJ, norm: "11222333000181"},
		{in: "12.ABC.345/01DE-35", kind: DocCNPJ, norm: "12ABC34501DE35"},
		{in: "12ABC34501DE35", kind: DocCNPJ, norm: "12ABC34501DE35"},
		{in: "12.abc.345/01de-35", kind: DocCNPJ, norm: "12ABC34501DE35"},
		{in: "12abc34501de35", kind: DocCNPJ, norm: "12ABC34501DE35"},
		{in: "12\u00a0ABC\t345 01DE 35", kind: DocCNPJ, norm: "12ABC34501DE35"},

		// Invalid vectors of §5.
		{in: "111.111.111-11", err: ErrDocumentCheckDigits},
		{in: "123.456.789-00", err: ErrDocumentCheckDigits},
		{in: "12ABC34501DE36", err: ErrDocumentCheckDigits},
		{in: "00000000000", err: ErrDocumentCheckDigits},
		{in: "00000000000000", err: ErrDocumentCheckDigits},
		{in: "11.222.333/0001-80", err: ErrDocumentCheckDigits},
		{in: "23858488134", err: ErrDocumentCheckDigits},
		{in: "23858488145", err: ErrDocumentCheckDigits},

		{in: "", err: ErrDocumentEmpty},
		{in: " .-/ ", err: ErrDocumentEmpty},
		{in: "1234567890", err: ErrDocumentLength},
		{in: "123456789012", err: ErrDocumentLength},
		{in: "112223330001811", err: ErrDocumentLength},
		{in: "12ABC34501D", err: ErrDocumentLength},
		{in: "123.456.789_09", err: ErrDocumentChars},
		{in: "123456789O9*", err: ErrDocumentChars},
		{in: "12ABC34501DE3A", err: ErrDocumentChars},
		{in: "12ÁBC34501DE35", err: ErrDocumentChars},
		{in: "１２３４５６７８９０９", err: ErrDocumentChars}, // full-width digits
	}
	for _, tt := range tests {
		kind, norm, err := ParseDocument(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseDocument(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if kind != 0 || norm != "" {
				t.Errorf("ParseDocument(%q) = %v, %q with an error", tt.in, kind, norm)
			}
			continue
		}
		if err != nil || kind != tt.kind || norm != tt.norm {
			t.Errorf("ParseDocument(%q) = %v, %q, %v; want %v, %q", tt.in, kind, norm, err, tt.kind, tt.norm)
		}
	}
}

func TestDocumentErrorsCarryNoDigits(t *testing.T) {
	for _, in := range []string{"123.456.789-00", "1234567890", "12345678*09"} {
		_, _, err := ParseDocument(in)
		if err == nil {
			t.Fatalf("ParseDocument(%q) accepted", in)
		}
		for _, c := range err.Error() {
			if c >= '0' && c <= '9' && c != '1' && c != '4' { // "11 (CPF) or 14 (CNPJ)"
				t.Errorf("error %q may leak the document", err)
			}
		}
	}
}

func TestDocumentKindString(t *testing.T) {
	for k, want := range map[DocumentKind]string{DocCPF: "CPF", DocCNPJ: "CNPJ", 0: "unknown", 7: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("DocumentKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestNormalizeDocument(t *testing.T) {
	tests := map[string]string{
		"123.456.789-09":     "12345678909",
		"12.abc.345/01de-35": "12ABC34501DE35",
		"  1 2\t3\n":         "123",
		"ção":                "çãO", // only ASCII letters are upper-cased
		"":                   "",
	}
	for in, want := range tests {
		if got := NormalizeDocument(in); got != want {
			t.Errorf("NormalizeDocument(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatDocument(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"1", "1"},
		{"123", "123"},
		{"1234", "123.4"},
		{"123456", "123.456"},
		{"1234567", "123.456.7"},
		{"123456789", "123.456.789"},
		{"1234567890", "123.456.789-0"},
		{"12345678909", "123.456.789-09"},
		{"123.456.789-09", "123.456.789-09"},
		{"123.45", "123.45"}, // pasted partial
		{"123456789012", "12.345.678/9012"},
		{"1122233300018", "11.222.333/0001-8"},
		{"11222333000181", "11.222.333/0001-81"},
		{"11.222.333/0001-81", "11.222.333/0001-81"},
		{"12A", "12.A"},
		{"12abc", "12.ABC"},
		{"12ABC3", "12.ABC.3"},
		{"12ABC345", "12.ABC.345"},
		{"12ABC3450", "12.ABC.345/0"},
		{"12ABC34501DE", "12.ABC.345/01DE"},
		{"12ABC34501DE3", "12.ABC.345/01DE-3"},
		{"12abc34501de35", "12.ABC.345/01DE-35"},
		{"12.ABC.345/01DE-35", "12.ABC.345/01DE-35"},
		{"A", "A"},
		{"112223330001812", "112223330001812"}, // too long: left bare
		{"123*", "123*"},                       // cannot be a document: left bare
	}
	for _, tt := range tests {
		if got := FormatDocument(tt.in); got != tt.want {
			t.Errorf("FormatDocument(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskDocument(t *testing.T) {
	tests := []struct{ in, want string }{
		{"123.456.789-09", "***.456.789-**"},
		{"12345678909", "***.456.789-**"},
		{"23858488135", "***.584.881-**"},
		{"11222333000181", "**.222.333/****-**"},
		{"11.222.333/0001-81", "**.222.333/****-**"},
		{"12.abc.345/01de-35", "**.ABC.345/****-**"},
		{"123.456.789-00", "*********00"}, // invalid CPF: only the last 2
		{"12345", "***45"},
		{"12", "**"},
		{"", ""},
		{"joão", "**ãO"},
	}
	for _, tt := range tests {
		if got := MaskDocument(tt.in); got != tt.want {
			t.Errorf("MaskDocument(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	for _, s := range []string{
		"238.584.881-35", "123.456.789-09", "111.111.111-11", "123.456.789-00",
		"11.222.333/0001-81", "12.ABC.345/01DE-35", "12abc34501de35", "12ABC34501DE36",
		"", "1234", "12ABC", "ção", "\xff\xfe", "12.ABC.345/01DE-3\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = FormatDocument(s)
		masked := MaskDocument(s)
		kind, norm, err := ParseDocument(s)
		if err != nil {
			if kind != 0 || norm != "" {
				t.Fatalf("ParseDocument(%q) = %v, %q with error %v", s, kind, norm, err)
			}
			return
		}
		k2, n2, err := ParseDocument(norm)
		if err != nil || k2 != kind || n2 != norm {
			t.Fatalf("re-parse of %q = %v, %q, %v; want %v, %q", norm, k2, n2, err, kind, norm)
		}
		formatted := FormatDocument(norm)
		k3, n3, err := ParseDocument(formatted)
		if err != nil || k3 != kind || n3 != norm {
			t.Fatalf("parse of formatted %q = %v, %q, %v; want %v, %q", formatted, k3, n3, err, kind, norm)
		}
		if FormatDocument(formatted) != formatted {
			t.Fatalf("FormatDocument is not idempotent on %q", formatted)
		}
		if kind == DocCPF && (masked[:3] != "***" || masked[len(masked)-2:] != "**") {
			t.Fatalf("CPF %q masked as %q", norm, masked)
		}
		if kind == DocCNPJ && (masked[:2] != "**" || masked[len(masked)-8:] != "/****-**") {
			t.Fatalf("CNPJ %q masked as %q", norm, masked)
		}
	})
}
