package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The search index is written behind the appends (migration 0013): the append batch stores a
// message and leaves its row of message_search to an indexer, which reads the messages past
// each room's watermark (search_rooms.indexed) and writes their rows a batch of rooms at a
// time. In the append's transaction the rows cost an append 1.4× (the GIN entries, a second
// heap row and its two B-trees, the text folded: docs/benchmarks.md); written a thousand at
// a time, behind the appends, they cost less. An append of a new message never waits for
// them; an edit, a delete or a prune in the same batch does wait for an indexer holding its
// room's watermark (at most searchIndexRooms rooms × searchIndexRows messages a
// transaction), and so do the batch's other appends.
//
// What the search contract needs holds:
//   - a search indexes the waiting messages of the rooms it reads before it reads them
//     (catchUp: the rooms whose last seq is past their watermark, read from the database, so
//     that an append acknowledged by any node is found);
//   - an edit or a delete keeps an indexed message's row in step in its batch, and a prune
//     deletes the rows with the messages, each holding the room's watermark FOR SHARE, which
//     an indexer holds FOR UPDATE: one of them reads what the other committed, never its
//     half (a message edited or deleted before it is indexed is indexed as it then is, or
//     not at all);
//   - two indexers (two nodes, or a node's background indexing and a search) of one room
//     take its watermark in turn, and the second finds nothing left to do; a row written
//     twice would conflict and is left as it is (ON CONFLICT DO NOTHING);
//   - Close indexes what its node left waiting, and Open what any node left (a crash).
//
// What the indexer pays for a room, whatever the number of its messages (its watermark made
// sure of, locked, read with the room's last seq, and raised: ≈ 12 µs of PostgreSQL's CPU,
// busy machine, docs/benchmarks/search.md), is paid per message when each room has one
// message waiting, as on a node taking messages in a thousand rooms, and it was a third of
// what the index cost such an append beyond its GIN entries. So a room is indexed once its
// own entries reach the lag, and the others once the first of them has waited the delay:
// a node appending to many rooms indexes all it appended in the delay at a time, rather
// than every 1,024 entries.
const (
	// DefaultSearchLag is how many appended entries of one room a Store lets wait before its
	// indexer indexes that room.
	DefaultSearchLag = 1024
	// MaxSearchLag bounds Options.SearchLag, and is how many entries of all rooms may wait
	// before every room is indexed, whatever the delay.
	MaxSearchLag = 1 << 16
	// DefaultSearchDelay is the longest an appended entry waits to be indexed when fewer
	// than Options.SearchLag of its room wait. Two seconds (six messages a room at 3,000 a
	// second over 1,000 rooms) measured worse end to end than half a second on a busy
	// machine (CPU per ack 1.1x, two rounds; docs/benchmarks/search.md), for reasons not
	// found: half a second it stays.
	DefaultSearchDelay = 500 * time.Millisecond

	// searchIndexRooms is the most rooms one indexing transaction takes, and
	// searchIndexRows the most messages it reads of each (at most ~256k messages a
	// transaction, which an edit of one of its rooms may wait for): a room far behind (a
	// crash, a node that indexed nothing for long) is indexed in several transactions.
	// Rooms with a message or two each share a transaction, and its commit, by hundreds.
	searchIndexRooms = 256
	searchIndexRows  = 1024
)

const (
	// ensureSearchRooms gives the rooms ($1) a watermark row if they have none: a new room
	// starts at 0. A transaction that does not create it finds the row locked by the one
	// that did, until that one commits. Every statement here takes its rows in byte order
	// (COLLATE "C", the order of Go's sort), whatever the database's collation: indexers,
	// searches and writers lock the same rows in the same order, or two of them could each
	// hold a row the other waits for.
	//
	// The rooms are a parameter array joined as a set (IN (SELECT unnest($1))), never
	// "room = ANY($1)": after five executions PostgreSQL plans a prepared statement once for
	// any array, and that generic plan read the whole small table (a thousand rooms) testing
	// each row against the array one element at a time — 5–7 ms of its CPU for 256 rooms
	// against 0.5 as a join (docs/benchmarks/search.md), ≈ 20 µs a message when the indexer
	// takes a room or two's messages each (TestIndexerPlansJoinTheRooms).
	ensureSearchRooms = `INSERT INTO search_rooms (room, indexed) SELECT r, 0 FROM unnest($1::text[]) AS r ORDER BY r COLLATE "C" ON CONFLICT (room) DO NOTHING`
	// lockSearchRooms takes the watermarks of the rooms $1 for an indexer, in order.
	lockSearchRooms = `SELECT room FROM search_rooms WHERE room IN (SELECT unnest($1::text[])) ORDER BY room COLLATE "C" FOR UPDATE OF search_rooms`
	// shareSearchRooms holds the watermarks of the rooms $1 while an edit, a delete or a
	// prune changes their messages' rows, in order (see above).
	shareSearchRooms = `SELECT room FROM search_rooms WHERE room IN (SELECT unnest($1::text[])) ORDER BY room COLLATE "C" FOR SHARE OF search_rooms`
	// readWaiting reads, in one snapshot, each room's last seq and the texts (with time and
	// user) of its messages past its watermark (at most $2 of each), the rooms in order and
	// each room's messages in seq order; a room with nothing new of its own (reactions,
	// joins) comes with a NULL seq.
	readWaiting = `SELECT w.room, w.last_seq, m.seq, m.text, m.created_at, m.user_id
		FROM (SELECT s.room, s.indexed, r.last_seq FROM search_rooms s JOIN rooms r ON r.name = s.room
			WHERE s.room IN (SELECT unnest($1::text[])) AND r.last_seq > s.indexed) AS w
		LEFT JOIN LATERAL (SELECT m.seq, m.text, m.created_at, m.user_id FROM messages m
			WHERE m.room = w.room AND m.seq > w.indexed AND m.seq <= w.last_seq AND NOT m.deleted
			ORDER BY m.seq LIMIT $2) AS m ON true
		ORDER BY w.room, m.seq`
	// insertWaiting writes the rows of readWaiting's messages, their time and user sent back
	// as read rather than looked up in messages again (a second probe of its primary key for
	// each message). It is a plain insert: ON CONFLICT makes each row a speculative insertion
	// (a probe of the key first, a second WAL record after), ≈ 2.7 µs of PostgreSQL's CPU a
	// message of the ≈ 27 the rows cost (docs/benchmarks/search.md), and a row is rarely
	// there already. When one is (an edit of a message not yet indexed writes its row, as may
	// a node of the code before 0013 or the backfill), the insert fails and indexSome does the
	// transaction again with indexWaiting.
	insertWaiting = `INSERT INTO message_search (room, seq, created_at, user_id, doc)
		SELECT room, seq, created_at, user_id, doc
		FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::tsvector[]) AS u(room, seq, created_at, user_id, doc)`
	// indexWaiting is insertWaiting keeping a row there already: it is its message's current
	// state.
	indexWaiting = insertWaiting + `
		ON CONFLICT (room, created_at, seq) DO NOTHING`
	// raiseWatermarks sets the rooms' watermarks to how far they were read.
	raiseWatermarks = `UPDATE search_rooms SET indexed = u.indexed FROM unnest($1::text[], $2::bigint[]) AS u(room, indexed)
		WHERE search_rooms.room = u.room AND search_rooms.indexed < u.indexed`
	// behindRooms names those of the rooms $1 whose last seq is past their watermark.
	behindRooms = `SELECT r.name FROM rooms r LEFT JOIN search_rooms s ON s.room = r.name
		WHERE r.name IN (SELECT unnest($1::text[])) AND r.last_seq > coalesce(s.indexed, 0) ORDER BY r.name COLLATE "C"`
	// allBehindRooms names every room whose last seq is past its watermark.
	allBehindRooms = `SELECT r.name FROM rooms r LEFT JOIN search_rooms s ON s.room = r.name
		WHERE r.last_seq > coalesce(s.indexed, 0) ORDER BY r.name COLLATE "C"`
)

// indexer writes a Store's search index behind its appends: the writers note each batch's
// rooms (noteAppended) and the indexer's goroutine indexes a room once lag of its entries
// wait, and every room noted once the first entry has waited delay or MaxSearchLag wait.
type indexer struct {
	pool  *pgxpool.Pool
	lag   int
	delay time.Duration // 0: until lag entries of a room wait, or a search or Close
	off   bool          // Options.NoSearchIndex: nothing is noted, so nothing indexed
	log   *slog.Logger

	mu    sync.Mutex
	rooms map[string]int // room → entries appended by this node since it was last indexed
	total int            // their sum
	full  int            // how many rooms have lag entries or more
	first time.Time      // when the first of them was appended

	kick chan struct{} // wakes the goroutine: lag reached, or the first entry waits
	quit chan struct{}
	done chan struct{}
}

// newIndexer starts the indexer of pool.
func newIndexer(pool *pgxpool.Pool, o Options) *indexer {
	x := &indexer{
		pool: pool, lag: o.SearchLag, delay: max(o.SearchDelay, 0), off: o.NoSearchIndex, log: o.Logger,
		rooms: map[string]int{},
		kick:  make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
	go x.run()
	return x
}

// noteAppended records n entries appended to each room of counts, committed.
func (x *indexer) noteAppended(counts map[string]int) {
	if x.off || searchIndexOff.Load() || len(counts) == 0 {
		return
	}
	x.mu.Lock()
	was, full := x.total, x.full
	if was == 0 {
		x.first = time.Now()
	}
	for r, n := range counts {
		before := x.rooms[r]
		x.rooms[r] = before + n
		x.total += n
		if before < x.lag && before+n >= x.lag {
			x.full++
		}
	}
	wake := was == 0 || full == 0 && x.full > 0 || was < MaxSearchLag && x.total >= MaxSearchLag
	x.mu.Unlock()
	if wake {
		select {
		case x.kick <- struct{}{}:
		default:
		}
	}
}

// run indexes the rooms with lag entries waiting, and every noted room when the first has
// waited delay or MaxSearchLag wait, until stop.
func (x *indexer) run() {
	defer close(x.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		x.mu.Lock()
		total, full, waited := x.total, x.full, time.Since(x.first)
		x.mu.Unlock()
		var late <-chan time.Time
		switch {
		case total > 0 && (full > 0 || total >= MaxSearchLag || x.delay > 0 && waited >= x.delay):
			all := total >= MaxSearchLag || x.delay > 0 && waited >= x.delay
			if err := x.index(context.Background(), all); err != nil {
				x.log.Error("postgres: the search index could not catch up; a search indexes its rooms first", "err", err)
				late = time.After(max(x.delay, time.Second)) // not at once again
				break
			}
			continue
		case total > 0 && x.delay > 0:
			timer.Reset(x.delay - waited)
			late = timer.C
		}
		select {
		case <-x.kick:
		case <-late:
		case <-x.quit:
			timer.Stop()
			return
		}
		timer.Stop()
	}
}

// stop ends the goroutine, then indexes what this node left waiting (best effort, for at
// most timeout: Open indexes what is left).
func (x *indexer) stop(timeout time.Duration) {
	close(x.quit)
	<-x.done
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := x.indexNoted(ctx); err != nil {
		x.log.Warn("postgres: the search index did not catch up before close; the next Open does", "err", err)
	}
}

// indexNoted indexes every room noted so far.
func (x *indexer) indexNoted(ctx context.Context) error { return x.index(ctx, true) }

// index indexes the rooms noted so far, all of them or only those with lag entries or more
// waiting. They are taken off the notes first: an entry noted meanwhile waits for the next
// round, even if this one indexed it already. The rooms left keep the time of the first
// entry noted, which may be earlier than theirs: they are indexed no later than delay after
// their own first.
func (x *indexer) index(ctx context.Context, all bool) error {
	x.mu.Lock()
	taken := x.rooms
	if all {
		x.rooms, x.total, x.full = map[string]int{}, 0, 0
	} else {
		taken = map[string]int{}
		for r, n := range x.rooms {
			if n >= x.lag {
				taken[r] = n
				delete(x.rooms, r)
				x.total -= n
			}
		}
		x.full = 0
	}
	x.mu.Unlock()
	if len(taken) == 0 {
		return nil
	}
	err := indexRooms(ctx, x.pool, slices.Sorted(maps.Keys(taken)))
	if err != nil { // note them again, for the next round
		x.mu.Lock()
		if x.total == 0 {
			x.first = time.Now()
		}
		for r, n := range taken {
			before := x.rooms[r]
			x.rooms[r] = before + n
			x.total += n
			if before < x.lag && before+n >= x.lag {
				x.full++
			}
		}
		x.mu.Unlock()
	}
	return err
}

// catchUp indexes the waiting messages of those of rooms (sorted) whose last seq is past
// their watermark, whichever node appended them.
func catchUp(ctx context.Context, pool *pgxpool.Pool, rooms []string) error {
	q, args := behindRooms, []any{rooms}
	if rooms == nil {
		q, args = allBehindRooms, nil
	}
	rows, _ := pool.Query(ctx, q, args...)
	behind, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return indexRooms(ctx, pool, behind)
}

// indexRooms indexes the messages of rooms (sorted) past their watermarks, up to their last
// seqs, searchIndexRooms rooms a transaction.
func indexRooms(ctx context.Context, pool *pgxpool.Pool, rooms []string) error {
	for len(rooms) > 0 {
		n := min(len(rooms), searchIndexRooms)
		for {
			more, err := indexSome(ctx, pool, rooms[:n], insertWaiting)
			if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == "23505" && pe.TableName == "message_search" {
				more, err = indexSome(ctx, pool, rooms[:n], indexWaiting) // a row was there (insertWaiting)
			}
			if err != nil {
				return fmt.Errorf("search index: %w", err)
			}
			if !more {
				break
			}
		}
		rooms = rooms[n:]
	}
	return nil
}

// indexSome indexes, in one transaction holding their watermarks, the messages of rooms
// (sorted) past them, up to searchIndexRows of each, writing their rows with insert
// (insertWaiting or indexWaiting), and reports whether a room has more.
func indexSome(ctx context.Context, pool *pgxpool.Pool, rooms []string, insert string) (more bool, err error) {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return false, err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	b := &pgx.Batch{}
	b.Queue(ensureSearchRooms, rooms)
	b.Queue(lockSearchRooms, rooms)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, err
	}
	// A statement after the locks: its snapshot holds what the edits, deletes and prunes
	// that held them before committed.
	rows, _ := tx.Query(ctx, readWaiting, rooms, searchIndexRows)
	var add searchRows
	var marks struct {
		room []string
		seq  []int64
	}
	var room string
	var last int64
	var seq *int64
	var text, user *string
	var at *time.Time
	count := 0
	_, err = pgx.ForEachRow(rows, []any{&room, &last, &seq, &text, &at, &user}, func() error {
		if len(marks.room) == 0 || marks.room[len(marks.room)-1] != room {
			marks.room, marks.seq = append(marks.room, room), append(marks.seq, last)
			count = 0
		}
		if seq == nil {
			return nil
		}
		add.room, add.seq, add.at = append(add.room, room), append(add.seq, *seq), append(add.at, *at)
		add.user, add.doc = append(add.user, *user), append(add.doc, searchDoc(room, *text))
		if count++; count == searchIndexRows && *seq < last { // the room has more: read on from here
			marks.seq[len(marks.seq)-1], more = *seq, true
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if len(marks.room) == 0 {
		return false, tx.Commit(ctx)
	}
	b = &pgx.Batch{}
	if len(add.room) > 0 {
		b.Queue(insert, add.room, add.seq, add.at, add.user, add.doc)
	}
	b.Queue(raiseWatermarks, marks.room, marks.seq)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return false, err
	}
	return more, tx.Commit(ctx)
}
