package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"

	"hubbub"
	"hubbub/internal/groupcommit"
	"hubbub/internal/sqlstore"
)

// request is one Append, Prune or other write waiting for the writer. The caller may
// give up while it is queued; once the writer has taken it, the caller waits for the
// outcome, so that giving up never hides a stored message (see groupcommit).
type request struct {
	groupcommit.Request

	msg   *hubbub.Entry   // the entry to append (the caller's, read only), unless exec or batch
	exec  execFunc        // run this on the writer's connection instead (Prune, a user's write)
	batch batchFunc       // or this, inside the next batch's transaction (SetRead, SeenAt)
	ctx   context.Context // the caller's context, for exec only: a batch ignores its members'
	// keepSeqs: exec writes nothing of rooms (the search index's catching up), so the
	// writer's roomSeqs stay true after it
	keepSeqs bool

	res result // the outcome, left by the writer before it finishes the request
}

// execFunc is a write that runs on the writer's connection between two batches; it returns
// how many rows it changed.
type execFunc func(ctx context.Context, conn *sql.Conn) (int64, error)

// batchFunc is a small write that runs inside a batch's transaction, beside the appends, in
// its own savepoint: frequent writes (a read position, a last-seen time) then share the
// batch's one fsync instead of paying their own. It returns a number for its caller.
type batchFunc func(ctx context.Context, w *writer) (int64, error)

// batch runs fn in the next batch of the writer and returns its number. The caller has passed
// the guard.
func (s *Store) batch(ctx context.Context, fn batchFunc) (int64, error) {
	res := s.w.do(ctx, &request{batch: fn})
	return res.removed, res.err
}

// exec runs fn on the writer, after the batch in progress, in autocommit mode: each
// statement commits when it returns, and exec returns once the writer has synced them. The
// caller has passed the guard.
func (s *Store) exec(ctx context.Context, fn execFunc) (int64, error) {
	res := s.w.do(ctx, &request{exec: fn, ctx: ctx})
	return res.removed, res.err
}

// result is what the writer answers.
type result struct {
	msg hubbub.Entry
	// handover is the entry appended after msg (the only owner's leave or remove) that made
	// another member owner (appendRoomChange), nil if none: the outbox gets it after msg.
	handover *hubbub.Entry
	dup      bool
	// first is set when msg is the first entry of its room's log (startLog numbered it).
	first   bool
	removed int64
	err     error
}

// writer owns the one write connection. A single goroutine of q takes requests off the
// queue, groups them into batches, and commits each batch in one transaction: group commit.
type writer struct {
	conn  *sql.Conn
	stmts writeStmts
	plain plainStmts // the multi-row statements of a batch's plain messages (plainbatch.go)
	q     *groupcommit.Queue[*request]
	wal   *walSync // syncs the log after each commit; nil: SQLite does (synchronous=FULL)

	// The syncer goroutine (when wal is set) syncs the log after a batch's commit and only
	// then answers its requests, while the writer already runs the next batches: up to
	// Options.SyncAhead committed batches wait for the sync in progress, and the next sync covers
	// them all (syncer), so that a slow fsync holds an append for one more sync, not for one
	// per batch queued behind it.
	toSync   chan []*request
	syncDone chan struct{} // closed when the syncer has returned

	ret hubbub.Retention
	now func() time.Time
	log *slog.Logger

	seqs   roomSeqs // the numbering of the rooms appended to (roomseqs.go)
	broken error    // set when the batch must roll back as a whole (appendPlain, txLost)

	hooks     sqlstore.OutboxFilter // the webhooks when the current batch began: which entries go to the outbox
	hookCache sqlstore.FilterCache  // the last webhooks read, decoded
	searchOff atomic.Bool           // leaves the search index out of the batches: Options.NoSearchIndex, BenchmarkAppendSearchIndex's "noindex"

	lag        searchLag // what the search index does not hold yet (searchindex.go)
	catchingUp bool      // the lag filled up, or waited long enough: index it, a slice after each batch (catchUp)
	afterSlice func()    // tests: called on the writer's goroutine after each slice of a catch-up

	batches atomic.Int64          // transactions run for batches of appends, for tests and benchmarks
	slices  atomic.Int64          // transactions run for slices of the search index's catch-ups, likewise
	failed  atomic.Pointer[error] // why the last batch of appends failed to commit; nil after a success (health.go)
}

func newWriter(ctx context.Context, conn *sql.Conn, wal *walSync, o Options) (*writer, error) {
	st, err := prepareWrites(ctx, conn)
	if err != nil {
		return nil, err
	}
	w := &writer{
		conn:  conn,
		stmts: st,
		wal:   wal,
		ret:   o.Retention,
		now:   o.Now,
		log:   o.Logger,
		lag:   searchLag{max: o.SearchLag, delay: o.SearchDelay, slice: o.SearchSlice},
		seqs:  roomSeqs{max: maxRoomSeqs(o.MaxBatch)},
	}
	w.searchOff.Store(o.NoSearchIndex)
	if wal != nil {
		w.toSync = make(chan []*request, o.SyncAhead)
		w.syncDone = make(chan struct{})
		go w.syncer()
	}
	w.q = groupcommit.New(groupcommit.Config{
		Window:    o.BatchWindow,
		MaxBatch:  o.MaxBatch,
		Workers:   1, // the one connection
		ErrClosed: ErrClosed,
	}, w.process)
	return w, nil
}

// do queues r and waits for its result, honouring ctx while r is still pending.
func (w *writer) do(ctx context.Context, r *request) *result {
	if err := w.q.Do(ctx, r); err != nil {
		return &result{err: err}
	}
	return &r.res // the writer no longer touches r once it has answered
}

// stop ends the writer after its current batch and releases the connection. Requests still
// queued fail with ErrClosed.
func (w *writer) stop() {
	w.q.Stop() // returns once the syncer has answered every request handed to it
	w.stopLag()
	if w.toSync != nil {
		close(w.toSync)
		<-w.syncDone
	}
	_ = w.stmts.close()
	_ = w.conn.Close()
	if w.wal != nil {
		w.wal.close()
	}
}

// answerDurable answers the requests of reqs, whose outcomes are left in them, once what
// they committed is on disk. When the writer syncs the log itself (walSync), it holds them
// and hands them to the syncer, which syncs the log and then finishes them, so that the
// writer can run the next batch meanwhile (issue 19's durable ingress: the fsync took a third
// of the writer's time); otherwise SQLite synced at commit, and it finishes them now. reqs is
// copied: the queue reuses its batch.
func (w *writer) answerDurable(reqs []*request) {
	if w.toSync == nil {
		for _, r := range reqs {
			r.Finish()
		}
		return
	}
	for _, r := range reqs {
		r.Hold()
	}
	w.toSync <- append([]*request(nil), reqs...)
}

const (
	// DefaultSyncAhead is how many committed batches may wait for the sync in progress before
	// the writer waits too (Options.SyncAhead). When the hand-over waited for the syncer, a
	// batch committed during a slow fsync (up to 54 ms on this machine's shared disk,
	// docs/benchmarks/one-cpu.md) waited for it to end before it was handed over, and the
	// appends that queued meanwhile waited for the sync after that too: two syncs behind the
	// slow one, not one.
	DefaultSyncAhead = 8
	// MaxSyncAhead bounds Options.SyncAhead: each waiting batch holds up to MaxBatch
	// requests.
	MaxSyncAhead = 64
)

// syncer makes the groups of requests handed to it durable and answers them, until toSync is
// closed: each fsync covers every group handed over before it starts, whose commits ended
// before they were handed over. If the fsync fails, each of its requests that had succeeded
// fails with the error: what it wrote is committed but not known to be on disk, like a
// commit whose answer was lost (a resend with the same client id finds the entry).
func (w *writer) syncer() {
	defer close(w.syncDone)
	for reqs := range w.toSync {
		reqs = w.takeHandedOver(reqs)
		if err := w.wal.sync(); err != nil {
			w.log.Error("sqlite: the write-ahead log could not be synced", "requests", len(reqs), "err", err)
			w.failed.Store(&err)
			for _, r := range reqs {
				if r.res.err == nil {
					r.res = result{err: err}
				}
			}
		}
		for _, r := range reqs {
			r.Finish()
		}
	}
}

// takeHandedOver appends to reqs the groups already waiting in toSync, without waiting for
// more.
func (w *writer) takeHandedOver(reqs []*request) []*request {
	for {
		select {
		case more, ok := <-w.toSync:
			if !ok {
				return reqs
			}
			reqs = append(reqs, more...)
		default:
			return reqs
		}
	}
}
