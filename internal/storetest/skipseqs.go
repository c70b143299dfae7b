package storetest

import (
	"fmt"
	"testing"

	"hubbub"
)

// skipSeqs calls SkipSeqs and fails t on error.
func skipSeqs(t testing.TB, s hubbub.Store, gap uint64) int64 {
	t.Helper()
	n, err := s.SkipSeqs(t.Context(), gap)
	if err != nil {
		t.Fatalf("SkipSeqs(%d): %v", gap, err)
	}
	return n
}

// testSkipSeqs: after SkipSeqs(gap) every room, one with entries or one with metadata alone,
// numbers its next entry gap past its last, so that a since from before (or from the seqs a
// lost part of the store handed out) replays every entry after it; the entries stay, and so
// do the counts that count messages (unread, retention's).
func testSkipSeqs(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	if _, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: "quiet", CreatedBy: ann.ID}, []hubbub.Membership{member(ann, hubbub.RoomOwner)}); err != nil {
		t.Fatal(err)
	}
	for _, room := range []string{"r", "empty"} { // a public room's metadata, no entry
		if _, err := s.JoinRoom(ctx, room, ann.ID); err != nil {
			t.Fatal(err)
		}
	}
	quiet := lastSeq(t, s, "quiet")
	old := make([]hubbub.Entry, 3)
	for i := range old {
		old[i] = mustAppend(t, s, hubbub.Entry{Room: "r", From: "bob", User: bob.ID, Text: "before"})
	}
	setRead(t, s, ann.ID, "r", 1)

	if n := skipSeqs(t, s, 1000); n != 3 {
		t.Errorf("SkipSeqs moved %d rooms, want 3 (r and quiet, with entries, and empty, with metadata alone)", n)
	}
	if got := lastSeq(t, s, "r"); got != 1003 {
		t.Errorf("LastSeq after SkipSeqs(1000) = %d, want 1003", got)
	}
	checkStored(t, "the entries after SkipSeqs", since(t, s, "r", 0, 100), old)
	if got := since(t, s, "r", 3, 100); len(got) != 0 {
		t.Errorf("Since(3) after SkipSeqs = %v, want nothing: no entry is in the gap", seqsOf(got))
	}
	for _, m := range myRooms(t, s, ann.ID) {
		if m.Name == "r" && (m.Unread != 2 || m.ReadSeq != 1 || m.LastSeq != 1003) {
			t.Errorf("ann's r after SkipSeqs: unread %d, read_seq %d, last_seq %d; want 2, 1, 1003", m.Unread, m.ReadSeq, m.LastSeq)
		}
	}

	// A client that applied seq 5 (an entry of the lost part) gets every entry after the gap.
	m := mustAppend(t, s, hubbub.Entry{Room: "r", From: "bob", User: bob.ID, Text: "after"})
	if m.Seq != 1004 {
		t.Errorf("the first append after SkipSeqs(1000) took seq %d, want 1004", m.Seq)
	}
	checkStored(t, "Since(5) after SkipSeqs", since(t, s, "r", 5, 100), []hubbub.Entry{m})
	if q := mustAppend(t, s, msg("quiet", "ann", "after")); q.Seq != quiet+1001 {
		t.Errorf("the first entry of quiet (at seq %d) after SkipSeqs(1000) took seq %d, want %d", quiet, q.Seq, quiet+1001)
	}
	if e := mustAppend(t, s, msg("empty", "ann", "first")); e.Seq != 1001 {
		t.Errorf("the first entry of a room with metadata alone took seq %d after SkipSeqs(1000), want 1001", e.Seq)
	}
	for _, m := range myRooms(t, s, ann.ID) {
		if m.Name == "r" && m.Unread != 3 {
			t.Errorf("ann's r unread after one more message = %d, want 3", m.Unread)
		}
	}
	if got := setRead(t, s, ann.ID, "r", 5); got != 5 {
		t.Errorf("SetRead(5) after SkipSeqs = %d, want 5", got)
	}
	if got := myRooms(t, s, ann.ID); len(got) > 0 {
		for _, m := range got {
			if m.Name == "r" && m.Unread != 1 {
				t.Errorf("ann's r unread after reading to 5 = %d, want 1: the message after the gap", m.Unread)
			}
		}
	}

	for _, gap := range []uint64{0, hubbub.MaxSeqGap + 1} {
		_, err := s.SkipSeqs(ctx, gap)
		wantCode(t, fmt.Sprintf("SkipSeqs(%d)", gap), err, hubbub.ECodeBadField)
	}
	if got := lastSeq(t, s, "r"); got != 1004 {
		t.Errorf("LastSeq after refused SkipSeqs = %d, want 1004", got)
	}
}

// testSkipSeqsLimit: a gap that would take a room past hubbub.MaxSeq moves no room.
func testSkipSeqsLimit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	appendN(t, s, "a", 2)
	for range (hubbub.MaxSeq - 2) / hubbub.MaxSeqGap {
		skipSeqs(t, s, hubbub.MaxSeqGap)
	}
	last := lastSeq(t, s, "a")
	if last+hubbub.MaxSeqGap <= hubbub.MaxSeq {
		t.Fatalf("LastSeq = %d, want it within a gap of MaxSeq", last)
	}
	_, err := s.SkipSeqs(t.Context(), hubbub.MaxSeqGap)
	wantCode(t, "SkipSeqs past MaxSeq", err, hubbub.ECodeLimit)
	if got := lastSeq(t, s, "a"); got != last {
		t.Errorf("LastSeq after a refused SkipSeqs = %d, want %d", got, last)
	}
	if m := mustAppend(t, s, msg("a", "alice", "x")); m.Seq != last+1 {
		t.Errorf("append after a refused SkipSeqs took %d, want %d", m.Seq, last+1)
	}
}

// testSkipSeqsRetention: MaxPerRoom still counts messages after SkipSeqs, not seqs.
func testSkipSeqsRetention(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 3})
	a := appendN(t, s, "a", 2)
	skipSeqs(t, s, 1000)
	b := appendN(t, s, "a", 2)
	prune(t, s, "a")
	checkStored(t, "room a after SkipSeqs and Prune", since(t, s, "a", 0, 100), []hubbub.Entry{a[1], b[0], b[1]})
}
