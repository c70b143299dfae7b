package storetest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// setRead calls SetRead and fails t on error.
func setRead(t testing.TB, s hubbub.RoomStore, user, room string, seq uint64) uint64 {
	t.Helper()
	got, err := s.SetRead(t.Context(), user, room, seq)
	if err != nil {
		t.Fatalf("SetRead(%q, %q, %d): %v", user, room, seq, err)
	}
	return got
}

// myRooms calls MyRooms and fails t on error.
func myRooms(t testing.TB, s hubbub.RoomStore, user string) []hubbub.MyRoom {
	t.Helper()
	list, err := s.MyRooms(t.Context(), user)
	if err != nil {
		t.Fatalf("MyRooms(%q): %v", user, err)
	}
	return list
}

// testSetRead: a read position only moves forward, never past the room's last seq, and is
// one user's in one room.
func testSetRead(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	appendN(t, s, "r", 5)
	for _, c := range []struct {
		seq, want uint64
	}{{3, 3}, {2, 3}, {0, 3}, {4, 4}, {100, 5}, {4, 5}} {
		if got := setRead(t, s, ann.ID, "r", c.seq); got != c.want {
			t.Errorf("SetRead(ann, r, %d) = %d, want %d", c.seq, got, c.want)
		}
	}
	if got := setRead(t, s, bob.ID, "r", 2); got != 2 {
		t.Errorf("bob's SetRead(2) = %d, want 2: positions are per user", got)
	}
	if got := setRead(t, s, ann.ID, "empty", 7); got != 0 {
		t.Errorf("SetRead in a room with no entries = %d, want 0", got)
	}
	appendN(t, s, "r", 2)
	if got := setRead(t, s, ann.ID, "r", 100); got != 7 {
		t.Errorf("SetRead(100) after two more messages = %d, want 7", got)
	}
	// The position shows in the user's room list.
	if _, err := s.JoinRoom(t.Context(), "r", bob.ID); err != nil {
		t.Fatal(err)
	}
	if list := myRooms(t, s, bob.ID); len(list) != 1 || list[0].ReadSeq != 2 || list[0].Unread != 5 {
		t.Errorf("bob's MyRooms = %+v, want r read to 2 with 5 unread", list)
	}
}

// myRoomsFixture makes the rooms of testMyRooms and returns ann and what her list should be.
// It is used again after a restart (RunSharedStoreTests).
func myRoomsFixture(t testing.TB, s hubbub.Store) (hubbub.User, []hubbub.MyRoom) {
	t.Helper()
	ctx := t.Context()
	ann, bob, carol := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol")
	say := func(room string, u hubbub.User, text string) hubbub.Entry {
		t.Helper()
		return mustAppend(t, s, as(msg(room, u.Name, text), u.ID))
	}

	// general: public, ann joined; bob talks, mentions ann and everyone; ann's own messages,
	// deleted messages and entries that are not messages do not count.
	if _, err := s.JoinRoom(ctx, "general", ann.ID); err != nil {
		t.Fatal(err)
	}
	say("general", bob, "read already") // 1
	say("general", bob, "unread")       // 2
	say("general", ann, "my own")       // 3
	hi := as(msg("general", "bob", "@ann hi"), bob.ID)
	hi.Mentions = []hubbub.Mention{{User: ann.ID, Name: "ann"}}
	mustAppend(t, s, hi) // 4
	atRoom := as(msg("general", "bob", "@room lunch"), bob.ID)
	atRoom.MentionRoom = true
	mustAppend(t, s, atRoom) // 5
	gone := as(msg("general", "bob", "@ann deleted"), bob.ID)
	gone.Mentions = hi.Mentions
	gone = mustAppend(t, s, gone)                                             // 6
	mustAppend(t, s, as(del("general", "bob", gone.Seq, false), bob.ID))      // 7
	mustAppend(t, s, as(react("general", "bob", 3, "👍"), bob.ID))             // 8
	mustAppend(t, s, as(edit("general", "bob", 2, "unread, edited"), bob.ID)) // 9
	mine := as(msg("general", "ann", "@room from me"), ann.ID)
	mine.MentionRoom = true
	mustAppend(t, s, mine) // 10
	setRead(t, s, ann.ID, "general", 1)

	// eng: private, ann a moderator, all read.
	createRoom(t, s, hubbub.RoomMeta{Name: "eng", Topic: "Engineering", Private: true, CreatedBy: bob.ID},
		member(bob, hubbub.RoomOwner), member(ann, hubbub.RoomModerator))
	say("eng", bob, "hello")
	setRead(t, s, ann.ID, "eng", 100)

	// A DM of ann, bob and carol, shown under the others' current names.
	dm := hubbub.DMRoomName([]string{ann.ID, bob.ID, carol.ID})
	createRoom(t, s, hubbub.RoomMeta{Name: dm, Private: true, DM: true, CreatedBy: carol.ID},
		member(carol, ""), member(ann, ""), member(bob, ""))
	say(dm, carol, "psst")
	rename(t, s, carol.ID, "caroline")

	// secret: ann is invited by carol.
	createRoom(t, s, hubbub.RoomMeta{Name: "secret", Private: true, CreatedBy: carol.ID}, member(carol, hubbub.RoomOwner))
	mustAppend(t, s, memberEntry("secret", carol, ann, hubbub.MemberInvite, ""))

	// Rooms ann left or was never in are not listed.
	if _, err := s.JoinRoom(ctx, "left", ann.ID); err != nil {
		t.Fatal(err)
	}
	say("left", bob, "bye")
	if _, err := s.LeaveRoom(ctx, "left", ann.ID); err != nil {
		t.Fatal(err)
	}
	createRoom(t, s, hubbub.RoomMeta{Name: "elsewhere", CreatedBy: bob.ID}, member(bob, hubbub.RoomOwner))

	metaOf := func(room string) hubbub.RoomMeta {
		t.Helper()
		m, _ := roomMeta(t, s, room)
		return m
	}
	want := []hubbub.MyRoom{
		{RoomMeta: metaOf(dm), Role: hubbub.RoomMember, Unread: 1, People: []string{"bob", "caroline"}},
		{RoomMeta: metaOf("eng"), Role: hubbub.RoomModerator, ReadSeq: 3},
		{RoomMeta: metaOf("general"), Role: hubbub.RoomMember, ReadSeq: 1, Unread: 3, Mentions: 2},
		{RoomMeta: metaOf("secret"), Role: hubbub.RoomMember, Invited: true},
	}
	slices.SortFunc(want, func(a, b hubbub.MyRoom) int { return compareStrings(a.Name, b.Name) })
	return ann, want
}

// checkMyRooms fails t unless got is want: same rooms in the same order, field for field.
func checkMyRooms(t testing.TB, got, want []hubbub.MyRoom) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("MyRooms = %d rooms %+v, want %d: %+v", len(got), got, len(want), want)
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if d := sameMeta(g.RoomMeta, w.RoomMeta); d != "" {
			t.Errorf("MyRooms[%d] (%s) meta: %s", i, w.Name, d)
		}
		if g.Role != w.Role || g.Invited != w.Invited || g.ReadSeq != w.ReadSeq || g.Unread != w.Unread ||
			g.Mentions != w.Mentions || !slices.Equal(g.People, w.People) {
			t.Errorf("MyRooms[%d] = %s: role %s invited %v read %d unread %d mentions %d people %q; want %s: role %s invited %v read %d unread %d mentions %d people %q",
				i, g.Name, g.Role, g.Invited, g.ReadSeq, g.Unread, g.Mentions, g.People,
				w.Name, w.Role, w.Invited, w.ReadSeq, w.Unread, w.Mentions, w.People)
		}
	}
}

// testMyRooms: a user's room list holds every room they are a member of or invited to, in
// name order, with the room's metadata, their role and read position, and counts of the
// messages after it that are neither deleted nor theirs, and of those that mention them or
// @room; a DM lists the other members' current names.
func testMyRooms(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann, want := myRoomsFixture(t, s)
	checkMyRooms(t, myRooms(t, s, ann.ID), want)
	if list := myRooms(t, s, "u_nobody"); len(list) != 0 {
		t.Errorf("MyRooms of a stranger = %+v", list)
	}
	checkMyRoom(t, s, ann.ID, want)
}

// checkMyRoom fails t unless MyRoom finds each row of want (user's list) as it is, and finds
// nothing for a room of the store that is not on it, an unknown room or another user.
func checkMyRoom(t testing.TB, s hubbub.RoomStore, user string, want []hubbub.MyRoom) {
	t.Helper()
	ctx := t.Context()
	for _, w := range want {
		got, found, err := s.MyRoom(ctx, user, w.Name)
		if err != nil || !found {
			t.Errorf("MyRoom(%s) = found %v, %v; want its row", w.Name, found, err)
			continue
		}
		checkMyRooms(t, []hubbub.MyRoom{got}, []hubbub.MyRoom{w})
	}
	for _, c := range [][2]string{{user, "no-such-room"}, {"u_nobody", want[0].Name}, {user, ""}, {"", want[0].Name}} {
		if got, found, err := s.MyRoom(ctx, c[0], c[1]); err != nil || found {
			t.Errorf("MyRoom(%q, %q) = %+v, found %v, %v; want not found", c[0], c[1], got, found, err)
		}
	}
}

// testMyRoomsBanned: a room of the list says whether a ban of the user there is in force now:
// not a mute, not another user's ban, not a ban that ended or was lifted; and while it is, its
// unread and mention counts are 0.
func testMyRoomsBanned(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	for _, room := range []string{"banned", "ended", "lifted", "muted", "others"} {
		if _, err := s.JoinRoom(ctx, room, ann.ID); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for _, sn := range []hubbub.Sanction{
		{Room: "banned", User: ann.ID, Name: "ann", Kind: hubbub.SanctionBan, Until: now.Add(time.Hour)},
		{Room: "ended", User: ann.ID, Name: "ann", Kind: hubbub.SanctionBan, Until: now.Add(time.Hour)},
		{Room: "lifted", User: ann.ID, Name: "ann", Kind: hubbub.SanctionBan, Until: now.Add(time.Hour)},
		{Room: "lifted", User: ann.ID, Name: "ann", Kind: hubbub.SanctionBan}, // a zero Until lifts it
		{Room: "muted", User: ann.ID, Name: "ann", Kind: hubbub.SanctionMute, Until: now.Add(time.Hour)},
		{Room: "others", User: bob.ID, Name: "bob", Kind: hubbub.SanctionBan, Until: now.Add(time.Hour)},
	} {
		impose(t, s, sn)
	}
	// A ban that ended is one whose Until passed: stored so, as a store keeps it until lifted.
	impose(t, s, hubbub.Sanction{Room: "ended", User: ann.ID, Name: "ann", Kind: hubbub.SanctionBan, Until: now.Add(20 * time.Millisecond)})
	time.Sleep(40 * time.Millisecond)
	// bob mentions ann everywhere: a banned member's counts say nothing of it.
	for _, room := range []string{"banned", "ended", "lifted", "muted", "others"} {
		e := as(msg(room, "bob", "@room look"), bob.ID)
		e.MentionRoom = true
		if _, _, err := appendValue(ctx, s, e); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for _, r := range myRooms(t, s, ann.ID) {
		got[r.Name] = r.Banned
		if want := !r.Banned; (r.Unread == 1 && r.Mentions == 1) != want {
			t.Errorf("MyRooms' %s (banned %v): %d unread, %d mentions; want 1 and 1, or 0 and 0 while banned", r.Name, r.Banned, r.Unread, r.Mentions)
		}
	}
	want := map[string]bool{"banned": true, "ended": false, "lifted": false, "muted": false, "others": false}
	if !maps.Equal(got, want) {
		t.Errorf("MyRooms' Banned by room = %v, want %v", got, want)
	}
	for room, banned := range want {
		if r, found, err := s.MyRoom(ctx, ann.ID, room); err != nil || !found || r.Banned != banned || banned != (r.Unread == 0) {
			t.Errorf("MyRoom(%s) = banned %v, %d unread, found %v, %v; want banned %v", room, r.Banned, r.Unread, found, err, banned)
		}
	}
}

// testUnreadCap: the counts stop at MaxUnreadCount.
func testUnreadCap(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	if _, err := s.JoinRoom(t.Context(), "busy", ann.ID); err != nil {
		t.Fatal(err)
	}
	const workers, total = 8, hubbub.MaxUnreadCount + 2
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < total; i += workers {
				e := as(msg("busy", "bob", fmt.Sprint("@room ", i)), bob.ID)
				e.MentionRoom = true
				if _, _, err := appendValue(t.Context(), s, e); err != nil {
					t.Errorf("append %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	list := myRooms(t, s, ann.ID)
	if len(list) != 1 || list[0].Unread != hubbub.MaxUnreadCount || list[0].Mentions != hubbub.MaxUnreadCount || list[0].LastSeq != total {
		t.Errorf("MyRooms with %d unread mentions = %+v, want both counts %d", total, list, hubbub.MaxUnreadCount)
	}
	setRead(t, s, ann.ID, "busy", 3)
	if list := myRooms(t, s, ann.ID); len(list) != 1 || list[0].Unread != total-3 {
		t.Errorf("MyRooms after reading 3 = %+v, want %d unread", list, total-3)
	}
}
