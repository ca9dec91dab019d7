-- The refund's audit note, stored with its key and reason: a retry sends
-- the same body under the same key. Repeated identical polls folded into
-- one timeline entry: how many it stands for and when the last came. An
-- index for finding a charge by its pasted "Pix Copia e Cola" code: a hash
-- index holds a 4-byte hash per code, not the code (up to 512 characters),
-- and equality is all FindByCopyAndPaste asks of it.
ALTER TABLE charges ADD COLUMN IF NOT EXISTS refund_description TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN IF NOT EXISTS times_seen BIGINT NOT NULL DEFAULT 1;
ALTER TABLE entries ADD COLUMN IF NOT EXISTS last_seen_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX charges_copy_and_paste ON charges USING hash (copy_and_paste) WHERE copy_and_paste <> '';
