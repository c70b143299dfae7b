package sqlite

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"hubbub"
)

// newUser creates an account named name and fails t if it cannot.
func newUser(t *testing.T, s *Store, name string) hubbub.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), hubbub.User{Name: name, Kind: hubbub.UserAccount}, "")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// by is e appended as user u (its name and id).
func by(e hubbub.Entry, u hubbub.User) hubbub.Entry {
	e.From, e.User = u.Name, u.ID
	return e
}

// memberChange is a KindMember entry by actor about subject.
func memberChange(room string, actor, subject hubbub.User, action string, role hubbub.RoomRole) hubbub.Entry {
	return by(hubbub.Entry{Room: room, Kind: hubbub.KindMember, Subject: subject.ID, SubjectName: subject.Name,
		Action: action, Role: role}, actor)
}

// myRoom returns user's row for room in MyRooms, failing t if there is none.
func myRoom(t *testing.T, s *Store, user, room string) hubbub.MyRoom {
	t.Helper()
	rooms, err := s.MyRooms(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms {
		if r.Name == room {
			return r
		}
	}
	t.Fatalf("MyRooms(%s) = %+v, without %s", user, rooms, room)
	return hubbub.MyRoom{}
}

// TestMemberChanges: each action of a KindMember entry changes the membership and the member
// count in the entry's transaction, and a refused one changes nothing and takes no seq.
func TestMemberChanges(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	ann, bob, carol := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol")
	meta, entries, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: "p", Private: true, CreatedBy: ann.ID},
		[]hubbub.Membership{{User: ann.ID, Role: hubbub.RoomOwner}, {User: ann.ID}})
	if err != nil || meta.Members != 1 || len(entries) != 1 || entries[0].SubjectName != "ann" {
		t.Fatalf("CreateRoom = %+v, %+v, %v; want ann once, her name looked up", meta, entries, err)
	}
	count := func(want int) {
		t.Helper()
		if m, _, _ := s.RoomMeta(ctx, "p"); m.Members != want {
			t.Errorf("Members = %d, want %d", m.Members, want)
		}
	}
	inv := add(t, s, memberChange("p", ann, bob, hubbub.MemberInvite, hubbub.RoomModerator))
	if inv.Seq != 2 || inv.Role != hubbub.RoomModerator {
		t.Errorf("the invite = %+v", inv)
	}
	count(1)
	if r := myRoom(t, s, bob.ID, "p"); !r.Invited || r.Role != hubbub.RoomModerator || !r.Private {
		t.Errorf("bob's row for p = %+v", r)
	}
	refused(t, s, memberChange("p", ann, bob, hubbub.MemberInvite, ""), hubbub.ECodeExists)
	refused(t, s, memberChange("p", ann, ann, hubbub.MemberInvite, ""), hubbub.ECodeExists)
	refused(t, s, memberChange("p", ann, bob, hubbub.MemberRole, hubbub.RoomOwner), hubbub.ECodeNotFound)
	refused(t, s, memberChange("p", ann, carol, hubbub.MemberRemove, ""), hubbub.ECodeNotFound)
	refused(t, s, memberChange("p", ann, carol, hubbub.MemberLeave, ""), hubbub.ECodeNotFound)

	join := add(t, s, memberChange("p", bob, bob, hubbub.MemberJoin, hubbub.RoomOwner))
	if join.Role != hubbub.RoomModerator {
		t.Errorf("accepting an invitation as %q, want the invitation's moderator", join.Role)
	}
	count(2)
	refused(t, s, memberChange("p", bob, bob, hubbub.MemberJoin, ""), hubbub.ECodeExists)
	keyed := memberChange("p", ann, bob, hubbub.MemberRole, hubbub.RoomOwner)
	keyed.ClientID = "r-1"
	role := add(t, s, keyed)
	if again, _, outcome, err := s.Append(ctx, &keyed); err != nil || outcome != hubbub.Duplicate || !reflect.DeepEqual(*again, role) {
		t.Errorf("a resent role change = %+v, %v, %v; want %+v", again, outcome, err, role)
	}
	if m, found, err := s.Membership(ctx, "p", bob.ID); err != nil || !found || m.Role != hubbub.RoomOwner || m.Invited || m.Name != "bob" {
		t.Errorf("bob's membership = %+v, %v, %v", m, found, err)
	}
	add(t, s, memberChange("p", ann, carol, hubbub.MemberInvite, ""))
	members, err := s.Members(ctx, "p", "", 10)
	if err != nil || len(members) != 3 {
		t.Fatalf("Members = %+v, %v", members, err)
	}
	for i := 1; i < len(members); i++ {
		if members[i-1].User >= members[i].User {
			t.Errorf("Members not in user id order: %+v", members)
		}
	}
	if page, _ := s.Members(ctx, "p", members[0].User, 1); len(page) != 1 || page[0] != members[1] {
		t.Errorf("Members after the first = %+v", page)
	}
	add(t, s, memberChange("p", ann, carol, hubbub.MemberRemove, ""))
	add(t, s, memberChange("p", bob, bob, hubbub.MemberLeave, ""))
	count(1)
	if rooms, _ := s.MyRooms(ctx, bob.ID); len(rooms) != 0 {
		t.Errorf("bob's rooms after leaving = %+v", rooms)
	}
	// Since replays every change, with its subject.
	log, err := s.Since(ctx, "p", 0, 100)
	if err != nil || len(log) != 7 || log[6].Action != hubbub.MemberLeave || log[6].Subject != bob.ID || log[6].SubjectName != "bob" {
		t.Errorf("the log = %+v, %v", log, err)
	}
	if _, err := s.JoinRoom(ctx, "p", carol.ID); hubbub.ErrorCode(err) != hubbub.ECodeForbidden {
		t.Errorf("JoinRoom of a private room = %v", err)
	}
}

// TestMyRoomsCounts: unread counts others' messages after the read position that are not
// deleted; mentions those that mention the user or @room, following edits and deletes; both
// survive a restart, and a DM shows its other people.
func TestMyRoomsCounts(t *testing.T) {
	ctx := t.Context()
	s, path := openTest(t, Options{})
	ann, bob, carol := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol")
	if _, err := s.JoinRoom(ctx, "r", ann.ID); err != nil {
		t.Fatal(err)
	}
	at := func(u hubbub.User) []hubbub.Mention { return []hubbub.Mention{{User: u.ID, Name: u.Name}} }
	m1 := add(t, s, by(hubbub.Entry{Room: "r", Text: "hi"}, bob))
	m2 := add(t, s, by(hubbub.Entry{Room: "r", Text: "@ann", Mentions: at(ann)}, bob))
	add(t, s, by(hubbub.Entry{Room: "r", Text: "@room", MentionRoom: true, Mentions: at(ann)}, bob))
	add(t, s, by(hubbub.Entry{Room: "r", Text: "mine @room", MentionRoom: true}, ann))
	m5 := add(t, s, by(hubbub.Entry{Room: "r", Text: "@carol", Mentions: at(carol)}, bob))
	check := func(what string, unread, mentions int) {
		t.Helper()
		r := myRoom(t, s, ann.ID, "r")
		if r.Unread != unread || r.Mentions != mentions || r.LastSeq == 0 || r.Role != hubbub.RoomMember {
			t.Errorf("%s: ann's row = %+v; want %d unread, %d mentions", what, r, unread, mentions)
		}
	}
	check("at first", 4, 2)
	add(t, s, by(hubbub.Entry{Room: "r", Kind: hubbub.KindEdit, Target: m5.Seq, Text: "@ann now", Mentions: at(ann)}, bob))
	check("after an edit mentions ann", 4, 3)
	add(t, s, by(edit("r", "", m2.Seq, "no one"), bob))
	check("after an edit mentions no one", 4, 2)
	add(t, s, by(del("r", "", m5.Seq, false), bob))
	check("after a delete", 3, 1)
	if got, err := s.SetRead(ctx, ann.ID, "r", m1.Seq); err != nil || got != m1.Seq {
		t.Fatalf("SetRead = %d, %v", got, err)
	}
	check("after reading the first", 2, 1)

	dm := hubbub.DMRoomName([]string{ann.ID, bob.ID, carol.ID})
	if _, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: dm, Private: true, DM: true, CreatedBy: carol.ID},
		[]hubbub.Membership{{User: carol.ID}, {User: ann.ID}, {User: bob.ID}}); err != nil {
		t.Fatal(err)
	}
	add(t, s, by(hubbub.Entry{Room: dm, Text: "hello both"}, carol))
	if r := myRoom(t, s, ann.ID, dm); !r.DM || !reflect.DeepEqual(r.People, []string{"bob", "carol"}) || r.Unread != 1 || r.Members != 3 {
		t.Errorf("ann's DM row = %+v", r)
	}
	if r := myRoom(t, s, carol.ID, dm); !reflect.DeepEqual(r.People, []string{"ann", "bob"}) || r.Unread != 0 {
		t.Errorf("carol's DM row = %+v", r)
	}

	before, err := s.MyRooms(ctx, ann.ID)
	if err != nil || len(before) != 2 {
		t.Fatalf("MyRooms = %+v, %v", before, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, Options{})
	after, err := s.MyRooms(ctx, ann.ID)
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("MyRooms after a restart = %+v, %v; want %+v", after, err, before)
	}
}

// TestUnreadCap: a room with more unread messages than MaxUnreadCount counts to the cap.
func TestUnreadCap(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	if _, err := s.JoinRoom(ctx, "busy", ann.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Go(func() {
			for i := range (hubbub.MaxUnreadCount + 11) / 10 {
				e := by(hubbub.Entry{Room: "busy", Text: fmt.Sprint(g, i), MentionRoom: true}, bob)
				if _, _, _, err := s.Append(ctx, &e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if r := myRoom(t, s, ann.ID, "busy"); r.Unread != hubbub.MaxUnreadCount || r.Mentions != hubbub.MaxUnreadCount {
		t.Errorf("ann's row = %+v; want both counts capped at %d", r, hubbub.MaxUnreadCount)
	}
	if _, err := s.SetRead(ctx, ann.ID, "busy", 1000); err != nil {
		t.Fatal(err)
	}
	if r := myRoom(t, s, ann.ID, "busy"); r.Unread != 10 || r.Mentions != 10 {
		t.Errorf("after reading to 1000 of 1010: %+v", r)
	}
}

// TestSetRead: the position only moves forward and never past the room's last seq.
func TestSetRead(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{})
	for range 5 {
		add(t, s, text("r", "bob", "x"))
	}
	for _, c := range []struct{ set, want uint64 }{{3, 3}, {2, 3}, {99, 5}, {1 << 63, 5}, {0, 5}} {
		if got, err := s.SetRead(ctx, "u_ann", "r", c.set); err != nil || got != c.want {
			t.Errorf("SetRead(%d) = %d, %v; want %d", c.set, got, err, c.want)
		}
	}
	if got, err := s.SetRead(ctx, "u_ann", "nowhere", 7); err != nil || got != 0 {
		t.Errorf("SetRead of a room with nothing = %d, %v", got, err)
	}
}

// TestRetentionTakesMentions: messages retention removes no longer count as mentions.
func TestRetentionTakesMentions(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{Retention: hubbub.Retention{MaxPerRoom: 2}})
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	if _, err := s.JoinRoom(ctx, "r", ann.ID); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		add(t, s, by(hubbub.Entry{Room: "r", Text: "@ann", Mentions: []hubbub.Mention{{User: ann.ID, Name: "ann"}}}, bob))
	}
	add(t, s, by(hubbub.Entry{Room: "r", Text: "plain"}, bob))
	if n, err := s.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if r := myRoom(t, s, ann.ID, "r"); r.Unread != 2 || r.Mentions != 1 {
		t.Errorf("after retention: %+v; want 2 unread, 1 mention", r)
	}
	// a read position on a message retention removed, then on a reaction's seq
	if _, err := s.SetRead(ctx, ann.ID, "r", 1); err != nil {
		t.Fatal(err)
	}
	if r := myRoom(t, s, ann.ID, "r"); r.Unread != 2 || r.Mentions != 1 {
		t.Errorf("read at a removed message: %+v; want 2 unread, 1 mention", r)
	}
	add(t, s, by(react("r", "", 3, "👍"), ann))
	add(t, s, by(hubbub.Entry{Room: "r", Text: "last"}, bob))
	if _, err := s.SetRead(ctx, ann.ID, "r", 5); err != nil {
		t.Fatal(err)
	}
	if r := myRoom(t, s, ann.ID, "r"); r.Unread != 1 || r.Mentions != 0 {
		t.Errorf("read at a reaction: %+v; want 1 unread (the last), 0 mentions", r)
	}
}
