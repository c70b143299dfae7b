package session

import (
	"fmt"
	"testing"
	"time"
)

// The typing gate thins one room's notices to one per interval, and what it remembers stays
// bounded by the rooms a connection may be in, however many rooms it passes through.
func TestTypingGateThinsAndStaysBounded(t *testing.T) {
	g := typingGate{interval: time.Second, maxRooms: 4}
	now := time.Unix(1000, 0)
	if !g.allow("a", now) || g.allow("a", now.Add(time.Second/2)) || !g.allow("a", now.Add(time.Second)) {
		t.Fatal("one room's notices are not thinned to one per interval")
	}
	// A connection that joins, types in and leaves 1,000 rooms, one a second.
	for i := range 1000 {
		now = now.Add(time.Second)
		room := fmt.Sprint("r", i)
		if !g.allow(room, now) {
			t.Fatalf("first notice in %s dropped", room)
		}
		if i%2 == 0 {
			g.forget(room) // left it
		}
	}
	if len(g.last) > g.maxRooms {
		t.Fatalf("the gate remembers %d rooms, want at most %d", len(g.last), g.maxRooms)
	}
	g.forget("r999")
	if _, ok := g.last["r999"]; ok {
		t.Fatal("forget kept the room")
	}
}
