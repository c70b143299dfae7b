package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// members pages all of room's members by limit and fails t on error.
func allMembers(t testing.TB, s hubbub.RoomStore, room string, limit int) []hubbub.Membership {
	t.Helper()
	var out []hubbub.Membership
	after := ""
	for range 1000 {
		page, err := s.Members(t.Context(), room, after, limit)
		if err != nil {
			t.Fatalf("Members(%q, %q, %d): %v", room, after, limit, err)
		}
		if len(page) > limit {
			t.Fatalf("Members(%q, %q, %d) gave %d", room, after, limit, len(page))
		}
		if len(page) == 0 {
			break
		}
		out = append(out, page...)
		after = page[len(page)-1].User
	}
	return out
}

// membership calls Membership and fails t on error.
func membership(t testing.TB, s hubbub.RoomStore, room, user string) (hubbub.Membership, bool) {
	t.Helper()
	m, found, err := s.Membership(t.Context(), room, user)
	if err != nil {
		t.Fatalf("Membership(%q, %q): %v", room, user, err)
	}
	return m, found
}

// testMemberChanges: KindMember entries change a private room's members in their
// transaction: an invitation, a join that keeps the invitation's role, a role, a leave and a
// removal; each refused as the contract says with no seq taken; all replayed by Since.
func testMemberChanges(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann, bob, carol, dave := newUser(t, s, "ann"), newUser(t, s, "bob"), newUser(t, s, "carol"), newUser(t, s, "dave")
	_, created := createRoom(t, s, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	log := created

	add := func(e hubbub.Entry) hubbub.Entry {
		t.Helper()
		got := mustAppend(t, s, e)
		log = append(log, got)
		return got
	}
	check := func(u hubbub.User, role hubbub.RoomRole, invited bool) {
		t.Helper()
		m, found := membership(t, s, "r", u.ID)
		if !found || m.Role != role || m.Invited != invited || m.Name != u.Name {
			t.Errorf("Membership(r, %s) = %+v, %v; want role %s, invited %v", u.Name, m, found, role, invited)
		}
	}
	gone := func(u hubbub.User) {
		t.Helper()
		if m, found := membership(t, s, "r", u.ID); found {
			t.Errorf("Membership(r, %s) = %+v, want none", u.Name, m)
		}
	}
	count := func(want int) {
		t.Helper()
		if meta, _ := roomMeta(t, s, "r"); meta.Members != want {
			t.Errorf("RoomMeta(r).Members = %d, want %d", meta.Members, want)
		}
	}

	inv := add(memberEntry("r", ann, bob, hubbub.MemberInvite, hubbub.RoomModerator))
	if inv.Subject != bob.ID || inv.SubjectName != "bob" || inv.Action != hubbub.MemberInvite || inv.Role != hubbub.RoomModerator || inv.User != ann.ID {
		t.Errorf("the invite entry = %+v", inv)
	}
	check(bob, hubbub.RoomModerator, true)
	count(1) // invitees are not members
	refused(t, s, memberEntry("r", ann, bob, hubbub.MemberInvite, ""), hubbub.ECodeExists)
	refused(t, s, memberEntry("r", ann, ann, hubbub.MemberInvite, ""), hubbub.ECodeExists)
	refused(t, s, memberEntry("r", ann, bob, hubbub.MemberRole, hubbub.RoomOwner), hubbub.ECodeNotFound)

	// Accepting keeps the invitation's role, whatever the join says.
	j := add(memberEntry("r", bob, bob, hubbub.MemberJoin, hubbub.RoomOwner))
	if j.Role != hubbub.RoomModerator {
		t.Errorf("the join of an invitee stored role %q, want the invitation's %q", j.Role, hubbub.RoomModerator)
	}
	check(bob, hubbub.RoomModerator, false)
	count(2)
	refused(t, s, memberEntry("r", bob, bob, hubbub.MemberJoin, ""), hubbub.ECodeExists)

	// A join with no invitation takes its role, or member.
	add(memberEntry("r", ann, carol, hubbub.MemberJoin, ""))
	check(carol, hubbub.RoomMember, false)
	rl := add(memberEntry("r", ann, carol, hubbub.MemberRole, hubbub.RoomModerator))
	if rl.Role != hubbub.RoomModerator {
		t.Errorf("the role entry = %+v", rl)
	}
	check(carol, hubbub.RoomModerator, false)
	count(3)

	add(memberEntry("r", carol, carol, hubbub.MemberLeave, ""))
	gone(carol)
	refused(t, s, memberEntry("r", carol, carol, hubbub.MemberLeave, ""), hubbub.ECodeNotFound)
	refused(t, s, memberEntry("r", ann, carol, hubbub.MemberRemove, ""), hubbub.ECodeNotFound)
	refused(t, s, memberEntry("r", ann, carol, hubbub.MemberRole, hubbub.RoomMember), hubbub.ECodeNotFound)

	// A removal takes back an invitation too.
	add(memberEntry("r", ann, dave, hubbub.MemberInvite, ""))
	check(dave, hubbub.RoomMember, true)
	add(memberEntry("r", ann, dave, hubbub.MemberRemove, ""))
	gone(dave)
	add(memberEntry("r", ann, bob, hubbub.MemberRemove, ""))
	gone(bob)
	count(1)

	for _, e := range []hubbub.Entry{
		memberEntry("r", ann, dave, "promote", hubbub.RoomOwner),
		memberEntry("r", ann, dave, hubbub.MemberInvite, "superuser"),
		memberEntry("r", ann, ann, hubbub.MemberRole, ""),
		memberEntry("r", ann, hubbub.User{Name: "nobody"}, hubbub.MemberInvite, ""),
	} {
		refused(t, s, e, hubbub.ECodeBadField)
	}

	// A resent invite is its first outcome, not a refusal now that dave is invited again.
	first := add(keyed(memberEntry("r", ann, dave, hubbub.MemberInvite, ""), "inv-dave"))
	duplicate(t, s, keyed(memberEntry("r", ann, dave, hubbub.MemberInvite, ""), "inv-dave"), first)

	checkStored(t, "Since", since(t, s, "r", 0, 100), log)
	checkSeqs(t, "the room's log", log, span(1, uint64(len(log))))
}

// testMembersPaging: Members pages members and invitees in ascending user id order, with
// their current names.
func testMembersPaging(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	owner := newUser(t, s, "owner")
	_, _ = createRoom(t, s, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: owner.ID}, member(owner, hubbub.RoomOwner))
	want := []hubbub.Membership{{Room: "r", User: owner.ID, Name: "owner", Role: hubbub.RoomOwner}}
	for i, name := range []string{"a", "b", "c", "d", "e", "f"} {
		u := newUser(t, s, name)
		action := hubbub.MemberJoin
		if i%2 == 1 {
			action = hubbub.MemberInvite
		}
		mustAppend(t, s, memberEntry("r", owner, u, action, ""))
		want = append(want, hubbub.Membership{Room: "r", User: u.ID, Name: name, Role: hubbub.RoomMember, Invited: action == hubbub.MemberInvite})
	}
	rename(t, s, want[1].User, "a renamed")
	want[1].Name = "a renamed"
	slices.SortFunc(want, func(a, b hubbub.Membership) int { return compareStrings(a.User, b.User) })
	for _, limit := range []int{1, 3, 100} {
		got := allMembers(t, s, "r", limit)
		if len(got) != len(want) {
			t.Errorf("Members by %d = %+v, want %+v", limit, got, want)
			continue
		}
		for i := range got {
			g := got[i]
			if g.Since.IsZero() {
				t.Errorf("Members by %d: %s has no Since", limit, g.Name)
			}
			g.Since = want[i].Since
			if g != want[i] {
				t.Errorf("Members by %d [%d] = %+v, want %+v", limit, i, got[i], want[i])
			}
		}
	}
	for _, limit := range []int{0, -1} {
		if page, err := s.Members(t.Context(), "r", "", limit); err != nil || len(page) != 0 {
			t.Errorf("Members(r, \"\", %d) = %+v, %v; want none", limit, page, err)
		}
	}
	if page, err := s.Members(t.Context(), "nowhere", "", 10); err != nil || len(page) != 0 {
		t.Errorf("Members of an unknown room = %+v, %v", page, err)
	}
}

// testMembersNamed: MembersNamed finds, in one read, the members and invitees of a room among
// the users named, by their names' keys (case and confusables folded, as UserByName), with their
// current names; other rooms' members, users who are not in the room, unknown names and names
// that are none give nothing; too many names are refused.
func testMembersNamed(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	owner := newUser(t, s, "owner")
	_, _ = createRoom(t, s, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: owner.ID}, member(owner, hubbub.RoomOwner))
	ann, bob, carol, dave := newUser(t, s, "ann"), newUser(t, s, "Bob"), newUser(t, s, "carol"), newUser(t, s, "dave")
	mustAppend(t, s, memberEntry("r", owner, ann, hubbub.MemberJoin, ""))
	mustAppend(t, s, memberEntry("r", owner, bob, hubbub.MemberJoin, ""))
	mustAppend(t, s, memberEntry("r", owner, carol, hubbub.MemberInvite, ""))
	_, _ = createRoom(t, s, hubbub.RoomMeta{Name: "elsewhere", Private: true, CreatedBy: owner.ID}, member(owner, hubbub.RoomOwner), member(dave, hubbub.RoomMember))
	rename(t, s, ann.ID, "annie")

	got, err := s.MembersNamed(t.Context(), "r", []string{"ANNIE", "bob", "carol", "dave", "ann", "nobody", "not a name!", "annie", ""})
	if err != nil {
		t.Fatalf("MembersNamed: %v", err)
	}
	slices.SortFunc(got, func(a, b hubbub.Membership) int { return compareStrings(a.Name, b.Name) })
	want := []hubbub.Membership{
		{Room: "r", User: bob.ID, Name: "Bob", Role: hubbub.RoomMember},
		{Room: "r", User: ann.ID, Name: "annie", Role: hubbub.RoomMember},
		{Room: "r", User: carol.ID, Name: "carol", Role: hubbub.RoomMember, Invited: true},
	}
	if len(got) != len(want) {
		t.Fatalf("MembersNamed = %+v, want %+v", got, want)
	}
	for i := range got {
		g := got[i]
		if g.Since.IsZero() {
			t.Errorf("MembersNamed: %s has no Since", g.Name)
		}
		g.Since = time.Time{}
		if g != want[i] {
			t.Errorf("MembersNamed[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, names := range [][]string{nil, {"nobody"}, {"dave"}} {
		if got, err := s.MembersNamed(t.Context(), "r", names); err != nil || len(got) != 0 {
			t.Errorf("MembersNamed(r, %q) = %+v, %v; want none", names, got, err)
		}
	}
	if got, err := s.MembersNamed(t.Context(), "nowhere", []string{"bob"}); err != nil || len(got) != 0 {
		t.Errorf("MembersNamed of an unknown room = %+v, %v; want none", got, err)
	}
	many := make([]string, hubbub.MaxMembersNamed+1)
	for i := range many {
		many[i] = fmt.Sprintf("user%d", i)
	}
	if _, err := s.MembersNamed(t.Context(), "r", many); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Errorf("MembersNamed of %d names: %v, want %s", len(many), err, hubbub.ECodeLimit)
	}
}
