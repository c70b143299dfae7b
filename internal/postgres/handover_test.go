package postgres

import (
	"testing"
	"time"

	"hubbub"
)

// TestPlanHandsOverWithinABatch: the plan decides a batch's member entries one after the
// other on the memberships it read (findMembers, findHeirs), so that an entry sees what the
// batch's earlier ones did: a moderator who left earlier in the batch inherits nothing, an
// owner made earlier in the batch lets the other step down, and the one left alone may not.
func TestPlanHandsOverWithinABatch(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := func(user string, role hubbub.RoomRole, since int) *hubbub.Membership {
		return &hubbub.Membership{Room: "r", User: user, Name: user, Role: role, Since: t0.Add(time.Duration(since) * time.Minute)}
	}
	entry := func(subject, action string, role hubbub.RoomRole) hubbub.Entry {
		return hubbub.Entry{Room: "r", Kind: hubbub.KindMember, User: subject, From: subject, Subject: subject,
			SubjectName: subject, Action: action, Role: role}
	}
	// What queueReads leaves for a batch of the room: the subjects' rows and findHeirs'.
	p := newPlan(t0.Add(time.Hour), map[string]int64{"r": 10}, map[string]int64{"r": 5})
	p.members = map[memberKey]*memberState{}
	for _, x := range []*hubbub.Membership{m("ann", hubbub.RoomOwner, 0), m("mod1", hubbub.RoomModerator, 2),
		m("mod2", hubbub.RoomModerator, 3), m("bob", hubbub.RoomMember, 1)} {
		*p.memberState(memberKey{"r", x.User}) = memberState{m: x}
	}

	if res := p.apply(entry("mod1", hubbub.MemberLeave, "")); res.err != nil || res.handover != nil || res.msg.Seq != 11 {
		t.Fatalf("mod1's leave: %+v", res)
	}
	res := p.apply(entry("ann", hubbub.MemberLeave, ""))
	if res.err != nil || res.msg.Seq != 12 || res.handover == nil {
		t.Fatalf("ann's leave: %+v, want a handover", res)
	}
	if h := res.handover; h.Seq != 13 || !h.Auto || h.Subject != "mod2" || h.User != "ann" || h.Role != hubbub.RoomOwner {
		t.Errorf("the handover = %+v, want mod2 made owner at seq 13 (mod1 left before ann)", h)
	}
	if st := p.members[memberKey{"r", "mod2"}]; st.m.Role != hubbub.RoomOwner || !st.dirty {
		t.Errorf("mod2's state after the handover = %+v", st.m)
	}
	// mod2 makes bob owner and steps down in the batch: allowed; bob may not then.
	if res := p.apply(entry("bob", hubbub.MemberRole, hubbub.RoomOwner)); res.err != nil {
		t.Fatalf("bob made owner: %v", res.err)
	}
	if res := p.apply(entry("mod2", hubbub.MemberRole, hubbub.RoomMember)); res.err != nil || res.handover != nil {
		t.Fatalf("mod2 stepping down with bob an owner: %+v", res)
	}
	res = p.apply(entry("bob", hubbub.MemberRole, hubbub.RoomMember))
	if hubbub.ErrorCode(res.err) != hubbub.ECodeForbidden {
		t.Fatalf("the only owner stepping down: %+v, want forbidden", res)
	}
	if p.last["r"] != 15 || len(p.entries) != 5 {
		t.Errorf("the batch took seqs to %d with %d entries, want 15 and 5 (the refusal takes none)", p.last["r"], len(p.entries))
	}
}

// TestPlanJoinsWithinABatch: a join makes its joiner owner of a room that keeps an owner and
// has none, as the batch sees it: findOwned's answer (whether the room keeps one, one owner if
// any) with what the batch's earlier entries did: an owner made by an earlier join, or the
// only owner's leave earlier in the batch.
func TestPlanJoinsWithinABatch(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	join := func(room, subject string) hubbub.Entry {
		return hubbub.Entry{Room: room, Kind: hubbub.KindMember, User: subject, From: subject, Subject: subject,
			SubjectName: subject, Action: hubbub.MemberJoin}
	}
	p := newPlan(t0.Add(time.Hour), map[string]int64{"lost": 10, "kept": 10, "byname": 10, "left": 10},
		map[string]int64{"lost": 5, "kept": 5, "byname": 5, "left": 5})
	p.members = map[memberKey]*memberState{}
	// What queueReads leaves: "lost" keeps an owner and has none, "kept" has ann, "byname"
	// keeps none; in "left", ann is the subject of a leave (findMembers) and findHeirs read
	// nobody else.
	p.owned = map[string]bool{"lost": true, "kept": true, "left": true}
	*p.memberState(memberKey{"kept", "ann"}) = memberState{m: &hubbub.Membership{Room: "kept", User: "ann", Role: hubbub.RoomOwner, Since: t0}}
	*p.memberState(memberKey{"left", "ann"}) = memberState{m: &hubbub.Membership{Room: "left", User: "ann", Role: hubbub.RoomOwner, Since: t0}}

	res := p.apply(join("lost", "carol"))
	if h := res.handover; res.err != nil || h == nil || h.Subject != "carol" || h.Seq != 12 || !h.Auto {
		t.Fatalf("carol's join of a room that lost its owner: %+v, want the handover to her at seq 12", res)
	}
	if res := p.apply(join("lost", "dave")); res.err != nil || res.handover != nil {
		t.Errorf("dave's join after carol's in the batch: %+v, want no handover (carol owns it)", res)
	}
	if res := p.apply(join("kept", "dave")); res.err != nil || res.handover != nil {
		t.Errorf("a join of a room with an owner: %+v, want no handover", res)
	}
	if res := p.apply(join("byname", "dave")); res.err != nil || res.handover != nil {
		t.Errorf("a join of a room that keeps no owner: %+v, want no handover", res)
	}
	if res := p.apply(hubbub.Entry{Room: "left", Kind: hubbub.KindMember, User: "ann", From: "ann", Subject: "ann",
		SubjectName: "ann", Action: hubbub.MemberLeave}); res.err != nil || res.handover != nil {
		t.Fatalf("ann's leave of a room she alone is in: %+v, want no handover", res)
	}
	if res := p.apply(join("left", "eve")); res.err != nil || res.handover == nil || res.handover.Subject != "eve" {
		t.Errorf("eve's join after the only owner left in the batch: %+v, want the handover to her", res)
	}
}
