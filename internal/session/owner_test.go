package session_test

import (
	"fmt"
	"strings"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A room keeps an owner (docs/protocol.md, Conversations), with real clients of a real server:
// the only owner's step down is refused, their part hands the room to the moderator, whom
// every member sees become owner live and a rejoin with since replays.

// awaitAction returns the first member_changed of room with action.
func awaitAction(c *servertest.JSONClient, room, action string) servertest.Frame {
	return c.AwaitFunc("member_changed "+action+" of "+room, func(f servertest.Frame) bool {
		return f.Type() == "member_changed" && f.Str("room") == room && f.Str("action") == action
	})
}

// awaitLog returns the member_changed of room at log seq seq, past those before it.
func awaitLog(c *servertest.JSONClient, room string, seq uint64) servertest.Frame {
	return c.AwaitFunc(fmt.Sprintf("member_changed %d of %s", seq, room), func(f servertest.Frame) bool {
		return f.Type() == "member_changed" && f.Str("room") == room && f.Num("log_seq") == seq
	})
}

// wantHandover fails t unless f is the automatic role change that made heir the owner after
// from left, at log seq seq.
func wantHandover(t *testing.T, who string, f servertest.Frame, from, heir *servertest.JSONClient, heirName string, seq uint64) {
	t.Helper()
	if f.Str("role") != "owner" || f["auto"] != true || f.Str("subject") != heir.User || f.Str("subject_name") != heirName ||
		f.Str("user") != from.User || f.Num("log_seq") != seq {
		t.Fatalf("%s sees %v, want %s made owner automatically at seq %d", who, f, heirName, seq)
	}
}

func TestOnlyOwnerPartingHandsThePrivateRoomToItsModerator(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("admin")}})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	carol, _ := dial(t, s, "carol")
	admin, _ := dial(t, s, "admin")
	create(t, ann, "plans", true) // seq 1: ann's join
	ann.Join("plans", nil)
	wantAck(t, "bob's invite", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i-1"}), 2, 0)
	wantAck(t, "carol's invite", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "carol", "id": "i-2"}), 3, 0)
	bob.Join("plans", nil)   // seq 4
	carol.Join("plans", nil) // seq 5
	awaitAction(ann, "plans", "join")
	wantAck(t, "bob made moderator", request(ann, servertest.Frame{"type": "role", "room": "plans", "name": "bob", "role": "moderator", "id": "r-1"}), 6, 0)
	awaitAction(carol, "plans", "role")

	// The only owner may not step down, nor be stepped down by an admin.
	f := request(ann, servertest.Frame{"type": "role", "room": "plans", "name": "ann", "role": "member", "id": "r-2"})
	wantError(t, "ann stepping down", f, "forbidden")
	if !strings.Contains(f.Str("message"), "only owner of room plans") || !strings.Contains(f.Str("message"), "make another member owner first") {
		t.Fatalf("the refusal says %q", f.Str("message"))
	}
	wantError(t, "an admin stepping ann down",
		request(admin, servertest.Frame{"type": "role", "room": "plans", "name": "ann", "role": "moderator", "id": "r-3"}), "forbidden")

	// carol stops following the room at seq 6, then ann parts.
	carol.Send(servertest.Frame{"type": "leave", "room": "plans"})
	awaitRoom(carol, "left", "plans")
	wantAck(t, "ann's part", request(ann, servertest.Frame{"type": "part", "room": "plans", "id": "p-1"}), 7, 0)
	awaitRoom(ann, "left", "plans")
	awaitRoom(ann, "unroom", "plans")
	if left := awaitAction(bob, "plans", "leave"); left.Str("subject") != ann.User || left.Num("log_seq") != 7 {
		t.Fatalf("bob sees %v, want ann's leave at seq 7", left)
	}
	wantHandover(t, "bob", awaitLog(bob, "plans", 8), ann, bob, "bob", 8)

	// carol's rejoin with since replays both, in order.
	since := uint64(6)
	if j := carol.Join("plans", &since); j.Type() != "joined" || j.Num("replay") != 2 || j.Num("last_seq") != 8 {
		t.Fatalf("carol's rejoin: %v", j)
	}
	if left := awaitAction(carol, "plans", "leave"); left.Num("log_seq") != 7 {
		t.Fatalf("carol's replay starts with %v, want ann's leave", left)
	}
	wantHandover(t, "carol's replay", awaitLog(carol, "plans", 8), ann, bob, "bob", 8)

	// bob is the owner now: his rooms say so, and he sets roles.
	if r := roomsOf(t, ask(bob, servertest.Frame{"type": "rooms"}, "rooms"))["plans"]; r == nil || r["role"] != "owner" {
		t.Fatalf("bob's rooms after the handover: %v", r)
	}
	wantAck(t, "bob makes carol owner", request(bob, servertest.Frame{"type": "role", "room": "plans", "name": "carol", "role": "owner", "id": "r-4"}), 9, 0)
	wantAck(t, "bob steps down, carol owning", request(bob, servertest.Frame{"type": "role", "room": "plans", "name": "bob", "role": "member", "id": "r-5"}), 10, 0)
	if f := awaitLog(carol, "plans", 10); f["auto"] != nil || f.Str("role") != "member" {
		t.Fatalf("a role set by bob says auto: %v", f)
	}
}

// fmtRooms writes a directory's rooms as "name:last_seq" words.
func fmtRooms(f servertest.Frame) string {
	var out []string
	list, _ := f["rooms"].([]any)
	for _, r := range list {
		m := r.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%d", m["room"], num(m, "last_seq")))
	}
	return strings.Join(out, " ")
}

func TestOnlyOwnerPartingAPublicRoomHandsItOver(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	create(t, ann, "town", false) // seq 1
	ann.Join("town", nil)
	bob.Join("town", nil) // in bob's list: a member
	wantAck(t, "a message", bob.Say("town", "m-1", "hi"), 2, 0)

	ann.Send(servertest.Frame{"type": "part", "room": "town", "id": "p-1"}) // a public room's part is no entry: no ack
	awaitRoom(ann, "unroom", "town")
	wantHandover(t, "bob", awaitLog(bob, "town", 3), ann, bob, "bob", 3)
	if r := roomsOf(t, ask(bob, servertest.Frame{"type": "rooms"}, "rooms"))["town"]; r == nil || r["role"] != "owner" {
		t.Fatalf("bob's rooms after the handover: %v", r)
	}
	// Alone, the owner may part: nothing passes.
	bob.Send(servertest.Frame{"type": "part", "room": "town", "id": "p-2"})
	awaitRoom(bob, "unroom", "town")
	if last := ask(bob, servertest.Frame{"type": "directory", "query": "town"}, "directory"); !strings.Contains(fmtRooms(last), "town:3") {
		t.Fatalf("the room after its last member parted: %v, want last seq 3", last)
	}
}

// An owner who parts a public room alone and takes it back (the page's Undo: a join) owns it
// again, by an entry the joiner and every member see; a room no one created (made by joining
// it by name) gives its first joiner nothing.
func TestOwnerRejoiningTheRoomSheLeftAloneOwnsItAgain(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	create(t, ann, "town", false) // seq 1
	ann.Join("town", nil)
	ann.Send(servertest.Frame{"type": "part", "room": "town", "id": "p-1"})
	awaitRoom(ann, "unroom", "town")

	seen := uint64(1)
	ann.Join("town", &seen) // the undo: back where she was
	wantHandover(t, "ann", awaitLog(ann, "town", 2), ann, ann, "ann", 2)
	if r := roomsOf(t, ask(ann, servertest.Frame{"type": "rooms"}, "rooms"))["town"]; r == nil || r["role"] != "owner" {
		t.Fatalf("ann's rooms after she joined again: %v, want her the owner", r)
	}
	bob.Join("town", nil) // a room with an owner: bob is a member
	if r := roomsOf(t, ask(bob, servertest.Frame{"type": "rooms"}, "rooms"))["town"]; r == nil || r["role"] != "member" {
		t.Fatalf("bob's rooms after he joined: %v, want a member", r)
	}

	bob.Join("street", nil) // no one created it
	if r := roomsOf(t, ask(bob, servertest.Frame{"type": "rooms"}, "rooms"))["street"]; r == nil || r["role"] != "member" {
		t.Fatalf("bob's rooms after he joined a room no one created: %v, want a member", r)
	}
}

// A direct message has no owners or moderators: a role change there is refused, a server
// admin's too, and nothing is stored.
func TestRolesInADirectMessageAreRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("admin")}})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	admin, _ := dial(t, s, "admin")
	dm := ask(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room")
	room := dm.Str("room")
	if room == "" || dm["dm"] != true {
		t.Fatalf("the dm: %v", dm)
	}
	bob.Join(room, nil)
	for _, c := range []struct {
		who  string
		conn *servertest.JSONClient
		role string
	}{{"the admin", admin, "owner"}, {"the admin", admin, "moderator"}, {"ann", ann, "owner"}} {
		f := request(c.conn, servertest.Frame{"type": "role", "room": room, "name": "bob", "role": c.role, "id": "r-" + c.who + c.role})
		wantError(t, c.who+" making bob "+c.role+" in a DM", f, "bad_field")
		if !strings.Contains(f.Str("message"), "direct message has no owners") {
			t.Errorf("the refusal says %q", f.Str("message"))
		}
	}
	if r := roomsOf(t, ask(bob, servertest.Frame{"type": "rooms"}, "rooms"))[room]; r == nil || r["role"] != "member" || r["last_seq"] != float64(2) {
		t.Fatalf("bob's DM after the refused role changes: %v, want a member, last seq 2 (the two joins)", r)
	}
}
