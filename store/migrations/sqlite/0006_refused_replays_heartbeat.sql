-- Deliveries that failed verification are not deliveries: they never touch
-- a charge. A bounded sample of them is kept apart, for support to read:
-- when, from where, how big, the SHA-256 of the whole body and its first
-- bytes, stored as received (evidence, not text to show). bytes is what a
-- row stores, for the cap on the table's size. refusal_counts counts every
-- refusal by the minute, sampled or not.
CREATE TABLE IF NOT EXISTS refused_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    remote_addr TEXT NOT NULL DEFAULT '',
    event_id    TEXT NOT NULL DEFAULT '',
    signature   TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL,
    body_sha256 TEXT NOT NULL,
    head        BLOB,
    bytes       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refusal_counts (
    minute INTEGER PRIMARY KEY,
    n      INTEGER NOT NULL
);
-- A signed delivery replayed byte for byte is the delivery already kept:
-- the hash finds it, replays counts the copies, replay_entry_id is the one
-- timeline line that stands for them.
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS body_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS replays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS last_replay_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS replay_entry_id INTEGER;
CREATE INDEX deliveries_body_sha256 ON deliveries (body_sha256) WHERE body_sha256 <> '';
-- A status ConnectPSP reported that pixdesk does not know, as reported
-- (clipped); '' once a known one is seen.
ALTER TABLE charges ADD COLUMN IF NOT EXISTS unknown_status TEXT NOT NULL DEFAULT '';
-- /healthz proves the journal can be written by writing this row.
CREATE TABLE IF NOT EXISTS heartbeat (
    name TEXT PRIMARY KEY,
    at   INTEGER NOT NULL
);
