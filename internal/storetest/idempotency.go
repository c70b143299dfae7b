package storetest

import (
	"sync"
	"testing"

	"hubbub"
)

// testClientIDDuplicate: a second Append with the same room, sender and client ID returns
// the first message, flagged duplicate, and stores nothing — even if its text differs.
func testClientIDDuplicate(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	first := mustAppend(t, s, withID("r", "alice", "k1", "hello"))
	mustAppend(t, s, msg("r", "bob", "in between"))
	for _, text := range []string{"hello", "a different text"} {
		got, dup, err := appendValue(t.Context(), s, withID("r", "alice", "k1", text))
		if err != nil {
			t.Fatalf("second Append with client id k1: %v", err)
		}
		if !dup {
			t.Errorf("second Append with client id k1 (text %q): duplicate = false", text)
		}
		if d := sameMessage(got, first); d != "" {
			t.Errorf("second Append with client id k1 did not return the first message: %s", d)
		}
	}
	if got := lastSeq(t, s, "r"); got != 2 {
		t.Errorf("LastSeq after duplicates = %d, want 2: a duplicate consumed a seq", got)
	}
	msgs := since(t, s, "r", 0, 10)
	checkSeqs(t, "Since after duplicates", msgs, []uint64{1, 2})
	if len(msgs) > 0 {
		checkStored(t, "first message after duplicates", msgs[:1], []hubbub.Entry{first})
	}
}

// testClientIDScope: a key is scoped to one sender in one room, and an empty key never
// deduplicates.
func testClientIDScope(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	a := mustAppend(t, s, withID("r", "alice", "k", "from alice"))
	b := mustAppend(t, s, withID("r", "bob", "k", "from bob"))        // other sender
	c := mustAppend(t, s, withID("other", "alice", "k", "elsewhere")) // other room
	if a.Seq != 1 || b.Seq != 2 || c.Seq != 1 {
		t.Errorf("seqs %d, %d, %d, want 1, 2, 1", a.Seq, b.Seq, c.Seq)
	}
	if a.ID == b.ID || a.ID == c.ID {
		t.Errorf("messages with the same key in other scopes share an ID: %q %q %q", a.ID, b.ID, c.ID)
	}
	e1 := mustAppend(t, s, withID("r", "alice", "", "same text"))
	e2 := mustAppend(t, s, withID("r", "alice", "", "same text"))
	if e1.Seq != 3 || e2.Seq != 4 {
		t.Errorf("empty client ids: seqs %d and %d, want 3 and 4", e1.Seq, e2.Seq)
	}
	checkStored(t, "room r", since(t, s, "r", 0, 10), []hubbub.Entry{a, b, e1, e2})
	checkStored(t, "room other", since(t, s, "other", 0, 10), []hubbub.Entry{c})
}

// testClientIDConcurrent: racing retries of one key store exactly one message, and every
// racer gets that message back.
func testClientIDConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	const racers = 8
	var (
		wg      sync.WaitGroup
		results [racers]hubbub.Entry
		dups    [racers]bool
	)
	start := make(chan struct{}) // released at once, so that they race
	for i := range racers {
		wg.Go(func() {
			<-start
			m, dup, err := appendValue(t.Context(), s, withID("r", "alice", "retry-1", "once"))
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
			results[i], dups[i] = m, dup
		})
	}
	close(start)
	wg.Wait()
	fresh := 0
	for i := range racers {
		if !dups[i] {
			fresh++
		}
		if d := sameMessage(results[i], results[0]); d != "" {
			t.Errorf("racer %d got another message than racer 0: %s", i, d)
		}
	}
	if fresh != 1 {
		t.Errorf("%d racers stored a new message, want exactly 1", fresh)
	}
	if got := lastSeq(t, s, "r"); got != 1 {
		t.Errorf("LastSeq = %d, want 1", got)
	}
	checkSeqs(t, "Since", since(t, s, "r", 0, 10), []uint64{1})
}

// testClientIDKinds: an entry of any kind resent with its key (same room and sender) returns
// the first outcome as Since returns it now, stores nothing and takes no seq, even after the
// message it changed has changed since, even if the resend would now be refused; a key names
// one entry of any kind.
func testClientIDKinds(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, keyed(msg("r", "alice", "hello"), "m"))
	e1 := mustAppend(t, s, keyed(edit("r", "alice", m.Seq, "hello, edited"), "e1"))
	r1 := mustAppend(t, s, keyed(react("r", "bob", m.Seq, "👍"), "r1"))
	rep := mustAppend(t, s, keyed(reply("r", "bob", m.Seq, "a reply"), "rep"))

	// Resends before anything changed: the toggle is not toggled back.
	duplicate(t, s, keyed(react("r", "bob", m.Seq, "👍"), "r1"), r1)
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"bob"}}})
	duplicate(t, s, keyed(reply("r", "bob", m.Seq, "a reply"), "rep"), rep)
	if got := entryAt(t, before(t, s, "r", 0, 10), m.Seq); got.ReplyCount != 1 {
		t.Errorf("a resent reply counted again: ReplyCount %d", got.ReplyCount)
	}

	// Resends after the message changed: the first outcome, in its state now.
	e2 := mustAppend(t, s, keyed(edit("r", "alice", m.Seq, "hello, edited twice"), "e2"))
	mustAppend(t, s, react("r", "carol", m.Seq, "👍"))
	duplicate(t, s, keyed(edit("r", "alice", m.Seq, "hello, edited twice"), "e1"), e1)
	duplicate(t, s, keyed(react("r", "bob", m.Seq, "👍"), "r1"), r1)
	now := entryAt(t, before(t, s, "r", 0, 10), m.Seq)
	if now.Text != e2.Text {
		t.Fatalf("message after two edits reads %q, want %q", now.Text, e2.Text)
	}
	duplicate(t, s, keyed(msg("r", "alice", "hello"), "m"), now)

	// A key names one entry whatever the kind of the resend.
	duplicate(t, s, keyed(react("r", "alice", m.Seq, "🎉"), "m"), now)
	duplicate(t, s, keyed(msg("r", "bob", "not a reaction"), "r1"), r1)

	// Resends after the message was deleted: still the first outcomes, not refusals.
	d := mustAppend(t, s, keyed(del("r", "alice", m.Seq, false), "d"))
	tomb := entryAt(t, before(t, s, "r", 0, 10), m.Seq)
	e1.Text = ""
	duplicate(t, s, keyed(edit("r", "alice", m.Seq, "hello, edited"), "e1"), e1)
	duplicate(t, s, keyed(react("r", "bob", m.Seq, "👍"), "r1"), r1)
	duplicate(t, s, keyed(del("r", "alice", m.Seq, false), "d"), d)
	duplicate(t, s, keyed(msg("r", "alice", "hello"), "m"), tomb)

	// Another sender's key, and the same key in another room, are other entries.
	if got := mustAppend(t, s, keyed(react("r", "carol", rep.Seq, "👍"), "r1")); !got.Added {
		t.Errorf("carol's reaction with bob's key = %+v, want added", got)
	}
	other := mustAppend(t, s, msg("elsewhere", "bob", "hi"))
	mustAppend(t, s, keyed(react("elsewhere", "bob", other.Seq, "👍"), "r1"))
}

// testClientIDConcurrentKinds: racing resends of one reaction toggle it once, and every racer
// gets that toggle back; so for an edit.
func testClientIDConcurrentKinds(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "hello"))
	for _, e := range []hubbub.Entry{
		keyed(react("r", "bob", m.Seq, "👍"), "k1"),
		keyed(edit("r", "alice", m.Seq, "edited once"), "k2"),
	} {
		const racers = 8
		var (
			wg      sync.WaitGroup
			results [racers]hubbub.Entry
			dups    [racers]bool
		)
		start := make(chan struct{}) // released at once, so that they race
		for i := range racers {
			wg.Go(func() {
				<-start
				got, dup, err := appendValue(t.Context(), s, e)
				if err != nil {
					t.Errorf("racer %d: %v", i, err)
				}
				results[i], dups[i] = got, dup
			})
		}
		close(start)
		wg.Wait()
		fresh := 0
		for i := range racers {
			if !dups[i] {
				fresh++
			}
			if d := sameEntry(results[i], results[0]); d != "" {
				t.Errorf("%q racer %d got another entry than racer 0: %s", e.Kind, i, d)
			}
		}
		if fresh != 1 {
			t.Errorf("%d %q racers stored a new entry, want exactly 1", fresh, e.Kind)
		}
	}
	checkSeqs(t, "Since", since(t, s, "r", 0, 10), []uint64{1, 2, 3})
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"bob"}}})
	checkRevisions(t, s, "r", m.Seq, []hubbub.Revision{{Text: m.Text, Time: m.Time}, {Text: "edited once", Time: since(t, s, "r", 2, 1)[0].Time}})
}
