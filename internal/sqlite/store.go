// Package sqlite is hubbub's default Store: one SQLite file, written through
// modernc.org/sqlite (pure Go, no cgo).
//
// Durability: the file is in WAL mode with synchronous=FULL, so a commit is on disk before
// Append returns. To make that affordable, appends go through a single writer goroutine that
// commits many of them in one transaction (group commit) and so pays one fsync per batch
// rather than one per message. Reads use a separate pool of read-only connections and never
// wait behind a commit.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"hubbub"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned, wrapped, by every call on a Store after Close.
var ErrClosed = errors.New("store is closed")

// Store is a hubbub.Store kept in one SQLite file. It is safe for concurrent use.
type Store struct {
	wdb    *sql.DB // the writer's pool: one connection, owned by w
	rdb    *sql.DB // read-only pool for Since, Before and LastSeq
	reads  readStmts
	w      *writer
	closed atomic.Bool
}

var _ hubbub.Store = (*Store)(nil)

// Open opens the store in the file at path, creating the file if needed and bringing its
// schema up to date. A second Open of the same file, in this process or another, shares the
// data safely but not the group commit, so one Store per file is the efficient use.
func Open(path string, opts Options) (*Store, error) {
	s, err := open(path, opts.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, explainOpen(path, err))
	}
	return s, nil
}

func open(path string, o Options) (_ *Store, err error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, errors.New("path must name a file (the readers and the writer share it)")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	s := &Store{}
	defer func() {
		if err != nil {
			_ = s.closeDBs()
		}
	}()
	ctx := context.Background()
	busy := strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)

	// The writer: WAL so that readers and the writer never block each other,
	// synchronous=FULL so that a commit is on disk (WAL fsynced) before Append returns, and a
	// log long enough that a page appends keep touching is copied out once for many commits.
	walPages := strconv.Itoa(o.WALPages)
	s.wdb, err = sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {"busy_timeout(" + busy + ")", "journal_mode(WAL)", "synchronous(FULL)", "wal_autocheckpoint(" + walPages + ")"},
	}))
	if err != nil {
		return nil, err
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	conn, err := s.wdb.Conn(ctx) // connecting applies the pragmas: a non-database fails here
	if err != nil {
		return nil, describe(err)
	}
	if !o.SkipCheck {
		if err := checkIntegrity(ctx, conn, abs, o.CheckTimeout, o.Logger); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	if err := migrate(ctx, conn, o.Logger); err != nil {
		_ = conn.Close()
		return nil, describe(err)
	}
	w, err := newWriter(ctx, conn, o)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}

	s.rdb, err = sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {"busy_timeout(" + busy + ")", "query_only(1)"},
	}))
	if err == nil {
		s.rdb.SetMaxOpenConns(o.ReadConns)
		s.rdb.SetMaxIdleConns(o.ReadConns)
		s.reads, err = prepareReads(ctx, s.rdb)
	}
	if err != nil {
		w.stop()
		return nil, err
	}
	s.w = w
	return s, nil
}

// dsn builds a file: URI, escaping the path so that '?', '#' and '%' in it stay part of it.
func dsn(abs string, q url.Values) string {
	return "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + q.Encode()
}

// describe adds a hint to the one error whose SQLite text confuses people.
func describe(err error) error {
	var code interface{ Code() int }
	if errors.As(err, &code) && code.Code()&0xff == 26 { // SQLITE_NOTADB
		return fmt.Errorf("the file exists but is not an SQLite database (or is encrypted): %w", err)
	}
	return err
}

// Append stores m through the group-commit writer; see hubbub.Store. If ctx ends while m is
// still queued, Append returns ctx's error and m is not stored. If m is already part of a
// transaction being committed, Append waits for that commit (milliseconds) and reports its
// outcome, so that an error never hides a stored message.
func (s *Store) Append(ctx context.Context, m hubbub.Message) (hubbub.Message, bool, error) {
	if err := s.check(ctx); err != nil {
		return hubbub.Message{}, false, fmt.Errorf("sqlite: append: %w", err)
	}
	if m.Room == "" {
		return hubbub.Message{}, false, errors.New("sqlite: append: message has no room")
	}
	res := s.w.do(ctx, &request{msg: m})
	if res.err != nil {
		return hubbub.Message{}, false, fmt.Errorf("sqlite: append: %w", res.err)
	}
	return res.msg, res.dup, nil
}

// Prune deletes what Options.Retention no longer keeps and returns how many messages went.
// It runs on the writer between two batches, so appends wait while it works.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	n, err := s.exec(ctx, func(ctx context.Context, _ *sql.Conn) (int64, error) { return s.w.prune(ctx) })
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune: %w", err)
	}
	return n, nil
}

// Since returns up to limit messages of room with Seq > after, oldest first.
func (s *Store) Since(ctx context.Context, room string, after uint64, limit int) ([]hubbub.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: since: %w", err)
	}
	if limit <= 0 || after >= math.MaxInt64 {
		return nil, nil
	}
	rows, err := s.reads.since.QueryContext(ctx, room, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: since: %w", unreadable(err))
	}
	msgs, err := scanMessages(rows, room, limit, false)
	if err != nil {
		return nil, fmt.Errorf("sqlite: since: %w", unreadable(err))
	}
	return msgs, nil
}

// Before returns the up to limit newest messages of room with Seq < before (any Seq if
// before is 0), oldest first.
func (s *Store) Before(ctx context.Context, room string, before uint64, limit int) ([]hubbub.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("sqlite: before: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	if before == 0 || before > math.MaxInt64 {
		before = math.MaxInt64
	}
	rows, err := s.reads.before.QueryContext(ctx, room, int64(before), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: before: %w", unreadable(err))
	}
	msgs, err := scanMessages(rows, room, limit, true)
	if err != nil {
		return nil, fmt.Errorf("sqlite: before: %w", unreadable(err))
	}
	return msgs, nil
}

// LastSeq returns the highest Seq ever assigned in room, or 0 if the room has none. It reads
// rooms.last_seq, which retention never lowers.
func (s *Store) LastSeq(ctx context.Context, room string) (uint64, error) {
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("sqlite: last seq: %w", err)
	}
	var seq int64
	err := s.reads.lastSeq.QueryRowContext(ctx, room).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: last seq: %w", err)
	}
	return uint64(seq), nil
}

// Close stops the writer once its current batch is committed, fails appends still queued
// with ErrClosed, and closes the file. Calls after Close, Close included, return ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return fmt.Errorf("sqlite: close: %w", ErrClosed)
	}
	s.w.stop()
	if err := s.closeDBs(); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.rdb != nil {
		errs = append(errs, s.reads.close(), s.rdb.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}

// check fails fast on a closed store or a finished context.
func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// msTime turns stored Unix milliseconds into the UTC time the contract promises.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
