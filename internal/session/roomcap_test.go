package session_test

import (
	"net/http"
	"strings"
	"testing"

	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// A server keeps at most --max-stored-rooms rooms: once the store holds them, a room that does
// not exist yet is refused with limit however it would be made — a guest's join of a new name,
// a creation, a DM, an anonymous sender's join (its first message would store the room), the
// API's creation and its publish to a new name — and nothing past the cap is stored. Rooms
// that exist stay open to everyone.
func TestStoredRoomsAreCapped(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: botAdminKey},
		Hub: hub.Config{MaxStoredRooms: 3}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Await("rooms")
	servertest.DialJSON(t, s, "bob")
	anon := servertest.DialJSON(t, s, "")
	anon.Send(servertest.Frame{"type": "hello", "name": "zed"})
	anon.Await("welcome")

	// Three rooms, made three ways.
	if f := ann.Join("r1", nil); f.Type() != "joined" {
		t.Fatalf("join r1 below the cap: %v", f)
	}
	if f := answer(ann, servertest.Frame{"type": "create", "room": "r2"}, "room"); f.Type() != "room" {
		t.Fatalf("create r2 below the cap: %v", f)
	}
	if f := anon.Join("r3", nil); f.Type() != "joined" {
		t.Fatalf("an anonymous join of r3 below the cap: %v", f)
	}
	if f := anon.Say("r3", "c1", "the first message stores r3"); f.Type() != "ack" {
		t.Fatalf("the first message of r3: %v", f)
	}

	limit := func(what string, f servertest.Frame) {
		t.Helper()
		wantError(t, what, f, "limit")
		if !strings.Contains(f.Str("message"), "3 rooms") {
			t.Errorf("%s: the message does not say the cap: %q", what, f.Str("message"))
		}
	}
	limit("a join of a new room at the cap", ann.Join("r4", nil))
	limit("a creation at the cap", answer(ann, servertest.Frame{"type": "create", "room": "r5"}, "room"))
	dm := answer(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room")
	limit("a new DM at the cap", dm)
	if msg := dm.Str("message"); strings.Contains(msg, "dm.") || !strings.Contains(msg, "direct message") {
		t.Errorf("the DM's refusal names its hash, not a direct message: %q", msg)
	}
	limit("an anonymous join of a new room at the cap", anon.Join("r6", nil))
	status, body := s.API("POST", "/api/rooms", botAdminKey, map[string]any{"room": "r7"})
	if status != http.StatusConflict || body.Str("code") != "limit" {
		t.Errorf("POST /api/rooms at the cap: %d %v, want 409 limit", status, body)
	}
	status, body = s.API("POST", "/api/rooms/r8/messages", botAdminKey, map[string]any{"from": "System", "text": "a first message"})
	if status != http.StatusConflict || body.Str("code") != "limit" {
		t.Errorf("POST /api/rooms/r8/messages, a new room, at the cap: %d %v, want 409 limit", status, body)
	}

	// The rooms that exist stay open: a stored user's first join, an anonymous sender's.
	bob := servertest.DialJSON(t, s, "bob")
	if f := bob.Join("r1", nil); f.Type() != "joined" {
		t.Fatalf("bob's join of r1 at the cap: %v", f)
	}
	if f := anon.Join("r2", nil); f.Type() != "joined" {
		t.Fatalf("an anonymous join of r2 at the cap: %v", f)
	}
	if f := anon.Say("r2", "c2", "still talking"); f.Type() != "ack" {
		t.Fatalf("a message to r2 at the cap: %v", f)
	}
	ann.Send(servertest.Frame{"type": "leave", "room": "r1"})
	ann.Await("left")
	bob.Send(servertest.Frame{"type": "leave", "room": "r1"})
	bob.Await("left")
	// r1 is open on no connection now: the API's publish reaches it through the store.
	if status, body := s.API("POST", "/api/rooms/r1/messages", botAdminKey, map[string]any{"from": "System", "text": "still here"}); status != http.StatusCreated {
		t.Errorf("POST /api/rooms/r1/messages, a room that exists, at the cap: %d %v", status, body)
	}
	n, err := s.Store.CountRooms(t.Context(), 100)
	if err != nil || n != 3 {
		t.Fatalf("the store holds %d rooms (err %v), want the 3 below the cap", n, err)
	}
	for _, room := range []string{"r4", "r5", "r6", "r7", "r8"} {
		if _, found, err := s.Store.RoomMeta(t.Context(), room); err != nil || found {
			t.Errorf("room %s refused at the cap is stored (err %v)", room, err)
		}
	}
}

// After a restore a room's first entry is numbered above the seq floor, and the floor may
// have been raised after this node started: by a restore another node's operator ran on the
// shared store. The store says which entry began a room's log, so the node still counts the
// room an anonymous sender's first message made toward the cap at once, as it counts a
// room's seq 1. The hub took seq 1, or the floor + 1 of a floor read at start, for a room's
// first entry: here it took neither (the floor came after), and let a join of a third name
// past a cap of 2 until its next count, a second on.
func TestRoomMadeAboveAFloorRaisedWhileServingIsCounted(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{MaxStoredRooms: 2}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Await("rooms")
	if r, err := s.Store.SkipSeqs(t.Context(), 10); err != nil || r.Floor != 10 {
		t.Fatalf("SkipSeqs(10) of the running node's store: %+v, %v; want floor 10", r, err)
	}
	servertest.CheckTwoRoomsCappedAboveFloor10(t, s, ann)
}

// A read position is stored only for a room that exists: one for a made-up name (a client
// marking read rooms it never joined) is not_found, as a notify level's is, so neither grows
// the store past what the room cap bounds. A room that exists may be marked read without a
// join on this connection (the user's other device joined it).
func TestReadOfNoRoomIsNotFound(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	if f := ann.Join("eng", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	if f := ann.Say("eng", "m1", "hello"); f.Type() != "ack" {
		t.Fatal(f)
	}
	other := servertest.DialJSON(t, s, "ann") // her other device, in no room
	wantError(t, "a read of a made-up room", answer(other, servertest.Frame{"type": "read", "room": "made-up", "seq": 1}, "read"), "not_found")
	other.Send(servertest.Frame{"type": "read", "room": "eng", "seq": 1})
	if f := awaitRoom(ann, "read", "eng"); f.Num("seq") != 1 {
		t.Fatalf("a read of eng on her other device, heard where she joined it: %v", f)
	}
}

// A direct message has no topic: a member's topic there was refused with "only the owner and
// moderators of room "dm.4f…" may set its topic" — a hash nobody typed, and an owner a DM
// does not have.
func TestDMHasNoTopic(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "bob")
	ann := servertest.DialJSON(t, s, "ann")
	ann.Await("rooms")
	dm := answer(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room")
	if dm.Type() != "room" {
		t.Fatal(dm)
	}
	room := dm.Str("room")
	if f := ann.Join(room, nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	f := answer(ann, servertest.Frame{"type": "topic", "room": room, "topic": "plans", "id": "t1"}, "ack")
	wantError(t, "a topic in a DM", f, "forbidden")
	if msg := f.Str("message"); msg != "a direct message has no topic" {
		t.Errorf("the refusal: %q", msg)
	}
}
