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
