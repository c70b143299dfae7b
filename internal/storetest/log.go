package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// mixedLog appends one entry of each kind, and a few more, to room: the seqs 1..9.
//
//	1 alice: hello        4 bob edits 2        7 carol replies to 1
//	2 bob: hi             5 alice deletes 3    8 carol reacts 👍 to 2 (2 hold it)
//	3 alice: oops         6 bob reacts 👍 to 1 9 bob reacts 👍 to 2
func mixedLog(t *testing.T, s hubbub.Store, room string) []hubbub.Entry {
	t.Helper()
	return []hubbub.Entry{
		mustAppend(t, s, msg(room, "alice", "hello")),
		mustAppend(t, s, msg(room, "bob", "hi")),
		mustAppend(t, s, msg(room, "alice", "oops")),
		mustAppend(t, s, edit(room, "bob", 2, "hi there")),
		mustAppend(t, s, del(room, "alice", 3, false)),
		mustAppend(t, s, react(room, "bob", 1, "👍")),
		mustAppend(t, s, reply(room, "carol", 1, "welcome")),
		mustAppend(t, s, react(room, "carol", 2, "👍")),
		mustAppend(t, s, react(room, "bob", 2, "👍")),
	}
}

// currentState returns log as Since reads it: each message in its current state, the edits
// of deleted messages emptied. It knows what mixedLog did.
func currentState(log []hubbub.Entry) []hubbub.Entry {
	out := slices.Clone(log)
	out[0].Reactions = []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"bob"}}}
	out[0].ReplyCount = 1
	out[1].Text, out[1].EditedAt = log[3].Text, log[3].Time
	out[1].Reactions = []hubbub.Reaction{{Emoji: "👍", Count: 2, Names: []string{"carol", "bob"}}}
	out[2].Text, out[2].Deleted = "", true
	return out
}

// testSeqAcrossKinds: every kind of entry takes the room's next seq; Since returns them all,
// in order, messages in their current state, paged by after and limit; Before returns the
// messages alone, its limit counting messages; LastSeq counts every kind.
func testSeqAcrossKinds(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	log := mixedLog(t, s, "r")
	mustAppend(t, s, msg("other", "alice", "elsewhere"))
	checkSeqs(t, "seqs returned by Append", log, span(1, 9))
	wantKinds := []hubbub.EntryKind{"", "", "", hubbub.KindEdit, hubbub.KindDelete, hubbub.KindReaction, "", hubbub.KindReaction, hubbub.KindReaction}
	for i, e := range log {
		if e.Kind != wantKinds[i] {
			t.Errorf("entry %d has kind %q, want %q", e.Seq, e.Kind, wantKinds[i])
		}
	}
	if got := lastSeq(t, s, "r"); got != 9 {
		t.Errorf("LastSeq = %d, want 9", got)
	}
	state := currentState(log)
	checkStored(t, "Since(0, 100)", since(t, s, "r", 0, 100), state)
	checkStored(t, "Since(3, 3)", since(t, s, "r", 3, 3), state[3:6])
	checkStored(t, "Since(6, 100)", since(t, s, "r", 6, 100), state[6:])
	checkStored(t, "Since(9, 100)", since(t, s, "r", 9, 100), nil)
	// Paging by one entry at a time reads the whole log once.
	var paged []hubbub.Entry
	for after := uint64(0); len(paged) <= len(log); {
		page := since(t, s, "r", after, 1)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	checkStored(t, "Since one by one", paged, state)

	msgs := []hubbub.Entry{state[0], state[1], state[2], state[6]}
	checkStored(t, "Before(0, 100)", before(t, s, "r", 0, 100), msgs)
	checkStored(t, "Before(0, 2)", before(t, s, "r", 0, 2), msgs[2:])
	checkStored(t, "Before(7, 2)", before(t, s, "r", 7, 2), msgs[1:3])
	checkStored(t, "Before(6, 10)", before(t, s, "r", 6, 10), msgs[:3])
	checkStored(t, "Before(10, 1)", before(t, s, "r", 10, 1), msgs[3:])
}

// testUnknownKind: Append refuses a kind it does not know with ECodeBadField, and takes no seq.
func testUnknownKind(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "hello"))
	refused(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: "poll", Text: "a question?", Target: m.Seq}, hubbub.ECodeBadField)
	if next := mustAppend(t, s, msg("r", "alice", "next")); next.Seq != 2 {
		t.Errorf("the message after a refused kind got seq %d, want 2", next.Seq)
	}
}

// testFieldsOfKind: Append reads the fields of the entry's kind only: a reaction's or a
// delete's text, an edit's reply_to, and the results a store computes are not stored.
func testFieldsOfKind(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "hello"))
	other := mustAppend(t, s, msg("r", "alice", "other"))
	r := react("r", "bob", m.Seq, "👍")
	r.Text, r.ReplyTo, r.Added, r.Count, r.Moderator, r.Deleted = "sneaky", other.Seq, false, 42, true, true
	r = mentioning(r, "carol")
	gotR := mustAppend(t, s, r)
	e := edit("r", "alice", m.Seq, "edited")
	e.ReplyTo, e.Emoji, e.Added, e.Count, e.Moderator, e.EditedAt = other.Seq, "👍", true, 3, true, time.Now()
	gotE := mustAppend(t, s, e)
	d := del("r", "alice", other.Seq, false)
	d.Text, d.Emoji, d.ReplyTo = "sneaky", "👍", m.Seq
	d = mentioning(d, "carol")
	gotD := mustAppend(t, s, d)
	wantR := hubbub.Entry{Room: "r", Seq: 3, ID: gotR.ID, From: "bob", Kind: hubbub.KindReaction, Time: gotR.Time,
		Target: m.Seq, Emoji: "👍", Added: true, Count: 1}
	wantE := hubbub.Entry{Room: "r", Seq: 4, ID: gotE.ID, From: "alice", Kind: hubbub.KindEdit, Text: "edited",
		Time: gotE.Time, Target: m.Seq}
	wantD := hubbub.Entry{Room: "r", Seq: 5, ID: gotD.ID, From: "alice", Kind: hubbub.KindDelete, Time: gotD.Time,
		Target: other.Seq, Subject: other.User, SubjectName: other.From} // whose message it was
	checkEntry(t, "the reaction as returned", gotR, wantR)
	checkEntry(t, "the edit as returned", gotE, wantE)
	checkEntry(t, "the delete as returned", gotD, wantD)
	read := since(t, s, "r", 2, 10)
	checkStored(t, "Since", read, []hubbub.Entry{wantR, wantE, wantD})
	if got := entryAt(t, before(t, s, "r", 0, 10), m.Seq); got.ReplyCount != 0 {
		t.Errorf("an edit's or a delete's ReplyTo counted as a reply: %+v", got)
	}
}

// testConcurrentKinds: goroutines appending entries of every kind to one room at once get the
// seqs 1..n, each once; every entry's outcome follows from the entries before it in seq order,
// and the messages end in the state the log adds up to (checkFold).
func testConcurrentKinds(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	const (
		workers   = 6
		perWorker = 30
	)
	target := mustAppend(t, s, msg("r", "alice", "everyone reacts to this"))
	var (
		mu     sync.Mutex
		stored = []hubbub.Entry{target}
		wg     sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			user := fmt.Sprint("user", w)
			var own uint64 // the worker's last message
			for i := range perWorker {
				var e hubbub.Entry
				switch {
				case own == 0 || i%5 == 0:
					e = msg("r", user, fmt.Sprint(w, "/", i))
				case i%5 == 1:
					e = edit("r", user, own, fmt.Sprint(w, "/", i, " edited"))
				case i%5 == 4 && i%10 == 9:
					e = del("r", user, own, false)
				default:
					e = react("r", user, target.Seq, []string{"👍", "🎉"}[i%2])
				}
				got, dup, err := appendValue(t.Context(), s, e)
				if err != nil || dup {
					t.Errorf("worker %d append %d (%+v): dup=%v err=%v", w, i, e, dup, err)
					return
				}
				if e.IsMessage() {
					own = got.Seq
				} else if e.Kind == hubbub.KindDelete {
					own = 0
				}
				mu.Lock()
				stored = append(stored, got)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(stored, func(a, b hubbub.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	n := uint64(1 + workers*perWorker)
	checkSeqs(t, "seqs returned by Append", stored, span(1, n))
	if got := lastSeq(t, s, "r"); got != n {
		t.Errorf("LastSeq = %d, want %d", got, n)
	}
	checkFold(t, s, "r")
}

// testLastSeqEveryKind: LastSeq and Rooms count entries of every kind, and a room's last
// activity is the time of its last entry, whatever its kind.
func testLastSeqEveryKind(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "hello"))
	for _, e := range []hubbub.Entry{
		edit("r", "alice", m.Seq, "hello again"),
		react("r", "bob", m.Seq, "👍"),
		del("r", "alice", m.Seq, false),
	} {
		time.Sleep(2 * time.Millisecond) // times are at millisecond precision
		got := mustAppend(t, s, e)
		if last := lastSeq(t, s, "r"); last != got.Seq {
			t.Errorf("LastSeq after a %q entry = %d, want %d", e.Kind, last, got.Seq)
		}
		list := rooms(t, s, "", 10)
		if len(list) != 1 || list[0].Name != "r" || list[0].LastSeq != got.Seq || !list[0].LastActivity.Equal(got.Time) {
			t.Errorf("Rooms after a %q entry = %+v, want r at seq %d, %v", e.Kind, list, got.Seq, got.Time)
		}
	}
}
