package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Name search: a text that is not an identifier, a document or an order
// reference finds the charges whose payer's name has, for every word of
// the text, a word that starts with it — anywhere in the name, in any
// order, case and accents ignored (both sides go through Fold). "silva",
// "da silva", "SILVA maria" and "apare" all find "Maria Aparecida da
// Silva"; a fragment inside a word ("ecida") does not: people type the
// start of a name they heard, and word starts keep the index small.
//
// SQLite answers from charge_names (FTS5), whose rowid is the charge's
// place in the list order (migration name_words): FTS5 walks a word's
// matches newest first and a page stops after its last row, however many
// charges match. PostgreSQL does the same with a B-tree (migration
// name_tokens): name_tokens holds one row per word and per pair of words
// of each name, ordered by (token, created_at, charge_id), so a backward
// scan of one token yields its charges newest first. Each typed word
// first becomes the whole words it can be (name_vocab), two typed words
// the pairs of those, whose lists are short; a page merges the scans of
// the rarest such list's tokens and stops when it is full (tokenPage).
// A word that stays a prefix (one or two letters) and no whole word
// beside it fall back to charge_names, a narrow table with a GIN index of
// the same words and pairs, walked or read by the planner's estimates
// (pgNameConds). Counts read that GIN index. docs/search.md has the plans
// and figures.

// ftsPrefixMax is the longest prefix charge_names indexes (prefix = '1 …
// 8'). A longer word is looked up by its first ftsPrefixMax characters
// and checked whole on the charge's name_fold: FTS5 answers a prefix
// longer than its prefix indexes by merging every term that starts with
// it before returning the first row (8–15 ms for a common surname at a
// million charges), and eight letters leave few other words.
const ftsPrefixMax = 8

// vocabMax is how many whole words one typed word may stand for on
// PostgreSQL (a page merges one index scan per word); a word that could
// be more (one or two letters) is searched as a prefix, and is common
// enough that a walk of charge_names finds a page at once.
const vocabMax = 64

// rankLimit is the number of places one microsecond has in charge_names'
// rowid (created_at * rankLimit + rank); the trigger refuses more.
const rankLimit = 1024

// nameWords returns the words of a name search, folded.
func nameWords(text string) []string { return strings.Fields(Fold(text)) }

// nameFilter is the name part of a search, as nameSearch read it.
type nameFilter struct {
	match   string      // SQLite: the FTS5 query
	long    []string    // SQLite: words longer than ftsPrefixMax, checked on name_fold
	tsquery string      // PostgreSQL: the words as a tsquery
	rows    float64     // PostgreSQL: charge_names' estimated size (-1: never analysed)
	whole   [][]string  // PostgreSQL: the whole words each word stands for (nil: a prefix)
	lists   []tokenList // PostgreSQL: the token lists of the words and their pairs
	drive   *tokenList  // PostgreSQL: the one of lists a page merges (nil: none can)
	none    bool        // no charge can match
	ref     bool        // PostgreSQL: the text is an order reference (vocabQuery)
}

// referenceOrName reads text as an order reference if one matches it
// exactly (true), else prepares it as words of a name. On PostgreSQL one
// round trip answers both.
func (db *DB) referenceOrName(ctx context.Context, text string) (bool, nameFilter, error) {
	if words := nameWords(text); db.postgres && len(words) > 0 {
		f, err := db.vocabQuery(ctx, text, words)
		return f.ref, f, err
	}
	var one int
	err := db.sql.QueryRowContext(ctx, db.rebind("SELECT 1 FROM charges WHERE external_reference = ?"), text).Scan(&one)
	switch {
	case err == nil:
		return true, nameFilter{}, nil
	case errors.Is(err, sql.ErrNoRows):
		f, err := db.nameSearch(ctx, text)
		return false, f, err
	}
	return false, nameFilter{}, mapErr(err)
}

// nameSearch prepares the name filter for text.
func (db *DB) nameSearch(ctx context.Context, text string) (nameFilter, error) {
	words := nameWords(text)
	if len(words) == 0 {
		return nameFilter{none: true}, nil
	}
	if db.postgres {
		return db.vocabQuery(ctx, text, words)
	}
	var f nameFilter
	terms := make([]string, len(words))
	for i, w := range words {
		if utf8.RuneCountInString(w) > ftsPrefixMax {
			f.long = append(f.long, w)
			w = string([]rune(w)[:ftsPrefixMax])
		}
		terms[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"*`
	}
	f.match = strings.Join(terms, " AND ")
	return f, nil
}

// goSteps are the Go parts of migrations, run before their SQL, by the
// migration's file name without its number (numbers change when branches
// merge).
var goSteps = map[string]func(t *txn) error{
	"name_words.sql": refoldNames,
}

// refoldNames brings name_fold up to the current Fold, which splits words
// at punctuation and takes off combining accents: the word indexes are
// built from name_fold. Names are read in pages of ids, since a
// transaction's connection cannot write while it reads.
func refoldNames(t *txn) error {
	const page = 5000
	type change struct {
		id   int64
		fold string
	}
	for after := int64(0); ; {
		rows, err := t.tx.QueryContext(t.ctx, t.db.rebind("SELECT id, payer_name, name_fold FROM charges WHERE id > ? ORDER BY id LIMIT ?"), after, page)
		if err != nil {
			return err
		}
		var (
			changes []change
			n       int
		)
		for rows.Next() {
			var (
				id         int64
				name, fold string
			)
			if err := rows.Scan(&id, &name, &fold); err != nil {
				rows.Close()
				return err
			}
			if f := Fold(name); f != fold {
				changes = append(changes, change{id, f})
			}
			after, n = id, n+1
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range changes {
			if _, err := t.exec("UPDATE charges SET name_fold = ? WHERE id = ?", c.fold, c.id); err != nil {
				return err
			}
		}
		if n < page {
			return nil
		}
	}
}

// nameConds returns the name part of a search's WHERE clause and points
// sel at the tables and order that answer it.
func (db *DB) nameConds(ctx context.Context, sel *selection, f nameFilter, q Query, paged bool) (string, []any, error) {
	switch {
	case f.none:
		return "1 = 0", nil, nil
	case db.postgres:
		return db.pgNameConds(ctx, sel, f, q, paged)
	}
	c, a := ftsNameConds(sel, f, q, paged)
	return c, a, nil
}

// ftsNameConds is nameConds on SQLite. The period and the keyset cursor
// become bounds on charge_names' rowid, which FTS5 seeks to; the
// conditions on created_at and id that where adds stay, and agree.
func ftsNameConds(sel *selection, f nameFilter, q Query, paged bool) (string, []any) {
	// CROSS JOIN keeps charge_names outermost, so that rows come in its
	// rowid order and LIMIT ends the walk.
	sel.from = "charge_names CROSS JOIN charges ON charges.id = charge_names.charge_id"
	sel.count, sel.order = sel.from, "charge_names.rowid DESC"
	conds, args := []string{"charge_names MATCH ?"}, []any{f.match}
	for _, w := range f.long {
		conds, args = append(conds, "instr(' ' || charges.name_fold, ?) > 0"), append(args, " "+w)
	}
	// The FTS5 conditions alone are the name and period filters.
	exact := len(f.long) == 0 && len(q.Statuses) == 0 && q.Amount == 0 && q.Terminal == ""
	for _, b := range []struct {
		t    time.Time
		cond string
	}{{q.From, "charge_names.rowid >= ?"}, {q.To, "charge_names.rowid < ?"}} {
		if k, ok := placeKey(b.t); ok {
			conds, args = append(conds, b.cond), append(args, k)
		} else if !b.t.IsZero() {
			exact = false
		}
	}
	if exact {
		sel.nameCount, sel.nameArgs = "SELECT COUNT(*) FROM charge_names WHERE "+strings.Join(conds, " AND "), slices.Clone(args)
	}
	if k, ok := placeKey(q.After.CreatedAt); ok && paged && q.After.ID != 0 {
		conds = append(conds, "charge_names.rowid < ? + (SELECT COUNT(*) FROM charges AS c WHERE c.created_at = ? AND c.id < ?)")
		args = append(args, k, micro(q.After.CreatedAt), q.After.ID)
	}
	return strings.Join(conds, " AND "), args
}

// placeKey is the first charge_names rowid of instant t, if t is set and
// the rowid can hold it (until the year 2255).
func placeKey(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, false
	}
	m := micro(t)
	if m > math.MaxInt64/rankLimit || m < math.MinInt64/rankLimit {
		return 0, false
	}
	return m * rankLimit, true
}

// NameMatches reports whether a name search for text finds a payer named
// name: every word of text starts a word of name, both folded. It is what
// the indexes answer, in memory, for fakes and tests.
func NameMatches(name, text string) bool {
	words := strings.Fields(Fold(name))
	query := nameWords(text)
	for _, q := range query {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, q) }) {
			return false
		}
	}
	return len(query) > 0
}
