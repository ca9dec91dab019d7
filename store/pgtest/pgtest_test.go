package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestStartGivesEachTestItsOwnDatabase(t *testing.T) {
	a, b := pgtest.Start(t), pgtest.Start(t)
	if a == b {
		t.Fatalf("same database twice: %s", a)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}

func TestPrivateServerGoesDownAndUp(t *testing.T) {
	srv := pgtest.Private(t)
	ctx := context.Background()
	dsn, err := srv.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, dsn, "CREATE TABLE kept AS SELECT 7 AS n"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, dsn, "SELECT 1"); err == nil {
		t.Fatal("the server answers while down")
	}
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	if n, err := exec(ctx, dsn, "SELECT n FROM kept"); err != nil || n != 7 {
		t.Fatalf("after Up: %d, %v", n, err)
	}
}

// exec runs q on a new connection and returns the first column of its
// first row, if any.
func exec(ctx context.Context, dsn, q string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, q).Scan(&n)
	if err == pgx.ErrNoRows {
		err = nil
	}
	return n, err
}
