package termchat

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"hubbub"
)

// maxNumbers is how many message numbers a chat remembers the room of (shownNumbers).
const maxNumbers = 10000

// shownNumbers remembers, for each message number (seq) the chat printed, the room of the line
// that showed the message last — its line, its edited line, a search hit — and when, so that
// a bare number typed can be checked against the messages the user saw (messageArg); a notice
// that names a number (another's reaction to #3 in general) shows no message to answer. It
// keeps the last maxNumbers numbers; an older one is taken as the current room's. The
// printer and the commands write it, the input reads it.
type shownNumbers struct {
	mu      sync.Mutex
	last    map[uint64]shownNumber
	order   []uint64 // numbers, first shown first: the next to forget
	tick    uint64   // counts the lines recorded
	focus   string   // the current room, as show said it (hubbub.RoomKey)
	focusAt uint64   // the tick when it became current
}

type shownNumber struct {
	room string // as the frame names it
	at   uint64 // its tick
}

// saw records that a line showing message seq of room was printed.
func (n *shownNumbers) saw(room string, seq uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last == nil {
		n.last = make(map[uint64]shownNumber)
	}
	n.tick++
	if _, ok := n.last[seq]; !ok {
		n.order = append(n.order, seq)
	}
	n.last[seq] = shownNumber{room: room, at: n.tick}
	if len(n.order) > maxNumbers {
		delete(n.last, n.order[0])
		n.order = n.order[1:]
	}
}

// current records that room is the current one: the lines shown before it became current
// are not the ones its numbers are checked against (the user turned to it since).
func (n *shownNumbers) current(room string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if k := hubbub.RoomKey(room); k != n.focus {
		n.focus, n.focusAt = k, n.tick
	}
}

// elsewhere returns the room of the line that showed message seq last, if that line was
// printed since room became current and is another room's.
func (n *shownNumbers) elsewhere(room string, seq uint64) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.last[seq]
	if !ok || s.at <= n.focusAt || hubbub.RoomKey(s.room) == hubbub.RoomKey(room) {
		return "", false
	}
	return s.room, true
}

// parseSeq reads a message's seq as printed before it: "12" or "#12".
func parseSeq(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a message number: give the number printed as #N before the message", s)
	}
	return n, nil
}
