package cli

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite" // the sql command's driver

	"github.com/pixdesk/pixdesk/store/pgtest"
)

// The command line as a script sees it: testdata/script/*.txtar, each a
// testscript run in a directory of its own, with no environment of the
// machine running the tests (testscript builds its own) and no credentials
// (so tx create uses the built-in sandbox, on loopback). pixdesk runs in
// process (run, as Main runs it) with the script's environment and files:
//
//	pixdesk ARGS...   run pixdesk; with ! it must fail (exit 1 or 2)
//	status N          the last pixdesk's exit status was N
//	pin TEXT          the next pixdesk reads TEXT and a newline on standard input
//	sql DB QUERY      run QUERY on the SQLite file DB (to tamper with a journal)
//
// -update rewrites nothing: the scripts are written by hand.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// TestScriptsPostgres runs testdata/script-pg, whose scripts find blank
// PostgreSQL databases in $PGDSN1 and $PGDSN2 (each script its own).
func TestScriptsPostgres(t *testing.T) {
	srv := pgtest.Shared(t) // skips, loudly, without a server
	p := scriptParams("testdata/script-pg")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		for _, k := range []string{"PGDSN1", "PGDSN2"} {
			dsn, err := srv.CreateDatabase(context.Background())
			if err != nil {
				return err
			}
			env.Setenv(k, dsn)
		}
		return setup(env)
	}
	testscript.Run(t, p)
}

// scriptParams runs the scripts of dir as the comment above says.
func scriptParams(dir string) testscript.Params {
	var stdins sync.Map // *testscript.TestScript → what the next pixdesk reads
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_DATA_HOME", env.WorkDir+"/data")
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/config")
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("PIXDESK_TERMINAL", "C01")
			env.Setenv("PIXDESK_LOG", env.WorkDir+"/pixdesk.log")
			env.Setenv("TZ", "UTC")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pixdesk": func(ts *testscript.TestScript, neg bool, args []string) {
				sys := system{getenv: ts.Getenv, stdout: ts.Stdout(), stderr: ts.Stderr(), stdin: strings.NewReader("")}
				if v, ok := stdins.LoadAndDelete(ts); ok {
					sys.stdin = strings.NewReader(v.(string))
				}
				code := run(args, sys)
				ts.Setenv("PIXDESK_EXIT", strconv.Itoa(code))
				switch {
				case neg && code == 0:
					ts.Fatalf("pixdesk %v: exit 0, want a failure", args)
				case !neg && code != 0:
					ts.Fatalf("pixdesk %v: exit %d", args, code)
				}
			},
			"pin": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 || neg {
					ts.Fatalf("usage: pin TEXT")
				}
				stdins.Store(ts, args[0]+"\n")
			},
			"sql": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: sql DB QUERY")
				}
				db, err := sql.Open("sqlite", ts.MkAbs(args[0]))
				if err != nil {
					ts.Fatalf("%v", err)
				}
				defer db.Close()
				_, err = db.Exec(args[1])
				if (err != nil) != neg {
					ts.Fatalf("sql %q: %v", args[1], err)
				}
			},
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 || neg {
					ts.Fatalf("usage: status N")
				}
				if got := ts.Getenv("PIXDESK_EXIT"); got != args[0] {
					ts.Fatalf("exit status %s, want %s", got, args[0])
				}
			},
		},
	}
}
