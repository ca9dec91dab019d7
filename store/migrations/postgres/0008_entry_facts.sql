-- A timeline entry's facts (store.Facts): a JSON object of typed values
-- that the screens word in the reader's language. Entries written before
-- have none ('') and keep their English note in detail, which new entries
-- leave empty.
ALTER TABLE entries ADD COLUMN IF NOT EXISTS facts TEXT NOT NULL DEFAULT '';
