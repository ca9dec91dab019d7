package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PINParams are the argon2id costs a PIN is hashed with. They are stored
// with each hash, so raising them later leaves older hashes checkable.
type PINParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultPINParams are the costs new PINs get: 64 MiB, 2 passes, 2 lanes.
// On the 2-core machine pixdesk is developed on a check takes about a
// quarter of a second (BenchmarkCheckPIN; README "Operators"): unnoticed at
// the counter, and trying every 6-digit PIN of a stolen journal costs about
// three days of that machine per operator.
var DefaultPINParams = PINParams{Memory: 64 * 1024, Time: 2, Threads: 2}

// PIN lengths, in characters: a 4-digit PIN up to a passphrase.
const (
	MinPIN = 4
	MaxPIN = 64
)

const (
	pinSaltLen = 16
	pinKeyLen  = 32
)

// errBadHash: a stored hash pixdesk cannot read (it compares unequal).
var errBadHash = errors.New("store: unreadable PIN hash")

// CheckPINText says what is wrong with pin as a new PIN, or nil.
func CheckPINText(pin string) error {
	n := utf8.RuneCountInString(pin)
	switch {
	case !utf8.ValidString(pin):
		return errors.New("store: PIN is not valid UTF-8")
	case n < MinPIN:
		return fmt.Errorf("store: PIN shorter than %d characters", MinPIN)
	case n > MaxPIN:
		return fmt.Errorf("store: PIN longer than %d characters", MaxPIN)
	}
	return nil
}

// HashPIN returns pin's argon2id hash in PHC form with a new random salt:
// "$argon2id$v=19$m=65536,t=2,p=2$<salt>$<key>".
func HashPIN(pin string, p PINParams) (string, error) {
	salt := make([]byte, pinSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("store: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, pinKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPIN reports whether pin matches hash (from HashPIN), comparing in
// constant time. An unreadable hash matches nothing.
func VerifyPIN(hash, pin string) bool {
	p, salt, key, err := parsePINHash(hash)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// parsePINHash reads a PHC argon2id string.
func parsePINHash(h string) (PINParams, []byte, []byte, error) {
	var p PINParams
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<21 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}
