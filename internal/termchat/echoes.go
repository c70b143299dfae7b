package termchat

import (
	"context"
	"sync"
	"time"

	"hubbub/client"
)

// echoes is what the printer has printed of each room's log (the highest log seq of a
// message, edit, delete or reaction printed) and what the chat's own acknowledged writes need
// printed (the highest acked seq). At the end of input the chat waits for the second to be
// within the first: the ack of a write comes before the write's own frame, and a server
// holds live reactions for --reaction-window (100 ms by default) to send a burst as one frame,
// so a piped chat that exited at the last ack printed only part of what it did.
type echoes struct {
	mu      sync.Mutex
	printed map[string]uint64
	sent    map[string]uint64
	changed chan struct{} // closed at the next print, for await; nil while no one waits
}

// saw records that the printer printed room's log up to seq (0: nothing new, but the room
// changed — it was left — and await should look again).
func (e *echoes) saw(room string, seq uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.printed == nil {
		e.printed = make(map[string]uint64)
	}
	e.printed[room] = max(e.printed[room], seq)
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

// expect records, if the write r stands for was stored, that its room's log holds it at its
// seq: its echo is to be printed.
func (e *echoes) expect(r *client.Receipt) {
	ack, err := r.Result()
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sent == nil {
		e.sent = make(map[string]uint64)
	}
	e.sent[r.Room] = max(e.sent[r.Room], ack.Seq)
}

// await waits until every write expected in a room the connection is still in (in) has been
// printed, giving up after timeout (--ack-timeout) in all, or when ctx ends. In all, not since
// the last print: in a busy room prints never stop, and an echo that cannot come (a
// --reaction-window longer than the timeout) would hold a piped chat for ever.
func (e *echoes) await(ctx context.Context, in func(room string) bool, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		e.mu.Lock()
		pending := false
		for room, seq := range e.sent {
			if e.printed[room] < seq && in(room) {
				pending = true
				break
			}
		}
		if !pending {
			e.mu.Unlock()
			return
		}
		if e.changed == nil {
			e.changed = make(chan struct{})
		}
		changed := e.changed
		e.mu.Unlock()
		select {
		case <-changed:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// caughtUp reports whether every write of this chat acknowledged in room (expect) has been
// printed.
func (e *echoes) caughtUp(room string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.printed[room] >= e.sent[room]
}
