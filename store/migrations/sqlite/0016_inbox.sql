-- The receiver's inbox: signed webhook deliveries as they arrived, each
-- committed before its 200 and applied to the journal soon after, in its
-- own transaction, which deletes it (inbox.go). An empty table is the
-- normal state; rows stay only while the applier is behind, or after a
-- crash until a receiver starts again. Safe to run again.
CREATE TABLE IF NOT EXISTS inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    signature   TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    remote_addr TEXT NOT NULL,
    body        BLOB NOT NULL
);
