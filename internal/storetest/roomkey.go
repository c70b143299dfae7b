package storetest

import (
	"fmt"
	"sync"
	"testing"

	"hubbub"
)

// A room name's key holds one room (hubbub.RoomStore): whatever makes a room refuses another
// spelling of a room that exists, naming it, so that two first uses of one new name in two
// spellings leave one room, one after the other or at the same instant.

// wantRoomCase fails t unless err is the room_case refusal naming stored.
func wantRoomCase(t testing.TB, what string, err error, stored string) {
	t.Helper()
	if code := hubbub.ErrorCode(err); err == nil || code != hubbub.ECodeRoomCase || hubbub.ErrorStoredRoom(err) != stored {
		t.Errorf("%s: %v (code %q, stored room %q); want %s naming %q", what, err, code, hubbub.ErrorStoredRoom(err), hubbub.ECodeRoomCase, stored)
	}
}

// wantNoRoom fails t if anything of room is stored: metadata, an entry, ann's membership.
func wantNoRoom(t testing.TB, s hubbub.Store, room string, ann hubbub.User) {
	t.Helper()
	if meta, found := roomMeta(t, s, room); found {
		t.Errorf("RoomMeta(%q) = %+v: a room was made", room, meta)
	}
	if log := since(t, s, room, 0, 10); len(log) != 0 {
		t.Errorf("Since(%q) = %+v: entries were stored", room, log)
	}
	if m, found, err := s.Membership(t.Context(), room, ann.ID); err != nil || found {
		t.Errorf("Membership(%q, ann) = %+v, %v, %v: want none", room, m, found, err)
	}
}

// testOneRoomPerKey: once a room holds a key, the first entry (a message, a topic, a member
// change), CreateRoom and JoinRoom of another spelling are refused room_case naming it and
// store nothing; the room itself, whichever way it was made, takes them as before, and a name
// of another key is still made as given.
func testOneRoomPerKey(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann := newUser(t, s, "ann")
	bob := newUser(t, s, "bob")
	first := mustAppend(t, s, msg("Ops", "ann", "first"))

	e := msg("ops", "ann", "second")
	_, _, _, err := s.Append(ctx, &e)
	wantRoomCase(t, "Append of a message to ops beside Ops", err, "Ops")
	e = topicEntry("OPS", ann, "a topic")
	_, _, _, err = s.Append(ctx, &e)
	wantRoomCase(t, "Append of a topic to OPS", err, "Ops")
	e = memberEntry("oPs", ann, bob, hubbub.MemberInvite, hubbub.RoomMember)
	_, _, _, err = s.Append(ctx, &e)
	wantRoomCase(t, "Append of an invitation to oPs", err, "Ops")
	_, _, err = s.CreateRoom(ctx, hubbub.RoomMeta{Name: "OpS", Topic: "t", CreatedBy: ann.ID}, []hubbub.Membership{member(ann, hubbub.RoomOwner)})
	wantRoomCase(t, "CreateRoom(OpS)", err, "Ops")
	_, err = s.JoinRoom(ctx, "opS", ann.ID)
	wantRoomCase(t, "JoinRoom(opS)", err, "Ops")
	for _, name := range []string{"ops", "OPS", "oPs", "OpS", "opS"} {
		wantNoRoom(t, s, name, ann)
		wantResolved(t, s, name, "Ops")
	}
	if n, err := s.CountRooms(ctx, 100); err != nil || n != 1 {
		t.Errorf("CountRooms = %d, %v; want 1 (Ops)", n, err)
	}

	// Ops itself goes on: its next seq, a join, a topic.
	if e := mustAppend(t, s, msg("Ops", "bob", "next")); e.Seq != first.Seq+1 {
		t.Errorf("Ops's next message took seq %d, want %d", e.Seq, first.Seq+1)
	}
	if _, err := s.JoinRoom(ctx, "Ops", ann.ID); err != nil {
		t.Errorf("JoinRoom(Ops): %v", err)
	}
	mustAppend(t, s, topicEntry("Ops", ann, "ops things"))
	if meta, _ := roomMeta(t, s, "Ops"); meta.Topic != "ops things" || meta.Members != 1 || meta.LastSeq != 3 {
		t.Errorf("RoomMeta(Ops) = %+v; want the topic, ann, seq 3", meta)
	}

	// A room made by its metadata, or by a join, holds its key as one made by an entry.
	createRoom(t, s, hubbub.RoomMeta{Name: "Plans", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	e = msg("plans", "ann", "hello")
	_, _, _, err = s.Append(ctx, &e)
	wantRoomCase(t, "Append to plans beside Plans (CreateRoom's)", err, "Plans")
	if _, err := s.JoinRoom(ctx, "lobby-2", bob.ID); err != nil {
		t.Fatalf("JoinRoom(lobby-2): %v", err)
	}
	_, _, err = s.CreateRoom(ctx, hubbub.RoomMeta{Name: "Lobby-2"}, nil)
	wantRoomCase(t, "CreateRoom(Lobby-2) beside lobby-2 (JoinRoom's)", err, "lobby-2")
	_, err = s.JoinRoom(ctx, "LOBBY-2", ann.ID)
	wantRoomCase(t, "JoinRoom(LOBBY-2) beside lobby-2", err, "lobby-2")
	wantNoRoom(t, s, "plans", ann)
	wantNoRoom(t, s, "Lobby-2", ann)

	// A refusal takes nothing: a name of another key is made as given, by each call.
	mustAppend(t, s, msg("Opsy", "ann", "a new room"))
	createRoom(t, s, hubbub.RoomMeta{Name: "PLANS-2", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	if _, err := s.JoinRoom(ctx, "Lobby-3", ann.ID); err != nil {
		t.Errorf("JoinRoom(Lobby-3): %v", err)
	}
	for _, name := range []string{"Opsy", "PLANS-2", "Lobby-3"} {
		wantResolved(t, s, hubbub.RoomKey(name), name)
	}
}

// testOneRoomPerKeyConcurrent: first uses of one new name in many spellings at once leave one
// room (oneRoomPerKeyConcurrently).
func testOneRoomPerKeyConcurrent(t *testing.T, open opener) {
	oneRoomPerKeyConcurrently(t, []hubbub.Store{open(t, hubbub.Retention{})})
}

// testOneRoomPerKeyTwoNodes: the same, on two nodes of one set of data.
func testOneRoomPerKeyTwoNodes(t *testing.T, open SharedOpener) {
	oneRoomPerKeyConcurrently(t, twoNodes(t, open))
}

// oneRoomPerKeyConcurrently races first uses of one new name in twelve spellings, spread over
// stores and over the three calls that make a room (Append of a message, CreateRoom,
// JoinRoom), and checks that they leave exactly one room, made by the call of its spelling,
// and that every other call was refused room_case naming it and stored nothing.
func oneRoomPerKeyConcurrently(t *testing.T, stores []hubbub.Store) {
	t.Helper()
	ctx := t.Context()
	ann := newUser(t, stores[0], "ann")
	spellings := []string{"deploy", "Deploy", "DEPLOY", "dEPLOY", "DePlOy", "dEpLoY",
		"DEploy", "deplOY", "dePLoy", "DEPloy", "depLOY", "deploY"}
	var (
		wg    sync.WaitGroup
		errs  = make([]error, len(spellings))
		start = make(chan struct{})
	)
	for i, name := range spellings {
		wg.Go(func() {
			<-start
			s := stores[i%len(stores)]
			switch i % 3 {
			case 0:
				e := msg(name, "ann", fmt.Sprintf("first use as %s", name))
				_, _, _, errs[i] = s.Append(ctx, &e)
			case 1:
				_, _, errs[i] = s.CreateRoom(ctx, hubbub.RoomMeta{Name: name, CreatedBy: ann.ID}, []hubbub.Membership{member(ann, hubbub.RoomOwner)})
			default:
				_, errs[i] = s.JoinRoom(ctx, name, ann.ID)
			}
		})
	}
	close(start)
	wg.Wait()

	made := ""
	for _, name := range spellings {
		if _, found := roomMeta(t, stores[0], name); found {
			if made != "" {
				t.Errorf("both %s and %s were made: two rooms of one key", made, name)
			}
			made = name
		}
	}
	if made == "" {
		t.Fatalf("no spelling made a room: %v", errs)
	}
	for i, name := range spellings {
		if name == made {
			if errs[i] != nil {
				t.Errorf("the call that made %s failed: %v", name, errs[i])
			}
			continue
		}
		wantRoomCase(t, fmt.Sprintf("racer %d (%s)", i, name), errs[i], made)
		wantNoRoom(t, stores[0], name, ann)
	}
	for i, s := range stores {
		if n, err := s.CountRooms(ctx, 100); err != nil || n != 1 {
			t.Errorf("node %d: CountRooms = %d, %v; want 1", i, n, err)
		}
		wantResolved(t, s, "DEPLOY", made)
	}
}
