package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrDayClosed: the terminal's day is sealed already; it can be reprinted
// (SealedDay), not closed again.
var ErrDayClosed = errors.New("store: this day is closed already")

// ErrSealBroken: a sealed report no longer matches the hash it was sealed
// with: someone edited the journal by hand.
var ErrSealBroken = errors.New("store: the sealed report does not match its hash")

// Sealed is a closed day as it was sealed: the report and the reconciliation
// that preceded it, fixed for good.
type Sealed struct {
	Terminal string
	Day      string
	SealedAt time.Time
	// Report is the sealed JSON, byte for byte; Hash its SHA-256, hex.
	Report []byte
	Hash   string
}

// Decode reads the sealed report into v (a *DayReport, or the caller's
// own type that embeds one).
func (s *Sealed) Decode(v any) error {
	if err := json.Unmarshal(s.Report, v); err != nil {
		return fmt.Errorf("store: sealed report: %w", err)
	}
	return nil
}

// Seal closes by.Terminal's day for good with report, any value that
// encodes as JSON (the day's DayReport, with what the reconciliation found),
// and returns what was sealed; the audit trail records by (the operator
// signed in, if any) as who closed it. A day sealed already is ErrDayClosed and
// keeps its first report: the closes table refuses updates and deletes.
func (db *DB) Seal(ctx context.Context, by Actor, day string, report any) (*Sealed, error) {
	terminal := by.Terminal
	if terminal == "" || day == "" {
		return nil, errors.New("store: a close needs a terminal and a day")
	}
	b, err := json.Marshal(report)
	if err != nil {
		return nil, fmt.Errorf("store: seal: %w", err)
	}
	s := &Sealed{Terminal: terminal, Day: day, Report: b, Hash: sealHash(b)}
	err = db.write(ctx, func(t *txn) error {
		s.SealedAt = fromMicro(micro(t.now))
		_, err := t.exec("INSERT INTO closes (terminal, day, sealed_at, report, hash) VALUES (?, ?, ?, ?, ?)",
			terminal, day, micro(s.SealedAt), string(b), s.Hash)
		if err != nil {
			return err
		}
		// Closing is audited with the close itself, in its transaction.
		_, err = t.audit(NewAudit{Actor: by, Action: AuditClosed,
			Detail: map[string]string{"day": day, "hash": s.Hash}})
		return err
	})
	if errors.Is(err, ErrConflict) {
		return nil, ErrDayClosed
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SealedDay returns terminal's closed day, or ErrNotFound if it is not
// closed. A report that no longer matches its hash is returned with
// ErrSealBroken, so that it can still be shown as what it is.
func (db *DB) SealedDay(ctx context.Context, terminal, day string) (*Sealed, error) {
	var (
		s      = Sealed{Terminal: terminal, Day: day}
		at     int64
		report string
	)
	err := db.queryRow(ctx, "SELECT sealed_at, report, hash FROM closes WHERE terminal = ? AND day = ?",
		terminal, day).Scan(&at, &report, &s.Hash)
	if err != nil {
		return nil, mapErr(err)
	}
	s.SealedAt, s.Report = fromMicro(at), []byte(report)
	if want, _ := hex.DecodeString(s.Hash); !bytes.Equal(want, sealSum(s.Report)) {
		return &s, ErrSealBroken
	}
	return &s, nil
}

func sealSum(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

func sealHash(b []byte) string { return hex.EncodeToString(sealSum(b)) }
