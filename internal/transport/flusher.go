package transport

import (
	"runtime"
	"sync"
	"time"

	"hubbub/internal/hub"
)

// flusher writes polled connections' queued frames from a few goroutines shared by all of
// them, instead of a write pump per connection. A room's fan-out queues a message for each
// member and hands every member with nothing in flight to the flusher; while the flushers work
// through the list, later messages pile up behind it, so under load each write carries several
// messages and at rest each message leaves at once; with a pace (Config.WriteInterval) a
// connection written to less than the pace ago waits for it, so that a member of a busy room
// gets one write per pace however many messages it carries. Workers start when there is work, at most
// Config.Flushers of them (by default half the CPUs Go may use, at least one: see
// DefaultFlushers), and end when the list is empty.
type flusher struct {
	mu      sync.Mutex
	queue   []*polledConn
	head    int
	running int
	max     int
	// spare holds the scratch space of workers that ended, for the next ones to start with
	// (at most max): a worker ends whenever the list empties, which at rest is after every
	// write, and a new one growing its buffer again was 14 % of the bytes the server
	// allocated while 8,000 clients connected (docs/benchmarks/reconnect-storm.md).
	spare []*flushWorker

	// pace is the least time between two writes to one connection (Config.WriteInterval; 0:
	// none): see pace.go.
	pace     time.Duration
	later    paceHeap    // connections waiting for their time, soonest first
	timer    *time.Timer // fires when the first of later is due; nil until first needed
	armed    bool        // timer is set to fire, at armedFor
	armedFor int64
}

func newFlusher(workers int, pace time.Duration) *flusher {
	return &flusher{max: max(1, workers), pace: max(pace, 0)}
}

// schedule lists c for writing; the caller owns c's scheduled flag, so c is listed once.
func (f *flusher) schedule(c *polledConn) {
	f.mu.Lock()
	f.queue = append(f.queue, c)
	f.startLocked()
}

// startLocked starts workers while the list holds more connections than workers run and
// fewer than max run (schedule adds one connection, so it starts one at most; the pace's timer
// lists many at once), and unlocks f.mu.
func (f *flusher) startLocked() {
	var first *flushWorker
	var more []*flushWorker // beyond the first: only a timer's many connections on several CPUs
	for f.running < f.max && len(f.queue)-f.head > f.running {
		f.running++
		var w *flushWorker
		if n := len(f.spare); n > 0 {
			w, f.spare[n-1] = f.spare[n-1], nil
			f.spare = f.spare[:n-1]
		} else {
			w = new(flushWorker)
		}
		if first == nil {
			first = w
		} else {
			more = append(more, w)
		}
	}
	f.mu.Unlock()
	if first != nil {
		go f.work(first)
	}
	for _, w := range more {
		go f.work(w)
	}
}

// flushWorker is one flusher goroutine's scratch space, reused for every connection it writes.
type flushWorker struct {
	buf   []byte
	batch []*hub.Envelope
}

// maxFlushBuffer bounds the write buffer a worker keeps between connections.
const maxFlushBuffer = 256 << 10

// maxSpareBuffer bounds the write buffer kept for the next worker once a worker ends: an idle
// server keeps at most Flushers of them.
const maxSpareBuffer = 64 << 10

func (w *flushWorker) keep(buf []byte) {
	if cap(buf) > maxFlushBuffer {
		buf = nil
	}
	w.buf = buf[:0]
}

func (f *flusher) work(w *flushWorker) {
	// A worker started here was put first in line by the runtime (a new goroutine takes
	// its P's next slot), so it ran as soon as the goroutine that scheduled it (a send's
	// ack and fan-out) parked, and wrote the one frame queued so far to each connection:
	// under issue 19's durable ingress, where thousands of acks and fan-outs become
	// runnable at each fsync, 6–8 write calls a message and half of the server's CPU. It
	// first lets the goroutines already runnable go, so that what they queue joins its
	// writes; with nothing else runnable (at rest) it goes on at once.
	runtime.Gosched()
	for {
		f.mu.Lock()
		if f.head == len(f.queue) {
			f.running--
			if cap(w.buf) > maxSpareBuffer {
				w.buf = nil
			}
			if len(f.spare) < f.max {
				f.spare = append(f.spare, w)
			}
			clear(f.queue)
			f.queue, f.head = f.queue[:0], 0
			if cap(f.queue) > 1<<16 {
				f.queue = nil
			}
			f.mu.Unlock()
			return
		}
		c := f.queue[f.head]
		f.queue[f.head] = nil
		f.head++
		if f.head > 1024 && f.head*2 > len(f.queue) {
			n := copy(f.queue, f.queue[f.head:])
			clear(f.queue[n:])
			f.queue, f.head = f.queue[:n], 0
		}
		f.mu.Unlock()
		c.writePending(w)
	}
}
