package termchat

import (
	"sync"

	"hubbub"
)

// readTracker is what the chat shows and has shown: the current room, and the highest seq
// printed in each room, so that the read position follows what the user has seen. The input
// loop changes the current room, the printer records seqs; either may be first.
type readTracker struct {
	mu    sync.Mutex
	shown string
	seen  map[string]uint64
}

// show makes room the one the user looks at, and marks read what was printed of it already.
func (c *chat) show(room string) {
	c.numbers.current(room) // a number typed is checked against what printed since
	c.reads.mu.Lock()
	c.reads.shown = room
	seq := c.reads.seen[room]
	c.reads.mu.Unlock()
	if room != "" && seq > 0 {
		c.ses.MarkRead(room, seq)
	}
}

// printedMessage records that message seq of room was printed, and marks it read if the room
// is the current one or a direct message: a DM someone else started prints without becoming
// current (joinDM), and the messages the user read there stayed unread on their other devices.
func (c *chat) printedMessage(room string, seq uint64) {
	c.reads.mu.Lock()
	if c.reads.seen == nil {
		c.reads.seen = make(map[string]uint64)
	}
	c.reads.seen[room] = max(c.reads.seen[room], seq)
	shown := c.reads.shown == room || hubbub.IsDMRoom(room)
	c.reads.mu.Unlock()
	if shown {
		c.ses.MarkRead(room, seq)
	}
}
