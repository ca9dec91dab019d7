-- Versions without a hot row. Every write took its version from the
-- counters row 'seq' and held that row's lock until commit, so that
-- versions followed commit order and the change feed could catch up with
-- "version > last": every writer of every shop waited on that one row.
-- Versions now come from a sequence (no lock; a charge's row is locked
-- before its version is taken, so one charge's versions still increase),
-- and each charge records the transaction that last wrote it: the feed's
-- catch-up asks which writers a snapshot did not see (feed_pg.go), which
-- is exact whatever order the versions commit in. The row 'seq' stays, no
-- longer moved: charge_versions starts after it. Safe to run again over
-- its own result (the sequence never goes back).
CREATE SEQUENCE IF NOT EXISTS charge_versions MINVALUE 0 START WITH 0;
SELECT setval('charge_versions', GREATEST((SELECT value FROM counters WHERE name = 'seq'), (SELECT COALESCE(MAX(version), 0) FROM charges), (SELECT last_value FROM charge_versions)));
ALTER TABLE charges ADD COLUMN IF NOT EXISTS written_xid xid8;
CREATE INDEX charges_written_xid ON charges (written_xid);
DROP INDEX IF EXISTS charges_version;
