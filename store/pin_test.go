package store

import (
	"strings"
	"testing"
)

func TestPINHash(t *testing.T) {
	p := PINParams{Memory: 64, Time: 1, Threads: 1} // cheap: the format and the compare, not the cost
	h, err := HashPIN("1234", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash = %q", h)
	}
	h2, _ := HashPIN("1234", p)
	if h == h2 {
		t.Fatal("two hashes of one PIN are equal: no salt")
	}
	if !VerifyPIN(h, "1234") || !VerifyPIN(h2, "1234") {
		t.Fatal("the right PIN does not verify")
	}
	for _, bad := range []string{"1235", "", "12345", "1234 "} {
		if VerifyPIN(h, bad) {
			t.Errorf("VerifyPIN(%q) = true", bad)
		}
	}
	for _, broken := range []string{"", "1234", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", h[:len(h)-8],
		strings.Replace(h, "m=64", "m=999999999", 1), strings.Replace(h, "t=1", "t=0", 1)} {
		if VerifyPIN(broken, "1234") {
			t.Errorf("VerifyPIN accepts the hash %q", broken)
		}
	}
	// Parameters travel with the hash: a hash made with other costs still verifies.
	old, _ := HashPIN("9876", PINParams{Memory: 32, Time: 2, Threads: 1})
	if !VerifyPIN(old, "9876") {
		t.Fatal("a hash with other parameters does not verify")
	}
}

func TestPINText(t *testing.T) {
	for pin, ok := range map[string]bool{"123": false, "1234": true, strings.Repeat("9", MaxPIN): true,
		strings.Repeat("9", MaxPIN+1): false, "\xff\xfe12": false, "senha longa": true} {
		if err := CheckPINText(pin); (err == nil) != ok {
			t.Errorf("CheckPINText(%q) = %v", pin, err)
		}
	}
}

// BenchmarkCheckPIN is one PIN check at DefaultPINParams, as the console
// does it when someone types a PIN (README "Operators" has the figure).
func BenchmarkCheckPIN(b *testing.B) {
	h, err := HashPIN("2468", DefaultPINParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !VerifyPIN(h, "2468") {
			b.Fatal("no match")
		}
	}
}
