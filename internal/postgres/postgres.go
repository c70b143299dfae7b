// Package postgres is a hubbub.Store on PostgreSQL, through github.com/jackc/pgx/v5. It is
// the store for several hubbub nodes that share one history: every node opens the same
// database, and seqs stay gap-free and unique across them.
//
// The log: a room's entries are numbered together; messages live in the messages table, each
// row in its current state (text after edits, tombstone, mentions, reply count, reactions
// summary), and the other entries (edits, deletes, reactions) in entries, with reactions and
// revisions as the state behind them (migrations/0004_room_log.sql). Before and Replies read
// one index range of messages; Since merges the two tables' ranges by seq.
//
// Numbering: rooms.last_seq holds each room's highest seq. A batch of appends locks the rows
// of its rooms (always in the order of their names, so batches never deadlock), reads the
// idempotency keys it carries and the rows its changes depend on, decides every append in
// memory in seq order (apply.go: a refusal takes no seq), writes the new entries and the
// changed state in bulk and raises last_seq, all in one transaction. Appenders of one room,
// on any node, thus take turns on one row lock; appenders of different rooms never wait for
// each other. Whatever else changes a room's rows (Prune) takes the same lock.
//
// Durability: Append returns after COMMIT, which with synchronous_commit on (the store
// raises a setting of off to on on its connections) means the server has flushed it to its
// WAL. Group commit, as in internal/sqlite, makes one transaction of many concurrent appends.
//
// People (users.go, sessions.go, rooms.go; migrations/0005_people.sql): users, their
// sessions and invites, room metadata, memberships and read positions. A name is one user's by
// a UNIQUE index on its NameKey, so nodes racing for a name need no lock; whatever changes a
// room's metadata or members takes the room's row lock, as appends do, so CreateRoom races and
// membership entries are decided once. The log is keyed by user id (idempotency, authorship,
// reactions, sanctions); rows from before users have their name as their user id.
//
// Schema: Open creates the tables in the first schema of the connection's search_path
// (usually public) and records its migrations in schema_migrations there. To keep
// hubbub's tables in a schema of their own, create the schema and add
// search_path=thatschema to the URL.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// ErrClosed is returned, wrapped, by every call on a Store after Close. It is
// sqlstore.ErrClosed, as for every SQL store.
var ErrClosed = sqlstore.ErrClosed

// Store is a hubbub.Store in a PostgreSQL database, shareable by many nodes. It is safe for
// concurrent use. What it shares with internal/sqlite (the checks before and after each
// query, the mapping of rows, the retention rule) is internal/sqlstore; this package holds
// the SQL and the writers.
type Store struct {
	pool  *pgxpool.Pool
	idx   *indexer
	w     *writer
	ret   hubbub.Retention
	now   func() time.Time // nil: the server's clock
	log   *slog.Logger
	guard sqlstore.Guard
	// noIndex is Options.NoSearchIndex: the indexer indexes nothing and Search refuses.
	noIndex bool
}

var (
	_ hubbub.Store     = (*Store)(nil)
	_ hubbub.UserStore = (*Store)(nil)
	_ hubbub.RoomStore = (*Store)(nil)
)

// Open connects to the database at url (a postgres:// URL or a key=value string, as libpq
// takes them, plus pgxpool's pool_* settings), brings its schema up to date and returns the
// Store. ctx bounds connecting and migrating only. Nodes may Open the same database at the
// same time: migrations run under an advisory lock, once.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	s, err := open(ctx, url, opts.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return s, nil
}

// HasStore reports whether the database at url holds a store: whether the schema_migrations
// table Open makes is on the connection's search_path. It changes nothing, so that a command
// that only reads or changes what is there (hubbub user list) can refuse a URL naming another
// database or schema, where Open would make every table and find nothing in them.
func HasStore(ctx context.Context, url string) (bool, error) {
	cfg, err := pgxpool.ParseConfig(url) // the pool's settings (pool_max_conns) are no server's
	if err != nil {
		return false, fmt.Errorf("postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return false, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var has bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&has); err != nil {
		return false, fmt.Errorf("postgres: look for the store's tables: %w", err)
	}
	return has, nil
}

// MostWriters returns the most Options.Writers a Store opened on url (with Options.MaxConns
// unset) runs: the pool's connections less one, which reads keep (the URL's pool_max_conns,
// else DefaultMaxConns), and at most MaxWriters; and the pool's size. Open caps Writers there
// without a word, so a caller taking the number from an operator can refuse one past it. It
// connects to nothing.
func MostWriters(url string) (most, pool int, err error) {
	cfg, err := pgxpool.ParseConfig(url) // its errors show the URL with the password masked
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: %w", err)
	}
	size := poolSize(cfg, url, 0)
	return writersFor(MaxWriters, size), int(size), nil
}

// poolSize is the pool's size Open settles: maxConns when set, else the URL's pool_max_conns
// (which cfg was parsed with), else DefaultMaxConns.
func poolSize(cfg *pgxpool.Config, url string, maxConns int) int32 {
	switch {
	case maxConns > 0:
		return int32(min(maxConns, math.MaxInt32))
	case !strings.Contains(url, "pool_max_conns"):
		return DefaultMaxConns
	}
	return cfg.MaxConns
}

// writersFor caps writers at the pool's connections less one, so that reads always find a
// connection, and at MaxWriters; one at least.
func writersFor(writers int, pool int32) int {
	return max(1, min(writers, MaxWriters, int(pool)-1))
}

func open(ctx context.Context, url string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url) // its errors show the URL with the password masked
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = poolSize(cfg, url, o.MaxConns)
	o.Writers = writersFor(o.Writers, cfg.MaxConns)
	// A node that vanishes mid-transaction (power loss, partition: no FIN) would hold its
	// rooms' locks until TCP keepalive noticed, hours later; the server ends such a session
	// once it has idled in a transaction for TxTimeout. Ours never idle there for long. The
	// server refuses the connection for a value past its int range (some 24 days), which
	// --postgres-tx-timeout may ask for: that is as good as never.
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		ms := min(max(1, o.TxTimeout.Milliseconds()), math.MaxInt32) // 0 would mean never
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(ms, 10)
	}
	// The store's statements are short ones, whose plans a large row estimate (a search over
	// many rooms) would have compiled by JIT first: tens of ms to save less than one.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	var warnOnce sync.Once
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		registerTSVector(conn)
		raised, err := ensureDurableCommit(ctx, conn)
		if raised {
			warnOnce.Do(func() {
				o.Logger.Warn("postgres: synchronous_commit is off for this database or URL; the store's sessions use on, or Append would not be durable")
			})
		}
		return err
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := checkServer(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	if err := migrate(ctx, pool, o.Logger); err != nil {
		pool.Close()
		return nil, err
	}
	// Without the index nothing is indexed, not even what an earlier run left: the first
	// Open with it again indexes everything appended meanwhile (search_rooms.indexed).
	if !o.NoSearchIndex {
		if err := backfillSearch(ctx, pool); err != nil {
			pool.Close()
			return nil, err
		}
		if err := catchUp(ctx, pool, nil); err != nil { // what a node left waiting when it stopped
			pool.Close()
			return nil, err
		}
	}
	idx := newIndexer(pool, o)
	return &Store{
		pool:  pool,
		idx:   idx,
		w:     newWriter(pool, idx, o),
		ret:   o.Retention,
		now:   o.Now,
		log:   o.Logger,
		guard: sqlstore.Guard{Name: "postgres"},

		noIndex: o.NoSearchIndex,
	}, nil
}

// checkServer connects once, so that a wrong URL fails Open rather than the first Append,
// and checks that the database stores text as UTF-8, as hubbub's strings are.
func checkServer(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	if enc := conn.Conn().PgConn().ParameterStatus("server_encoding"); enc != "UTF8" {
		return fmt.Errorf("the database's encoding is %s; hubbub needs UTF8", enc)
	}
	return nil
}

// ensureDurableCommit raises synchronous_commit from off (which acknowledges a COMMIT
// before it is on disk) to on for conn's session, and reports whether it had to. The
// other settings (local, remote_write, on, remote_apply) all flush the local WAL first.
func ensureDurableCommit(ctx context.Context, conn *pgx.Conn) (raised bool, err error) {
	var setting string
	if err := conn.QueryRow(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&setting); err != nil {
		return false, fmt.Errorf("read synchronous_commit: %w", err)
	}
	if setting != "off" {
		return false, nil
	}
	if _, err := conn.Exec(ctx, `SET synchronous_commit = on`); err != nil {
		return true, fmt.Errorf("set synchronous_commit: %w", err)
	}
	return true, nil
}

// Append stores e through the group-commit writers; see hubbub.Store. If ctx ends while e
// is still queued, Append returns ctx's error and e is not stored. If e is already part of
// a transaction, Append waits for it (at most Options.TxTimeout) and reports its outcome.
// A batch that fails before COMMIT is retried when that can help (lost connection,
// deadlock, a client id raced in) and otherwise stores nothing; only a connection lost
// during COMMIT leaves the outcome unknown, which a retry with the same ClientID settles.
// Strings PostgreSQL text cannot hold (invalid UTF-8, NUL bytes) are refused before they
// reach a batch. A change the contract refuses (no such message, not the sender's, too many
// reactions) returns its *hubbub.Error and takes no seq. handover is the entry appended
// after e to keep its room an owner (plan.member), or for a resend the one that followed the
// first outcome. The outcome is StoredFirst for the entry plan.take numbered as its room's
// first.
func (s *Store) Append(ctx context.Context, in *hubbub.Entry) (stored, handover *hubbub.Entry, outcome hubbub.AppendOutcome, err error) {
	if err := s.guard.Begin(ctx, sqlstore.OpAppend); err != nil {
		return nil, nil, 0, err
	}
	if err := sqlstore.CheckAppend(in); err != nil {
		return nil, nil, 0, s.guard.Wrap(sqlstore.OpAppend, err)
	}
	e := sqlstore.Stored(in)
	if e.User == "" { // an actor without a user id is keyed by name, as entries before users were
		e.User = e.From
	}
	fields := []struct{ name, value string }{
		{"room", e.Room}, {"sender", e.From}, {"user", e.User}, {"client id", e.ClientID}, {"text", e.Text}, {"emoji", e.Emoji},
		{"subject", e.Subject}, {"subject name", e.SubjectName}, {"action", e.Action}, {"role", string(e.Role)},
	}
	for _, m := range e.Mentions {
		fields = append(fields, struct{ name, value string }{"mention", m.User}, struct{ name, value string }{"mention", m.Name})
	}
	for _, a := range e.Attachments {
		fields = append(fields, struct{ name, value string }{"attachment", a.ID})
	}
	for _, f := range fields {
		if !textFits(f.value) {
			return nil, nil, 0, s.guard.Wrap(sqlstore.OpAppend, fmt.Errorf("the %s is not valid UTF-8 without NUL bytes", f.name))
		}
	}
	res := s.w.do(ctx, &request{msg: e})
	if res.err != nil {
		return nil, nil, 0, s.guard.Wrap(sqlstore.OpAppend, res.err)
	}
	return &res.msg, res.handover, sqlstore.Outcome(res.dup, res.first), nil
}

// textFits reports whether PostgreSQL's text can hold v: valid UTF-8 (the database's
// encoding, which Open checks) without NUL bytes.
func textFits(v string) bool { return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 }

// The reads of the log. Before walks the messages' (room, seq) primary key backwards; Since
// merges the ranges of the primary keys of messages and entries (a Merge Append of two
// index scans, each stopping at limit).
const (
	selectSince = `SELECT * FROM (
		(SELECT ` + messageRow + ` FROM messages WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3)
		UNION ALL
		(SELECT ` + entryRow + ` FROM entries WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3)
	) AS log ORDER BY seq LIMIT $3`
	selectBefore  = `SELECT ` + messageRow + ` FROM messages WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`
	selectLastSeq = `SELECT last_seq FROM rooms WHERE name = $1`
	// selectNotices reads one of two existing indexes, as the planner judges the span ($2,
	// $4]: entries_target's (room, target = 0), the room's entries that change no message (a
	// wide span), or the primary key's (room, seq) range (a narrow one), whose edits and
	// reactions target = 0 skips (EXPLAIN on 200,000 entries in 50 rooms, analyzed).
	selectNotices = `SELECT ` + entryRow + ` FROM entries
		WHERE room = $1 AND seq > $2 AND seq <= $4 AND target = 0 AND kind IN ('topic', 'member', 'sanction')
		ORDER BY seq DESC LIMIT $3`
)

// selectRooms is a range scan of rooms_name_bytes (names as bytes, COLLATE "C") and, for each
// room, one lookup of its last entry by the (room, seq) primary keys of both tables.
const selectRooms = `SELECT r.name, r.last_seq, coalesce(m.created_at, e.created_at) FROM rooms r
	LEFT JOIN messages m ON m.room = r.name AND m.seq = r.last_seq
	LEFT JOIN entries e ON e.room = r.name AND e.seq = r.last_seq
	WHERE r.name COLLATE "C" > $1 AND r.last_seq > 0 ORDER BY r.name COLLATE "C" LIMIT $2`

// Rooms returns up to limit rooms named after after, in byte order. See hubbub.Store.
func (s *Store) Rooms(ctx context.Context, after string, limit int) ([]hubbub.RoomInfo, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpRooms, func() ([]hubbub.RoomInfo, error) {
		limit, ok := sqlstore.RoomsLimit(limit)
		if !ok {
			return nil, nil
		}
		if !textFits(after) { // no stored name holds what text cannot
			return nil, fmt.Errorf("after %q is not valid text", after)
		}
		rows, _ := s.pool.Query(ctx, selectRooms, after, limit) // the error comes with rows.Err
		defer rows.Close()
		return sqlstore.ReadRows(rows, func(rows pgx.Rows) (hubbub.RoomInfo, error) {
			var ri hubbub.RoomInfo
			var seq int64
			var at *time.Time // nil once retention removed the last entry
			err := rows.Scan(&ri.Name, &seq, &at)
			ri.LastSeq = uint64(seq)
			if at != nil {
				ri.LastActivity = at.UTC()
			}
			return ri, err
		})
	})
}

// Since returns up to limit entries of room with Seq > after, oldest first, messages in
// their current state. See hubbub.Store.
func (s *Store) Since(ctx context.Context, room string, after uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSince, func() ([]hubbub.Entry, error) {
		from, ok := sqlstore.SinceArgs(after, limit)
		if !ok {
			return nil, nil
		}
		return s.readLog(ctx, selectSince, room, from, limit, false)
	})
}

// Before returns the up to limit newest messages of room with Seq < before (any Seq if
// before is 0), oldest first, in their current state.
func (s *Store) Before(ctx context.Context, room string, before uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpBefore, func() ([]hubbub.Entry, error) {
		below, ok := sqlstore.BeforeArgs(before, limit)
		if !ok {
			return nil, nil
		}
		return s.readLog(ctx, selectBefore, room, below, limit, true)
	})
}

// Notices returns the newest limit topic, member and sanction entries of room with after <
// Seq ≤ upto, oldest first. See hubbub.Store.
func (s *Store) Notices(ctx context.Context, room string, after, upto uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpNotices, func() ([]hubbub.Entry, error) {
		from, to, ok := sqlstore.NoticesArgs(after, upto, limit)
		if !ok {
			return nil, nil
		}
		return s.readLog(ctx, selectNotices, room, from, limit, true, to)
	})
}

// readLog runs query, a range scan of room's log rows (logrows.go) from seq, and returns
// its entries oldest first; newestFirst says that query walks the room backwards.
func (s *Store) readLog(ctx context.Context, query, room string, seq int64, limit int, newestFirst bool, args ...any) ([]hubbub.Entry, error) {
	rows, _ := s.pool.Query(ctx, query, append([]any{room, seq, limit}, args...)...) // the error comes with rows.Err
	defer rows.Close()
	return sqlstore.ReadMessages(rows, room, limit, newestFirst, scanLogRow)
}

// LastSeq returns the highest Seq ever assigned in room, or 0 if the room has none. It reads
// rooms.last_seq, which retention never lowers.
func (s *Store) LastSeq(ctx context.Context, room string) (uint64, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpLastSeq, func() (uint64, error) {
		var seq int64
		err := s.pool.QueryRow(ctx, selectLastSeq, room).Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return uint64(seq), nil
	})
}

// Check reports whether the store can reach its database, for a readiness probe: nil if a
// connection answers a ping within ctx.
func (s *Store) Check(ctx context.Context) error {
	if err := s.guard.Begin(ctx, sqlstore.OpCheck); err != nil {
		return err
	}
	return s.guard.Wrap(sqlstore.OpCheck, s.pool.Ping(ctx))
}

// Close stops the writers once their current batches are committed, fails appends still
// queued with ErrClosed, and closes the connections. Calls after Close, Close included,
// return ErrClosed.
func (s *Store) Close() error {
	if err := s.guard.Close(); err != nil {
		return err
	}
	s.w.stop()
	s.idx.stop(s.w.txTimeout)
	s.pool.Close() // waits for reads in flight to release their connections
	return nil
}
