-- Each charge's last writer, for the change feed's catch-up (feed_pg.go),
-- moves out of charges into a narrow table of its own. As a column of
-- charges with an index, written_xid changed on every write, and an
-- update that changes an indexed column cannot be HOT: every new version
-- of a charge (a duplicate webhook's, say, which changes nothing else)
-- wrote a new entry into each of the 17 indexes on charges — 119 µs an
-- update, 17 µs as HOT (docs/load.md). Charges keep 30 % of each new page
-- free, so that such an update finds room beside its row. Safe to run
-- again over its own result.
CREATE TABLE IF NOT EXISTS charge_writes (
    charge_id   BIGINT PRIMARY KEY,
    written_xid xid8 NOT NULL
);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'charges' AND column_name = 'written_xid') THEN INSERT INTO charge_writes (charge_id, written_xid) SELECT id, written_xid FROM charges WHERE written_xid IS NOT NULL ON CONFLICT (charge_id) DO NOTHING; ALTER TABLE charges DROP COLUMN written_xid; END IF; END $$;
CREATE INDEX charge_writes_xid ON charge_writes (written_xid);
ALTER TABLE charges SET (fillfactor = 70);
