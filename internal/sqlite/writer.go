package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"

	"hubbub"
)

// request is one Append or Prune waiting for the writer.
type request struct {
	msg   hubbub.Message  // the message to append, unless prune
	prune bool            // run the retention policy instead
	exec  execFunc        // run this on the writer's connection instead (moderation)
	ctx   context.Context // the caller's context, for prune only: a batch ignores its members'

	state atomic.Int32 // pending, then taken by the writer or abandoned by the caller
	done  chan result  // receives the one result; buffered so the writer never blocks
	res   result       // the writer's scratch space until done is sent
}

// Request states. The caller may abandon a pending request; once the writer has taken it,
// the caller waits for the outcome, so that giving up never hides a stored message.
const (
	pending int32 = iota
	taken
	abandoned
)

// result is what the writer answers.
type result struct {
	msg     hubbub.Message
	dup     bool
	removed int64
	err     error
}

// writer owns the one write connection. A single goroutine (run) takes requests off reqs,
// groups them into batches, and commits each batch in one transaction: group commit.
type writer struct {
	conn  *sql.Conn
	stmts writeStmts

	reqs   chan *request
	quit   chan struct{} // closed by stop
	exited chan struct{} // closed when run returns

	window   time.Duration
	maxBatch int
	ret      hubbub.Retention
	now      func() time.Time
	log      *slog.Logger

	prev    int          // size of the previous batch: how many appenders to wait for
	batches atomic.Int64 // transactions run for batches of appends, for tests and benchmarks
}

func newWriter(ctx context.Context, conn *sql.Conn, o Options) (*writer, error) {
	st, err := prepareWrites(ctx, conn)
	if err != nil {
		return nil, err
	}
	w := &writer{
		conn:     conn,
		stmts:    st,
		reqs:     make(chan *request, o.MaxBatch),
		quit:     make(chan struct{}),
		exited:   make(chan struct{}),
		window:   o.BatchWindow,
		maxBatch: o.MaxBatch,
		ret:      o.Retention,
		now:      o.Now,
		log:      o.Logger,
	}
	go w.run()
	return w, nil
}

// do queues r and waits for its result, honouring ctx while r is still pending.
func (w *writer) do(ctx context.Context, r *request) result {
	r.done = make(chan result, 1)
	select {
	case w.reqs <- r:
	case <-w.quit:
		return result{err: ErrClosed}
	case <-ctx.Done():
		return result{err: ctx.Err()}
	}
	select {
	case res := <-r.done:
		return res
	case <-ctx.Done():
		if r.state.CompareAndSwap(pending, abandoned) {
			return result{err: ctx.Err()}
		}
		return <-r.done // taken: the writer answers as soon as its transaction ends
	case <-w.exited:
		// run answers every request it took before it exits, so look again first.
		select {
		case res := <-r.done:
			return res
		default:
			return result{err: ErrClosed}
		}
	}
}

// stop ends run after its current batch and releases the connection. Requests still queued
// fail with ErrClosed.
func (w *writer) stop() {
	close(w.quit)
	<-w.exited
	_ = w.stmts.close()
	_ = w.conn.Close()
}

func (w *writer) run() {
	defer close(w.exited)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	batch := make([]*request, 0, w.maxBatch)
	for {
		select {
		case <-w.quit: // stop takes precedence over queued requests
			w.failQueued()
			return
		default:
		}
		select {
		case r := <-w.reqs:
			batch = w.collect(append(batch[:0], r), timer)
			w.process(batch)
			clear(batch) // drop the references until the slots are reused
		case <-w.quit:
			w.failQueued()
			return
		}
	}
}

// failQueued answers the requests still queued at stop with ErrClosed. One sent after this
// sees exited in do.
func (w *writer) failQueued() {
	for {
		select {
		case r := <-w.reqs:
			if r.state.CompareAndSwap(pending, taken) {
				r.done <- result{err: ErrClosed}
			}
		default:
			return
		}
	}
}

// collect grows batch with what is already queued, then waits up to the batch window for
// as many requests as the previous batch held. That estimate of the number of concurrent
// appenders lets a lone appender commit at once, and lets N appenders in a loop share one
// commit without waiting the whole window for an N+1st that is not coming.
func (w *writer) collect(batch []*request, timer *time.Timer) []*request {
	for len(batch) < w.maxBatch {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		break
	}
	if want := min(w.prev, w.maxBatch); w.window > 0 && len(batch) < want {
		timer.Reset(w.window)
	wait:
		for len(batch) < want {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			case <-timer.C:
				break wait
			case <-w.quit:
				break wait
			}
		}
		timer.Stop()
	}
	w.prev = len(batch)
	return batch
}
