package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// A room keeps an owner (hubbub.RoomStore): the only owner's demotion is refused, and their
// leave or removal hands the room to the longest-standing moderator, else member, with an Auto
// role entry right after it.

// owners returns the user ids of room's owners (members, not invitees).
func owners(t testing.TB, s hubbub.RoomStore, room string) []string {
	t.Helper()
	var out []string
	for _, m := range allMembers(t, s, room, 100) {
		if m.Role == hubbub.RoomOwner && !m.Invited {
			out = append(out, m.User)
		}
	}
	return out
}

// checkHandover fails t unless e is the handover after left that makes heir the owner.
func checkHandover(t testing.TB, e hubbub.Entry, left hubbub.Entry, from, heir hubbub.User) {
	t.Helper()
	if e.Seq != left.Seq+1 || e.Kind != hubbub.KindMember || e.Action != hubbub.MemberRole || e.Role != hubbub.RoomOwner ||
		!e.Auto || e.User != from.ID || e.From != from.Name || e.Subject != heir.ID || e.SubjectName != heir.Name ||
		e.ClientID != "" || e.ID == "" || e.Time.Before(left.Time) {
		t.Errorf("the entry after %s's %s (seq %d) = %+v, want the Auto handover to %s at seq %d",
			from.Name, left.Action, left.Seq, e, heir.Name, left.Seq+1)
	}
}

// handoverAfter reads the entry after left and checks it is the handover to heir.
func handoverAfter(t testing.TB, s hubbub.Store, left hubbub.Entry, from, heir hubbub.User) hubbub.Entry {
	t.Helper()
	next := since(t, s, left.Room, left.Seq, 10)
	if len(next) != 1 {
		t.Fatalf("Since(%s, %d) after %s left = seqs %v, want the handover alone", left.Room, left.Seq, from.Name, seqsOf(next))
	}
	checkHandover(t, next[0], left, from, heir)
	if m, found := membership(t, s, left.Room, heir.ID); !found || m.Role != hubbub.RoomOwner {
		t.Errorf("Membership(%s, %s) after the handover = %+v, %v; want owner", left.Room, heir.Name, m, found)
	}
	return next[0]
}

// appendHandover appends e, a member change, and fails t unless it was stored as a new
// entry; it returns the entry and the handover Append returned beside it (nil for none).
func appendHandover(t testing.TB, s hubbub.Store, e hubbub.Entry) (hubbub.Entry, *hubbub.Entry) {
	t.Helper()
	got, h, outcome, err := appendAll(t.Context(), s, e)
	if err != nil || outcome == hubbub.Duplicate {
		t.Fatalf("Append(%+v) = %+v, %v, %v; want it stored", e, got, outcome, err)
	}
	return got, h
}

// checkReturned fails t unless returned, the handover Append returned for what, is read,
// the handover as Since reads it (nil: none).
func checkReturned(t testing.TB, what string, returned, read *hubbub.Entry) {
	t.Helper()
	switch {
	case read == nil && returned != nil:
		t.Errorf("Append of %s returned the handover %+v, want none", what, *returned)
	case read != nil && returned == nil:
		t.Errorf("Append of %s returned no handover, want %+v (the next entry of the log)", what, *read)
	case read != nil:
		if d := sameEntry(*returned, *read); d != "" {
			t.Errorf("Append of %s returned another handover than Since reads: %s", what, d)
		}
	}
}

// testOwnerKept: in a private room, the only owner may not demote themselves (nor be demoted
// by anyone), may once another is owner; their leave hands the room to the longest-standing
// moderator, their removal to the longest-standing member; invitees never inherit; ties go
// to the lower user id; an owner alone leaves with no handover; a resent leave adds none.
func testOwnerKept(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann, bob, carol, dave, erin, zed := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol"),
		newUser(t, s, "dave"), newUser(t, s, "erin"), newUser(t, s, "zed")
	createRoom(t, s, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))

	// Alone, or not, the only owner stays one.
	refused(t, s, memberEntry("r", ann, ann, hubbub.MemberRole, hubbub.RoomMember), hubbub.ECodeForbidden)
	join := func(u hubbub.User) {
		t.Helper()
		time.Sleep(2 * time.Millisecond) // each joins later than the one before
		mustAppend(t, s, memberEntry("r", ann, u, hubbub.MemberJoin, ""))
	}
	join(bob)
	join(carol)
	join(erin)
	mustAppend(t, s, memberEntry("r", ann, erin, hubbub.MemberRole, hubbub.RoomModerator))
	mustAppend(t, s, memberEntry("r", ann, dave, hubbub.MemberInvite, hubbub.RoomModerator))
	refused(t, s, memberEntry("r", ann, ann, hubbub.MemberRole, hubbub.RoomModerator), hubbub.ECodeForbidden)
	_, _, err := appendValue(t.Context(), s, memberEntry("r", zed, ann, hubbub.MemberRole, hubbub.RoomMember))
	wantCode(t, "an admin's demotion of the only owner", err, hubbub.ECodeForbidden)
	if err != nil && !strings.Contains(err.Error(), "only owner") {
		t.Errorf("the refusal says %q, want it to say ann is the only owner", err)
	}
	if got := owners(t, s, "r"); len(got) != 1 || got[0] != ann.ID {
		t.Fatalf("owners after the refusals = %v, want ann", got)
	}

	// With a second owner, the first may step down; a demotion that keeps one is no handover.
	mustAppend(t, s, memberEntry("r", ann, bob, hubbub.MemberRole, hubbub.RoomOwner))
	down, returned := appendHandover(t, s, memberEntry("r", ann, ann, hubbub.MemberRole, hubbub.RoomMember))
	if got := lastSeq(t, s, "r"); got != down.Seq {
		t.Errorf("LastSeq after ann stepped down = %d, want %d (no handover)", got, down.Seq)
	}
	checkReturned(t, "a step down that keeps an owner", returned, nil)

	// bob, the only owner now, leaves: erin, a moderator, inherits, though carol and ann joined
	// before her (and dave, invited as a moderator, is no member).
	before, _ := roomMeta(t, s, "r")
	left, returned := appendHandover(t, s, keyed(memberEntry("r", bob, bob, hubbub.MemberLeave, ""), "leave-1"))
	if left.Action != hubbub.MemberLeave || left.Subject != bob.ID || left.Auto {
		t.Errorf("Append of bob's leave returned %+v, want the leave", left)
	}
	h := handoverAfter(t, s, left, bob, erin)
	checkReturned(t, "the only owner's leave", returned, &h)
	if got := owners(t, s, "r"); len(got) != 1 || got[0] != erin.ID {
		t.Errorf("owners after bob left = %v, want erin", got)
	}
	if meta, _ := roomMeta(t, s, "r"); meta.Members != before.Members-1 || meta.LastSeq != h.Seq {
		t.Errorf("RoomMeta after the handover = %+v, want %d members, last seq %d", meta, before.Members-1, h.Seq)
	}
	// A resent leave is its first outcome, and hands nothing over again; Append returns the
	// handover that followed it, which its caller announces again with the leave.
	duplicate(t, s, keyed(memberEntry("r", bob, bob, hubbub.MemberLeave, ""), "leave-1"), left)
	if got := lastSeq(t, s, "r"); got != h.Seq {
		t.Errorf("LastSeq after the resent leave = %d, want %d", got, h.Seq)
	}
	if _, again, outcome, err := appendAll(t.Context(), s, keyed(memberEntry("r", bob, bob, hubbub.MemberLeave, ""), "leave-1")); err != nil || outcome != hubbub.Duplicate {
		t.Errorf("the leave resent again: %v, %v", outcome, err)
	} else {
		checkReturned(t, "the resent leave", again, &h)
	}

	// erin is removed: no moderator is left, so ann, the member who joined first, inherits.
	removed, returned := appendHandover(t, s, memberEntry("r", zed, erin, hubbub.MemberRemove, ""))
	h = handoverAfter(t, s, removed, erin, ann)
	checkReturned(t, "the only owner's removal", returned, &h)

	// A caller's Auto is not stored.
	auto := memberEntry("r", ann, carol, hubbub.MemberRole, hubbub.RoomModerator)
	auto.Auto = true
	if got := mustAppend(t, s, auto); got.Auto {
		t.Errorf("a caller's role entry with Auto was stored with it: %+v", got)
	}
	if got := since(t, s, "r", lastSeq(t, s, "r")-1, 10); len(got) != 1 || got[0].Auto {
		t.Errorf("Since reads the caller's role entry as %+v, want Auto false", got)
	}

	// ann leaves; carol (a moderator now) inherits; carol leaves with only an invitee left:
	// nothing to hand over.
	left = mustAppend(t, s, memberEntry("r", ann, ann, hubbub.MemberLeave, ""))
	handoverAfter(t, s, left, ann, carol)
	left, returned = appendHandover(t, s, memberEntry("r", carol, carol, hubbub.MemberLeave, ""))
	if got := lastSeq(t, s, "r"); got != left.Seq {
		t.Errorf("LastSeq after the owner left a room of invitees = %d, want %d (no handover)", got, left.Seq)
	}
	checkReturned(t, "the owner's leave of a room of invitees", returned, nil)
	if got := owners(t, s, "r"); len(got) != 0 {
		t.Errorf("owners of the room of one invitee = %v, want none", got)
	}

	// Members who joined at once (a room's creation): the lower user id inherits.
	first, second := bob, carol
	if second.ID < first.ID {
		first, second = second, first
	}
	createRoom(t, s, hubbub.RoomMeta{Name: "tie", Private: true, CreatedBy: ann.ID},
		member(ann, hubbub.RoomOwner), member(second, hubbub.RoomMember), member(first, hubbub.RoomMember))
	left = mustAppend(t, s, memberEntry("tie", ann, ann, hubbub.MemberLeave, ""))
	handoverAfter(t, s, left, ann, first)

	// A DM has no owner: a member's leave hands nothing over.
	dm := hubbub.DMRoomName([]string{ann.ID, bob.ID})
	createRoom(t, s, hubbub.RoomMeta{Name: dm, Private: true, DM: true, CreatedBy: ann.ID},
		member(ann, hubbub.RoomMember), member(bob, hubbub.RoomMember))
	left, returned = appendHandover(t, s, memberEntry(dm, ann, ann, hubbub.MemberLeave, ""))
	if got := lastSeq(t, s, dm); got != left.Seq {
		t.Errorf("LastSeq of the DM after ann left = %d, want %d", got, left.Seq)
	}
	checkReturned(t, "a DM member's leave", returned, nil)
}

// testOwnerLeavesPublic: LeaveRoom of a public room's only owner appends the handover (the
// longest-standing moderator, else member, as JoinRoom made them) and returns it; of anyone
// else, or of an owner who leaves no member, nothing.
func testOwnerLeavesPublic(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob, carol, dave := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol"), newUser(t, s, "dave")
	_, created := createRoom(t, s, hubbub.RoomMeta{Name: "pub", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	for _, u := range []hubbub.User{bob, carol, dave} {
		time.Sleep(2 * time.Millisecond)
		if _, err := s.JoinRoom(ctx, "pub", u.ID); err != nil {
			t.Fatal(err)
		}
	}
	leave := func(u hubbub.User) *hubbub.Entry {
		t.Helper()
		h, err := s.LeaveRoom(ctx, "pub", u.ID)
		if err != nil {
			t.Fatalf("LeaveRoom(pub, %s): %v", u.Name, err)
		}
		return h
	}
	if h := leave(dave); h != nil {
		t.Errorf("LeaveRoom of a member returned %+v, want no handover", h)
	}
	h := leave(ann)
	if h == nil {
		t.Fatal("LeaveRoom of the only owner returned no handover")
	}
	last := created[len(created)-1]
	checkHandover(t, *h, hubbub.Entry{Room: "pub", Seq: last.Seq, Action: "LeaveRoom", Time: last.Time}, ann, bob)
	checkStored(t, "Since after the owner left", since(t, s, "pub", last.Seq, 10), []hubbub.Entry{*h})
	if got := owners(t, s, "pub"); len(got) != 1 || got[0] != bob.ID {
		t.Errorf("owners after ann left = %v, want bob", got)
	}
	if again := leave(ann); again != nil {
		t.Errorf("LeaveRoom again returned %+v, want nothing", again)
	}
	if meta, _ := roomMeta(t, s, "pub"); meta.Members != 2 || meta.LastSeq != h.Seq {
		t.Errorf("RoomMeta after the handover = %+v, want 2 members, last seq %d", meta, h.Seq)
	}
	// bob makes dave, who comes back, a moderator: dave inherits before carol, who joined
	// earlier.
	if _, err := s.JoinRoom(ctx, "pub", dave.ID); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, memberEntry("pub", bob, dave, hubbub.MemberRole, hubbub.RoomModerator))
	from := lastSeq(t, s, "pub")
	if h = leave(bob); h == nil || h.Subject != dave.ID || h.Seq != from+1 || !h.Auto {
		t.Errorf("LeaveRoom of bob returned %+v, want the handover to dave at seq %d", h, from+1)
	}
	if h = leave(carol); h != nil {
		t.Errorf("LeaveRoom of carol returned %+v, want nothing", h)
	}
	if h = leave(dave); h != nil { // the last one: nobody to hand it to
		t.Errorf("LeaveRoom of the last member returned %+v, want nothing", h)
	}
}

// testOwnerHandoverOutbox: a handover is an entry of the log like any other, so its event
// goes to the outbox when a webhook follows member changes of its room, and only then —
// after a public room's LeaveRoom as after a private room's leave.
func testOwnerHandoverOutbox(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	createRoom(t, s, hubbub.RoomMeta{Name: "pub", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	createRoom(t, s, hubbub.RoomMeta{Name: "priv", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner), member(bob, ""))
	if _, err := s.JoinRoom(ctx, "pub", bob.ID); err != nil {
		t.Fatal(err)
	}
	hook(t, s, []string{"*"}, hubbub.HookMessage)
	if h, err := s.LeaveRoom(ctx, "pub", ann.ID); err != nil || h == nil {
		t.Fatalf("LeaveRoom(pub, ann) = %v, %v; want the handover", h, err)
	}
	if _, h := appendHandover(t, s, memberEntry("priv", ann, ann, hubbub.MemberLeave, "")); h == nil {
		t.Fatal("ann's leave of priv returned no handover")
	}
	if n := fanOutAll(t, s); n != 0 {
		t.Errorf("with a webhook following messages only, FanOut took %d events of two handovers, want none", n)
	}

	members := hook(t, s, []string{"pub"}, hubbub.HookMember)
	if _, err := s.JoinRoom(ctx, "pub", ann.ID); err != nil {
		t.Fatal(err)
	}
	h, err := s.LeaveRoom(ctx, "pub", bob.ID)
	if err != nil || h == nil {
		t.Fatalf("LeaveRoom(pub, bob) = %v, %v; want the handover", h, err)
	}
	if n := fanOutAll(t, s); n != 1 {
		t.Errorf("with a webhook following pub's member changes, FanOut took %d events, want the handover", n)
	}
	if got := eventIDs(listDeliveries(t, s, members.ID, hubbub.DeliveryPending)); !slices.Equal(got, []string{h.ID}) {
		t.Errorf("the member webhook's deliveries %v, want the handover's %s", got, h.ID)
	}
}

// testOwnerRegained: a room that keeps an owner (created with one, no DM) and has none gets
// its next joiner as owner, with a handover right after the join: the owner who left a
// public room alone and joins it again (JoinRoom returns it), an invitee who joins a private
// room its owner left to invitees (Append returns it, and again for a resend). A room made by
// joining it by name has no owner to keep, nor has a room whose owner remains, and CreateRoom's
// members are as given.
func testOwnerRegained(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob, carol := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol")
	_, created := createRoom(t, s, hubbub.RoomMeta{Name: "pub", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	if h, err := s.LeaveRoom(ctx, "pub", ann.ID); err != nil || h != nil {
		t.Fatalf("LeaveRoom of the only member = %v, %v; want no handover", h, err)
	}
	if got := owners(t, s, "pub"); len(got) != 0 {
		t.Fatalf("owners after the owner left alone = %v, want none", got)
	}
	h, err := s.JoinRoom(ctx, "pub", ann.ID)
	if err != nil || h == nil {
		t.Fatalf("JoinRoom of the room ann left alone = %v, %v; want the handover making her owner again", h, err)
	}
	last := created[len(created)-1]
	checkHandover(t, *h, hubbub.Entry{Room: "pub", Seq: last.Seq, Action: "JoinRoom", Time: last.Time}, ann, ann)
	checkStored(t, "Since after ann joined again", since(t, s, "pub", last.Seq, 10), []hubbub.Entry{*h})
	if got := owners(t, s, "pub"); len(got) != 1 || got[0] != ann.ID {
		t.Errorf("owners after ann joined again = %v, want ann", got)
	}
	for _, u := range []hubbub.User{bob, ann} { // a room with an owner; a member joining again
		if again, err := s.JoinRoom(ctx, "pub", u.ID); err != nil || again != nil {
			t.Errorf("JoinRoom(pub, %s) = %v, %v; want no handover", u.Name, again, err)
		}
	}
	if got := lastSeq(t, s, "pub"); got != h.Seq {
		t.Errorf("LastSeq of pub = %d, want %d (one handover)", got, h.Seq)
	}

	// A room made by joining it by name keeps no owner: its first joiner gets none.
	if got, err := s.JoinRoom(ctx, "byname", bob.ID); err != nil || got != nil {
		t.Errorf("JoinRoom of a room made by joining it = %v, %v; want no handover", got, err)
	}
	if got := owners(t, s, "byname"); len(got) != 0 {
		t.Errorf("owners of a room made by joining it = %v, want none", got)
	}

	// A private room its owner left with an invitee only: the invitee's join makes her owner.
	createRoom(t, s, hubbub.RoomMeta{Name: "priv", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	mustAppend(t, s, memberEntry("priv", ann, carol, hubbub.MemberInvite, ""))
	mustAppend(t, s, memberEntry("priv", ann, ann, hubbub.MemberLeave, ""))
	joined, returned := appendHandover(t, s, keyed(memberEntry("priv", carol, carol, hubbub.MemberJoin, ""), "join-1"))
	h2 := handoverAfter(t, s, joined, carol, carol)
	checkReturned(t, "an invitee's join of the room its owner left", returned, &h2)
	if _, again, outcome, err := appendAll(ctx, s, keyed(memberEntry("priv", carol, carol, hubbub.MemberJoin, ""), "join-1")); err != nil || outcome != hubbub.Duplicate {
		t.Errorf("the join resent: %v, %v", outcome, err)
	} else {
		checkReturned(t, "the resent join", again, &h2)
	}
	// bob, invited now, joins a room with an owner: nothing.
	mustAppend(t, s, memberEntry("priv", carol, bob, hubbub.MemberInvite, ""))
	_, returned = appendHandover(t, s, memberEntry("priv", bob, bob, hubbub.MemberJoin, ""))
	checkReturned(t, "a join of a room with an owner", returned, nil)

	// A joiner whose join gives no name (a caller that knows none; the user is no stored
	// one) is named as the invitation named them, in their membership and in the handover
	// that makes them the owner; its actor, the joiner, by the join's name, else their id.
	createRoom(t, s, hubbub.RoomMeta{Name: "named", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	mustAppend(t, s, hubbub.Entry{Room: "named", From: ann.Name, User: ann.ID, Kind: hubbub.KindMember,
		Subject: "u_xavier", SubjectName: "xavier", Action: hubbub.MemberInvite})
	mustAppend(t, s, memberEntry("named", ann, ann, hubbub.MemberLeave, ""))
	joined, returned = appendHandover(t, s, hubbub.Entry{Room: "named", From: "u_xavier", User: "u_xavier",
		Kind: hubbub.KindMember, Subject: "u_xavier", Action: hubbub.MemberJoin})
	if h := returned; h == nil || h.Seq != joined.Seq+1 || h.Subject != "u_xavier" || h.SubjectName != "xavier" ||
		h.User != "u_xavier" || h.From != "u_xavier" {
		t.Errorf("the join with no name of an invitee named xavier returned %+v, want the handover naming xavier", h)
	}
	if m, found := membership(t, s, "named", "u_xavier"); !found || m.Name != "xavier" || m.Role != hubbub.RoomOwner {
		t.Errorf("Membership(named, u_xavier) = %+v, %v; want xavier, owner", m, found)
	}

	// CreateRoom's members are as given, an owner among them or not.
	_, entries := createRoom(t, s, hubbub.RoomMeta{Name: "given", Private: true, CreatedBy: ann.ID},
		member(bob, hubbub.RoomMember), member(carol, hubbub.RoomMember))
	if got := lastSeq(t, s, "given"); len(entries) != 2 || got != 2 {
		t.Errorf("CreateRoom of two members and no owner: %d entries, last seq %d; want 2 joins and nothing more", len(entries), got)
	}
}

// testOwnerRegainedConcurrent: joiners who join at once a room that lost its owner — a public
// room by JoinRoom, a private room's invitees by Append — make exactly one of them owner, with
// one handover: a join that decides on the room's owners as they stood before another's
// handover would make two.
func testOwnerRegainedConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann := newUser(t, s, "ann")
	var joiners []hubbub.User
	for i := range 8 {
		joiners = append(joiners, newUser(t, s, fmt.Sprint("joiner", i)))
	}
	createRoom(t, s, hubbub.RoomMeta{Name: "pub", CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	createRoom(t, s, hubbub.RoomMeta{Name: "priv", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	for _, u := range joiners {
		mustAppend(t, s, memberEntry("priv", ann, u, hubbub.MemberInvite, ""))
	}
	if h, err := s.LeaveRoom(ctx, "pub", ann.ID); err != nil || h != nil {
		t.Fatalf("LeaveRoom of the only member = %v, %v; want no handover", h, err)
	}
	mustAppend(t, s, memberEntry("priv", ann, ann, hubbub.MemberLeave, ""))

	for _, room := range []string{"pub", "priv"} {
		var (
			wg        sync.WaitGroup
			handovers [8]*hubbub.Entry
			errs      [8]error
			start     = make(chan struct{})
		)
		for i, u := range joiners {
			wg.Go(func() {
				<-start
				if room == "pub" {
					handovers[i], errs[i] = s.JoinRoom(ctx, room, u.ID)
				} else {
					_, handovers[i], _, errs[i] = appendAll(ctx, s, memberEntry(room, u, u, hubbub.MemberJoin, ""))
				}
			})
		}
		close(start)
		wg.Wait()
		var made []string
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s: %s's join: %v", room, joiners[i].Name, err)
			}
			if h := handovers[i]; h != nil {
				if h.Subject != joiners[i].ID || !h.Auto {
					t.Errorf("%s: %s's join returned %+v, want the handover making them owner", room, joiners[i].Name, *h)
				}
				made = append(made, h.Subject)
			}
		}
		if got := owners(t, s, room); len(made) != 1 || !slices.Equal(got, made) {
			t.Errorf("%s: %d joiners at once made %v owner, owners now %v; want one handover and its joiner the owner",
				room, len(joiners), made, got)
		}
	}
}

// testOwnerConcurrent: two owners stepping down at once, or leaving at once, never leave the
// room without one; see ownersRace.
func testOwnerConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ownersRace(t, []hubbub.Store{s, s})
}

// testOwnerTwoNodes: ownersRace with each owner on a node of its own.
func testOwnerTwoNodes(t *testing.T, open SharedOpener) {
	ownersRace(t, twoNodes(t, open))
}

// ownersRace runs rounds in which the two owners of a room (ann on stores[0], bob on
// stores[1]) demote themselves at once: exactly one succeeds, the other is refused with
// ECodeForbidden, one owner remains; then both leave at once: both succeed, carol inherits,
// with one handover.
func ownersRace(t *testing.T, stores []hubbub.Store) {
	t.Helper()
	s := stores[0]
	ann, bob, carol := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol")
	users := []hubbub.User{ann, bob}
	const rounds = 10
	for round := range rounds {
		room := "race-" + string(rune('a'+round))
		createRoom(t, s, hubbub.RoomMeta{Name: room, Private: true, CreatedBy: ann.ID},
			member(ann, hubbub.RoomOwner), member(bob, hubbub.RoomOwner), member(carol, hubbub.RoomMember))
		var returned [2]*hubbub.Entry // the handovers the last race's appends returned
		race := func(action string, role hubbub.RoomRole) [2]error {
			var (
				wg    sync.WaitGroup
				errs  [2]error
				start = make(chan struct{})
			)
			for i, u := range users {
				wg.Go(func() {
					<-start
					_, returned[i], _, errs[i] = appendAll(t.Context(), stores[i], memberEntry(room, u, u, action, role))
				})
			}
			close(start)
			wg.Wait()
			return errs
		}
		errs := race(hubbub.MemberRole, hubbub.RoomMember)
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case hubbub.ErrorCode(err) != hubbub.ECodeForbidden:
				t.Errorf("round %d: %s's demotion: %v, want success or %s", round, users[i].Name, err, hubbub.ECodeForbidden)
			}
		}
		if got := owners(t, s, room); ok != 1 || len(got) != 1 {
			t.Fatalf("round %d: %d of two owners stepped down at once, owners now %v; want 1 and one owner", round, ok, got)
		}
		// Make both owners again, then both leave at once.
		for _, u := range users {
			if m, _ := membership(t, s, room, u.ID); m.Role != hubbub.RoomOwner {
				mustAppend(t, s, memberEntry(room, ann, u, hubbub.MemberRole, hubbub.RoomOwner))
			}
		}
		for i, err := range race(hubbub.MemberLeave, "") {
			if err != nil {
				t.Errorf("round %d: %s's leave: %v", round, users[i].Name, err)
			}
		}
		if got := owners(t, s, room); len(got) != 1 || got[0] != carol.ID {
			t.Fatalf("round %d: owners after both owners left at once = %v, want carol", round, got)
		}
		handovers := 0
		for _, e := range since(t, s, room, 0, 100) {
			if e.Auto {
				handovers++
				if e.Subject != carol.ID {
					t.Errorf("round %d: a handover to %s, want carol", round, e.SubjectName)
				}
				// The leave that took the last owner out returned it; the other, none.
				got := returned[0]
				if got == nil {
					got = returned[1]
				}
				checkReturned(t, fmt.Sprintf("round %d: the last owner's leave", round), got, &e)
			}
		}
		if handovers != 1 {
			t.Errorf("round %d: %d handovers, want 1", round, handovers)
		}
		if returned[0] != nil && returned[1] != nil {
			t.Errorf("round %d: both leaves returned a handover: %+v, %+v", round, *returned[0], *returned[1])
		}
	}
}
