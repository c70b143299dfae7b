// Package groupcommit is the request queue behind the stores' group-commit writers: callers
// submit requests one at a time, and worker goroutines take them off the queue in batches
// and hand each batch to a process function, which typically commits it in one
// transaction, so that many callers share one fsync or one round trip.
//
// A request is pending while it waits in the queue, then taken by a worker, or abandoned
// by a caller whose context ended first. A caller may give up only while its request is
// pending; once a worker has taken it, the caller waits for its outcome, so that giving up
// never hides work that was done (a stored message, say).
//
// Batching: a worker takes what is queued and then waits, up to Config.Window, until its
// batch is as large as its previous one, capped at Config.MaxBatch. That estimate of the
// number of concurrent callers lets a lone caller go at once and lets N callers in a loop
// share a batch without waiting the whole window for an N+1st that is not coming.
//
// Pipelining: process may Hold a request of its batch and Finish it later, from another
// goroutine, so that a worker can start on the next batch while the last one waits for the
// disk (one batch's transaction overlapping the previous one's fsync).
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrStopped is what Do returns after Stop when Config.ErrClosed is nil.
var ErrStopped = errors.New("groupcommit: queue is stopped")

// Config tunes a Queue.
type Config struct {
	// Window is the longest a worker waits for more requests to join a batch. It waits
	// only while the batch is smaller than its previous one. Zero or negative: never
	// wait; a batch is whatever is queued when the worker looks.
	Window time.Duration

	// MaxBatch is the most requests in one batch, and the capacity of the queue. Values
	// below 1 mean 1.
	MaxBatch int

	// Workers is how many goroutines take batches, each calling process on its own batch,
	// so that up to Workers calls of process run at once. Values below 1 mean 1.
	Workers int

	// ErrClosed is what Do returns, unwrapped, for a request that never reached process
	// because the Queue stopped. Default ErrStopped.
	ErrClosed error
}

// Request is the queue's part of a request. Embed it (not a pointer to it) in the struct
// whose pointer is a Queue's request type; its zero value is ready for one Do. A request
// must not be submitted again once Do has returned.
type Request struct {
	state atomic.Int32  // pending, taken (or held) or abandoned, then finished
	done  chan struct{} // closed by finish
	err   error         // what Do returns; written before done is closed
	queue *queueState   // the Queue r was submitted to, for Hold
}

// queueState is what a Request needs of its Queue, whatever the Queue's type.
type queueState struct {
	held sync.WaitGroup // requests held and not yet finished
}

// Request states. The caller may abandon only a pending request; a worker takes only a
// pending one.
const (
	pending int32 = iota
	taken
	abandoned
	finished
	held // taken, and process has promised to Finish it itself
)

// Item is the constraint on a Queue's request type: it is satisfied by a pointer to a
// struct that embeds Request.
type Item interface {
	groupRequest() *Request
}

func (r *Request) groupRequest() *Request { return r }

// Taken reports whether a worker has taken r for a batch, or failed it at Stop. From then
// on Do no longer gives up when its context ends but waits for r's outcome.
func (r *Request) Taken() bool {
	s := r.state.Load()
	return s == taken || s == held || s == finished
}

// Finish releases the caller waiting in Do for r: Do returns nil. process may call it for a
// request of its batch as soon as it has left that request's outcome in it, so that the
// caller need not wait for the rest of the batch; the Queue finishes, after process
// returns, every request of the batch that process did not finish or hold. Only process may
// call Finish, and only on requests of its batch, or whoever it handed a held request to;
// calls after the first do nothing.
func (r *Request) Finish() {
	if r.state.CompareAndSwap(taken, finished) {
		close(r.done)
		return
	}
	if r.state.CompareAndSwap(held, finished) {
		close(r.done)
		r.queue.held.Done()
	}
}

// Hold keeps r from being finished when process returns: process (or a goroutine it hands r
// to) must call Finish on it later, however the Queue fares. The Queue's Stop waits for
// every held request to be finished, so a caller never hears Config.ErrClosed for a request
// that was processed. Only process may call Hold, on a request of its batch it has not
// finished.
func (r *Request) Hold() {
	r.queue.held.Add(1)
	if !r.state.CompareAndSwap(taken, held) {
		r.queue.held.Done() // finished already, or held twice
	}
}

// fail answers a request that never reached process with err, unless its caller has
// abandoned it.
func (r *Request) fail(err error) {
	if r.state.CompareAndSwap(pending, taken) {
		r.err = err
		r.Finish()
	}
}

// Queue queues requests of type R and has them processed in batches by Config.Workers
// goroutines. Its methods are safe for concurrent use.
type Queue[R Item] struct {
	reqs    chan R
	quit    chan struct{} // closed by Stop
	exited  chan struct{} // closed when the last worker has returned
	running atomic.Int32  // workers that have not returned
	stop    sync.Once
	state   queueState

	process   func(batch []R)
	window    time.Duration
	maxBatch  int
	errClosed error
}

// New starts the workers of a Queue that hands each batch of requests to process. process
// receives the requests in the order the queue received them, only those still wanted
// (abandoned ones are left out, and a batch of none is not processed), and leaves each
// request's outcome in the request itself; it must not keep batch after it returns. Stop
// the Queue to end its workers.
func New[R Item](cfg Config, process func(batch []R)) *Queue[R] {
	maxBatch := max(cfg.MaxBatch, 1)
	workers := max(cfg.Workers, 1)
	errClosed := cfg.ErrClosed
	if errClosed == nil {
		errClosed = ErrStopped
	}
	q := &Queue[R]{
		reqs:      make(chan R, maxBatch),
		quit:      make(chan struct{}),
		exited:    make(chan struct{}),
		process:   process,
		window:    cfg.Window,
		maxBatch:  maxBatch,
		errClosed: errClosed,
	}
	q.running.Store(int32(workers))
	for range workers {
		go q.run()
	}
	return q
}

// Do queues r and blocks until r's outcome is known, then returns nil: process has handled
// r and left the outcome in it. Requests are taken off the queue in the order Do queued
// them. If ctx ends while r is still queued (or Do is still waiting for room in the queue),
// Do returns ctx.Err() and r is never processed; if ctx ends after a worker has taken r, Do
// keeps waiting for process. If the Queue stops before a worker takes r, Do returns
// Config.ErrClosed.
func (q *Queue[R]) Do(ctx context.Context, r R) error {
	req := r.groupRequest()
	req.done = make(chan struct{})
	req.queue = &q.state
	select {
	case q.reqs <- r:
	case <-q.quit:
		return q.errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req.done:
		return req.err
	case <-ctx.Done():
		if req.state.CompareAndSwap(pending, abandoned) {
			return ctx.Err()
		}
		<-req.done // taken: the worker answers as soon as process is done with it
		return req.err
	case <-q.exited:
		// Workers answer every request they took before they return, so look again first.
		select {
		case <-req.done:
			return req.err
		default:
			return q.errClosed
		}
	}
}

// Len returns how many requests wait in the queue, not yet taken by a worker. Tests use it
// to see that callers have queued.
func (q *Queue[R]) Len() int { return len(q.reqs) }

// Stop ends the workers, each after the batch it is processing, and fails the requests
// still queued: their Do returns Config.ErrClosed. It returns once every worker has
// returned and every held request has been finished; from then on Do returns Config.ErrClosed at once. Calling Stop again waits
// likewise and does nothing more.
func (q *Queue[R]) Stop() {
	q.stop.Do(func() { close(q.quit) })
	<-q.exited
}

// run is one worker: it takes a request, gathers a batch around it and processes it.
func (q *Queue[R]) run() {
	defer func() {
		if q.running.Add(-1) == 0 {
			q.state.held.Wait() // a held request's caller must hear its outcome, not errClosed
			close(q.exited)
		}
	}()
	batch := make([]R, 0, q.maxBatch)
	prev := 0 // size of this worker's previous batch: how many callers to wait for
	for {
		select {
		case <-q.quit: // Stop takes precedence over queued requests
			q.failQueued()
			return
		default:
		}
		select {
		case r := <-q.reqs:
			batch = q.collect(append(batch[:0], r), prev)
			prev = len(batch)
			q.processBatch(batch)
			clear(batch) // drop the references until the slots are reused
		case <-q.quit:
			q.failQueued()
			return
		}
	}
}

// failQueued answers the requests still queued at Stop with errClosed. One queued after
// this sees exited in Do.
func (q *Queue[R]) failQueued() {
	for {
		select {
		case r := <-q.reqs:
			r.groupRequest().fail(q.errClosed)
		default:
			return
		}
	}
}

// collect grows batch with what is already queued, then waits up to the window for as many
// requests as the previous batch held.
func (q *Queue[R]) collect(batch []R, prev int) []R {
	for len(batch) < q.maxBatch {
		select {
		case r := <-q.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		break
	}
	if want := min(prev, q.maxBatch); q.window > 0 && len(batch) < want {
		// A new timer for each wait, not one timer Reset again: a stopped timer stays in the
		// runtime's timer heap until the scheduler cleans it out, and a Reset of it there marks
		// it modified, which has the scheduler look through every timer in the heap (each
		// connection's heartbeat: 10,000 of them for 10,000 clients) when the window ends —
		// 3 % of one CPU with a batch every few milliseconds. A new timer is simply added.
		timer := time.NewTimer(q.window)
	wait:
		for len(batch) < want {
			select {
			case r := <-q.reqs:
				batch = append(batch, r)
			case <-timer.C:
				break wait
			case <-q.quit:
				break wait
			}
		}
		timer.Stop()
	}
	return batch
}

// processBatch takes the requests of batch that their callers have not abandoned, has
// process handle them and answers each. It filters batch in place.
func (q *Queue[R]) processBatch(batch []R) {
	reqs := batch[:0]
	for _, r := range batch {
		if r.groupRequest().state.CompareAndSwap(pending, taken) {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		return
	}
	q.process(reqs)
	for _, r := range reqs {
		req := r.groupRequest()
		if req.state.CompareAndSwap(taken, finished) { // not finished nor held by process
			close(req.done)
		}
	}
}
