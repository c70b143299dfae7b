package session_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/servertest"
)

// The conversation frames (docs/protocol.md, Conversations), with real clients of a real
// server on a real SQLite file; every user is a guest with a key, whom the server stores.

// dial connects a stored user's client and takes the rooms frame sent after welcome, so that
// a later rooms is the answer to a request.
func dial(t *testing.T, s *servertest.Server, name string) (*servertest.JSONClient, map[string]map[string]any) {
	t.Helper()
	c := servertest.DialJSON(t, s, name)
	return c, roomsOf(t, c.Await("rooms"))
}

// ask sends f and returns the first frame of type want or an error naming f's type.
func ask(c *servertest.JSONClient, f servertest.Frame, want string) servertest.Frame {
	c.Send(f)
	return c.AwaitFunc(want+" or error answering "+f.Type(), func(g servertest.Frame) bool {
		return g.Type() == want || g.Type() == "error" && g.Str("request") == f.Type()
	})
}

// refused sends f and returns the error answering it.
func refused(c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	c.Send(f)
	return c.AwaitFunc("error answering "+f.Type(), func(g servertest.Frame) bool {
		return g.Type() == "error" && g.Str("request") == f.Type()
	})
}

// awaitRoom returns the first frame of type typ about room.
func awaitRoom(c *servertest.JSONClient, typ, room string) servertest.Frame {
	return c.AwaitFunc(typ+" of "+room, func(f servertest.Frame) bool { return f.Type() == typ && f.Str("room") == room })
}

// roomsOf returns a rooms frame's rooms by name.
func roomsOf(t *testing.T, f servertest.Frame) map[string]map[string]any {
	t.Helper()
	if f.Type() != "rooms" {
		t.Fatalf("got %v, want rooms", f)
	}
	list, _ := f["rooms"].([]any)
	out := map[string]map[string]any{}
	for _, r := range list {
		m := r.(map[string]any)
		out[m["room"].(string)] = m
	}
	return out
}

// num reads a number field of a decoded JSON object.
func num(m map[string]any, k string) uint64 { n, _ := m[k].(float64); return uint64(n) }

// create makes room (private or not) for c and fails t unless it is answered room, owner.
func create(t *testing.T, c *servertest.JSONClient, room string, private bool) servertest.Frame {
	t.Helper()
	f := ask(c, servertest.Frame{"type": "create", "room": room, "topic": "about " + room, "private": private}, "room")
	if f.Type() != "room" || f.Str("room") != room || f.Str("role") != "owner" || (f["private"] == true) != private {
		t.Fatalf("create %s: got %v", room, f)
	}
	return f
}

// A private room is its members' only: someone else, stored or anonymous, is refused its join
// (forbidden) and its members; its history, a thread of it and a message's revisions are
// refused as for any room the connection is not in (not_joined: docs/protocol.md says which
// code a client gets, and the joined check comes before the room's privacy); the owner is in it.
func TestPrivateRoomRefusesOutsiders(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	create(t, ann, "plans", true)
	if f := ann.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("the owner's join: %v", f)
	}
	wantAck(t, "the owner's message", ann.Say("plans", "a-1", "secret"), 2, 0)
	wantAck(t, "the owner's reply", request(ann, servertest.Frame{"type": "send", "room": "plans", "id": "a-2", "text": "more", "reply_to": 2}), 3, 0)
	wantAck(t, "the owner's edit", edit(ann, "plans", 2, "a-3", "secret, edited"), 4, 2)

	bob, _ := dial(t, s, "bob")
	wantError(t, "bob's join", bob.Join("plans", nil), "forbidden")
	wantError(t, "bob's history", ask(bob, servertest.Frame{"type": "history", "room": "plans"}, "history"), "not_joined")
	wantError(t, "bob's thread", ask(bob, servertest.Frame{"type": "history", "room": "plans", "thread": 2}, "history"), "not_joined")
	wantError(t, "bob's revisions", ask(bob, servertest.Frame{"type": "revisions", "room": "plans", "seq": 2}, "revisions"), "not_joined")
	wantError(t, "bob's members", ask(bob, servertest.Frame{"type": "members", "room": "plans"}, "members"), "forbidden")
	wantError(t, "bob's read", ask(bob, servertest.Frame{"type": "read", "room": "plans", "seq": 2}, "read"), "forbidden")
	wantError(t, "bob's topic", request(bob, servertest.Frame{"type": "topic", "room": "plans", "topic": "mine", "id": "t"}), "forbidden")

	anon := servertest.DialJSON(t, s, "")
	anon.Send(servertest.Frame{"type": "hello", "name": "tom"}) // no key: an anonymous user
	anon.Await("welcome")
	wantError(t, "an anonymous join", anon.Join("plans", nil), "forbidden")
	wantError(t, "an anonymous create", ask(anon, servertest.Frame{"type": "create", "room": "mine"}, "room"), "forbidden")
	if rooms := roomsOf(t, ask(anon, servertest.Frame{"type": "rooms"}, "rooms")); len(rooms) != 0 {
		t.Errorf("an anonymous user's rooms: %v", rooms)
	}

	wantError(t, "a second create", ask(bob, servertest.Frame{"type": "create", "room": "plans"}, "room"), "exists")
	wantError(t, "a join of a DM that does not exist", bob.Join("dm.0123456789abcdef01234567", nil), "not_found")
	wantError(t, "a create of a DM's name", ask(bob, servertest.Frame{"type": "create", "room": "dm.x"}, "room"), "bad_room")
}

// An invitation reaches the invitee's connections at once and is in their rooms; their join
// accepts it (a member_changed join every member sees); a removal takes them out on every
// connection (unroom, left), and their next join is refused.
func TestInviteReachesTheInviteeLiveAndInRooms(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	create(t, ann, "plans", true)
	ann.Join("plans", nil)

	wantError(t, "bob inviting himself", request(bob, servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i-0"}), "forbidden")
	wantError(t, "an invite of no one", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "nobody", "id": "i-x"}), "not_found")
	wantAck(t, "ann's invite", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "bob", "id": "i-1"}), 2, 0)
	inv := awaitRoom(ann, "member_changed", "plans")
	if inv.Str("action") != "invite" || inv.Str("subject") != bob.User || inv.Str("subject_name") != "bob" || inv.Str("user") != ann.User {
		t.Fatalf("the invite entry: %v", inv)
	}
	live := awaitRoom(bob, "room", "plans")
	if live["invited"] != true || live.Str("topic") != "about plans" || live["private"] != true {
		t.Fatalf("bob's live invitation: %v", live)
	}
	again, rooms := dial(t, s, "bob") // a second device of bob's
	if r := rooms["plans"]; r == nil || r["invited"] != true {
		t.Fatalf("bob's rooms on another device: %v", r)
	}

	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("the invitee's join: %v", f)
	}
	if j := awaitRoom(ann, "member_changed", "plans"); j.Str("action") != "join" || j.Str("subject") != bob.User || j.Str("role") != "member" {
		t.Fatalf("the join entry: %v", j)
	}
	if r := roomsOf(t, ask(again, servertest.Frame{"type": "rooms"}, "rooms"))["plans"]; r == nil || r["invited"] != nil {
		t.Fatalf("bob's rooms after joining: %v", r)
	}
	members := ask(ann, servertest.Frame{"type": "members", "room": "plans"}, "members")
	list, _ := members["members"].([]any)
	if len(list) != 2 {
		t.Fatalf("members: %v", members)
	}

	wantAck(t, "ann removes bob", request(ann, servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "r-1"}), 4, 0)
	if r := awaitRoom(bob, "member_changed", "plans"); r.Str("action") != "remove" {
		t.Fatalf("bob sees %v", r)
	}
	awaitRoom(bob, "left", "plans")
	awaitRoom(bob, "unroom", "plans")
	awaitRoom(again, "unroom", "plans")
	wantError(t, "bob's join after his removal", bob.Join("plans", nil), "forbidden")
	wantError(t, "bob's send after his removal", bob.Say("plans", "b-1", "still here?"), "not_joined")
}

// A DM is found again by its members, whoever starts it: the same room, shown to each under
// the other people's names; every member's connections get it live when it is made.
func TestDMFoundAgainByItsMembers(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	cy, _ := dial(t, s, "cy")

	first := ask(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room")
	room := first.Str("room")
	if first["dm"] != true || first["private"] != true || fmt.Sprint(first["people"]) != "[bob]" {
		t.Fatalf("ann's dm: %v", first)
	}
	if live := awaitRoom(bob, "room", room); fmt.Sprint(live["people"]) != "[ann]" || live["invited"] != nil {
		t.Fatalf("bob's live dm: %v", live)
	}
	if f := ann.Join(room, nil); f.Type() != "joined" {
		t.Fatalf("ann's join: %v", f)
	}
	wantAck(t, "ann's message", ann.Say(room, "m-1", "hi bob"), 3, 0)

	back := ask(bob, servertest.Frame{"type": "dm", "names": []string{"ann", "bob"}}, "room")
	if back.Str("room") != room || fmt.Sprint(back["people"]) != "[ann]" || num(back, "unread") != 1 || num(back, "last_seq") != 3 {
		t.Fatalf("bob's dm with ann: %v, want room %s with the unread message", back, room)
	}
	if f := bob.Join(room, nil); f.Type() != "joined" || f.Num("replay") != 1 {
		t.Fatalf("bob's join: %v", f)
	}
	wantError(t, "cy's join", cy.Join(room, nil), "not_found") // as a DM nobody started: it is not cy's to know

	three := ask(cy, servertest.Frame{"type": "dm", "names": []string{"bob", "ann"}}, "room")
	if three.Str("room") == room || fmt.Sprint(three["people"]) != "[ann bob]" {
		t.Fatalf("a dm of three: %v", three)
	}
	wantError(t, "a dm of no one", refused(ann, servertest.Frame{"type": "dm", "names": []string{"nobody"}}), "not_found")
	wantError(t, "a dm with oneself", refused(ann, servertest.Frame{"type": "dm", "names": []string{"ann"}}), "bad_field")
	crowd := []string{"bob", "cy"}
	for i := range 8 {
		crowd = append(crowd, fmt.Sprintf("p%d", i))
		dial(t, s, crowd[len(crowd)-1])
	}
	wantError(t, "a dm of too many", refused(ann, servertest.Frame{"type": "dm", "names": crowd}), "limit")
	wantError(t, "an invite to a dm", request(ann, servertest.Frame{"type": "invite", "room": room, "name": "cy", "id": "i"}), "bad_field")
}

// A topic change is an entry of the room's log: members see it live, a rejoin with since
// replays it in order, the rooms list and the directory show it, and text clients in lobby
// read it as a notice.
func TestTopicChangeReplayedBySince(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	ann.Join("eng", nil)
	wantAck(t, "a message", ann.Say("eng", "m-1", "hello"), 1, 0)
	wantAck(t, "the topic", request(ann, servertest.Frame{"type": "topic", "room": "eng", "topic": "builds\nand tests", "id": "t-1"}), 2, 0)
	if f := awaitRoom(ann, "topic_changed", "eng"); f.Str("topic") != "builds and tests" || f.Num("log_seq") != 2 || f.Str("from") != "ann" || f.Str("user") != ann.User {
		t.Fatalf("live: %v", f)
	}
	wantAck(t, "another message", ann.Say("eng", "m-2", "after"), 3, 0)

	bob, _ := dial(t, s, "bob")
	since := uint64(1)
	if f := bob.Join("eng", &since); f.Num("replay") != 2 {
		t.Fatalf("joined: %v", f)
	}
	var order []string
	for range 2 {
		f := bob.AwaitFunc("a replayed entry", func(f servertest.Frame) bool { return f.Type() == "topic_changed" || f.Type() == "message" })
		order = append(order, fmt.Sprintf("%s %d", f.Type(), max(f.Num("log_seq"), f.Num("seq"))))
	}
	if fmt.Sprint(order) != "[topic_changed 2 message 3]" {
		t.Fatalf("the replay: %v", order)
	}
	if rs := roomsOf(t, ask(ann, servertest.Frame{"type": "rooms"}, "rooms")); rs["eng"] == nil || rs["eng"]["topic"] != "builds and tests" {
		t.Fatalf("ann's rooms: %v", rs)
	}
	dir := ask(bob, servertest.Frame{"type": "directory", "query": "TESTS"}, "directory")
	if list, _ := dir["rooms"].([]any); len(list) != 1 || list[0].(map[string]any)["room"] != "eng" {
		t.Fatalf("directory: %v", dir)
	}

	text := servertest.DialText(t, s, "tom")
	ann.Join("lobby", nil)
	servertest.WaitMembers(t, s, "lobby", 2) // tom's name line is read: he is in lobby
	wantAck(t, "lobby's topic", request(ann, servertest.Frame{"type": "topic", "room": "lobby", "topic": "say hi", "id": "t-2"}), 1, 0)
	if got := text.Lines(1); got[0] != "* ann set the topic: say hi" {
		t.Fatalf("text client: %q", got)
	}
	wantError(t, "a topic too long", request(ann, servertest.Frame{"type": "topic", "room": "eng", "topic": string(slices.Repeat([]byte("x"), 513)), "id": "t-3"}), "too_long")
}

// A user's unread and mention counts come right after a restart: the read position and the
// messages are in the SQLite file, and the rooms frame at connect reads them.
func TestUnreadAndMentionsAfterRestart(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	ann.Join("eng", nil)
	bob.Join("eng", nil)
	wantAck(t, "m-1", ann.Say("eng", "m-1", "one"), 1, 0)
	bob.Messages("eng", 1)
	other, _ := dial(t, s, "bob") // bob's other device hears of it
	bob.Send(servertest.Frame{"type": "read", "room": "eng", "seq": 1})
	if f := awaitRoom(other, "read", "eng"); f.Num("seq") != 1 {
		t.Fatalf("read on the other device: %v", f)
	}
	wantAck(t, "m-2", ann.Say("eng", "m-2", "two @bob"), 2, 0)
	wantAck(t, "m-3", ann.Say("eng", "m-3", "three"), 3, 0)
	wantAck(t, "bob's own", bob.Say("eng", "b-1", "mine"), 4, 0)

	s = s.Restart()
	again, rooms := dial(t, s, "bob")
	r := rooms["eng"]
	if r == nil || num(r, "read_seq") != 1 || num(r, "unread") != 2 || num(r, "mentions") != 1 || num(r, "last_seq") != 4 {
		t.Fatalf("bob's eng after the restart: %v, want read 1, unread 2 (his own not counted), 1 mention", r)
	}
	third, _ := dial(t, s, "bob")
	members := ask(again, servertest.Frame{"type": "members", "room": "eng"}, "members")
	states := map[string]string{}
	for _, m := range members["members"].([]any) {
		m := m.(map[string]any)
		states[m["name"].(string)] = fmt.Sprint(m["state"], " ", m["last_seen"] != nil)
	}
	if states["ann"] != "offline true" || states["bob"] != "online false" {
		t.Fatalf("members after the restart: %v, want ann offline with when she was last seen, bob online", members)
	}
	again.Send(servertest.Frame{"type": "read", "room": "eng", "seq": 99}) // past the last: clamped
	if f := awaitRoom(third, "read", "eng"); f.Num("seq") != 4 {
		t.Fatalf("read past the end: %v, want 4", f)
	}
	if r := roomsOf(t, ask(third, servertest.Frame{"type": "rooms"}, "rooms"))["eng"]; num(r, "read_seq") != 4 || num(r, "unread") != 0 {
		t.Fatalf("after reading to the end: %v", r)
	}
}

// A "dm." room that holds entries but no DM's metadata — what the server API's publish made
// before it refused such rooms, and what a data file written then still holds — is no one's
// conversation: a join of it is not_found, as one of a DM never started is. It was taken for a
// public room, and anyone who opened /#dm.… read and wrote it.
func TestStrayDMRoomIsNotJoinable(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	stray := "dm.0123456789abcdef01234567"
	if _, _, _, err := s.Store.Append(context.Background(), &hubbub.Entry{Room: stray, From: "a", Text: "x", Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ann, _ := dial(t, s, "ann")
	wantError(t, "ann's join of a stray dm. room", ann.Join(stray, nil), "not_found")
	anon := servertest.DialJSON(t, s, "")
	anon.Send(servertest.Frame{"type": "hello", "name": "zed"})
	anon.Await("welcome")
	wantError(t, "a keyless join of a stray dm. room", anon.Join(stray, nil), "not_found")
}
