-- The day's close (store.DayReport): one sealed report per terminal and
-- local day. report is the report's JSON as printed when it was sealed and
-- hash its SHA-256 (hex), so a reprint is byte for byte what was sealed
-- and an edit made by hand is seen. A sealed row is never changed or
-- removed: the triggers refuse it.
CREATE TABLE IF NOT EXISTS closes (
    terminal  TEXT NOT NULL,
    day       TEXT NOT NULL,
    sealed_at INTEGER NOT NULL,
    report    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (terminal, day)
);
CREATE TRIGGER IF NOT EXISTS closes_no_update BEFORE UPDATE ON closes BEGIN SELECT RAISE(ABORT, 'store: a closed day is sealed'); END;
CREATE TRIGGER IF NOT EXISTS closes_no_delete BEFORE DELETE ON closes BEGIN SELECT RAISE(ABORT, 'store: a closed day is sealed'); END;
