// Package pgtest starts a throwaway PostgreSQL server for tests, from the
// machine's initdb and pg_ctl, once per test binary, and gives each test a
// database of its own.
//
// Use it with a TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and in a test:
//
//	dsn := pgtest.Start(t) // "postgres://postgres@127.0.0.1:PORT/t_N?sslmode=disable"
//
// Without the binaries the tests are skipped with a loud message, unless
// PIXDESK_TEST_REQUIRE_POSTGRES=1, which makes that a failure.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv is the environment variable that turns a missing PostgreSQL
// into a test failure instead of a skip.
const RequireEnv = "PIXDESK_TEST_REQUIRE_POSTGRES"

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir     string // temp dir: data/, socket, log
	pgCtl   string
	port    int
	opts    string // the server options it was started with
	cred    *credential
	dbCount atomic.Int64
}

var (
	once     sync.Once
	shared   *Server
	startErr error
)

// ErrNoBinaries reports that initdb or pg_ctl is not installed.
var ErrNoBinaries = errors.New("pgtest: initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin")

// Start returns the DSN of a new, empty database on the shared server,
// starting the server on first use. It skips the test (or fails it, with
// PIXDESK_TEST_REQUIRE_POSTGRES=1) when PostgreSQL cannot be started.
func Start(t testing.TB) string {
	t.Helper()
	dsn, err := Shared(t).CreateDatabase(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// Shared returns the shared server, starting it on first use, for tests
// that create databases where they hold no testing.TB (a testscript's
// Setup). It skips t like Start when PostgreSQL cannot be started.
func Shared(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, startErr = Launch() })
	if startErr != nil {
		skip(t, startErr)
	}
	return shared
}

// skip skips t (or fails it, with PIXDESK_TEST_REQUIRE_POSTGRES=1)
// because no server could be started.
func skip(t testing.TB, err error) {
	t.Helper()
	msg := "\n" + strings.Repeat("!", 72) + "\n!!! POSTGRESQL TESTS SKIPPED: " + err.Error() +
		"\n!!! set " + RequireEnv + "=1 to make this a failure\n" + strings.Repeat("!", 72)
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Private starts a server for t alone, stopped when t ends: for a test
// that takes the server down (Down, Up), which the shared one must not.
// It skips t like Start when PostgreSQL cannot be started.
func Private(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if err != nil {
		skip(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Main runs the tests and then stops the shared server, if one started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the shared server and removes its files. It is safe to call
// when none was started.
func Stop() {
	if shared != nil {
		shared.Stop()
	}
}

// Launch initialises and starts a new server in a temporary directory, on a
// free loopback port, with fsync off. Most tests want Start instead.
func Launch() (*Server, error) { return launch(false) }

// LaunchDurable is Launch with PostgreSQL's durable defaults (fsync,
// synchronous_commit and full_page_writes on), for measurements in which a
// commit must reach the disk as it would in production.
func LaunchDurable() (*Server, error) { return launch(true) }

func launch(durable bool) (*Server, error) {
	initdb, err := findBin("initdb")
	if err != nil {
		return nil, err
	}
	pgCtl, err := findBin("pg_ctl")
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	reapStale(os.TempDir(), pgCtl, cred)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, pgCtl: pgCtl, cred: cred}
	if err := claim(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cred.chown(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := s.run(initdb, "-D", s.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v: %s", err, out)
	}
	// A free port can be taken between choosing and binding: try a few.
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			break
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=1200", s.port, dir)
		if !durable {
			opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		}
		s.opts = opts
		if err = s.Up(); err == nil {
			return s, nil
		}
		if attempt == 2 {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// DSN returns the address of database name on the server.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

// CreateDatabase creates a new empty database and returns its DSN.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := "t_" + strconv.FormatInt(s.dbCount.Add(1), 10)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.DSN(name), nil
}

// Up starts the server, on the port and with the data it had: after
// Launch, or again after Down.
func (s *Server) Up() error {
	out, err := s.run(s.pgCtl, "start", "-w", "-t", "60", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-o", s.opts)
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl start: %v: %s %s", err, out, s.logTail())
	}
	return nil
}

// Down stops the server as an operator's restart would (fast shutdown:
// sessions are ended, the data kept); Up starts it again.
func (s *Server) Down() error {
	out, err := s.run(s.pgCtl, "stop", "-m", "fast", "-w", "-t", "60", "-D", s.data())
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Stop stops the server at once and removes its files.
func (s *Server) Stop() {
	s.run(s.pgCtl, "stop", "-m", "immediate", "-w", "-D", s.data())
	os.RemoveAll(s.dir)
}

func (s *Server) run(bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	s.cred.apply(cmd)
	return cmd.CombinedOutput()
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// findBin looks for a PostgreSQL program on PATH, then in the Debian layout.
func findBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", ErrNoBinaries
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runAs returns who runs the server: PostgreSQL refuses to run as root, so
// root runs it as the postgres user.
func runAs() (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root and there is no postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &credential{uid: uint32(uid), gid: uint32(gid)}, nil
}
