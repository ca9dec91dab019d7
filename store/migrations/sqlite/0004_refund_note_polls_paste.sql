-- The refund's audit note, stored with its key and reason: a retry sends
-- the same body under the same key. Repeated identical polls folded into
-- one timeline entry: how many it stands for and when the last came. An
-- index for finding a charge by its pasted "Pix Copia e Cola" code.
-- ADD COLUMN IF NOT EXISTS is run by migrate.go, which skips a column that
-- is there already (SQLite has no such clause).
ALTER TABLE charges ADD COLUMN IF NOT EXISTS refund_description TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN IF NOT EXISTS times_seen INTEGER NOT NULL DEFAULT 1;
ALTER TABLE entries ADD COLUMN IF NOT EXISTS last_seen_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX charges_copy_and_paste ON charges (copy_and_paste) WHERE copy_and_paste <> '';
