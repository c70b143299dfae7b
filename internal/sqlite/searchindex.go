package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"hubbub"
)

// The search index's writes (migration 0013): the writer gives each room appended to a
// number, indexes the room's messages after its search_rooms.indexed, all in one statement
// sorted by rowid (FTS5 then keeps them in memory and writes one segment at the commit), and
// moves indexed on. ?1 is a JSON array of rooms.
//
// The writer does so behind the appends, not in each batch's transaction (searchLag): FTS5's
// cost per message is mostly per segment written (its pages, the merges of segments, the
// log), so indexing hundreds of messages at once costs an append a fraction of what one
// batch's few dozen did. What has not been indexed yet is never missed: a search first has
// the writer index the rooms it reads (searchLag.lagging), an edit or a delete of a message
// not yet indexed leaves the index alone (the triggers of 0013 act up to indexed) and the
// message is indexed as it is then, and after a crash Open indexes what the file holds
// beyond the watermarks (catchUpSearch).
const (
	searchNewRoomsSQL = `INSERT INTO search_rooms (room, num, indexed)
		SELECT value, coalesce((SELECT max(num) FROM search_rooms), 0) + row_number() OVER (ORDER BY value), 0
		FROM json_each(?1) WHERE value NOT IN (SELECT room FROM search_rooms)`
	searchIndexSQL = `INSERT INTO search_fts (rowid, body)
		SELECT r.num * 68719476736 + m.seq, hubbub_search_text(m.text)
		FROM search_rooms r JOIN messages m ON m.room = r.room AND m.seq > r.indexed AND m.seq < 68719476736
		WHERE r.room IN (SELECT value FROM json_each(?1)) AND m.deleted = 0
		ORDER BY 1`
	searchIndexedSQL = `UPDATE search_rooms SET indexed = coalesce((SELECT max(seq) FROM messages
		WHERE messages.room = search_rooms.room AND messages.seq < 68719476736), indexed)
		WHERE room IN (SELECT value FROM json_each(?1))`
	// The rooms with messages the index does not hold yet: none, unless something other
	// than the writer inserted messages (a test, a tool, an import).
	searchBehindSQL = `SELECT name FROM rooms WHERE NOT EXISTS (SELECT 1 FROM search_rooms WHERE room = name)
			AND EXISTS (SELECT 1 FROM messages WHERE room = name AND seq < 68719476736)
		UNION ALL
		SELECT room FROM search_rooms r
		WHERE EXISTS (SELECT 1 FROM messages m WHERE m.room = r.room AND m.seq > r.indexed AND m.seq < 68719476736)`
)

// searchIndexStmts are the writer's prepared statements of the search index.
type searchIndexStmts struct {
	newRooms, index, indexed *sql.Stmt
}

// indexRooms indexes the messages of rooms that the index does not hold yet, in the open
// transaction. A failure leaves the transaction to be rolled back.
func (st searchIndexStmts) indexRooms(ctx context.Context, rooms []string) error {
	js, err := json.Marshal(rooms)
	if err != nil {
		return err
	}
	for _, s := range []*sql.Stmt{st.newRooms, st.index, st.indexed} {
		if _, err := s.ExecContext(ctx, string(js)); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// appendedRooms returns the rooms, each once, of the messages that reqs stored.
func appendedRooms(reqs []*request) []string {
	var rooms []string
	for _, r := range reqs {
		if stored(r) {
			rooms = append(rooms, r.res.msg.Room)
		}
	}
	slices.Sort(rooms)
	return slices.Compact(rooms)
}

// catchUpSearch indexes, in one transaction on conn, the messages of every room that the
// index does not hold: none when only the store wrote the file. It runs at Open, so that
// messages inserted by something else are found from then on.
func catchUpSearch(ctx context.Context, conn *sql.Conn) (err error) {
	var rooms []string
	rows, err := conn.QueryContext(ctx, searchBehindSQL)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return err
		}
		rooms = append(rooms, r)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if len(rooms) == 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	js, err := json.Marshal(rooms)
	if err != nil {
		return err
	}
	for _, q := range []string{searchNewRoomsSQL, searchIndexSQL, searchIndexedSQL} {
		if _, err := conn.ExecContext(ctx, q, string(js)); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// Defaults for Options.SearchLag and Options.SearchDelay.
const (
	// DefaultSearchLag is how many appended messages the writer lets the search index lag
	// behind before it indexes them, in a transaction of their own: a few hundred messages
	// a segment, where a batch of a few dozen made the index cost an append 1.5× (see
	// docs/benchmarks.md).
	DefaultSearchLag = 1024
	// MaxSearchLag bounds SearchLag: what a search may have to index before it reads.
	MaxSearchLag = 1 << 16
	// DefaultSearchDelay is the longest a message waits to be indexed when fewer than
	// SearchLag are waiting.
	DefaultSearchDelay = 500 * time.Millisecond
	// DefaultSearchSlice is about how many messages the writer indexes in one transaction
	// of a catch-up before it lets the appends queued meanwhile commit. A catch-up of the
	// whole lag (1,024) held every append behind it for 12–13 ms of the writer's CPU (p50;
	// up to 27 ms), about 33 times in a 10-second run of issue 19's rooms load: the longest
	// thing an append waits for on one CPU, and so its p99. In slices of 256 an append waits
	// behind 3.4–3.6 ms (p50), and the catch-ups took the same CPU in all (343–373 ms a run
	// against 339–348 ms), measured on the writer's own thread (docs/benchmarks/one-cpu.md,
	// "What the slowest appends wait for"). Slices of 128 had looked dearer (1.04× the CPU
	// per delivery end to end), a cost that the writer's own CPU does not show at 256. On a
	// quiet machine (bench/ab.sh rooms02, 4 pairs) slices of 256 had the lower p99 in every
	// pair (medians 18.4 → 15.4 ms) at 0.97× the CPU per delivery.
	DefaultSearchSlice = 256
	// MaxSearchSlice bounds SearchSlice.
	MaxSearchSlice = MaxSearchLag
)

// searchLag is what the search index does not hold yet: the messages appended to each room
// since the writer last indexed it, and the timer that indexes them after a while. The
// writer's goroutine changes it (after a batch's commit, before its appends are answered,
// and after it indexed); a search reads it.
type searchLag struct {
	max   int           // index once this many messages wait (Options.SearchLag); 0: in each batch's transaction
	delay time.Duration // or once the first of them has waited this long
	slice int           // index about this many messages a transaction when catching up (Options.SearchSlice)

	mu     sync.Mutex
	rooms  map[string]int // room → messages appended and not indexed
	total  int            // their sum
	timer  *time.Timer    // armed while messages wait and no index is queued by it
	armed  bool
	closed bool
	timers sync.WaitGroup // the timer's callback, running or due
}

// lagging returns those of rooms (sorted, each once) that have messages the index does
// not hold yet.
func (l *searchLag) lagging(rooms []string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range rooms {
		if l.rooms[r] > 0 {
			out = append(out, r)
		}
	}
	return out
}

// full reports whether as many messages lag as the writer lets lag (Options.SearchLag).
func (l *searchLag) full() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total >= l.max
}

// noteAppended records the messages that reqs stored and the index does not hold, and
// whether as many wait as the writer lets wait. It arms the timer that indexes them late.
func (w *writer) noteAppended(reqs []*request) (full bool) {
	l := &w.lag
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range reqs {
		if stored(r) {
			if l.rooms == nil {
				l.rooms = map[string]int{}
			}
			l.rooms[r.res.msg.Room]++
			l.total++
		}
	}
	if l.total > 0 && !l.armed && !l.closed && l.delay > 0 {
		l.armed = true
		l.timers.Add(1)
		l.timer = time.AfterFunc(l.delay, w.indexLate)
	}
	return l.total >= l.max
}

// indexLate runs when messages have waited Options.SearchDelay: it has the writer start a
// catch-up, which indexes them between batches (catchUp).
func (w *writer) indexLate() {
	defer w.lag.timers.Done()
	w.lag.mu.Lock()
	w.lag.armed = false // the batches from now on arm the next
	w.lag.mu.Unlock()
	ctx := context.Background()
	r := &request{ctx: ctx, keepSeqs: true, exec: func(context.Context, *sql.Conn) (int64, error) {
		w.catchingUp = true // the writer's goroutine: process runs the catch-up once r is answered
		return 0, nil
	}}
	_ = w.q.Do(ctx, r) // fails only once the store stops, and stopLag indexes what is left
}

// catchUpPause is how long the writer parks between two slices of a catch-up, so that the
// appends sent meanwhile can queue: the runtime polls the network as soon as the writer parks,
// and the catch-up goes on after this pause at the latest when none came.
const catchUpPause = 50 * time.Microsecond

// catchUp indexes what the search index lacks, a slice of about Options.SearchSlice
// messages a transaction (the rooms in order, whole: a room with more waiting than a slice
// is a slice of its own): one slice, then more as long as no request waits. When requests
// queued during a slice, it returns and the writer's next batch commits them before the next
// slice, so that an append waits behind one slice at most, not the whole catch-up (issue
// 19's p99 on one CPU) — unless as many messages still lag as Options.SearchLag allows:
// then it goes on, so that a batch larger than a slice (a full one is --sqlite-max-batch,
// 4,096) is indexed before the next batch and the index keeps pace with the appends, rather
// than falling a batch less a slice further behind at each batch under sustained load. The
// catch-up goes on after each batch until nothing lags. It runs on the writer's goroutine,
// between batches.
func (w *writer) catchUp() {
	ctx := context.Background()
	for {
		more, err := w.indexSlice(ctx)
		if err != nil {
			w.catchingUp = false // the lag stays; the next batch that fills it, a search or Close index it
			w.log.Error("sqlite: the search index could not catch up", "err", err)
			return
		}
		if !more {
			w.catchingUp = false
			return
		}
		// Let the appends that came during the slice reach the queue first. A reader sees its
		// socket readable only once the runtime polls the network, which on one P happens when
		// nothing is runnable (or every 10 ms), never while this goroutine loops: parked for a
		// moment, it lets the scheduler poll and the readers queue their appends.
		time.Sleep(catchUpPause)
		if w.q.Len() > 0 && !w.lag.full() {
			return
		}
	}
}

// indexSlice indexes the next slice of the lag and reports whether messages still wait.
func (w *writer) indexSlice(ctx context.Context) (more bool, err error) {
	l := &w.lag
	l.mu.Lock()
	var rooms []string
	n := 0
	for _, r := range slices.Sorted(maps.Keys(l.rooms)) {
		if n > 0 && n+l.rooms[r] > l.slice {
			break
		}
		rooms = append(rooms, r)
		n += l.rooms[r]
	}
	l.mu.Unlock()
	if len(rooms) == 0 {
		return false, nil
	}
	if err := w.indexLagging(ctx, rooms); err != nil {
		return true, err
	}
	w.slices.Add(1)
	if w.afterSlice != nil {
		w.afterSlice()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total > 0, nil
}

// indexLagging indexes, in a transaction of its own on the writer's connection, the
// messages not indexed yet of rooms (of every room if rooms is nil). It runs on the
// writer's goroutine, between two batches, or after the writer stopped.
func (w *writer) indexLagging(ctx context.Context, rooms []string) (err error) {
	l := &w.lag
	l.mu.Lock()
	if rooms == nil {
		rooms = slices.Sorted(maps.Keys(l.rooms))
	}
	l.mu.Unlock()
	if len(rooms) == 0 {
		return nil
	}
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("search index: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = w.stmts.rollback.ExecContext(context.Background())
		}
	}()
	if err := w.stmts.search.indexRooms(ctx, rooms); err != nil {
		return err
	}
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		return fmt.Errorf("search index: commit: %w", err)
	}
	// Only this goroutine adds to the lag: none of rooms gained a message meanwhile.
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range rooms {
		l.total -= l.rooms[r]
		delete(l.rooms, r)
	}
	if l.total == 0 && l.armed && l.timer.Stop() {
		l.armed = false
		l.timers.Done()
	}
	return nil
}

// stopLag stops the timer of the lag, once the writer's queue no longer takes requests
// waits for its callback, and indexes what is left (best effort: Open indexes what a
// store closed without).
func (w *writer) stopLag() {
	l := &w.lag
	l.mu.Lock()
	l.closed = true
	if l.armed && l.timer.Stop() {
		l.armed = false
		l.timers.Done()
	}
	l.mu.Unlock()
	l.timers.Wait()
	if err := w.indexLagging(context.Background(), nil); err != nil {
		w.log.Warn("sqlite: the search index lags; the next Open catches it up", "err", err)
	}
}

// stored reports whether the request appended a message that the search index holds.
func stored(r *request) bool {
	return r.batch == nil && r.exec == nil && r.res.err == nil && !r.res.dup && r.res.msg.Kind == hubbub.KindMessage
}
