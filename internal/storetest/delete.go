package storetest

import (
	"sync"
	"testing"

	"hubbub"
)

// testDelete: a delete is an entry of its own; it turns the message into a tombstone that
// keeps nothing of what it said (text, mentions, revisions, the texts of its edits as Since
// returns them) but keeps its seq, reactions, replies and place in a thread; the delete names
// whose message it was (Subject, SubjectName: its sender).
func testDelete(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	parent := mustAppend(t, s, msg("r", "carol", "the question"))
	m := mustAppend(t, s, mentioning(reply("r", "alice", parent.Seq, "secret @bob"), "bob"))
	e1 := mustAppend(t, s, mentioning(edit("r", "alice", m.Seq, "still secret @bob"), "bob"))
	r1 := mustAppend(t, s, react("r", "bob", m.Seq, "👍"))
	answer := mustAppend(t, s, reply("r", "carol", m.Seq, "an answer"))
	d := mustAppend(t, s, del("r", "alice", m.Seq, false))
	checkEntry(t, "the delete as returned", d, hubbub.Entry{
		Room: "r", Seq: 6, ID: d.ID, From: "alice", Kind: hubbub.KindDelete, Time: d.Time, Target: m.Seq,
		Subject: m.User, SubjectName: m.From, // whose message it was
	})

	tomb := m
	tomb.Text, tomb.Mentions, tomb.Deleted, tomb.EditedAt = "", nil, true, e1.Time
	tomb.Reactions = []hubbub.Reaction{{Emoji: "👍", Count: 1, Names: []string{"bob"}}}
	tomb.ReplyCount = 1
	e1Emptied := e1
	e1Emptied.Text, e1Emptied.Mentions = "", nil
	withReply := parent
	withReply.ReplyCount = 1
	checkStored(t, "Since after the delete", since(t, s, "r", 0, 10),
		[]hubbub.Entry{withReply, tomb, e1Emptied, r1, answer, d})
	checkStored(t, "Before after the delete", before(t, s, "r", 0, 10), []hubbub.Entry{withReply, tomb, answer})
	checkStored(t, "Replies to the parent after the delete", replies(t, s, "r", parent.Seq, 0, 10), []hubbub.Entry{tomb})
	checkStored(t, "Replies to the tombstone", replies(t, s, "r", m.Seq, 0, 10), []hubbub.Entry{answer})
	if revs, found := revisions(t, s, "r", m.Seq); !found || len(revs) != 0 {
		t.Errorf("Revisions of a tombstone = %+v, found %v; want found, none", revs, found)
	}
	if got := reactedBy(t, s, "r", "bob", 1, 10); len(got) != 1 || got[0] != (hubbub.ReactionKey{Seq: m.Seq, Emoji: "👍"}) {
		t.Errorf("ReactedBy(bob) after the delete = %+v, want the reaction on the tombstone", got)
	}

	// A tombstone takes replies, but no edit and no reaction, not even to take one back.
	again := mustAppend(t, s, reply("r", "carol", m.Seq, "what did it say?"))
	refused(t, s, edit("r", "alice", m.Seq, "undo"), hubbub.ECodeNotFound)
	refused(t, s, react("r", "bob", m.Seq, "👍"), hubbub.ECodeNotFound)
	refused(t, s, react("r", "carol", m.Seq, "🎉"), hubbub.ECodeNotFound)
	tomb.ReplyCount = 2
	checkStored(t, "Before after refused changes", before(t, s, "r", 0, 10), []hubbub.Entry{withReply, tomb, answer, again})
}

// testDeleteModerator: the sender deletes their own message; another user only as a
// moderator; a delete names a message of the room.
func testDeleteModerator(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	a := mustAppend(t, s, msg("r", "alice", "one"))
	b := mustAppend(t, s, msg("r", "alice", "two"))
	r := mustAppend(t, s, react("r", "bob", a.Seq, "👍"))
	mod := mustAppend(t, s, msg("r", "mod", "a moderator's own"))

	refused(t, s, del("r", "bob", a.Seq, false), hubbub.ECodeForbidden)
	for _, target := range []uint64{0, r.Seq, 99, 1 << 63} {
		refused(t, s, del("r", "alice", target, false), hubbub.ECodeNotFound)
		refused(t, s, del("r", "mod", target, true), hubbub.ECodeNotFound)
	}
	refused(t, s, del("elsewhere", "alice", a.Seq, false), hubbub.ECodeNotFound)
	checkSeqs(t, "Since after refused deletes", since(t, s, "r", 0, 10), []uint64{1, 2, 3, 4})

	byMod := mustAppend(t, s, del("r", "mod", a.Seq, true))
	if byMod.Seq != 5 || !byMod.Moderator || byMod.From != "mod" || byMod.Target != a.Seq {
		t.Errorf("a moderator's delete = %+v, want seq 5 by mod as moderator of %d", byMod, a.Seq)
	}
	bySender := mustAppend(t, s, del("r", "alice", b.Seq, false))
	if bySender.Seq != 6 || bySender.Moderator {
		t.Errorf("the sender's delete = %+v, want seq 6, not as moderator", bySender)
	}
	ownAsMod := mustAppend(t, s, del("r", "mod", mod.Seq, true))
	for _, e := range []hubbub.Entry{byMod, bySender, ownAsMod} {
		if got := entryAt(t, since(t, s, "r", 0, 20), e.Seq); sameEntry(got, e) != "" {
			t.Errorf("Since returned delete %+v, want %+v", got, e)
		}
	}
	for _, msg := range before(t, s, "r", 0, 10) {
		if !msg.Deleted || msg.Text != "" {
			t.Errorf("message %d after its delete: deleted %v, text %q", msg.Seq, msg.Deleted, msg.Text)
		}
	}
}

// testDeleteTwice: a delete of a tombstone stores nothing and returns the delete entry that
// made it, flagged duplicate, whoever asks (who may delete it); one who may not is refused.
func testDeleteTwice(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "once"))
	first := mustAppend(t, s, keyed(del("r", "alice", m.Seq, false), "d1"))
	duplicate(t, s, del("r", "alice", m.Seq, false), first)
	duplicate(t, s, keyed(del("r", "alice", m.Seq, false), "d2"), first)
	duplicate(t, s, del("r", "mod", m.Seq, true), first)
	refused(t, s, del("r", "bob", m.Seq, false), hubbub.ECodeForbidden)
	checkSeqs(t, "Since after deleting twice", since(t, s, "r", 0, 10), []uint64{1, 2})
	if next := mustAppend(t, s, msg("r", "bob", "next")); next.Seq != 3 {
		t.Errorf("the message after the deletes got seq %d, want 3", next.Seq)
	}
}

// testDeleteConcurrent: of several deletes of one message at once (its sender's and
// moderators'), exactly one is stored, and every one returns it, so that one caller, and
// only one, tells the members.
func testDeleteConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	msgs := appendN(t, s, "r", 3)
	const deleters = 8
	for _, m := range msgs {
		var (
			wg      sync.WaitGroup
			results [deleters]hubbub.Entry
			dups    [deleters]bool
		)
		start := make(chan struct{}) // released at once, so that they race
		for i := range deleters {
			wg.Go(func() {
				<-start
				e := del("r", "alice", m.Seq, false)
				if i%2 == 1 {
					e = del("r", "mod", m.Seq, true)
				}
				got, dup, err := appendValue(t.Context(), s, e)
				if err != nil {
					t.Errorf("delete %d of seq %d: %v", i, m.Seq, err)
				}
				results[i], dups[i] = got, dup
			})
		}
		close(start)
		wg.Wait()
		fresh := 0
		for i := range deleters {
			if !dups[i] {
				fresh++
			}
			if d := sameEntry(results[i], results[0]); d != "" {
				t.Errorf("deletes of seq %d returned different entries: %s", m.Seq, d)
			}
		}
		if fresh != 1 {
			t.Errorf("%d deletes of seq %d at once: %d stored one, want 1", deleters, m.Seq, fresh)
		}
	}
	checkSeqs(t, "Since after the deletes", since(t, s, "r", 0, 20), span(1, 6))
}
