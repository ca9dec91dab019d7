-- Poll leases: when several processes share the journal, each charge
-- awaiting payment is polled by one of them at a time. A row exists while a
-- charge is being watched; owner is '' when nobody holds it. The table is
-- apart from charges so that taking a lease rewrites a narrow row and never
-- waits for a charge being written. Times are BIGINT microseconds, UTC.
CREATE TABLE IF NOT EXISTS leases (
    charge_id    BIGINT PRIMARY KEY REFERENCES charges (id),
    owner        TEXT NOT NULL DEFAULT '',
    lease_until  BIGINT NOT NULL DEFAULT 0,
    next_poll_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX leases_due ON leases (next_poll_at, charge_id);
