-- Search by any word of the payer's name, newest first (see names.go).
-- charge_names is an FTS5 index of name_fold (already folded by Fold, so
-- the tokenizer only splits words: remove_diacritics 0) with prefix
-- indexes of 1 to 8 characters, so that a word typed in part is one
-- index lookup. Its rowid is not the charge id but the charge's place in
-- the list order, created_at * 1024 + the charge's rank among charges of
-- the same microsecond (by id): FTS5 walks its matches by rowid, so the
-- newest matches come first and a page stops after its last row instead
-- of sorting every match. charge_id is stored beside it. The table is
-- contentless: the names stay in charges only.
-- Re-appliable over its own result: the index is rebuilt from charges.
DROP TRIGGER IF EXISTS charges_name_words;
DROP TABLE IF EXISTS charge_names;
-- (SQLite 3.54 leaves this shadow table of a contentless_unindexed table behind.)
DROP TABLE IF EXISTS charge_names_content;
CREATE VIRTUAL TABLE charge_names USING fts5(name_fold, charge_id UNINDEXED, content = '',
    contentless_unindexed = 1, tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3 4 5 6 7 8', detail = 'none');
INSERT INTO charge_names (rowid, name_fold, charge_id)
    SELECT created_at * 1024 + ROW_NUMBER() OVER (PARTITION BY created_at ORDER BY id) - 1, name_fold, id
    FROM charges;
INSERT INTO charge_names (charge_names) VALUES ('optimize');
-- A charge's name and creation time never change, so only inserts are
-- indexed. Over 1024 charges stamped with one microsecond (a frozen clock)
-- would share a place: refused rather than misordered.
CREATE TRIGGER charges_name_words AFTER INSERT ON charges BEGIN INSERT INTO charge_names (rowid, name_fold, charge_id) SELECT CASE WHEN r < 1024 THEN NEW.created_at * 1024 + r ELSE RAISE(ABORT, 'store: more than 1024 charges created in one microsecond') END, NEW.name_fold, NEW.id FROM (SELECT COUNT(*) AS r FROM charges WHERE created_at = NEW.created_at AND id < NEW.id); END;
-- Whole-name prefixes are no longer searched.
DROP INDEX IF EXISTS charges_name_fold;
