package session_test

import (
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A muted user's typing is not relayed: the room read "eve is typing…" for a message that
// could never come. Once the mute is lifted it is relayed again.
func TestMutedUsersTypingIsNotRelayed(t *testing.T) {
	// Every typing notice passes the gate: the one sent while muted must not hold back the next.
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod"), TypingInterval: time.Nanosecond}})
	mod := servertest.DialJSON(t, s, "mod")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	eve := servertest.DialJSON(t, s, "eve")
	eve.Join("general", nil)
	if got := moderate(mod, servertest.Frame{"type": "mute", "room": "general", "name": "eve", "duration": "1h"}); got.Type() != "moderated" {
		t.Fatalf("mute answered %v", got)
	}
	ann.AwaitFunc("the mute", func(f servertest.Frame) bool { return f.Type() == "sanction_changed" })
	eve.Send(servertest.Frame{"type": "typing", "room": "general"})
	if got := moderate(mod, servertest.Frame{"type": "unmute", "room": "general", "name": "eve"}); got.Type() != "moderated" {
		t.Fatalf("unmute answered %v", got)
	}
	// What ann hears next, after the lift, is the typing eve sends now, not the muted one.
	f := ann.AwaitFunc("typing or the lift", func(f servertest.Frame) bool { return f.Type() == "typing" || f.Type() == "sanction_changed" })
	if f.Type() != "sanction_changed" {
		t.Fatalf("ann was told %v while eve was muted", f)
	}
	if f := eve.Say("general", "e-1", "back"); f.Type() != "ack" {
		t.Fatalf("eve's send after the unmute: %v", f)
	}
	ann.Await("message")
	eve.Send(servertest.Frame{"type": "typing", "room": "general"})
	if f := ann.AwaitFunc("eve typing", func(f servertest.Frame) bool { return f.Type() == "typing" }); f.Str("name") != "eve" {
		t.Errorf("typing after the unmute: %v", f)
	}
}

// A room's owner or moderator pages the room with @room, as a server moderator does: the
// page offers them @room, which the server counted only from server roles.
func TestRoomModeratorMentionsTheRoom(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	create(t, ann, "community", false)
	ann.Join("community", nil)
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("community", nil)
	bob.Say("community", "b-1", "@room hello")
	if f := ann.AwaitFunc("bob's message", func(f servertest.Frame) bool { return f.Type() == "message" }); f["mention_room"] == true {
		t.Errorf("a member's @room counted: %v", f)
	}
	ann.Say("community", "a-1", "@room meeting now")
	if f := bob.AwaitFunc("ann's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("from") == "ann" }); f["mention_room"] != true {
		t.Errorf("the owner's @room did not count: %v", f)
	}
}
