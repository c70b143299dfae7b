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

// TestRoomMadeMeanwhileRefused: the store holds a room name to one room whatever its case,
// and its refusal reaches a client as the server's own check does: room_case naming the
// stored room, nothing done. The check cannot see it here — this node holds "ops" open for a
// connection without a key, which stores nothing, and takes "ops" for that room, while "OPS"
// is made: what two first uses on two nodes at one instant look like — so a join or create of
// "ops" gets the store's refusal, and so does the keyless member's next send in "ops".
func TestRoomMadeMeanwhileRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	kim := servertest.DialJSON(t, s, "")
	kim.Send(servertest.Frame{"type": "hello", "name": "kim"}) // no key: an anonymous user
	kim.Await("welcome")
	kim.Join("ops", nil)
	bob := servertest.DialJSON(t, s, "bob")
	if j := bob.Join("OPS", nil); j.Type() != "joined" || j.Str("room") != "OPS" {
		t.Fatalf("bob's join of OPS = %v", j)
	}

	ann := servertest.DialJSON(t, s, "ann")
	for _, typ := range []string{"join", "create"} {
		ann.Send(servertest.Frame{"type": typ, "room": "ops"})
		f := ann.Await("error")
		if f.Str("code") != "room_case" || f.Str("request") != typ || f.Str("room") != "ops" || f.Str("stored_room") != "OPS" {
			t.Errorf("%s of ops beside OPS = %v; want room_case naming OPS", typ, f)
		}
	}
	kim.Send(servertest.Frame{"type": "send", "room": "ops", "id": "k-1", "text": "anyone?"})
	if f := kim.Await("error"); f.Str("code") != "room_case" || f.Str("request") != "send" || f.Str("stored_room") != "OPS" {
		t.Errorf("kim's send in ops = %v; want room_case naming OPS", f)
	}
	// Asked again by the stored name, each is in the one room.
	if j := ann.Join("OPS", nil); j.Type() != "joined" || j.Str("room") != "OPS" {
		t.Errorf("ann's join of OPS = %v", j)
	}
	kim.Join("OPS", nil)
	if ack := kim.Say("OPS", "k-2", "here"); ack.Type() != "ack" {
		t.Errorf("kim's send in OPS = %v", ack)
	}
	if m := bob.Messages("OPS", 1); m[0].Str("text") != "here" || m[0].Str("from") != "kim" {
		t.Errorf("bob got %v", m)
	}
}
