package server

import (
	"math/rand/v2"
	"sync/atomic"
	"time"

	"hubbub"
	"hubbub/internal/transport"
)

// admission bounds the WebSocket connections being set up: upgraded but not yet settled (for
// hubbub.v1, hello answered and a first frame after it handled, normally the first join; for
// the text protocol, the name line handled). After a restart every client comes back at once;
// without a bound each stage of each of them (the upgrades, then the hellos, then the joins)
// waits behind the same stage of all the others, and no join completes until nearly every
// upgrade is done. With it, the server finishes a few hundred clients at a time and answers
// the rest 503 with Retry-After, which the clients honour as backoff (docs/operations.md §5).
//
// A slot is given back when the connection settles, when it ends, or HandshakeTimeout after
// the upgrade (a client that never says hello keeps its socket but stops holding a slot), so
// the bound never keeps a client out for long and never loses one.
type admission struct {
	max     int64
	timeout time.Duration
	n       atomic.Int64
}

// acquire takes a slot; it reports false when max connections are being set up already.
func (a *admission) acquire() bool {
	if a.n.Add(1) > a.max {
		a.n.Add(-1)
		return false
	}
	return true
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
	s.a.n.Add(-1)
}

// expire is release from the timer, which may fire before newSlot has stored it.
func (s *slot) expire() {
	if !s.done.Swap(true) {
		s.a.n.Add(-1)
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
