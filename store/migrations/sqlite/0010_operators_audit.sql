-- Operators (who is at the counter, with a PIN kept only as an argon2id
-- hash in PHC form: parameters, per-operator salt and key), the charge's
-- operator, and the audit trail: append-only, each row chained to the one
-- before it by a SHA-256 hash (store/audit.go says over what). The
-- counters row 'audit' is the chain's head: an append takes it, so appends
-- queue one behind another.
CREATE TABLE IF NOT EXISTS operators (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    pin_hash   TEXT NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS operators_name ON operators (name);
ALTER TABLE charges ADD COLUMN IF NOT EXISTS operator TEXT;
CREATE TABLE IF NOT EXISTS audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    terminal  TEXT NOT NULL DEFAULT '',
    operator  TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    charge_id INTEGER NOT NULL DEFAULT 0,
    detail    TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_charge ON audit (charge_id, seq);
INSERT INTO counters (name, value) VALUES ('audit', 0) ON CONFLICT (name) DO NOTHING;
DROP TRIGGER IF EXISTS audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'store: the audit trail is append-only'); END;
DROP TRIGGER IF EXISTS audit_no_delete;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'store: the audit trail is append-only'); END;
