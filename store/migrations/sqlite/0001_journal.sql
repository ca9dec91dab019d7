-- The journal: charges, their timeline and every webhook delivery.
-- Times are INTEGER microseconds since the Unix epoch, UTC (0 = not set).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE charges (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    terminal               TEXT NOT NULL,
    external_reference     TEXT NOT NULL,
    idempotency_key        TEXT,
    amount                 INTEGER NOT NULL,
    payer_name             TEXT NOT NULL,
    payer_document         TEXT NOT NULL,
    name_fold              TEXT NOT NULL,
    bank_ispb              TEXT NOT NULL DEFAULT '',
    bank_name              TEXT NOT NULL DEFAULT '',
    bank_branch            TEXT NOT NULL DEFAULT '',
    bank_account           TEXT NOT NULL DEFAULT '',
    expires_in_minutes     INTEGER NOT NULL DEFAULT 0,
    webhook_url            TEXT NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    stage                  TEXT NOT NULL,
    reject_reason          TEXT NOT NULL DEFAULT '',
    transaction_id         TEXT,
    internal_code          TEXT,
    copy_and_paste         TEXT NOT NULL DEFAULT '',
    qr_image               TEXT NOT NULL DEFAULT '',
    requested_at           INTEGER NOT NULL DEFAULT 0,
    expires_at             INTEGER NOT NULL DEFAULT 0,
    status                 TEXT NOT NULL DEFAULT '',
    paid_amount            INTEGER NOT NULL DEFAULT 0,
    paid_at                INTEGER NOT NULL DEFAULT 0,
    refunded_at            INTEGER NOT NULL DEFAULT 0,
    expired_at             INTEGER NOT NULL DEFAULT 0,
    end_to_end_id          TEXT,
    original_end_to_end_id TEXT,
    refund_key             TEXT,
    refund_reason          TEXT NOT NULL DEFAULT '',
    flags                  INTEGER NOT NULL DEFAULT 0,
    version                INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX charges_reference ON charges (external_reference);
CREATE UNIQUE INDEX charges_idempotency_key ON charges (idempotency_key);
CREATE UNIQUE INDEX charges_transaction_id ON charges (transaction_id);
CREATE UNIQUE INDEX charges_internal_code ON charges (internal_code);
CREATE UNIQUE INDEX charges_refund_key ON charges (refund_key);
CREATE INDEX charges_version ON charges (version);

CREATE TABLE deliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    charge_id      INTEGER REFERENCES charges (id),
    event_id       TEXT NOT NULL,
    event_type     TEXT NOT NULL DEFAULT '',
    transaction_id TEXT NOT NULL DEFAULT '',
    verdict        TEXT NOT NULL,
    signature      TEXT NOT NULL DEFAULT '',
    remote_addr    TEXT NOT NULL DEFAULT '',
    received_at    INTEGER NOT NULL,
    outcome        TEXT NOT NULL DEFAULT '',
    body           BLOB
);
CREATE INDEX deliveries_charge ON deliveries (charge_id, id);

CREATE TABLE entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    charge_id   INTEGER NOT NULL REFERENCES charges (id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    body        BLOB,
    delivery_id INTEGER REFERENCES deliveries (id)
);
CREATE INDEX entries_charge ON entries (charge_id, id);
