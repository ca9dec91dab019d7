package store

import (
	"context"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/store/pgtest"
)

// The lookups of deliveries by body hash reach the partial index
// deliveries_body_sha256 on both stores — on PostgreSQL in the generic plan
// a prepared statement settles on after a few runs, which cannot tell from
// $1 that the hash is not ”. Without hashIndexed in the query that plan
// read the whole table on every batch. Seq scans are priced out of reach
// here, so that the test does not depend on the table's size: a plan that
// cannot use the index still shows a Seq Scan.
func TestHashLookupsUseTheIndex(t *testing.T) {
	t.Parallel()
	const index = "deliveries_body_sha256"
	t.Run("sqlite", func(t *testing.T) {
		db := sqliteOpener.open(t)
		if plan := explain(t, db, priorOfNoChargeSQL, []any{"ab"}); !strings.Contains(plan, index) {
			t.Errorf("%s\nplan:\n%s", priorOfNoChargeSQL, plan)
		}
		// A charge's own: by its deliveries or by the hash, either index.
		if plan := explain(t, db, priorOfChargeSQL, []any{"ab", 1}); !strings.Contains(plan, "USING INDEX") {
			t.Errorf("%s\nplan:\n%s", priorOfChargeSQL, plan)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.Start(t)
		db := postgresOpener.open(t)
		ctx := context.Background()
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, set := range []string{"SET plan_cache_mode = force_generic_plan", "SET enable_seqscan = off"} {
			if _, err := conn.ExecContext(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		for i, q := range []struct {
			sql, types, args, index string
		}{
			{keptByHashesSQL, "text[]", "('{ab}')", index},
			{db.rebind(priorOfNoChargeSQL), "text", "('ab')", index},
			{db.rebind(priorOfChargeSQL), "text, bigint", "('ab', 1)", "Index"}, // either index
		} {
			name := "hashplan" + string(rune('a'+i))
			if _, err := conn.ExecContext(ctx, "PREPARE "+name+" ("+q.types+") AS "+q.sql); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE "+name+q.args)
			if err != nil {
				t.Fatal(err)
			}
			var plan strings.Builder
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan.WriteString(line + "\n")
			}
			rows.Close()
			if p := plan.String(); !strings.Contains(p, q.index) || strings.Contains(p, "Seq Scan") {
				t.Errorf("%s\ngeneric plan:\n%s", q.sql, p)
			}
		}
	})
}
