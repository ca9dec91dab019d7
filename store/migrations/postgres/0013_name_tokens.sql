-- A name search's page in list order (see names.go). name_tokens holds one
-- row per token of each charge's name — each of its words, as Fold wrote
-- them into name_fold, and each pair of two of its words in byte order,
-- the lexemes of charge_names.words — with the charge's creation time, id,
-- terminal and amount, none of which ever change. Its index orders a
-- token's charges by creation time, so that a backward scan of one token
-- yields its charges newest first and stops after the page, as FTS5's
-- rowid does on SQLite: a search merges the scans of the few tokens a
-- typed word stands for (a Merge Append), whatever their lists' lengths.
-- A charge's status, which changes, is checked on charge_names. Filled by
-- an insert trigger; the backfill rebuilds it from every charge, so that
-- it is re-appliable over its own result.
CREATE TABLE IF NOT EXISTS name_tokens (
    token      TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    charge_id  BIGINT NOT NULL,
    terminal   TEXT NOT NULL,
    amount     BIGINT NOT NULL
);
-- The tokens of a folded name: its words and their pairs, each pair in
-- byte order (names.go builds its queries the same way; name_lexemes is
-- the same list as a tsvector).
CREATE OR REPLACE FUNCTION name_token_list(fold TEXT) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY(SELECT w FROM unnest(string_to_array(fold, ' ')) AS w WHERE w <> '' UNION SELECT a || ' ' || b FROM unnest(string_to_array(fold, ' ')) AS a, unnest(string_to_array(fold, ' ')) AS b WHERE a <> '' AND a < b COLLATE "C") $$;
DROP INDEX IF EXISTS name_tokens_order;
TRUNCATE name_tokens;
INSERT INTO name_tokens (token, created_at, charge_id, terminal, amount)
    SELECT tok, c.created_at, c.id, c.terminal, c.amount FROM charges c, unnest(name_token_list(c.name_fold)) AS tok;
CREATE UNIQUE INDEX name_tokens_order ON name_tokens (token, created_at, charge_id);
CREATE OR REPLACE FUNCTION charges_name_tokens() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO name_tokens (token, created_at, charge_id, terminal, amount) SELECT tok, NEW.created_at, NEW.id, NEW.terminal, NEW.amount FROM unnest(name_token_list(NEW.name_fold)) AS tok; RETURN NULL; END $$;
DROP TRIGGER IF EXISTS charges_name_tokens ON charges;
CREATE TRIGGER charges_name_tokens AFTER INSERT ON charges FOR EACH ROW EXECUTE FUNCTION charges_name_tokens();
ANALYZE name_tokens;
