-- Search by any word of the payer's name (see names.go). charge_names is
-- a narrow copy of what a name search reads: when the charge was created,
-- its terminal, amount and status, and its name's lexemes, kept by
-- triggers (a charge's name, time, terminal and amount never change; its
-- status does). A search chooses its page there and reads only that
-- page's rows from charges, whose rows are wide. The lexemes are the
-- name's words, as Fold wrote them into name_fold, and every pair of two
-- of its words ("da silva", "maria silva"): a search for two words reads
-- the short list of the charges that have both, where the words' own
-- lists would hold thousands each. array_to_tsvector takes them as they
-- are, so no text-search configuration or extension has a say in what
-- matches. name_vocab lists every word once, so that a word typed in part
-- becomes the whole words it can be: the planner knows how frequent a
-- whole word is, and pairs are made of whole words.
-- Re-appliable over its own result.
CREATE TABLE IF NOT EXISTS name_vocab (word TEXT COLLATE "C" PRIMARY KEY);
-- fillfactor 90 leaves room on each page for a status change to stay a
-- heap-only update, which touches no index.
CREATE TABLE IF NOT EXISTS charge_names (
    charge_id         BIGINT PRIMARY KEY REFERENCES charges (id),
    charge_created_at BIGINT NOT NULL,
    charge_terminal   TEXT NOT NULL,
    charge_amount     BIGINT NOT NULL,
    charge_status     TEXT NOT NULL,
    words             tsvector NOT NULL
) WITH (fillfactor = 90);
-- The words of a folded name and their pairs, each pair in byte order
-- (names.go builds its queries the same way).
CREATE OR REPLACE FUNCTION name_lexemes(fold TEXT) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$ SELECT array_to_tsvector(ARRAY(SELECT w FROM unnest(string_to_array(fold, ' ')) AS w WHERE w <> '' UNION SELECT a || ' ' || b FROM unnest(string_to_array(fold, ' ')) AS a, unnest(string_to_array(fold, ' ')) AS b WHERE a <> '' AND a < b COLLATE "C")) $$;
INSERT INTO charge_names (charge_id, charge_created_at, charge_terminal, charge_amount, charge_status, words)
    SELECT id, created_at, terminal, amount, status, name_lexemes(name_fold) FROM charges
    ON CONFLICT (charge_id) DO UPDATE SET words = EXCLUDED.words, charge_status = EXCLUDED.charge_status;
INSERT INTO name_vocab (word)
    SELECT DISTINCT w FROM charges, unnest(string_to_array(name_fold, ' ')) AS w WHERE w <> ''
    ON CONFLICT DO NOTHING;
-- fastupdate off: a pending list would be read whole by every search
-- until a vacuum merged it.
DROP INDEX IF EXISTS charge_names_words;
CREATE INDEX charge_names_words ON charge_names USING gin (words) WITH (fastupdate = off);
DROP INDEX IF EXISTS charge_names_created;
CREATE INDEX charge_names_created ON charge_names (charge_created_at, charge_id);
CREATE OR REPLACE FUNCTION charges_name_words() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO charge_names (charge_id, charge_created_at, charge_terminal, charge_amount, charge_status, words) VALUES (NEW.id, NEW.created_at, NEW.terminal, NEW.amount, NEW.status, name_lexemes(NEW.name_fold)); INSERT INTO name_vocab (word) SELECT w FROM unnest(string_to_array(NEW.name_fold, ' ')) AS w WHERE w <> '' ON CONFLICT DO NOTHING; RETURN NULL; END $$;
DROP TRIGGER IF EXISTS charges_name_words ON charges;
CREATE TRIGGER charges_name_words AFTER INSERT ON charges FOR EACH ROW EXECUTE FUNCTION charges_name_words();
CREATE OR REPLACE FUNCTION charges_name_status() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE charge_names SET charge_status = NEW.status WHERE charge_id = NEW.id; RETURN NULL; END $$;
DROP TRIGGER IF EXISTS charges_name_status ON charges;
CREATE TRIGGER charges_name_status AFTER UPDATE OF status ON charges FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION charges_name_status();
-- The planner's statistics of the words, for the first search.
ANALYZE charge_names;
-- Whole-name prefixes are no longer searched.
DROP INDEX IF EXISTS charges_name_fold;
