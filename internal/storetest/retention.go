package storetest

import (
	"slices"
	"testing"
	"time"

	"hubbub"
)

// countAll returns how many messages the rooms hold (entries of other kinds not counted).
func countAll(t *testing.T, s hubbub.Store, rooms ...string) (n int64) {
	t.Helper()
	for _, room := range rooms {
		for _, e := range since(t, s, room, 0, 10000) {
			if e.IsMessage() {
				n++
			}
		}
	}
	return n
}

// prune runs Prune and checks that the count it reports is what disappeared from rooms.
// (Append may prune too, so the count alone says little.)
func prune(t *testing.T, s hubbub.Store, rooms ...string) int64 {
	t.Helper()
	had := countAll(t, s, rooms...)
	removed, err := s.Prune(t.Context())
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if have := countAll(t, s, rooms...); removed != had-have {
		t.Errorf("Prune reported %d removed, but %d messages went", removed, had-have)
	}
	return removed
}

// testNoRetention: the zero policy keeps everything.
func testNoRetention(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	all := appendN(t, s, "r", 5)
	if n := prune(t, s, "r"); n != 0 {
		t.Errorf("Prune with the zero policy removed %d messages", n)
	}
	checkStored(t, "after Prune", since(t, s, "r", 0, 100), all)
}

// testMaxPerRoom: Prune keeps the newest MaxPerRoom messages of every room; seqs carry on
// from where they were, never reusing those of removed messages.
func testMaxPerRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 3})
	a := appendN(t, s, "a", 5)
	b := appendN(t, s, "b", 2)
	prune(t, s, "a", "b")
	checkStored(t, "room a after Prune", since(t, s, "a", 0, 100), a[2:])
	checkStored(t, "room b after Prune", since(t, s, "b", 0, 100), b)
	checkStored(t, "Before in room a after Prune", before(t, s, "a", 0, 100), a[2:])
	if got := lastSeq(t, s, "a"); got != 5 {
		t.Errorf("LastSeq after Prune = %d, want 5", got)
	}

	m := mustAppend(t, s, msg("a", "alice", "after prune"))
	if m.Seq != 6 {
		t.Errorf("Append after Prune got seq %d, want 6", m.Seq)
	}
	prune(t, s, "a", "b")
	checkSeqs(t, "room a after a second Prune", since(t, s, "a", 0, 100), []uint64{4, 5, 6})
	if n := prune(t, s, "a", "b"); n != 0 {
		t.Errorf("Prune with nothing to remove removed %d", n)
	}
}

// testMaxAge: Prune removes messages older than MaxAge, in every room, and only those. The
// test waits for the old messages to age, about a third of a second.
func testMaxAge(t *testing.T, open opener) {
	const maxAge = 200 * time.Millisecond
	s := open(t, hubbub.Retention{MaxAge: maxAge})
	appendN(t, s, "a", 3)
	oldB := appendN(t, s, "b", 1)
	// A change of an old message goes with it. (MaxAgeWithClock checks a change younger
	// than MaxAge; here the store might prune in the Append of a later change.)
	mustAppend(t, s, react("b", "bob", oldB[0].Seq, "👍"))
	// Times are the store's; wait until the newest old message is past MaxAge.
	time.Sleep(time.Until(oldB[0].Time.Add(maxAge + 50*time.Millisecond)))

	freshAt := time.Now()
	fresh := appendN(t, s, "a", 2)
	prune(t, s, "a", "b")
	inTime := time.Since(freshAt) < maxAge-10*time.Millisecond

	got := since(t, s, "a", 0, 100)
	for _, m := range got {
		if m.Seq <= 3 {
			t.Errorf("message %d of room a is older than MaxAge but survived Prune", m.Seq)
		}
	}
	checkSeqs(t, "room b after Prune", since(t, s, "b", 0, 100), nil)
	if inTime {
		checkStored(t, "fresh messages of room a after Prune", got, fresh)
	} else {
		t.Logf("Prune came %v after the fresh appends; not checking that they survived", time.Since(freshAt))
	}
	if a, b := lastSeq(t, s, "a"), lastSeq(t, s, "b"); a != 5 || b != 2 {
		t.Errorf("LastSeq after Prune: a %d, b %d, want 5 and 2", a, b)
	}
	// A room whose messages all expired is still listed, with its seq and no last activity.
	if got := rooms(t, s, "a", 10); len(got) != 1 || got[0].Name != "b" || got[0].LastSeq != 2 || !got[0].LastActivity.IsZero() {
		t.Errorf("Rooms(\"a\", 10) after Prune = %+v, want b at seq 2 with no last activity", got)
	}
	if m := mustAppend(t, s, msg("b", "bob", "after prune")); m.Seq != 3 {
		t.Errorf("Append to an emptied room got seq %d, want 3", m.Seq)
	}
}

// testRetentionEntries: retention counts messages, and takes with each message it removes the
// entries that change it (even those newer than a message it keeps), its reactions and its
// revisions; seqs stay taken. (testMaxAge checks a room whose last entry went.) The changes
// of the pruned message all come before the third message, so that the test holds for a
// store that prunes in Append too.
func testRetentionEntries(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 2})
	m1 := mustAppend(t, s, keyed(msg("r", "alice", "one"), "k1"))
	mustAppend(t, s, react("r", "bob", m1.Seq, "👍"))
	m2 := mustAppend(t, s, reply("r", "bob", m1.Seq, "two"))
	mustAppend(t, s, edit("r", "alice", m1.Seq, "one, edited"))
	r2 := mustAppend(t, s, react("r", "carol", m2.Seq, "🎉"))
	mustAppend(t, s, react("r", "dave", m1.Seq, "👀"))
	m3 := mustAppend(t, s, msg("r", "carol", "three"))
	r3 := mustAppend(t, s, react("r", "bob", m3.Seq, "👍"))
	prune(t, s, "r")
	m2.Reactions = []hubbub.Reaction{{Emoji: "🎉", Count: 1, Names: []string{"carol"}}}
	m3.Reactions = []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"bob"}}}
	checkStored(t, "Since after Prune", since(t, s, "r", 0, 100), []hubbub.Entry{m2, r2, m3, r3})
	checkStored(t, "Before after Prune", before(t, s, "r", 0, 100), []hubbub.Entry{m2, m3})
	if revs, found := revisions(t, s, "r", m1.Seq); found || len(revs) != 0 {
		t.Errorf("Revisions of a pruned message = %+v, found %v; want not found", revs, found)
	}
	if got := reactedBy(t, s, "r", "bob", 0, 100); !slices.Equal(got, []hubbub.ReactionKey{{Seq: m3.Seq, Emoji: "👍"}}) {
		t.Errorf("ReactedBy(bob) after Prune = %v, want only the reaction on message %d", got, m3.Seq)
	}
	if got := reactedBy(t, s, "r", "dave", 0, 100); len(got) != 0 {
		t.Errorf("ReactedBy(dave) after Prune = %v, want none: his reaction was on the pruned message", got)
	}
	if got := lastSeq(t, s, "r"); got != r3.Seq {
		t.Errorf("LastSeq after Prune = %d, want %d", got, r3.Seq)
	}
	if got := rooms(t, s, "", 10); len(got) != 1 || got[0].LastSeq != r3.Seq || !got[0].LastActivity.Equal(r3.Time) {
		t.Errorf("Rooms after Prune = %+v, want r at seq %d, %v", got, r3.Seq, r3.Time)
	}
	// A pruned message takes no change any more; seqs go on.
	refused(t, s, edit("r", "alice", m1.Seq, "too late"), hubbub.ECodeNotFound)
	refused(t, s, react("r", "bob", m1.Seq, "👍"), hubbub.ECodeNotFound)
	refused(t, s, reply("r", "bob", m1.Seq, "too late"), hubbub.ECodeNotFound)
	if next := mustAppend(t, s, react("r", "alice", m2.Seq, "🎉")); next.Seq != r3.Seq+1 || next.Count != 2 {
		t.Errorf("a reaction after Prune = %+v, want seq %d, count 2", next, r3.Seq+1)
	}
	// Entries of other kinds count as no message: two messages stay.
	mustAppend(t, s, react("r", "alice", m3.Seq, "👀"))
	mustAppend(t, s, edit("r", "carol", m3.Seq, "three, edited"))
	if n := prune(t, s, "r"); n != 0 {
		t.Errorf("Prune with two messages and MaxPerRoom 2 removed %d", n)
	}
	checkSeqs(t, "Before after the second Prune", before(t, s, "r", 0, 100), []uint64{m2.Seq, m3.Seq})
}
