package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// tokenList is a set of name_tokens' tokens whose lists together hold
// every charge a name search finds: the whole words one typed word
// stands for, or the pairs two typed words stand for. words are the
// typed words it stands for (their indexes); the others are checked.
type tokenList struct {
	tokens []string
	words  []int
}

// rarestCap is how far rarestList counts a token list: what matters is
// a rare list beside a common one, and each counted row may be a heap
// page read where the index-only scan finds the page not all-visible.
const rarestCap = 500

// rarestList returns the shortest of lists (nil if there is none), which a
// search merges: the fewer rows it holds, the fewer a page reads before it
// is full or the list ends. With more than one, their lengths are counted,
// up to rarestCap each, in one round trip.
func (db *DB) rarestList(ctx context.Context, lists []tokenList) (*tokenList, error) {
	switch len(lists) {
	case 0:
		return nil, nil
	case 1:
		return &lists[0], nil
	}
	counts, args := make([]string, len(lists)), make([]any, len(lists))
	for i, l := range lists {
		counts[i] = fmt.Sprintf("(SELECT COUNT(*) FROM (SELECT FROM name_tokens WHERE token = ANY($%d::text[]) LIMIT %d) AS s)", i+1, rarestCap)
		args[i] = l.tokens
	}
	n := make([]int64, len(lists))
	dest := make([]any, len(lists))
	for i := range n {
		dest[i] = &n[i]
	}
	if err := db.sql.QueryRowContext(ctx, "SELECT "+strings.Join(counts, ", "), args...).Scan(dest...); err != nil {
		return nil, mapErr(err)
	}
	best := 0
	for i := range n {
		if n[i] < n[best] {
			best = i
		}
	}
	return &lists[best], nil
}

// tokenPage is the name condition of a search's page on PostgreSQL when a
// token list f.drive can drive it. Each token's list is read newest first
// by a backward scan of name_tokens_order, bounded by the period and the
// cursor (index conditions) and filtered by terminal and amount (in
// name_tokens), and stopped after a page (LIMIT in each branch, so that
// every branch is a bounded read whatever plan the planner picks for it);
// the pages are then merged, a charge found by two of the tokens kept
// once. A typed word that the list does not stand for is checked in
// name_tokens too: a row of its pair with a word the list stands for (or
// else of its whole words) at the charge's (created_at, charge_id), from
// the same index, which the planner joins to the list as a semi-join.
// Status, and a word that stayed a prefix (the
// tsquery lit), are checked on charge_names by its primary key: reading
// charge_names' rows for the words cost 0.26 ms a row at a million, out of
// the cache, against 0.001 ms for the probes.
func tokenPage(f nameFilter, lit string, q Query) (string, []any) {
	conds, bound := fixedFilters(q, "t.created_at", "t.terminal", "t.amount")
	conds = append([]string{"t.token = ?"}, conds...)
	if q.After.ID != 0 {
		conds, bound = append(conds, keysetBefore("t.created_at", "t.charge_id")), append(bound, micro(q.After.CreatedAt), q.After.ID)
	}
	prefixed := false
	for i, ws := range f.whole {
		switch {
		case slices.Contains(f.drive.words, i):
		case ws == nil:
			prefixed = true
		default:
			// The pair of the word with one the list stands for, if there
			// is one: a short list, where the word's own could hold tens
			// of thousands (which the planner would hash whole).
			for _, l := range f.lists {
				if len(l.words) == 2 && slices.Contains(l.words, i) && slices.ContainsFunc(l.words, func(w int) bool {
					return w != i && slices.Contains(f.drive.words, w)
				}) {
					ws = l.tokens
					break
				}
			}
			conds = append(conds, "EXISTS (SELECT FROM name_tokens u WHERE u.token = ANY (?::text[]) AND u.created_at = t.created_at AND u.charge_id = t.charge_id)")
			bound = append(bound, ws)
		}
	}
	from := "name_tokens t"
	if prefixed || len(q.Statuses) > 0 {
		from += " JOIN charge_names n ON n.charge_id = t.charge_id"
	}
	if prefixed {
		conds = append(conds, "ts_match_vq(n.words, "+lit+")")
	}
	if len(q.Statuses) > 0 {
		c, a := statusIn("n.charge_status", q.Statuses)
		conds, bound = append(conds, c), append(bound, a...)
	}
	const order = " ORDER BY created_at DESC, charge_id DESC LIMIT ?"
	branch := "SELECT t.created_at, t.charge_id FROM " + from + " WHERE " + strings.Join(conds, " AND ") + order
	tokens := f.drive.tokens
	page, args := branch, append(append([]any{tokens[0]}, bound...), q.limit())
	if len(tokens) > 1 {
		branches := make([]string, len(tokens))
		args = nil
		for i, tok := range tokens {
			branches[i] = "(" + branch + ")"
			args = append(append(append(args, tok), bound...), q.limit())
		}
		page = "SELECT DISTINCT created_at, charge_id FROM (" + strings.Join(branches, " UNION ALL ") + ") AS m" + order
		args = append(args, q.limit())
	}
	return "id IN (SELECT p.charge_id FROM (" + page + ") AS p)", args
}

// fixedFilters are the conditions of q's period, terminal and amount, the
// filters on what never changes in a charge, on columns at, terminal and
// amount, with their arguments.
func fixedFilters(q Query, at, terminal, amount string) ([]string, []any) {
	var conds []string
	var args []any
	if !q.From.IsZero() {
		conds, args = append(conds, at+" >= ?"), append(args, micro(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, at+" < ?"), append(args, micro(q.To))
	}
	if q.Terminal != "" {
		conds, args = append(conds, terminal+" = ?"), append(args, q.Terminal)
	}
	if q.Amount != 0 {
		conds, args = append(conds, amount+" = ?"), append(args, int64(q.Amount))
	}
	return conds, args
}

// vocabQuery builds the tsquery of words: each word becomes the whole
// words it can be ("silv" → 'silva' | 'silveira'), and two words the pairs
// of those ('maria silva' | 'maria silveira'), which only charges with
// both have. A word that could be too many (one or two letters) stays a
// prefix. No charge matches a word that starts no known word. The same
// whole words and pairs are the token lists a page can merge, of which
// the rarest is chosen.
//
// The same round trip tells whether text, whose folded words are words,
// is an order reference (f.ref), which Search asks first.
func (db *DB) vocabQuery(ctx context.Context, text string, words []string) (nameFilter, error) {
	// One round trip for every word, the table's size for pgWalks and
	// the reference.
	lo, hi := make([]string, len(words)), make([]string, len(words))
	for i, w := range words {
		lo[i], hi[i] = w, prefixEnd(w)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT q.i, v.word, (SELECT reltuples FROM pg_class WHERE oid = 'charge_names'::regclass),
		EXISTS (SELECT 1 FROM charges WHERE external_reference = $4)
		FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q (lo, hi, i)
		LEFT JOIN LATERAL (SELECT word FROM name_vocab WHERE word >= q.lo AND word < q.hi ORDER BY word LIMIT $3) AS v ON true`,
		lo, hi, vocabMax+1, text)
	if err != nil {
		return nameFilter{}, mapErr(err)
	}
	defer rows.Close()
	found := make([][]string, len(words))
	var f nameFilter
	for rows.Next() {
		var (
			i int
			w sql.NullString
		)
		if err := rows.Scan(&i, &w, &f.rows, &f.ref); err != nil {
			return nameFilter{}, mapErr(err)
		}
		if w.Valid {
			found[i-1] = append(found[i-1], w.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nameFilter{}, mapErr(err)
	}
	if f.ref {
		return f, nil
	}
	whole := make([][]string, len(words)) // nil: searched as a prefix
	for i, ws := range found {
		switch {
		case len(ws) == 0:
			return nameFilter{none: true}, nil
		case len(ws) <= vocabMax:
			whole[i] = ws
		}
	}
	var (
		clauses []string
		paired  = make([]bool, len(words))
		lists   []tokenList // what name_tokens could merge, pairs first
	)
	for i := range words {
		for j := i + 1; j < len(words); j++ {
			a, b := whole[i], whole[j]
			// A pair needs two different words; where one word could be
			// both ("da d"), only the words themselves are asked for.
			if a == nil || b == nil || len(a)*len(b) > vocabMax || slices.ContainsFunc(a, func(w string) bool { return slices.Contains(b, w) }) {
				continue
			}
			var pairs, ls []string
			for _, x := range a {
				for _, y := range b {
					pairs = append(pairs, min(x, y)+" "+max(x, y))
					ls = append(ls, lexeme(pairs[len(pairs)-1]))
				}
			}
			clauses = append(clauses, "("+strings.Join(ls, " | ")+")")
			paired[i], paired[j] = true, true
			lists = append(lists, tokenList{tokens: pairs, words: []int{i, j}})
		}
	}
	for i, w := range words {
		switch {
		case paired[i]:
		case whole[i] == nil:
			clauses = append(clauses, lexeme(w)+":*")
		default:
			ls := make([]string, len(whole[i]))
			for k, v := range whole[i] {
				ls[k] = lexeme(v)
			}
			clauses = append(clauses, "("+strings.Join(ls, " | ")+")")
		}
	}
	// A pair's list is within each of its words' lists.
	for i, ws := range whole {
		if ws != nil && !paired[i] {
			lists = append(lists, tokenList{tokens: ws, words: []int{i}})
		}
	}
	f.tsquery, f.whole = strings.Join(clauses, " & "), whole
	f.lists = lists
	f.drive, err = db.rarestList(ctx, lists)
	return f, err
}

// lexeme quotes a word for a tsquery. Folded words hold letters and
// digits only; the quoting keeps the tsquery, and the SQL literal it is
// written into (namesCond), whole whatever they held.
func lexeme(w string) string {
	return "'" + strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(w) + "'"
}

// pgNameConds is nameConds on PostgreSQL. A page is read from name_tokens
// when a token list can drive it (tokenPage), which is every search with
// a word of three letters or more. Otherwise, and for Count, every filter
// is a condition on charge_names n, so a page is chosen there and only its
// rows are read from charges. The planner's choice is made here, from its own
// estimates: it prices a walk of charge_names_created as nearly free per
// row and reading the GIN index's matches as a random page each, which
// on a cached narrow table they are not, so that it walks through tens of
// thousands of rows for a name in 0.1 % of the journal (0.1–0.2 s at a
// million). A walk reads about 50 / density rows, the GIN index its
// matches: the GIN index is read when its matches are fewer, else the
// walk. Each is forced by writing the other out of reach: the words are
// tested with ts_match_vq, which no index serves, or the order is an
// expression, which no index gives.
func (db *DB) pgNameConds(ctx context.Context, sel *selection, f nameFilter, q Query, paged bool) (string, []any, error) {
	lit := "'" + strings.ReplaceAll(f.tsquery, "'", "''") + "'::tsquery"
	filters, args := fixedFilters(q, "n.charge_created_at", "n.charge_terminal", "n.charge_amount")
	if len(q.Statuses) > 0 {
		c, a := statusIn("n.charge_status", q.Statuses)
		filters, args = append(filters, c), append(args, a...)
	}
	all := strings.Join(append([]string{"n.words @@ " + lit}, filters...), " AND ")
	sel.nameCount, sel.nameArgs = "SELECT COUNT(*) FROM charge_names n WHERE "+all, slices.Clone(args)
	if !paged {
		return "1 = 1", nil, nil // Count reads nameCount
	}
	if f.drive != nil {
		c, a := tokenPage(f, lit, q)
		return c, a, nil
	}
	walk, err := db.pgWalks(ctx, f, lit, all, args)
	if err != nil {
		return "", nil, err
	}
	words, order := "n.words @@ "+lit, "n.charge_created_at + 0 DESC, n.charge_id + 0 DESC"
	if walk {
		words, order = "ts_match_vq(n.words, "+lit+")", "n.charge_created_at DESC, n.charge_id DESC"
	}
	conds := append([]string{words}, filters...)
	if q.After.ID != 0 {
		at := micro(q.After.CreatedAt)
		conds = append(conds, keysetBefore("n.charge_created_at", "n.charge_id"))
		args = append(args, at, q.After.ID)
	}
	return "id IN (SELECT n.charge_id FROM charge_names n WHERE " + strings.Join(conds, " AND ") +
		" ORDER BY " + order + " LIMIT ?)", append(args, q.limit()), nil
}

// pgWalks reports whether a name search whose words are the tsquery lit
// and whose conditions on charge_names n are all should walk the list
// order rather than read the GIN index: whether its estimated matches m
// (words alone: what the GIN index yields) outnumber the rows a walk
// reads, 50 × rows / matches-with-filters.
func (db *DB) pgWalks(ctx context.Context, f nameFilter, lit, all string, args []any) (bool, error) {
	if f.rows <= 0 {
		return false, nil // never analysed: a new, small journal
	}
	m, err := db.pgEstimate(ctx, "n.words @@ "+lit, nil)
	if err != nil {
		return false, err
	}
	mAll := m
	if len(args) > 0 {
		if mAll, err = db.pgEstimate(ctx, all, args); err != nil {
			return false, err
		}
	}
	return m*max(mAll, 1) > float64(DefaultLimit)*f.rows, nil
}

// estimateRE finds the planner's row estimate in a line of EXPLAIN.
var estimateRE = regexp.MustCompile(`rows=(\d+)`)

// pgEstimate is the planner's estimate of the rows of charge_names n that
// conds select.
func (db *DB) pgEstimate(ctx context.Context, conds string, args []any) (float64, error) {
	var line string
	if err := db.sql.QueryRowContext(ctx, db.rebind("EXPLAIN SELECT 1 FROM charge_names n WHERE "+conds), args...).Scan(&line); err != nil {
		return 0, mapErr(err)
	}
	m := estimateRE.FindStringSubmatch(line)
	if m == nil {
		return 0, fmt.Errorf("store: no estimate in %q", line)
	}
	return strconv.ParseFloat(m[1], 64)
}
