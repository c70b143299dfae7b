package storetest

import (
	"math"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// testNotices: Notices reads the topic, member and sanction entries of a span of the room's
// log (after < seq ≤ upto), as Since reads them, never a message, an edit, a delete or a
// reaction; the newest limit of them when there are more, oldest first.
func testNotices(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	createRoom(t, s, hubbub.RoomMeta{Name: "r", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner)) // 1: ann joins
	first := mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: ann.ID, Text: "hello"})                  // 2
	mustAppend(t, s, topicEntry("r", ann, "plans"))                                                               // 3
	mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: ann.ID, Kind: hubbub.KindReaction, Target: first.Seq, Emoji: "👍"})
	mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: ann.ID, Kind: hubbub.KindEdit, Target: first.Seq, Text: "hello!"})
	mustAppend(t, s, memberEntry("r", ann, bob, hubbub.MemberInvite, hubbub.RoomMember)) // 6
	second := mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: ann.ID, Text: "bye"})
	mustAppend(t, s, hubbub.SanctionEntry(hubbub.Sanction{Room: "r", User: bob.ID, Name: "bob", Kind: hubbub.SanctionBan,
		Until: time.Now().Add(time.Hour), Reason: "spam"}, "ann", ann.ID, time.Now())) // 8
	mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: ann.ID, Kind: hubbub.KindDelete, Target: second.Seq})
	last := mustAppend(t, s, hubbub.Entry{Room: "r", From: "ann", User: ann.ID, Text: "again"})
	mustAppend(t, s, hubbub.Entry{Room: "other", From: "ann", User: ann.ID, Kind: hubbub.KindTopic, Text: "elsewhere"})

	var all []hubbub.Entry // the notices as Since reads them
	for _, e := range since(t, s, "r", 0, 100) {
		if e.IsNotice() {
			all = append(all, e)
		}
	}
	if got := seqsOf(all); !slices.Equal(got, []uint64{1, 3, 6, 8}) {
		t.Fatalf("Since read the notices at seqs %v, want 1, 3, 6 and 8", got)
	}
	notices := func(after, upto uint64, limit int) []hubbub.Entry {
		t.Helper()
		got, err := s.Notices(ctx, "r", after, upto, limit)
		if err != nil {
			t.Fatalf("Notices(r, %d, %d, %d): %v", after, upto, limit, err)
		}
		return got
	}
	for _, c := range []struct {
		after, upto uint64
		limit       int
		want        []hubbub.Entry
	}{
		{0, last.Seq, 10, all},
		{0, math.MaxUint64, 10, all}, // no end: up to the newest
		{first.Seq, last.Seq, 10, all[1:]},
		{3, 8, 10, all[2:]},  // after is left out, upto is in
		{3, 7, 10, all[2:3]}, // an entry past upto is left out
		{2, 3, 10, all[1:2]},
		{0, last.Seq, 2, all[2:]}, // the newest two, oldest first
		{0, last.Seq, 1, all[3:]},
		{8, last.Seq, 10, nil}, // messages and a delete only
		{0, last.Seq, 0, nil},
		{5, 5, 10, nil},
		{6, 3, 10, nil},
	} {
		checkStored(t, "Notices", notices(c.after, c.upto, c.limit), c.want)
	}
	if got, err := s.Notices(ctx, "nowhere", 0, 100, 10); err != nil || len(got) != 0 {
		t.Errorf("Notices of a room with no entries = %+v, %v; want none", got, err)
	}
	if got, err := s.Notices(ctx, "other", 0, 100, 10); err != nil || len(got) != 1 || got[0].Room != "other" || got[0].Text != "elsewhere" {
		t.Errorf("Notices(other) = %+v, %v; want its topic alone", got, err)
	}
}
