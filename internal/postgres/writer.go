package postgres

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"hubbub"
)

// request is one Append waiting for a writer.
type request struct {
	msg hubbub.Message // the message to append

	state atomic.Int32 // pending, then taken by a writer or abandoned by the caller
	done  chan result  // receives the one result; buffered so a writer never blocks
	res   result       // the writer's scratch space until done is sent
}

// Request states. The caller may abandon a pending request; once a writer has taken it, the
// caller waits for the outcome (at most Options.TxTimeout), so that giving up never hides a
// stored message.
const (
	pending int32 = iota
	taken
	abandoned
)

// result is what a writer answers.
type result struct {
	msg hubbub.Message
	dup bool
	err error
}

// writer runs Options.Writers goroutines that take appends off reqs, group them into
// batches and commit each batch in one transaction: group commit. The server's row lock on
// each room keeps seqs right between the goroutines of one node as between nodes.
type writer struct {
	pool *pgxpool.Pool

	reqs   chan *request
	quit   chan struct{} // closed by stop
	exited chan struct{} // closed when every run has returned
	wg     sync.WaitGroup

	window    time.Duration
	maxBatch  int
	txTimeout time.Duration
	now       func() time.Time // nil: the server's clock
	log       *slog.Logger

	batches atomic.Int64 // committed batch transactions, for tests and benchmarks
	retries atomic.Int64 // batch attempts that failed and were tried again

	// afterLookup, if set, runs in each attempt between the client-id lookup and the insert.
	// Tests use it to provoke the race the unique index and the retry exist for.
	afterLookup func(attempt int)
}

func newWriter(pool *pgxpool.Pool, o Options) *writer {
	w := &writer{
		pool:      pool,
		reqs:      make(chan *request, o.MaxBatch),
		quit:      make(chan struct{}),
		exited:    make(chan struct{}),
		window:    o.BatchWindow,
		maxBatch:  o.MaxBatch,
		txTimeout: o.TxTimeout,
		now:       o.Now,
		log:       o.Logger,
	}
	for range o.Writers {
		w.wg.Go(w.run)
	}
	go func() {
		w.wg.Wait()
		close(w.exited)
	}()
	return w
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
		return <-r.done // taken: the writer answers when its transaction ends
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

// stop ends every run after its current batch. Requests still queued fail with ErrClosed.
func (w *writer) stop() {
	close(w.quit)
	<-w.exited
}

// run is one writer goroutine: it takes a request, gathers a batch around it and commits it.
func (w *writer) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	batch := make([]*request, 0, w.maxBatch)
	prev := 0 // size of this goroutine's previous batch: how many appenders to wait for
	for {
		select {
		case <-w.quit: // stop takes precedence over queued requests
			w.failQueued()
			return
		default:
		}
		select {
		case r := <-w.reqs:
			batch = w.collect(append(batch[:0], r), timer, prev)
			prev = len(batch)
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
func (w *writer) collect(batch []*request, timer *time.Timer, prev int) []*request {
	for len(batch) < w.maxBatch {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		break
	}
	if want := min(prev, w.maxBatch); w.window > 0 && len(batch) < want {
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
	return batch
}

// process commits the requests of batch that their callers have not abandoned, and answers
// each of them.
func (w *writer) process(batch []*request) {
	reqs := batch[:0:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(pending, taken) {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		return
	}
	w.commitAppends(reqs)
	for _, r := range reqs {
		r.done <- r.res
	}
}
