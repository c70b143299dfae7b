package session_test

import (
	"testing"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/servertest"
)

// listed returns the rooms a new connection of the guest name is sent at its welcome, unasked:
// the list the user's other devices show.
func listed(t *testing.T, s *servertest.Server, name string) map[string]map[string]any {
	t.Helper()
	c := servertest.DialJSON(t, s, name)
	defer c.Conn.Close()
	return roomsOf(t, c.Await("rooms"))
}

// A join of a full room (--max-members) is refused room_full and leaves the room out of the
// user's list: the list was written (the user's first join of the public room) before the
// room refused the member, so a join answered room_full showed the room on every device.
func TestJoinOfAFullRoomLeavesTheRoomListAlone(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{MaxMembers: 1}})
	ann := servertest.DialJSON(t, s, "ann")
	if f := ann.Join("tiny", nil); f.Type() != "joined" {
		t.Fatalf("ann's join: %v", f)
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Await("rooms")
	expectError(t, bob.Join("tiny", nil), hubbub.ECodeRoomFull, "tiny")
	if rooms := listed(t, s, "bob"); rooms["tiny"] != nil {
		t.Fatalf("bob's rooms after his join of the full tiny: %v, want it not there", rooms)
	}
	ann.Send(servertest.Frame{"type": "leave", "room": "tiny"})
	awaitRoom(ann, "left", "tiny")
	if f := bob.Join("tiny", nil); f.Type() != "joined" {
		t.Fatalf("bob's join once ann left: %v", f)
	}
	if rooms := listed(t, s, "bob"); rooms["tiny"] == nil {
		t.Fatalf("bob's rooms after his join of tiny: %v, want it there", rooms)
	}
}

// A join refused after its record was written — the room filled while the join read its
// replay — takes the room out of the user's list again.
func TestJoinRefusedAsTheRoomFillsLeavesTheRoomListAlone(t *testing.T) {
	ps := &pausingStore{reading: make(chan struct{}), resume: make(chan struct{})}
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{MaxMembers: 2},
		WrapStore: func(st hubbub.Store) hubbub.Store { ps.Store = st; return ps }})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("tiny", nil)
	if f := ann.Say("tiny", "a-0", "hello"); f.Type() != "ack" { // a replay to read
		t.Fatalf("ann's send: %v", f)
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Await("rooms")
	room := "tiny"
	ps.room.Store(&room)
	bob.Send(servertest.Frame{"type": "join", "room": "tiny"})
	<-ps.reading // bob's room list written, his replay being read
	carol := servertest.DialJSON(t, s, "carol")
	if f := carol.Join("tiny", nil); f.Type() != "joined" {
		close(ps.resume)
		t.Fatalf("carol's join: %v", f)
	}
	close(ps.resume)
	expectError(t, bob.AwaitFunc("the join's answer", func(f servertest.Frame) bool {
		return f.Type() == "joined" || f.Type() == "error" && f.Str("request") == "join"
	}), hubbub.ECodeRoomFull, "tiny")
	if rooms := listed(t, s, "bob"); rooms["tiny"] != nil {
		t.Fatalf("bob's rooms after his join refused as tiny filled: %v, want it not there", rooms)
	}
}
