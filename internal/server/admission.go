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
// server's CPU went to the 503s (docs/benchmarks.md, "A wait queue for admission").
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
	waiters list.List // of chan bool, first come first; true: a slot was handed over
	closed  bool      // draining: nobody waits, nobody more gets in
}

// acquire takes a slot, waiting for one as long as the admission's wait allows, until ctx is
// done or the server starts draining; it reports false when it got none.
func (a *admission) acquire(ctx context.Context) bool {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return false
	}
	if a.n < a.max && a.waiters.Len() == 0 {
		a.n++
		a.mu.Unlock()
		return true
	}
	if a.wait <= 0 || a.waiters.Len() >= a.queue {
		a.mu.Unlock()
		return false
	}
	ch := make(chan bool, 1)
	e := a.waiters.PushBack(ch)
	a.mu.Unlock()
	a.metrics.AdmissionWaiting(1)
	defer a.metrics.AdmissionWaiting(-1)

	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case ok := <-ch:
		return ok
	case <-t.C:
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case ok := <-ch: // handed a slot (or refused) just as the wait ended: the answer stands
		return ok
	default:
	}
	a.waiters.Remove(e)
	a.signal()
	return false
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
	defer a.mu.Unlock()
	defer a.signal()
	if e := a.waiters.Front(); e != nil && !a.closed {
		a.waiters.Remove(e)
		e.Value.(chan bool) <- true // buffered: never blocks
		return
	}
	a.n--
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
	defer a.mu.Unlock()
	a.closed = true
	for e := a.waiters.Front(); e != nil; e = a.waiters.Front() {
		a.waiters.Remove(e)
		e.Value.(chan bool) <- false
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
