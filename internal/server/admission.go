package server

import (
	"container/list"
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/transport"
)

// admission bounds the WebSocket connections being set up: upgraded but not yet settled (for
// hubbub.v1, hello answered and a first frame after it handled, normally the first join; for
// the text protocol, the name line handled). After a restart every client comes back at once;
// without a bound each stage of each of them (the upgrades, then the hellos, then the joins)
// waits behind the same stage of all the others, and no join completes until nearly every
// upgrade is done. With it, the server finishes a few hundred clients at a time.
//
// An upgrade that finds every slot taken waits for one, in arrival order, for at most wait
// and only while fewer than queue others wait; past either it is answered 503 with
// Retry-After, which the clients honour as backoff (docs/operations.md §5). Waiting costs the
// server nothing more than the request it has read already, where a 503 costs the client a
// whole new connection, request and answer after a backoff of seconds: in a storm most of the
// server's CPU went to the 503s (docs/benchmarks.md, "A wait queue for admission"). An
// upgrade the WebSocket listener read waits as a plain record (enqueue), holding no
// goroutine: thousands of goroutines parked in a storm's queue, each with the stack its
// request's parse had grown, were a third of the new process's memory and much of its page
// faults (docs/benchmarks/reconnect-storm.md, "The queue without goroutines").
//
// A slot is given back when the connection settles, when it ends, or HandshakeTimeout after
// the upgrade (a client that never says hello keeps its socket but stops holding a slot), so
// the bound never keeps a client out for long and never loses one. A slot given back while
// upgrades wait goes to the first of them.
type admission struct {
	max     int64
	timeout time.Duration
	wait    time.Duration // the longest an upgrade waits for a slot; 0: none waits
	queue   int           // the most upgrades waiting at once
	metrics *metrics.Metrics

	// freed is signalled (without blocking) whenever a slot is given back or a waiter gives
	// up: the WebSocket listener's paced accept (acceptpace.go) waits on it.
	freed chan struct{}

	mu      sync.Mutex
	n       int64     // slots held
	waiters list.List // of *waiter, first come first
	closed  bool      // draining: nobody waits, nobody more gets in
}

// waiter is an upgrade waiting for a slot. Its answer is given once, outside the
// admission's lock: true by put (a slot handed over), false by cancel (the wait ran out, the
// client went) or close (draining).
type waiter struct {
	answer func(ok bool)
	elem   *list.Element // its place in waiters; nil once answered (under mu)
	timer  *time.Timer   // enqueue's: cancels the wait when it runs out
}

// acquire takes a slot, waiting for one as long as the admission's wait allows, until ctx is
// done or the server starts draining; it reports false when it got none.
func (a *admission) acquire(ctx context.Context) bool {
	ch := make(chan bool, 1)
	now, w := a.takeOrQueue(func(ok bool) { ch <- ok }, false)
	if w == nil {
		return now
	}
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case ok := <-ch:
		return ok
	case <-t.C:
	case <-ctx.Done():
	}
	a.cancel(w) // answers false unless a slot was handed over just as the wait ended
	return <-ch
}

// enqueue takes a slot at once (now) or queues answer to be called once, from another
// goroutine, when a slot is handed over (true) or the wait ends without one (false: it ran
// out, cancel, close); it holds no goroutine meanwhile. With neither (false, nil) the upgrade
// is refused at once: the server drains, or no upgrade waits, or the queue is full. answer
// must not block.
func (a *admission) enqueue(answer func(ok bool)) (now bool, w *waiter) {
	return a.takeOrQueue(answer, true)
}

// takeOrQueue is acquire's and enqueue's start: a slot now, or a place in the queue, with the
// wait's own timer when timed.
func (a *admission) takeOrQueue(answer func(ok bool), timed bool) (now bool, w *waiter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false, nil
	}
	if a.n < a.max && a.waiters.Len() == 0 {
		a.n++
		return true, nil
	}
	if a.wait <= 0 || a.waiters.Len() >= a.queue {
		return false, nil
	}
	w = &waiter{answer: answer}
	w.elem = a.waiters.PushBack(w)
	if timed {
		w.timer = time.AfterFunc(a.wait, func() { a.cancel(w) })
	}
	a.metrics.AdmissionWaiting(1)
	return false, w
}

// cancel ends w's wait without a slot, unless it has been answered already.
func (a *admission) cancel(w *waiter) {
	a.mu.Lock()
	if !a.unqueue(w) {
		a.mu.Unlock()
		return
	}
	a.signal()
	a.mu.Unlock()
	w.answer(false)
}

// unqueue takes w out of the queue if it is still there, reporting whether it was; under mu.
func (a *admission) unqueue(w *waiter) bool {
	if w.elem == nil {
		return false
	}
	a.waiters.Remove(w.elem)
	w.elem = nil
	if w.timer != nil {
		w.timer.Stop()
	}
	a.metrics.AdmissionWaiting(-1)
	return true
}

// signal tells a paced accept that the connections being set up may have fallen below the
// bound.
func (a *admission) signal() {
	select {
	case a.freed <- struct{}{}:
	default:
	}
}

// full reports whether the slots held, the upgrades waiting and extra more connections being
// set up reach the bound; never once the server is draining.
func (a *admission) full(extra int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.closed && a.n+int64(a.waiters.Len())+int64(extra) >= a.max
}

// queueFull reports whether the slots held, the upgrades waiting and extra more connections
// being set up reach the slots and the queue together: the next upgrade would be refused at
// once. Never once the server is draining, nor without a queue (no wait).
func (a *admission) queueFull(extra int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.closed && a.wait > 0 && a.n+int64(a.waiters.Len())+int64(extra) >= a.max+int64(a.queue)
}

// put gives one slot back: to the first waiting upgrade if there is one, else to the pool.
func (a *admission) put() {
	a.mu.Lock()
	if e := a.waiters.Front(); e != nil && !a.closed {
		w := e.Value.(*waiter)
		a.unqueue(w)
		a.signal()
		a.mu.Unlock()
		w.answer(true)
		return
	}
	a.n--
	a.signal()
	a.mu.Unlock()
}

// stopped reports whether close was called: the server is draining.
func (a *admission) stopped() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// close refuses every waiting upgrade and every later one: the server is draining.
func (a *admission) close() {
	a.mu.Lock()
	a.closed = true
	var refused []*waiter
	for e := a.waiters.Front(); e != nil; e = a.waiters.Front() {
		w := e.Value.(*waiter)
		a.unqueue(w)
		refused = append(refused, w)
	}
	a.mu.Unlock()
	for _, w := range refused {
		w.answer(false)
	}
}

// retryAfter is the Retry-After, in seconds, a shed upgrade is told: 1 or 2 at random, so that
// the clients shed together do not all come back in the same second. Clients add their own
// sub-second jitter (the header has seconds only).
func retryAfter() int { return 1 + rand.IntN(2) }

// slot is one admitted connection's hold on the bound: released once, by whichever comes
// first of the session settling, the connection ending and the timeout.
type slot struct {
	a     *admission
	done  atomic.Bool
	timer *time.Timer
}

func (a *admission) newSlot() *slot {
	s := &slot{a: a}
	s.timer = time.AfterFunc(a.timeout, s.expire)
	return s
}

// release gives the slot back; later calls do nothing. Its callers run after newSlot has
// returned, so timer is set. The stopped timer is dropped: the slot lives as long as its
// connection (the settling wrapper and the end function hold it), and a timer kept there
// would cost every idle connection some 100 bytes.
func (s *slot) release() {
	if s.done.Swap(true) {
		return
	}
	s.timer.Stop()
	s.timer = nil
	s.a.put()
}

// expire is release from the timer, which may fire before newSlot has stored it.
func (s *slot) expire() {
	if !s.done.Swap(true) {
		s.a.put()
	}
}

// settling wraps a connection's session until it has settled: it counts the frames the
// session has handled and releases the slot after the one that settles it. Handle is called
// by one goroutine at a time per connection, so the count needs no lock; done makes the
// check after settling one atomic load.
type settling struct {
	transport.Session
	slot *slot
	left int32 // frames still to handle before the connection counts as settled
}

// framesToSettle is how many frames settle a connection of subprotocol: hubbub.v1's hello
// and the frame after it (the first join, for a client that rejoins its rooms), the text
// protocol's name line.
func framesToSettle(subprotocol string) int32 {
	if subprotocol == hubbub.ProtocolJSON {
		return 2
	}
	return 1
}

// Handle implements transport.Session.
func (s *settling) Handle(data []byte) {
	s.Session.Handle(data)
	if s.slot.done.Load() {
		return
	}
	if s.left--; s.left <= 0 {
		s.slot.release()
	}
}
