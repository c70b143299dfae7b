// Package sqlite is hubbub's default Store: one SQLite file, written through
// modernc.org/sqlite (pure Go, no cgo).
//
// Durability: the file is in WAL mode and a commit is on disk before Append returns: the
// writer syncs the log after each commit (walsync.go, so that the fsync does not hold the Go
// processor; SQLite's own synchronous=FULL where the log cannot be opened). To make that affordable, appends go through a single writer goroutine that
// commits many of them in one transaction (group commit) and so pays one fsync per batch
// rather than one per message. Reads use a separate pool of read-only connections and never
// wait behind a commit.
//
// The room log: a room's messages are rows of messages, each holding the message's current
// state (text after edits, tombstone, mentions, reply count, reactions summary), so that
// Before and Replies read one index range; the edits, deletes and reactions that change them
// are rows of entries, numbered from the same rooms.last_seq, and Since merges the two by
// seq. reactions holds who holds which reaction, and a message's revisions are its original
// text (kept in its row from its first edit) and its edits' texts. A change goes through the
// group commit like a message, in its own savepoint, so that a refused one takes no seq.
// migrations/0003_room_log.sql and 0004 describe the schema.
//
// People (migrations 0005 and 0006): users, their guest keys, token identities, sessions and
// invites (user.go); every entry carries its actor's user id, which keys idempotency,
// authorship and reactions, and sanctions are of users. Rooms have metadata, memberships and
// read positions (room.go); a change of topic or membership is an entry of the log, appended
// through the group commit with its effect in its savepoint. The other writes of people
// (users, sessions, CreateRoom, JoinRoom, SetRead) run on the writer between batches, each in
// one IMMEDIATE transaction, so that a unique index decides a race between processes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hubbub"
	"hubbub/internal/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned, wrapped, by every call on a Store after Close. It is
// sqlstore.ErrClosed, as for every SQL store.
var ErrClosed = sqlstore.ErrClosed

// Store is a hubbub.Store kept in one SQLite file. It is safe for concurrent use. What it
// shares with internal/postgres (the checks before and after each query, the mapping of
// rows, the retention rule) is internal/sqlstore; this package holds the SQL and the writer.
type Store struct {
	wdb   *sql.DB // the writer's pool: one connection, owned by w
	rdb   *sql.DB // read-only pool for Since, Before, LastSeq, Sanctions and Check
	reads readStmts
	w     *writer
	guard sqlstore.Guard
	// noIndex is Options.NoSearchIndex: the writer indexes nothing and Search refuses.
	noIndex bool
	// lock holds the file's lock (Options.Lock) until Close; nil without it.
	lock *os.File
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
	s := &Store{guard: sqlstore.Guard{Name: "sqlite"}}
	defer func() {
		if err != nil {
			_ = errors.Join(s.closeDBs(), unlock(s.lock))
		}
	}()
	// The lock first: a second server does not check, migrate or index the file in use.
	if o.Lock {
		if s.lock, err = lockFile(path, abs); err != nil {
			return nil, err
		}
	}
	ctx := context.Background()
	busy := strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10)

	// The writer: WAL so that readers and the writer never block each other,
	// synchronous=FULL so that a commit is on disk (WAL fsynced) before Append returns (until
	// openWALSync hands the syncing to the writer, after the migrations), and a
	// log long enough that a page appends keep touching is copied out once for many commits.
	// The writer's page cache holds what a whole batch dirties (writerCachePages), and its
	// statement journals (the savepoint of each append) stay in memory (temp_store): see
	// writerCachePages.
	walPages := strconv.Itoa(o.WALPages)
	cacheKiB := strconv.Itoa(writerCachePages(o.MaxBatch) * 4)
	s.wdb, err = sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": {"busy_timeout(" + busy + ")", "journal_mode(WAL)", "synchronous(FULL)", "wal_autocheckpoint(" + walPages + ")",
			"cache_size(-" + cacheKiB + ")", "temp_store(MEMORY)"},
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
	// Without the index nothing is indexed, not even what an earlier run left: the first
	// Open with it again indexes everything appended meanwhile here (search_rooms.indexed);
	// a tool's Open (SkipSearchCatchUp) leaves that to the server.
	if !o.NoSearchIndex && !o.SkipSearchCatchUp {
		if err := catchUpSearch(ctx, conn); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	wal := openWALSync(ctx, conn, abs, o.Logger)
	w, err := newWriter(ctx, conn, wal, o)
	if err != nil {
		_ = conn.Close()
		if wal != nil {
			wal.close()
		}
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
	s.w, s.noIndex = w, o.NoSearchIndex
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

// Append stores m, an entry of any kind, through the group-commit writer; see hubbub.Store.
// If ctx ends while m is still queued, Append returns ctx's error and m is not stored. If m
// is already part of a transaction being committed, Append waits for that commit
// (milliseconds) and reports its outcome, so that an error never hides a stored entry. A
// change the contract refuses (no such message, not the sender's, too many reactions) fails
// with a *hubbub.Error and takes no seq. handover is the entry appended after m to keep its
// room an owner (appendRoomChange), or for a resend the one that followed the first outcome.
// The outcome is StoredFirst for the entry startLog numbered as its room's first.
func (s *Store) Append(ctx context.Context, m *hubbub.Entry) (stored, handover *hubbub.Entry, outcome hubbub.AppendOutcome, err error) {
	if err := s.guard.Begin(ctx, sqlstore.OpAppend); err != nil {
		return nil, nil, 0, err
	}
	if err := sqlstore.CheckAppend(m); err != nil {
		return nil, nil, 0, s.guard.Wrap(sqlstore.OpAppend, err)
	}
	// The request is the one allocation of an append: the stored entry returned is its
	// result's (writer.do).
	res := s.w.do(ctx, &request{msg: m})
	if res.err != nil {
		return nil, nil, 0, s.guard.Wrap(sqlstore.OpAppend, res.err)
	}
	return &res.msg, res.handover, sqlstore.Outcome(res.dup, res.first), nil
}

// Prune deletes what Options.Retention no longer keeps and returns how many messages went.
// It runs on the writer between two batches, so appends wait while it works.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpPrune); err != nil {
		return 0, err
	}
	n, err := s.exec(ctx, func(ctx context.Context, _ *sql.Conn) (int64, error) { return s.w.prune(ctx) })
	if err != nil {
		return 0, s.guard.Wrap(sqlstore.OpPrune, err)
	}
	return n, nil
}

// skipRoomsSQL is every row of rooms that is a room (RoomMeta finds it: an entry, or
// metadata), which SkipSeqs counts as moved: those with an entry by the gap, those with
// metadata alone by the floor.
const skipRoomsSQL = `(r.last_seq > 0 OR EXISTS (SELECT 1 FROM room_meta m WHERE m.name = r.name))`

// seqFloorSQL is the seq floor in force (migrations/0021_restores.sql): 0 before any restore.
const seqFloorSQL = `SELECT coalesce(max(floor), 0) FROM restores`

// SkipSeqs moves every room's numbering on by gap, raises the seq floor and records the
// restore; see hubbub.Store. The gap's seqs count as seqs that are not messages held
// (other_seqs, as retention's removed ones), so a room still holds last_seq - other_seqs
// messages for MaxPerRoom; rooms.msgs, which unread counts read, counts messages and stays. A
// room with metadata alone stays at last_seq 0, which numbers its first entry above the floor
// as any new room's (writer.startLog). It runs on the writer between two batches, in one
// transaction, and the writer forgets the rooms' numbering it held (an exec does), so the
// next append reads the moved one.
func (s *Store) SkipSeqs(ctx context.Context, gap uint64) (hubbub.Restore, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpSkipSeqs); err != nil {
		return hubbub.Restore{}, err
	}
	if err := sqlstore.CheckSeqGap(gap); err != nil {
		return hubbub.Restore{}, s.guard.Wrap(sqlstore.OpSkipSeqs, err)
	}
	var rec hubbub.Restore
	_, err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (_ int64, err error) {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return 0, fmt.Errorf("begin: %w", err)
		}
		defer func() {
			if err != nil {
				_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			}
		}()
		var room string
		var last, floor, rooms int64
		err = conn.QueryRowContext(ctx, `SELECT r.name, r.last_seq FROM rooms r WHERE r.last_seq > 0
			ORDER BY r.last_seq DESC LIMIT 1`).Scan(&room, &last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = nil
		case err != nil:
			return 0, err
		case uint64(last)+gap > hubbub.MaxSeq:
			return 0, sqlstore.SeqGapTooFar(room, last, gap)
		}
		if err := conn.QueryRowContext(ctx, seqFloorSQL).Scan(&floor); err != nil {
			return 0, fmt.Errorf("read the seq floor: %w", err)
		}
		next, err := sqlstore.NextSeqFloor(uint64(floor), uint64(last), gap)
		if err != nil {
			return 0, err
		}
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM rooms r WHERE `+skipRoomsSQL).Scan(&rooms); err != nil {
			return 0, err
		}
		if _, err := conn.ExecContext(ctx, `UPDATE rooms SET last_seq = last_seq + ?1, other_seqs = other_seqs + ?1
			WHERE last_seq > 0`, int64(gap)); err != nil {
			return 0, err
		}
		rec = hubbub.Restore{At: sqlstore.Now(s.w.now()), Gap: gap, Floor: next, Rooms: rooms}
		if _, err := conn.ExecContext(ctx, `INSERT INTO restores (at_ms, gap, floor, rooms) VALUES (?, ?, ?, ?)`,
			rec.At.UnixMilli(), int64(gap), int64(next), rooms); err != nil {
			return 0, fmt.Errorf("record the restore: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return 0, fmt.Errorf("commit: %w", err)
		}
		return rooms, nil
	})
	if err != nil {
		return hubbub.Restore{}, s.guard.Wrap(sqlstore.OpSkipSeqs, err)
	}
	return rec, nil
}

// LastRestore returns the latest restore SkipSeqs recorded; see hubbub.Store. Floors only
// grow, so the latest row holds the floor in force.
func (s *Store) LastRestore(ctx context.Context) (hubbub.Restore, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpLastRestore); err != nil {
		return hubbub.Restore{}, false, err
	}
	var at, gap, floor int64
	var r hubbub.Restore
	err := s.rdb.QueryRowContext(ctx, `SELECT at_ms, gap, floor, rooms FROM restores ORDER BY id DESC LIMIT 1`).
		Scan(&at, &gap, &floor, &r.Rooms)
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.Restore{}, false, nil
	}
	if err != nil {
		return hubbub.Restore{}, false, s.guard.Wrap(sqlstore.OpLastRestore, err)
	}
	r.At, r.Gap, r.Floor = sqlstore.MsTime(at), uint64(gap), uint64(floor)
	return r, true, nil
}

// LastSeq returns the highest Seq ever assigned in room, or 0 if the room has none. It reads
// rooms.last_seq, which retention never lowers.
func (s *Store) LastSeq(ctx context.Context, room string) (uint64, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpLastSeq); err != nil {
		return 0, err
	}
	seq, err := s.lastSeq(ctx, room)
	if err != nil {
		return 0, s.guard.Wrap(sqlstore.OpLastSeq, err)
	}
	return uint64(seq), nil
}

// lastSeq reads rooms.last_seq of room: 0 if the room has none.
func (s *Store) lastSeq(ctx context.Context, room string) (int64, error) {
	var seq int64
	err := s.reads.lastSeq.QueryRowContext(ctx, room).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}

// Close stops the writer once its current batch is committed, fails appends still queued
// with ErrClosed, and closes the file. Calls after Close, Close included, return ErrClosed.
func (s *Store) Close() error {
	if err := s.guard.Close(); err != nil {
		return err
	}
	s.w.stop()
	// The lock last, once nothing of this Store writes to the file any more.
	return s.guard.Wrap(sqlstore.OpClose, errors.Join(s.closeDBs(), unlock(s.lock)))
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
