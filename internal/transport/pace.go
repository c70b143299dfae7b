package transport

import "time"

// The flushers' pace (Config.WriteInterval): a polled connection written to less than the
// pace ago waits, and what it is sent meanwhile goes with it in one write, so that a member of
// a room busier than a message per pace gets one write per pace, not one per message. A
// reply, a control frame or the close ends the wait at once (polledConn.endPaceIfDirect).
// The waiting connections are kept in a heap by due time, with one timer per flusher set for
// the soonest.

// paceStart is the origin of paceNow.
var paceStart = time.Now()

// paceNow is the flushers' clock, in nanoseconds: monotonic (time.Since reads the monotonic
// clock), so a step of the wall clock moves no connection's due time.
func paceNow() int64 { return int64(time.Since(paceStart)) }

// paceSlack is how early a waiting connection may be written: one firing of the timer takes
// every connection due within it (a room's members, written in one pass, come due within a
// pass of each other), and a connection so taken does not wait again (writePending allows the
// same slack).
const paceSlack = int64(time.Millisecond)

// pacedConn is a connection waiting until due (paceNow) for its next write.
type pacedConn struct {
	c   *polledConn
	due int64
}

// paceHeap is a min-heap of waiting connections by due, typed so that a push or a pop
// allocates nothing (container/heap boxes each element in an interface).
type paceHeap []pacedConn

func (h *paceHeap) push(p pacedConn) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if s[parent].due <= s[i].due {
			break
		}
		s[parent], s[i] = s[i], s[parent]
		i = parent
	}
}

func (h *paceHeap) pop() pacedConn {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = pacedConn{}
	s = s[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].due < s[small].due {
			small = l
		}
		if r < len(s) && s[r].due < s[small].due {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}

// waitForPace lists c, whose writer the caller owns (scheduled stays set, so pushes meanwhile
// only queue) and whose pacing flag it set, to be scheduled again at due, unless a reply ends
// the wait first (endPaceIfDirect: whoever clears pacing schedules).
func (f *flusher) waitForPace(c *polledConn, due int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.later.push(pacedConn{c, due})
	if !f.armed || due < f.armedFor {
		f.armLocked(due)
	}
}

// armLocked sets the timer to fire at due; f.mu is held.
func (f *flusher) armLocked(due int64) {
	d := time.Duration(due - paceNow())
	if f.timer == nil {
		f.timer = time.AfterFunc(d, f.paceDue)
	} else {
		f.timer.Reset(d)
	}
	f.armed, f.armedFor = true, due
}

// paceDue lists for writing the connections whose time has come, in one hold of the lock,
// and sets the timer for the next.
func (f *flusher) paceDue() {
	f.mu.Lock()
	f.armed = false
	limit := paceNow() + paceSlack
	for len(f.later) > 0 && f.later[0].due <= limit {
		w := f.later.pop()
		// A reply may have ended the wait already (endPaceIfDirect) and scheduled it; a
		// stale entry of an earlier wait ends the current one early, which is harmless.
		if w.c.endWait() {
			f.queue = append(f.queue, w.c)
		}
	}
	if len(f.later) > 0 {
		f.armLocked(f.later[0].due)
	} else if cap(f.later) > 1<<16 {
		f.later = nil
	}
	f.startLocked()
}

// stop stops the pace's timer and forgets who waits: no connection is left to write.
func (f *flusher) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timer != nil {
		f.timer.Stop()
	}
	f.armed = false
	clear(f.later)
	f.later = nil
}
