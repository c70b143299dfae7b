package session_test

import (
	"testing"

	"hubbub/internal/servertest"
)

// TestJoinAnyCase: room names are one room whatever their case. A join of "General" when
// "general" exists is refused room_case, naming the stored room (the request's room echoed as
// sent, so that a client written before names folded matches it to its join and is not left
// waiting); the join by the stored name enters that room, with its history, and the other
// member sees it. A join of a name no room has makes the room as named, and other spellings
// mean it from then on, on this node and after a restart (the store answers).
func TestJoinAnyCase(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	ann.Say("general", "a-1", "hello, general")

	bob := servertest.DialJSON(t, s, "bob")
	bob.Send(servertest.Frame{"type": "join", "room": "General"})
	f := bob.Await("error")
	if f.Str("code") != "room_case" || f.Str("request") != "join" || f.Str("room") != "General" || f.Str("stored_room") != "general" {
		t.Fatalf("join of General beside general = %v; want room_case naming general", f)
	}
	if j := bob.Join("general", nil); j.Type() != "joined" || j.Num("replay") != 1 {
		t.Fatalf("join of general = %v", j)
	}
	if m := bob.Messages("general", 1); m[0].Str("text") != "hello, general" {
		t.Errorf("bob's replay of general = %v", m)
	}
	if p := ann.AwaitFunc("bob's presence", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "bob"
	}); p.Str("room") != "general" || p.Str("event") != "join" {
		t.Errorf("ann saw %v", p)
	}

	// Every request that may name a room outside the connection's is resolved alike: a
	// create of another spelling names the room rather than making a second one.
	bob.Send(servertest.Frame{"type": "create", "room": "GENERAL"})
	if f := bob.Await("error"); f.Str("code") != "room_case" || f.Str("stored_room") != "general" || f.Str("request") != "create" {
		t.Errorf("create of GENERAL = %v", f)
	}
	// A name no room has makes the room as typed; then its other spellings mean it.
	if j := bob.Join("Release-2", nil); j.Type() != "joined" || j.Str("room") != "Release-2" {
		t.Fatalf("join of a new room = %v", j)
	}
	ann.Send(servertest.Frame{"type": "join", "room": "release-2"})
	if f := ann.Await("error"); f.Str("code") != "room_case" || f.Str("stored_room") != "Release-2" {
		t.Errorf("join of release-2 after Release-2 was made = %v", f)
	}
	// The exact name still needs no spelling lesson, and frames of a joined room are as before.
	if ack := ann.Say("general", "a-2", "still here"); ack.Type() != "ack" {
		t.Errorf("send to general = %v", ack)
	}

	s2 := s.Restart()
	carol := servertest.DialJSON(t, s2, "carol")
	carol.Send(servertest.Frame{"type": "join", "room": "GENERAL"})
	if f := carol.Await("error"); f.Str("code") != "room_case" || f.Str("stored_room") != "general" {
		t.Errorf("after a restart, join of GENERAL = %v", f)
	}
}
