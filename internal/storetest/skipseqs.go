package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// skipSeqs calls SkipSeqs and fails t on error.
func skipSeqs(t testing.TB, s hubbub.Store, gap uint64) hubbub.Restore {
	t.Helper()
	r, err := s.SkipSeqs(t.Context(), gap)
	if err != nil {
		t.Fatalf("SkipSeqs(%d): %v", gap, err)
	}
	return r
}

// lastRestore calls LastRestore and fails t on error.
func lastRestore(t testing.TB, s hubbub.Store) (hubbub.Restore, bool) {
	t.Helper()
	r, found, err := s.LastRestore(t.Context())
	if err != nil {
		t.Fatalf("LastRestore: %v", err)
	}
	return r, found
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

	if r := skipSeqs(t, s, 1000); r.Rooms != 3 {
		t.Errorf("SkipSeqs moved %d rooms, want 3 (r and quiet, with entries, and empty, with metadata alone)", r.Rooms)
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
	// Above the floor: the highest room's last seq before the move (r's 3) + the gap.
	if e := mustAppend(t, s, msg("empty", "ann", "first")); e.Seq != 1004 {
		t.Errorf("the first entry of a room with metadata alone took seq %d after SkipSeqs(1000), want 1004, above the floor", e.Seq)
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
	if r, _ := lastRestore(t, s); r.Gap != 1000 {
		t.Errorf("LastRestore after refused SkipSeqs = %+v, want the one of gap 1000", r)
	}
}

// testSeqFloor: SkipSeqs raises the seq floor and records the restore, and the first entry
// of a room with no entry yet is numbered above the floor, whichever way it comes (a message,
// a message with a client id, a topic, CreateRoom's joins, a room with metadata alone, many
// new rooms at once): a room lost with the part of the store after the backup, and made again
// under its name after the restore, must not hand out the seqs the lost room did, or a
// client rejoining with the since it kept of it (5) would skip the new room's first entries.
// A second SkipSeqs raises the floor past the first's and past every room.
func testSeqFloor(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	if r, found := lastRestore(t, s); found {
		t.Errorf("LastRestore of a new store = %+v, want none", r)
	}
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	appendN(t, s, "kept", 5)
	if _, err := s.JoinRoom(ctx, "pub", ann.ID); err != nil { // metadata, no entry
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	r := skipSeqs(t, s, 100)
	if r.Gap != 100 || r.Floor != 105 || r.Rooms != 2 || r.At.Before(start) || r.At.After(time.Now().Add(time.Second)) || r.At.Location() != time.UTC {
		t.Errorf("SkipSeqs(100) = %+v, want gap 100, floor 105 (kept's last seq 5 + the gap), 2 rooms (kept, and pub with metadata alone), at now in UTC", r)
	}
	if got, found := lastRestore(t, s); !found || got != r {
		t.Errorf("LastRestore = %+v (found %v), want %+v", got, found, r)
	}

	// The lost room made again: a client that had applied its seq 5 rejoins with since 5.
	first := mustAppend(t, s, hubbub.Entry{Room: "lost", From: "bob", User: bob.ID, Text: "new 1"})
	if first.Seq != 106 {
		t.Errorf("the first message of a new room after SkipSeqs(100) took seq %d, want 106 (floor 105 + 1)", first.Seq)
	}
	second := mustAppend(t, s, hubbub.Entry{Room: "lost", From: "bob", User: bob.ID, Text: "new 2"})
	checkStored(t, "Since(5) of the room made again", since(t, s, "lost", 5, 100), []hubbub.Entry{first, second})
	if got := lastSeq(t, s, "lost"); got != 107 {
		t.Errorf("LastSeq of the new room = %d, want 107", got)
	}
	for _, e := range []hubbub.Entry{
		withID("byid", "bob", "c-1", "a message with a client id"),
		{Room: "topical", From: "ann", User: ann.ID, Kind: hubbub.KindTopic, Text: "a topic first"},
		{Room: "pub", From: "bob", User: bob.ID, Text: "the first entry of a room with metadata alone"},
	} {
		if got := mustAppend(t, s, e); got.Seq != 106 {
			t.Errorf("the first entry of %s (%s) took seq %d, want 106", e.Room, e.Text, got.Seq)
		}
	}
	meta, joins, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: "made", CreatedBy: ann.ID, Private: true},
		[]hubbub.Membership{member(ann, hubbub.RoomOwner), member(bob, hubbub.RoomMember)})
	if err != nil {
		t.Fatal(err)
	}
	if len(joins) != 2 || joins[0].Seq != 106 || joins[1].Seq != 107 || meta.LastSeq != 107 {
		t.Errorf("CreateRoom after SkipSeqs(100): joins at %v, last seq %d; want 106, 107 and 107", seqsOf(joins), meta.LastSeq)
	}
	if got := lastSeq(t, s, "made"); got != 107 {
		t.Errorf("LastSeq of the created room = %d, want 107", got)
	}
	if e := mustAppend(t, s, msg("made", "ann", "after the joins")); e.Seq != 108 {
		t.Errorf("the entry after the created room's joins took seq %d, want 108", e.Seq)
	}
	// Many new rooms at once (a batch of first messages, where a store groups them).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 3 {
				e, _, _, err := s.Append(ctx, &hubbub.Entry{Room: fmt.Sprint("many", i), From: "bob", User: bob.ID, Text: fmt.Sprint(j)})
				if err != nil {
					t.Errorf("append to many%d: %v", i, err)
					return
				}
				if e.Seq != uint64(106+j) {
					t.Errorf("message %d of the new room many%d took seq %d, want %d", j, i, e.Seq, 106+j)
				}
			}
		}()
	}
	wg.Wait()
	// The floor's seqs hold no message: unread counts count messages.
	for _, m := range myRooms(t, s, ann.ID) {
		if m.Name == "pub" && (m.Unread != 1 || m.LastSeq != 106) {
			t.Errorf("ann's pub after its first message above the floor: unread %d, last_seq %d; want 1, 106", m.Unread, m.LastSeq)
		}
	}
	if got := setRead(t, s, ann.ID, "pub", 106); got != 106 {
		t.Errorf("SetRead(106) of pub = %d, want 106", got)
	}

	// A second restore: the floor passes the first's and every room's last seq (many0's 108).
	r2 := skipSeqs(t, s, 10)
	if r2.Gap != 10 || r2.Floor != 118 {
		t.Errorf("the second SkipSeqs(10) = %+v, want gap 10 and floor 118 (the highest room's 108 + 10)", r2)
	}
	if got, _ := lastRestore(t, s); got != r2 {
		t.Errorf("LastRestore after the second SkipSeqs = %+v, want %+v", got, r2)
	}
	if e := mustAppend(t, s, msg("later", "bob", "x")); e.Seq != 119 {
		t.Errorf("the first message of a room made after the second SkipSeqs took seq %d, want 119", e.Seq)
	}
	if e := mustAppend(t, s, msg("lost", "bob", "x")); e.Seq != 118 {
		t.Errorf("the next message of lost (at 107) after SkipSeqs(10) took seq %d, want 118: a room with entries moves by the gap alone", e.Seq)
	}
}

// testSeqFloorNoRoom: on a store with no room, SkipSeqs raises the floor by the gap, and
// again by the gap each time, moving no room; a restore the gap would take past MaxSeq
// changes nothing.
func testSeqFloorNoRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 2})
	if r := skipSeqs(t, s, 1000); r.Floor != 1000 || r.Rooms != 0 {
		t.Errorf("SkipSeqs(1000) of an empty store = %+v, want floor 1000, no room", r)
	}
	if r := skipSeqs(t, s, 1000); r.Floor != 2000 {
		t.Errorf("the second SkipSeqs(1000) of an empty store = %+v, want floor 2000", r)
	}
	// Retention counts the room's messages, not the floor's seqs.
	msgs := appendN(t, s, "r", 3)
	checkSeqs(t, "the first messages above floor 2000", msgs, span(2001, 2003))
	prune(t, s, "r")
	checkStored(t, "r after Prune with MaxPerRoom 2", since(t, s, "r", 0, 100), msgs[1:])
}

// testSeqFloorLimit: a floor SkipSeqs would take past hubbub.MaxSeq is refused with
// ECodeLimit, raising nothing and recording nothing.
func testSeqFloorLimit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	for range hubbub.MaxSeq / hubbub.MaxSeqGap {
		skipSeqs(t, s, hubbub.MaxSeqGap)
	}
	before, _ := lastRestore(t, s)
	if before.Floor+hubbub.MaxSeqGap <= hubbub.MaxSeq {
		t.Fatalf("floor %d, want it within a gap of MaxSeq", before.Floor)
	}
	_, err := s.SkipSeqs(t.Context(), hubbub.MaxSeqGap)
	wantCode(t, "SkipSeqs taking the floor past MaxSeq", err, hubbub.ECodeLimit)
	if after, _ := lastRestore(t, s); after != before {
		t.Errorf("LastRestore after a refused SkipSeqs = %+v, want %+v", after, before)
	}
	if m := mustAppend(t, s, msg("a", "alice", "x")); m.Seq != before.Floor+1 {
		t.Errorf("the first message after a refused SkipSeqs took %d, want %d", m.Seq, before.Floor+1)
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

// testAppendFirst: Append's outcome is StoredFirst for the entry that begins a room's log —
// a message, a message with a client id, a topic, the first entry of a room with metadata
// alone, numbered 1 before any restore and the seq floor + 1 after — and for no other: not
// the room's second entry, not a resend of its first (Duplicate), not the first after a
// refused one's place, not the first Append of a room CreateRoom's joins began, not the next
// entry of a room with entries whose seq the floor happens to precede, and exactly one of
// many appends to a new room at once. A caller (the hub, counting stored rooms) learns from
// it that the room may have just come into being, without knowing the floor, which another
// node's restore may have raised since it read it.
func testAppendFirst(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	outcome := func(what string, e hubbub.Entry, seq uint64, want hubbub.AppendOutcome) hubbub.Entry {
		t.Helper()
		got, _, out, err := appendAll(ctx, s, e)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.Seq != seq || out != want {
			t.Errorf("%s: seq %d, %v; want seq %d, %v", what, got.Seq, out, seq, want)
		}
		return got
	}
	firsts := func(base uint64) {
		t.Helper()
		for _, e := range []hubbub.Entry{
			withID(fmt.Sprint("keyed", base), "bob", "c-1", "a message with a client id"),
			msg(fmt.Sprint("plain", base), "bob", "a message"),
			{Room: fmt.Sprint("topical", base), From: "ann", User: ann.ID, Kind: hubbub.KindTopic, Text: "a topic first"},
		} {
			outcome(fmt.Sprintf("the first entry of %s (%s)", e.Room, e.Text), e, base+1, hubbub.StoredFirst)
			outcome(fmt.Sprintf("the second entry of %s", e.Room), msg(e.Room, "bob", "second"), base+2, hubbub.Stored)
			if e.ClientID != "" {
				outcome(fmt.Sprintf("a resend of the first entry of %s", e.Room), e, base+1, hubbub.Duplicate)
			}
		}
		room := fmt.Sprint("pub", base)
		if _, err := s.JoinRoom(ctx, room, ann.ID); err != nil { // metadata, no entry
			t.Fatal(err)
		}
		outcome("the first entry of a room with metadata alone", msg(room, "ann", "x"), base+1, hubbub.StoredFirst)
		room = fmt.Sprint("refused", base)
		_, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "bob", User: bob.ID, Text: "a reply to nothing", ReplyTo: 7})
		wantCode(t, "a first entry that replies to nothing", err, hubbub.ECodeNotFound)
		outcome("the first entry after a refused one", msg(room, "bob", "x"), base+1, hubbub.StoredFirst)
		room = fmt.Sprint("made", base)
		if _, _, err := s.CreateRoom(ctx, hubbub.RoomMeta{Name: room, CreatedBy: ann.ID, Private: true},
			[]hubbub.Membership{member(ann, hubbub.RoomOwner)}); err != nil {
			t.Fatal(err)
		}
		outcome("the first Append of a room CreateRoom's join began", msg(room, "ann", "x"), base+2, hubbub.Stored)
	}
	firsts(0)

	// After a restore the first entry is the floor + 1. busy, the highest room, then takes
	// the floor + 1 too (its last seq + the gap), and is no room's first entry.
	busy := appendN(t, s, "busy", 5)
	r := skipSeqs(t, s, 100)
	if r.Floor != 105 {
		t.Fatalf("SkipSeqs(100) = %+v, want floor 105 (busy's 5 + 100)", r)
	}
	outcome("busy's next entry after the restore", msg("busy", "alice", "x"), busy[4].Seq+101, hubbub.Stored)
	firsts(r.Floor)

	// Many appends to new rooms at once (a batch of them, where a store groups them): one
	// each is the first.
	const rooms, each = 4, 6
	outs := make([][]hubbub.AppendOutcome, rooms)
	seqs := make([][]uint64, rooms)
	var wg sync.WaitGroup
	for i := range rooms {
		outs[i], seqs[i] = make([]hubbub.AppendOutcome, each), make([]uint64, each)
		for j := range each {
			wg.Go(func() {
				got, _, out, err := appendAll(ctx, s, withID(fmt.Sprint("crowd", i), "bob", fmt.Sprint("c", j), "x"))
				if err != nil {
					t.Errorf("append %d to crowd%d: %v", j, i, err)
				}
				outs[i][j], seqs[i][j] = out, got.Seq
			})
		}
	}
	wg.Wait()
	for i := range rooms {
		var first []uint64
		for j, out := range outs[i] {
			if out == hubbub.StoredFirst {
				first = append(first, seqs[i][j])
			}
		}
		if len(first) != 1 || first[0] != r.Floor+1 {
			t.Errorf("%d appends at once to the new room crowd%d: StoredFirst at seqs %v, want once, at %d", each, i, first, r.Floor+1)
		}
	}
}
