package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pixdesk/pixdesk/psp"
)

// The PostgreSQL change feed: one LISTEN connection per DB, which relays
// the notification every save queues (charge id and version) and, after
// each (re)connect, catches up by query on what it may have missed.
//
// Versions come from a sequence and commit in any order, so the catch-up
// cannot ask "version > the last one relayed": a transaction that took a
// smaller version and committed after the listener's last relayed change
// would be missed. The listener's position is a snapshot instead (a
// pg_snapshot: which transactions had committed), and every charge has a
// row in charge_writes naming the transaction that last wrote it
// (written_xid; a table of its own, so that writing it changes no index
// of charges: migration 0015). The catch-up
// returns the rows whose writer the position did not see, and takes the
// next position in the same statement, so that what it returns and what
// the next position sees are one view. Nothing in between is lost: LISTEN
// comes first, so what commits after that snapshot is notified.
//
// Between catch-ups the position moves on with a fence: the listener asks
// for a snapshot and notifies itself in one autocommit statement.
// PostgreSQL queues notifications in commit order, and everything the
// snapshot saw committed before that statement did, so when the fence comes
// back every change the snapshot saw has been received. Until then the
// listener keeps what it relayed since the position (feedPos.relayed), so
// that a catch-up skips it: a reconnect announces again at most what was
// in flight. A long transaction stays in the snapshots' list of running
// ones until it commits; xid8 does not wrap around.

// notifyChannel is the PostgreSQL channel changes are announced on.
const notifyChannel = "pixdesk_changes"

// listenerApp is the application_name of the LISTEN connection, so that
// operators (and tests) can find it in pg_stat_activity.
const listenerApp = "pixdesk-listener"

// feedAdvanceEvery is how long the listener keeps what it relayed before it
// sends a fence to move its position on: it bounds the memory the feed
// holds and the rows a catch-up reads.
const feedAdvanceEvery = 10 * time.Second

// catchUpSQL returns a row for each charge whose last writer the snapshot
// $1 did not see (still running then, or not started: at or past its xmax,
// or in $2, its list of running transactions; the charge_writes_xid index
// serves both), each with the statement's own snapshot, the next position;
// one row with no charge if none. A NULL $1 (position unknown) returns
// none. The list comes as a parameter, not from pg_snapshot_xip($1): the
// planner knows a parameter's values, and with a subquery's it guessed
// that every charge matched and read both tables whole.
const catchUpSQL = `WITH now AS (SELECT pg_current_snapshot() AS snap),
seen AS (SELECT c.id, c.version, c.terminal, c.stage, c.status FROM charge_writes w JOIN charges c ON c.id = w.charge_id
	WHERE w.written_xid >= pg_snapshot_xmax($1::pg_snapshot) OR w.written_xid = ANY($2::xid8[]))
SELECT now.snap::text, seen.id, seen.version, seen.terminal, seen.stage, seen.status FROM now LEFT JOIN seen ON true
ORDER BY seen.version`

// fenceSQL takes a snapshot and notifies the listener itself ($1, its
// fence channel, with $2, the fence's token) in one transaction.
const fenceSQL = "SELECT s::text FROM pg_current_snapshot() s, pg_notify($1, $2)"

// feedPos is where the listener stands: every change by a transaction snap
// saw has been relayed; relayed holds what was relayed since (charge →
// newest version), first at since.
type feedPos struct {
	snap    string // a pg_snapshot as text; "" if unknown
	relayed map[int64]int64
	since   time.Time
}

func newFeedPos(snap string) *feedPos {
	return &feedPos{snap: snap, relayed: map[int64]int64{}}
}

// relayedAlready reports whether c, or a later change of its charge, was
// relayed since the position.
func (p *feedPos) relayedAlready(c Change) bool {
	v, ok := p.relayed[c.ChargeID]
	return ok && v >= c.Version
}

// note records that c was relayed.
func (p *feedPos) note(c Change) {
	if len(p.relayed) == 0 {
		p.since = time.Now()
	}
	if !p.relayedAlready(c) {
		p.relayed[c.ChargeID] = c.Version
	}
}

// fence is a position being moved to: next holds the snapshot taken and
// what was relayed since the fence was sent.
type fence struct {
	token string
	next  *feedPos
}

// startListener runs the PostgreSQL LISTEN loop until Close. Its first
// position is a snapshot taken before Subscribe returns, so every change
// committed after Subscribe is delivered.
func (db *DB) startListener() {
	var snap string
	if err := db.sql.QueryRow("SELECT pg_current_snapshot()::text").Scan(&snap); err != nil {
		db.log.Warn("store: change feed: taking a snapshot; changes until the listener connects are not announced", "err", err)
	}
	pos := newFeedPos(snap)
	ctx, cancel := context.WithCancel(context.Background())
	db.listenStop, db.listenDone = cancel, make(chan struct{})
	go func() {
		defer close(db.listenDone)
		db.listen(ctx, pos)
	}()
}

func (db *DB) listen(ctx context.Context, pos *feedPos) {
	backoff := 20 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenSession(ctx, pos, &backoff)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("store: change feed disconnected; reconnecting", "err", err, "retryIn", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listenSession connects, LISTENs, catches up on what pos did not see and
// then relays notifications, moving pos on with fences, until the
// connection fails.
func (db *DB) listenSession(ctx context.Context, pos *feedPos, backoff *time.Duration) error {
	cfg, err := pgx.ParseConfig(db.dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = listenerApp
	if db.beforeListen != nil {
		db.beforeListen()
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	fenceChannel := "pixdesk_fence_" + strconv.FormatUint(uint64(conn.PgConn().PID()), 10)
	for _, ch := range []string{notifyChannel, fenceChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	// Anything committed from here on is notified; catch up on what was
	// committed while nobody listened.
	if err := db.catchUp(ctx, conn, pos); err != nil {
		return err
	}
	*backoff = 20 * time.Millisecond
	every := feedAdvanceEvery
	if db.feedAdvance > 0 {
		every = db.feedAdvance
	}
	var (
		f       *fence
		fences  int
		started = time.Now().UnixNano()
		// w is what notifications are waited for with: ctx, or ctx with
		// the deadline at which the position moves on.
		w = waitCtx{Context: ctx, cancel: func() {}}
	)
	defer func() { w.cancel() }()
	for {
		if f == nil && len(pos.relayed) > 0 && time.Since(pos.since) >= every {
			fences++
			// The session's start in the token: a later session's backend
			// may get this one's pid, and with it its channel.
			f = &fence{token: strconv.FormatInt(started, 36) + "." + strconv.Itoa(fences), next: newFeedPos("")}
			if err := conn.QueryRow(ctx, fenceSQL, fenceChannel, f.token).Scan(&f.next.snap); err != nil {
				return err
			}
		}
		// One deadline context per period, not one per notification.
		due := time.Time{}
		if f == nil && len(pos.relayed) > 0 {
			due = pos.since.Add(every)
		}
		if !due.Equal(w.due) {
			w.cancel()
			w = waitCtx{Context: ctx, cancel: func() {}, due: due}
			if !due.IsZero() {
				w.Context, w.cancel = context.WithDeadline(ctx, due)
			}
		}
		n, err := conn.WaitForNotification(w)
		switch {
		case n == nil:
		case n.Channel == fenceChannel:
			if f != nil && n.Payload == f.token {
				*pos, f = *f.next, nil
				db.moved(pos)
			}
		default:
			c, ok := parseChange(n.Payload)
			if !ok {
				break
			}
			if f != nil {
				f.next.note(c)
			}
			if !pos.relayedAlready(c) {
				pos.note(c)
				db.feed.publish([]Change{c})
			}
		}
		if err != nil {
			if ctx.Err() == nil && w.Err() != nil && !conn.IsClosed() {
				continue // time to move the position on
			}
			return err
		}
	}
}

// waitCtx is a context with its cancel and deadline (zero: none).
type waitCtx struct {
	context.Context
	cancel context.CancelFunc
	due    time.Time
}

// payload is c as a notification's payload: "id:version:open:terminal",
// open being 1 or 0. The terminal comes last, whatever it holds.
func (c Change) payload() string {
	open := 0
	if c.Open {
		open = 1
	}
	return fmt.Sprintf("%d:%d:%d:%s", c.ChargeID, c.Version, open, c.Terminal)
}

// parseChange reads a notification's payload (Change.payload). The
// payload of a pixdesk from before the terminal was announced,
// "id:version", gives a change with no terminal, which every subscriber
// reads.
func parseChange(payload string) (Change, bool) {
	f := strings.SplitN(payload, ":", 4)
	if len(f) < 2 {
		return Change{}, false
	}
	var c Change
	c.ChargeID, _ = strconv.ParseInt(f[0], 10, 64)
	c.Version, _ = strconv.ParseInt(f[1], 10, 64)
	if len(f) == 4 && (f[2] == "0" || f[2] == "1") && f[3] != "" {
		c.Open, c.Terminal = f[2] == "1", f[3]
	}
	return c, c.ChargeID != 0
}

// catchUp relays what pos did not see and not yet relayed, and moves pos to
// the snapshot the query ran in. What it returns is kept as relayed: the
// notifications of those changes may still come.
func (db *DB) catchUp(ctx context.Context, conn *pgx.Conn, pos *feedPos) error {
	var prev, running any
	if pos.snap != "" {
		prev, running = pos.snap, snapshotRunning(pos.snap)
	}
	rows, err := conn.Query(ctx, catchUpSQL, prev, running)
	if err != nil {
		return err
	}
	defer rows.Close()
	next := newFeedPos("")
	var cs []Change
	for rows.Next() {
		var (
			id, version             *int64
			terminal, stage, status *string
		)
		if err := rows.Scan(&next.snap, &id, &version, &terminal, &stage, &status); err != nil {
			return err
		}
		if id == nil {
			continue
		}
		c := Change{ChargeID: *id, Version: *version, Terminal: *terminal, Open: openAt(Stage(*stage), psp.Status(*status))}
		if !pos.relayedAlready(c) {
			cs = append(cs, c)
		}
		next.note(c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	*pos = *next
	db.moved(pos)
	db.feed.publish(cs)
	return nil
}

// snapshotRunning is the list of transactions a pg_snapshot in its text
// form ("xmin:xmax:xip,xip,…") saw running: what pg_snapshot_xip returns.
func snapshotRunning(snap string) []string {
	_, rest, _ := strings.Cut(snap, ":")
	_, xip, _ := strings.Cut(rest, ":")
	if xip == "" {
		return []string{}
	}
	return strings.Split(xip, ",")
}

// moved tells a test hook where the listener stands now.
func (db *DB) moved(pos *feedPos) {
	if db.feedMoved != nil {
		db.feedMoved(pos.snap)
	}
}
