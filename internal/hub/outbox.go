package hub

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Outbox is one connection's bounded queue of envelopes waiting for its writer: the goroutine
// transport's write pump, or on the polled transport one of the server's shared flushers (or
// slowWrite for a slow client). Rooms push into it without ever blocking; when it is full the
// connection is too slow for the rooms it is in, so the outbox stops accepting and calls its
// overflow function once, which closes the connection (the client can reconnect and recover
// with `since`).
//
// It is a mutex-guarded slice rather than a channel so that the writer can take everything
// queued in one step (and coalesce it into fewer writes), so that a join's replay can go in as
// one batch, and so that an idle connection holds no buffer at all.
type Outbox struct {
	mu       sync.Mutex
	items    []*Envelope
	limit    int
	batched  int // items that came in through PushBatch and are not taken yet; not counted
	closed   bool
	full     bool
	ready    atomic.Pointer[chan struct{}] // one token: "items is not empty or the outbox closed"; made by Ready
	wake     atomic.Pointer[func()]
	direct   atomic.Bool // an envelope for this connection alone (Raw: a reply; a replay) is queued, or the outbox closed
	overflow func()
	// pushed and taken count the envelopes ever queued and taken; a batch's done (see
	// PushBatchThen) runs once taken reaches the count after it.
	pushed, taken uint64
	dones         []batchDone
}

// batchDone is the function to run once the envelopes up to upTo (in push order) are taken.
type batchDone struct {
	upTo uint64
	fn   func()
}

// keptOutboxCap is the capacity a drained outbox keeps for the next envelopes; past it the
// queue is released once the writer has taken everything.
const keptOutboxCap = 64

// DefaultOutboxLimit is the queue NewOutbox makes for a limit of 0, and the server's default
// --send-queue: the queue holds pointers to messages every member shares, so depth is cheap.
const DefaultOutboxLimit = 4096

// NewOutbox returns an outbox that holds up to limit live envelopes and calls overflow (once,
// from the pushing goroutine, so it must not block) when a push finds it full.
func NewOutbox(limit int, overflow func()) *Outbox {
	if limit <= 0 {
		limit = DefaultOutboxLimit
	}
	return &Outbox{limit: limit, overflow: overflow}
}

// Push queues e. It returns false, and queues nothing, if the outbox is closed or full.
func (o *Outbox) Push(e *Envelope) bool {
	o.mu.Lock()
	if o.closed || o.full {
		o.mu.Unlock()
		return false
	}
	if len(o.items)-o.batched >= o.limit {
		o.full = true
		o.mu.Unlock()
		if o.overflow != nil {
			o.overflow()
		}
		return false
	}
	o.items = append(o.items, e)
	o.pushed++
	if e.Raw != nil || o.deepLocked() {
		o.direct.Store(true)
	}
	o.mu.Unlock()
	o.signal()
	return true
}

// Direct reports whether something queued is for this connection alone (an envelope made
// with NewRaw: a reply to a request, a notice; a join's replay, PushBatch), the queue is deep
// (DirectDepth, or half the limit), or the outbox closed: a writer that paces its writes (the
// server's --write-interval) writes at once then, so a request's answer never waits for a busy
// room's pace, and a paced queue neither fills nor drains a round per interval. It stays set
// until a take leaves nothing queued.
func (o *Outbox) Direct() bool { return o.direct.Load() }

// PushMany queues es in order, as Push would one by one, but under one lock and with one
// wake of the writer: a room's held presence notices reach each member so. Like Push it counts
// against the limit: if es do not all fit, the outbox is full, nothing is queued, and it
// returns false.
func (o *Outbox) PushMany(es []*Envelope) bool {
	if len(es) == 0 {
		return true
	}
	o.mu.Lock()
	if o.closed || o.full {
		o.mu.Unlock()
		return false
	}
	if len(o.items)-o.batched+len(es) > o.limit {
		o.full = true
		o.mu.Unlock()
		if o.overflow != nil {
			o.overflow()
		}
		return false
	}
	o.items = append(o.items, es...)
	o.pushed += uint64(len(es))
	if o.deepLocked() {
		o.direct.Store(true)
	}
	o.mu.Unlock()
	o.signal()
	return true
}

// DirectDepth is the queue depth at which Direct says to write at once: one write's round
// (the polled transport takes at most this many envelopes a write), so that a queue deeper
// than one write is not drained a round per write interval.
const DirectDepth = 256

// deepLocked reports whether the live envelopes are DirectDepth deep or fill half the limit:
// a writer that paces its writes must not wait then, or a deep queue drains a round per
// interval, and a queue smaller than what one interval brings (a small --send-queue, ten joins
// at once) overflows and drops a client that reads at once. Called with mu held.
func (o *Outbox) deepLocked() bool {
	return len(o.items)-o.batched >= min(DirectDepth, max(o.limit/2, 1))
}

// PushBatch queues es in order as one unit that may exceed the limit: it is how a join's replay,
// bounded by the hub's MaxReplay, reaches a member ahead of every live message.
func (o *Outbox) PushBatch(es []*Envelope) bool { return o.PushBatchThen(es, nil) }

// PushBatchThen is PushBatch, and then runs done (if not nil) exactly once: when the writer has
// taken the last of es, when the outbox is discarded, or at once if es is empty or refused.
// It is how a join's replay gives back its share of the server's replay budget only once the
// replay has left for the client.
func (o *Outbox) PushBatchThen(es []*Envelope, done func()) bool {
	if len(es) == 0 {
		if done != nil {
			done()
		}
		return true
	}
	o.mu.Lock()
	if o.closed || o.full {
		o.mu.Unlock()
		if done != nil {
			done()
		}
		return false
	}
	o.items = append(o.items, es...)
	o.batched += len(es)
	o.pushed += uint64(len(es))
	o.direct.Store(true) // a join's replay: this connection's alone, the answer to its join
	if done != nil {
		o.dones = append(o.dones, batchDone{upTo: o.pushed, fn: done})
	}
	o.mu.Unlock()
	o.signal()
	return true
}

// finishedDones removes and returns the dones whose batches are taken. Called with mu held.
func (o *Outbox) finishedDones() []batchDone {
	i := 0
	for i < len(o.dones) && o.dones[i].upTo <= o.taken {
		i++
	}
	if i == 0 {
		return nil
	}
	done := slices.Clone(o.dones[:i])
	o.dones = slices.Delete(o.dones, 0, i)
	if len(o.dones) == 0 {
		o.dones = nil
	}
	return done
}

// Discard closes the outbox and drops whatever is queued: the connection's writer has ended,
// so nothing queued will ever be written. Batches' dones run.
func (o *Outbox) Discard() {
	o.mu.Lock()
	o.closed = true
	clear(o.items)
	o.items = nil
	o.batched = 0
	o.taken = o.pushed
	done := o.finishedDones()
	o.mu.Unlock()
	for _, d := range done {
		d.fn()
	}
	o.signal()
}

func (o *Outbox) signal() {
	if ready := o.ready.Load(); ready != nil {
		select {
		case *ready <- struct{}{}:
		default:
		}
	}
	if w := o.wake.Load(); w != nil {
		(*w)()
	}
}

// SetWake registers a function called, after Ready is signalled, whenever envelopes are queued
// or the outbox closes. A connection uses it to start its write pump, or hand itself to a
// flusher, only when there is something to write. It must not block.
func (o *Outbox) SetWake(wake func()) { o.wake.Store(&wake) }

// Ready is signalled when envelopes were queued or the outbox was closed. Receive from it, then
// call TakeUpTo.
// The channel is made on first use: a connection whose writer is woken through SetWake never
// needs it, and an idle connection should not pay for one.
func (o *Outbox) Ready() <-chan struct{} {
	if ready := o.ready.Load(); ready != nil {
		return *ready
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if ready := o.ready.Load(); ready != nil {
		return *ready
	}
	ready := make(chan struct{}, 1)
	if len(o.items) > 0 || o.closed {
		ready <- struct{}{} // queued before the channel existed: nobody signalled it
	}
	o.ready.Store(&ready)
	return ready
}

// TakeUpTo moves up to most queued envelopes (all of them if most <= 0), oldest first, into
// buf, which it returns grown as needed. A writer takes bounded rounds, so that the bytes it
// builds for one write stay bounded however deep the queue may grow. depth is how many were
// queued before; closed reports that the outbox is closed and nothing is left, after which
// nothing more comes.
func (o *Outbox) TakeUpTo(buf []*Envelope, most int) (_ []*Envelope, depth int, closed bool) {
	o.mu.Lock()
	depth = len(o.items)
	n := depth
	if most > 0 && n > most {
		n = most
	}
	buf = append(buf, o.items[:n]...)
	switch {
	case n < depth:
		left := copy(o.items, o.items[n:])
		clear(o.items[left:])
		o.items = o.items[:left]
		o.batched = max(0, o.batched-n)
	case cap(o.items) > keptOutboxCap:
		// Everything is taken: release a burst's memory now, not at a next take that an
		// idle connection may never have (a join's notices grow early members' queues, and
		// idle connections are most of a big server's; docs/benchmarks.md, "Idle memory per
		// connection"). A steady flow keeps fewer than keptOutboxCap queued and reuses it.
		clear(o.items)
		o.items = nil
		o.batched = 0
	default:
		clear(o.items)
		o.items = o.items[:0]
		o.batched = 0
	}
	closed = o.closed && len(o.items) == 0
	if n == depth && !o.closed {
		o.direct.Store(false)
	}
	o.taken += uint64(n)
	var done []batchDone
	if len(o.dones) > 0 {
		done = o.finishedDones()
	}
	o.mu.Unlock()
	for _, d := range done {
		d.fn()
	}
	return buf, depth, closed
}

// Close stops accepting envelopes; the writer still drains what is queued.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.direct.Store(true) // the close frame goes without waiting for a pace
	o.mu.Unlock()
	o.signal()
}

// Pending reports whether a writer has anything left to do: envelopes queued, or the outbox
// closed (so the close frame is still to be sent). Both are read under one lock: a writer asks
// every time it hands writing back, which is on the path of every batch.
func (o *Outbox) Pending() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.items) > 0 || o.closed
}
