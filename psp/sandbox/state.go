package sandbox

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// stateVersion is the format of the state file; another version is refused
// like a corrupt file.
const stateVersion = 1

// stateFile is what Options.StatePath holds: the charges and the replayable
// idempotency records. Tokens, faults, webhook modes, pending deliveries and
// stats are deliberately left out: clients re-authenticate, and the console
// polls for what a lost webhook would have told it.
type stateFile struct {
	Version     int          `json:"version"`
	SavedAt     time.Time    `json:"savedAt"`
	Charges     []chargeWire `json:"charges"`     // creation order
	Idempotency []idemWire   `json:"idempotency"` // unexpired records only
}

// chargeWire is a charge on disk.
type chargeWire struct {
	CashIn     psp.CashIn `json:"cashIn"` // pixData included, as created
	ExpiresAt  time.Time  `json:"expiresAt"`
	WebhookURL string     `json:"webhookUrl,omitempty"`
}

// idemWire is an idempotency record on disk. Body is kept as bytes (base64
// in JSON) so a replay after a restart is byte for byte the first answer.
type idemWire struct {
	Key         string    `json:"key"`
	Fingerprint string    `json:"fingerprint"` // hex SHA-256
	Status      int       `json:"status"`
	Body        []byte    `json:"body"`
	Expires     time.Time `json:"expires"`
}

// snapshotLocked returns the persistent part of the state.
func (s *Sandbox) snapshotLocked(now time.Time) *stateFile {
	st := &stateFile{Version: stateVersion, SavedAt: now.UTC(), Charges: make([]chargeWire, 0, len(s.charges)), Idempotency: []idemWire{}}
	for _, c := range s.charges {
		st.Charges = append(st.Charges, chargeWire{CashIn: c.ci, ExpiresAt: c.expiresAt, WebhookURL: c.webhookURL})
	}
	for k, e := range s.idem {
		if now.Before(e.expires) {
			st.Idempotency = append(st.Idempotency, idemWire{
				Key: k, Fingerprint: hex.EncodeToString(e.fingerprint[:]), Status: e.status, Body: e.body, Expires: e.expires,
			})
		}
	}
	return st
}

// persistLocked rewrites the state file after a change. It runs under s.mu,
// so writes happen in the order of the changes and a later state is never
// replaced by an earlier one. A failure is logged: the change has been made
// in memory and the API answers it, as ConnectPSP would.
func (s *Sandbox) persistLocked() {
	if s.statePath == "" {
		return
	}
	b, err := json.Marshal(s.snapshotLocked(s.now()))
	if err == nil {
		err = writeFileAtomic(s.statePath, b)
	}
	if err != nil {
		s.log.Error("sandbox: saving state; changes since the last save will not survive a restart", "path", s.statePath, "err", err)
	}
}

// writeFileAtomic replaces path with data: a 0600 temporary file in the same
// directory is written, synced and renamed over path, so a reader (or a
// crash) sees the old file or the new one, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // created 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not possible everywhere (Windows).
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// errCorrupt marks a state file that exists but cannot be used.
var errCorrupt = errors.New("corrupt sandbox state")

// loadState fills a new sandbox from s.statePath. A missing file is an
// empty state. A corrupt one is moved aside to <path>.corrupt-<unix> and
// the sandbox starts empty, with a warning. A file that cannot be read at
// all (permissions, a directory) turns persistence off for this sandbox, so
// that it is never overwritten unread.
func (s *Sandbox) loadState() {
	path := s.statePath
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case err != nil:
		s.log.Error("sandbox: cannot read the state file; starting empty and not saving", "path", path, "err", err)
		s.statePath = ""
		return
	}
	err = s.restore(b)
	if err == nil {
		s.log.Info("sandbox: state loaded", "path", path, "charges", len(s.charges), "idempotencyKeys", len(s.idem))
		return
	}
	s.resetLocked()
	aside := path + ".corrupt-" + strconv.FormatInt(time.Now().Unix(), 10)
	if rerr := os.Rename(path, aside); rerr != nil {
		s.log.Error("sandbox: corrupt state file cannot be moved aside; starting empty and not saving",
			"path", path, "err", err, "renameErr", rerr)
		s.statePath = ""
		return
	}
	s.log.Warn("sandbox: corrupt state file moved aside; starting empty", "path", path, "movedTo", aside, "err", err)
}

// resetLocked forgets every charge and idempotency record.
func (s *Sandbox) resetLocked() {
	s.charges = nil
	s.ids = map[string]*charge{}
	s.refs = map[string]*charge{}
	s.idem = map[string]*idemEntry{}
}

// restore decodes and checks a state file into the (empty) sandbox.
// Expired idempotency records are dropped.
func (s *Sandbox) restore(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st stateFile
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data", errCorrupt)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("%w: version %d, want %d", errCorrupt, st.Version, stateVersion)
	}
	for i, w := range st.Charges {
		c, err := w.charge()
		if err != nil {
			return fmt.Errorf("%w: charge %d: %v", errCorrupt, i, err)
		}
		if s.refs[c.ci.ExternalReference] != nil {
			return fmt.Errorf("%w: charge %d: externalReference repeated", errCorrupt, i)
		}
		for _, id := range []string{c.ci.TransactionID, c.ci.InternalCode, c.ci.EndToEndID, c.ci.OriginalEndToEndID} {
			if id == "" {
				continue
			}
			if s.ids[id] != nil {
				return fmt.Errorf("%w: charge %d: id %s repeated", errCorrupt, i, truncate(id, 64))
			}
			s.ids[id] = c
		}
		s.refs[c.ci.ExternalReference] = c
		s.charges = append(s.charges, c)
	}
	now := s.now()
	for i, w := range st.Idempotency {
		fp, err := hex.DecodeString(w.Fingerprint)
		switch {
		case err != nil || len(fp) != 32:
			return fmt.Errorf("%w: idempotency record %d: bad fingerprint", errCorrupt, i)
		case w.Key == "" || s.idem[w.Key] != nil:
			return fmt.Errorf("%w: idempotency record %d: empty or repeated key", errCorrupt, i)
		case w.Status < 200 || w.Status > 299 || !json.Valid(w.Body):
			return fmt.Errorf("%w: idempotency record %d: bad answer", errCorrupt, i)
		}
		if !now.Before(w.Expires) {
			continue
		}
		e := &idemEntry{status: w.Status, body: w.Body, expires: w.Expires}
		copy(e.fingerprint[:], fp)
		s.idem[w.Key] = e
	}
	return nil
}

// charge checks a charge read from disk and rebuilds it, with its times back
// in ConnectPSP's -03:00 offset.
func (w chargeWire) charge() (*charge, error) {
	ci := w.CashIn
	switch {
	case ci.TransactionID == "" || ci.InternalCode == "" || ci.ExternalReference == "":
		return nil, errors.New("missing transactionId, internalCode or externalReference")
	case !ci.Status.Valid():
		return nil, fmt.Errorf("unknown status %.20q", ci.Status)
	case w.ExpiresAt.IsZero():
		return nil, errors.New("missing expiresAt")
	case (ci.Status == psp.StatusPaid || ci.Status == psp.StatusRefunded) && ci.EndToEndID == "":
		return nil, errors.New("paid without endToEndId")
	}
	for _, t := range []*time.Time{&ci.RequestedAt, &ci.PaidAt, &ci.RefundedAt, &ci.ExpiredAt} {
		if !t.IsZero() {
			*t = t.In(brasilia)
		}
	}
	return &charge{ci: ci, expiresAt: w.ExpiresAt.In(brasilia), webhookURL: w.WebhookURL}, nil
}
