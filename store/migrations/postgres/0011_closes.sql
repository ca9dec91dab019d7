-- The day's close (store.DayReport): one sealed report per terminal and
-- local day. report is the report's JSON as printed when it was sealed and
-- hash its SHA-256 (hex), so a reprint is byte for byte what was sealed
-- and an edit made by hand is seen. A sealed row is never changed or
-- removed: the trigger refuses it.
CREATE TABLE IF NOT EXISTS closes (
    terminal  TEXT NOT NULL,
    day       TEXT NOT NULL,
    sealed_at BIGINT NOT NULL,
    report    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (terminal, day)
);
CREATE OR REPLACE FUNCTION closes_sealed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'store: a closed day is sealed'; END $$;
DROP TRIGGER IF EXISTS closes_sealed ON closes;
CREATE TRIGGER closes_sealed BEFORE UPDATE OR DELETE ON closes FOR EACH ROW EXECUTE FUNCTION closes_sealed();
