package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is what an operator may do.
type Role string

// Roles. A caixa takes charges; a refund it asks for needs a supervisor's
// or suporte's PIN. Supervisor and suporte refund, reveal a payer's
// document and export.
const (
	RoleCaixa      Role = "caixa"
	RoleSupervisor Role = "supervisor"
	RoleSuporte    Role = "suporte"
)

// Roles lists the roles in the order help shows them.
var Roles = []Role{RoleCaixa, RoleSupervisor, RoleSuporte}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r == RoleCaixa || r == RoleSupervisor || r == RoleSuporte }

// Authorised reports whether r may refund, approve a refund, reveal a
// document and export without anyone else's PIN.
func (r Role) Authorised() bool { return r == RoleSupervisor || r == RoleSuporte }

// Operator is someone who may sign in at a counter.
type Operator struct {
	ID        int64
	Name      string
	Role      Role
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ErrBadPIN: the PIN is wrong, or the operator unknown or disabled (one
// error for all three, so a prompt does not tell which names exist).
var ErrBadPIN = errors.New("store: wrong operator or PIN")

// MaxOperatorName bounds an operator's name, in characters.
const MaxOperatorName = 32

// CheckOperatorName says what is wrong with name as an operator's name:
// 1 to MaxOperatorName letters, digits, '.', '-' or '_'.
func CheckOperatorName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > MaxOperatorName {
		return fmt.Errorf("store: an operator's name has 1 to %d characters", MaxOperatorName)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".-_", r) {
			return errors.New("store: an operator's name has letters, digits, '.', '-' and '_' only")
		}
	}
	return nil
}

// AddOperator adds an enabled operator with pin (hashed with
// the DB's PINParams, DefaultPINParams unless WithPINParams) and audits it as by. A name already taken is
// ErrConflict.
func (db *DB) AddOperator(ctx context.Context, by Actor, name string, role Role, pin string) (*Operator, error) {
	if err := checkNewOperator(name, role, pin); err != nil {
		return nil, err
	}
	hash, err := HashPIN(pin, db.pin)
	if err != nil {
		return nil, err
	}
	var o *Operator
	err = db.write(ctx, func(t *txn) error {
		now := micro(t.now)
		var id int64
		err := t.queryRow(`INSERT INTO operators (name, role, pin_hash, disabled, created_at, updated_at)
			VALUES (?, ?, ?, 0, ?, ?) RETURNING id`, name, string(role), hash, now, now).Scan(&id)
		if err != nil {
			if errors.Is(mapErr(err), ErrConflict) {
				return fmt.Errorf("%w: operator %s already exists", ErrConflict, name)
			}
			return err
		}
		o = &Operator{ID: id, Name: name, Role: role, CreatedAt: fromMicro(now), UpdatedAt: fromMicro(now)}
		_, err = t.audit(NewAudit{Actor: by, Action: AuditOperatorAdded, Detail: map[string]string{"name": name, "role": string(role)}})
		return err
	})
	return o, err
}

func checkNewOperator(name string, role Role, pin string) error {
	if err := CheckOperatorName(name); err != nil {
		return err
	}
	if !role.Valid() {
		return fmt.Errorf("store: unknown role %q (caixa, supervisor or suporte)", role)
	}
	return CheckPINText(pin)
}

// Operators lists every operator, disabled ones included, by name.
func (db *DB) Operators(ctx context.Context) ([]Operator, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT "+operatorCols+" FROM operators ORDER BY name")
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		o, _, err := scanOperator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, mapErr(rows.Err())
}

// HasOperators reports whether any operator is enabled: when none is, the
// console runs as it did before operators, with no one signed in.
func (db *DB) HasOperators(ctx context.Context) (bool, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM operators WHERE disabled = 0").Scan(&n)
	return n > 0, mapErr(err)
}

const operatorCols = "id, name, role, pin_hash, disabled, created_at, updated_at"

func scanOperator(s scanner) (Operator, string, error) {
	var (
		o                Operator
		role, hash       string
		disabled         int
		created, updated int64
	)
	if err := s.Scan(&o.ID, &o.Name, &role, &hash, &disabled, &created, &updated); err != nil {
		return o, "", mapErr(err)
	}
	o.Role, o.Disabled = Role(role), disabled != 0
	o.CreatedAt, o.UpdatedAt = fromMicro(created), fromMicro(updated)
	return o, hash, nil
}

// DisableOperator disables operator name, audited as by; its PIN no longer
// signs in. An unknown name is ErrNotFound.
func (db *DB) DisableOperator(ctx context.Context, by Actor, name string) error {
	return db.write(ctx, func(t *txn) error {
		res, err := t.exec("UPDATE operators SET disabled = 1, updated_at = ? WHERE name = ?", micro(t.now), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("%w: no operator %s", ErrNotFound, name)
		}
		_, err = t.audit(NewAudit{Actor: by, Action: AuditOperatorDisabled, Detail: map[string]string{"name": name}})
		return err
	})
}

// ResetOperator gives operator name a new PIN and enables it again, with a
// new role unless role is "", audited as by. An unknown name is
// ErrNotFound.
func (db *DB) ResetOperator(ctx context.Context, by Actor, name string, role Role, pin string) error {
	if role != "" && !role.Valid() {
		return fmt.Errorf("store: unknown role %q (caixa, supervisor or suporte)", role)
	}
	if err := CheckPINText(pin); err != nil {
		return err
	}
	hash, err := HashPIN(pin, db.pin)
	if err != nil {
		return err
	}
	return db.write(ctx, func(t *txn) error {
		o, _, err := scanOperator(t.queryRow("SELECT "+operatorCols+" FROM operators WHERE name = ?"+t.db.forUpdate(), name))
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: no operator %s", ErrNotFound, name)
		}
		if err != nil {
			return err
		}
		if role == "" {
			role = o.Role
		}
		if _, err := t.exec("UPDATE operators SET pin_hash = ?, role = ?, disabled = 0, updated_at = ? WHERE id = ?",
			hash, string(role), micro(t.now), o.ID); err != nil {
			return err
		}
		_, err = t.audit(NewAudit{Actor: by, Action: AuditOperatorReset, Detail: map[string]string{"name": name, "role": string(role)}})
		return err
	})
}

// dummyPINHash is checked against when the name is unknown, so that a
// wrong name costs as long as a wrong PIN. It is made on first use, not at
// start: making it costs as much as a check.
var dummyPINHash = sync.OnceValue(func() string {
	h, _ := HashPIN("not a pin", DefaultPINParams)
	return h
})

// CheckPIN returns the enabled operator name whose PIN is pin. Otherwise
// it appends AuditPINFailed (at: where it was typed and who was signed
// in; the detail holds the name typed when an operator has it, and
// purpose, what the PIN was for, such as "sign in" or "approve refund")
// and returns ErrBadPIN, joined to a *PINWaitError when that wrong PIN
// starts a wait. While at's terminal waits it checks nothing and returns
// the *PINWaitError alone. The hash is checked outside any transaction: it
// takes a quarter of a second.
func (db *DB) CheckPIN(ctx context.Context, at Actor, name, pin, purpose string) (*Operator, error) {
	wait, err := db.pinWait(ctx, at.Terminal)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, &PINWaitError{Wait: wait}
	}
	o, hash, err := scanOperator(db.sql.QueryRowContext(ctx, db.rebind("SELECT "+operatorCols+" FROM operators WHERE name = ?"), name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	known := err == nil
	if !known {
		hash = dummyPINHash()
	}
	if VerifyPIN(hash, pin) && known && !o.Disabled {
		return &o, nil
	}
	// A name no operator has is not kept: it may be a PIN typed in the
	// wrong field.
	detail := map[string]string{"name": name, "purpose": purpose}
	if !known {
		detail = map[string]string{"unknown_name": "true", "purpose": purpose}
	}
	if _, err := db.Audit(ctx, NewAudit{Actor: at, Action: AuditPINFailed, Detail: detail}); err != nil {
		return nil, err
	}
	if wait, err = db.pinWait(ctx, at.Terminal); err == nil && wait > 0 {
		return nil, errors.Join(ErrBadPIN, &PINWaitError{Wait: wait})
	}
	return nil, ErrBadPIN
}
