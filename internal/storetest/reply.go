package storetest

import (
	"slices"
	"testing"

	"hubbub"
)

// testReplies: a reply names a message of its room, which counts its replies; Replies reads
// a thread in current state, oldest first, paged forward by after.
func testReplies(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	parent := mustAppend(t, s, msg("r", "alice", "the question"))
	var thread []hubbub.Entry
	for i, from := range []string{"bob", "carol", "bob", "dave", "carol"} {
		r := mustAppend(t, s, reply("r", from, parent.Seq, "answer "+from))
		if r.ReplyTo != parent.Seq || r.ReplyCount != 0 {
			t.Errorf("reply %d as returned: %+v, want reply_to %d and no replies", i, r, parent.Seq)
		}
		thread = append(thread, r)
		// Other entries in between, which no thread lists.
		mustAppend(t, s, msg("r", "eve", "unrelated"))
		mustAppend(t, s, react("r", "eve", parent.Seq, "👍"))
	}
	nested := mustAppend(t, s, reply("r", "alice", thread[0].Seq, "a reply to a reply"))
	mustAppend(t, s, reply("elsewhere", "bob", 0, "another room"))

	// The replies' current state: one edited, one deleted, one with a reaction and a reply.
	e := mustAppend(t, s, edit("r", "carol", thread[1].Seq, "answer carol, edited"))
	thread[1].Text, thread[1].EditedAt = e.Text, e.Time
	mustAppend(t, s, del("r", "dave", thread[3].Seq, false))
	thread[3].Text, thread[3].Deleted = "", true
	mustAppend(t, s, react("r", "alice", thread[0].Seq, "🎉"))
	thread[0].Reactions = []hubbub.Reaction{{Emoji: "🎉", Count: 1, Names: []string{"alice"}}}
	thread[0].ReplyCount = 1

	checkStored(t, "Replies(parent, 0, 10)", replies(t, s, "r", parent.Seq, 0, 10), thread)
	checkStored(t, "Replies(parent, 0, 2)", replies(t, s, "r", parent.Seq, 0, 2), thread[:2])
	checkStored(t, "Replies(parent, second, 2)", replies(t, s, "r", parent.Seq, thread[1].Seq, 2), thread[2:4])
	checkStored(t, "Replies(parent, fourth, 2)", replies(t, s, "r", parent.Seq, thread[3].Seq, 2), thread[4:])
	checkStored(t, "Replies(parent, fifth, 2)", replies(t, s, "r", parent.Seq, thread[4].Seq, 2), nil)
	checkStored(t, "Replies(parent, between, 10)", replies(t, s, "r", parent.Seq, thread[2].Seq+1, 10), thread[3:])
	checkStored(t, "Replies to a reply", replies(t, s, "r", thread[0].Seq, 0, 10), []hubbub.Entry{nested})
	checkStored(t, "Replies to a message without replies", replies(t, s, "r", nested.Seq, 0, 10), nil)
	checkStored(t, "Replies to an entry that is not a message", replies(t, s, "r", e.Seq, 0, 10), nil)
	checkStored(t, "Replies in an unknown room", replies(t, s, "nowhere", parent.Seq, 0, 10), nil)
	checkStored(t, "Replies(parent, 0, 0)", replies(t, s, "r", parent.Seq, 0, 0), nil)

	// Every read shows the reply count; deleting a reply does not uncount it (its tombstone
	// stays in the thread).
	got := entryAt(t, before(t, s, "r", 0, 100), parent.Seq)
	if got.ReplyCount != len(thread) {
		t.Errorf("Before: the parent's ReplyCount = %d, want %d", got.ReplyCount, len(thread))
	}
	if got := entryAt(t, since(t, s, "r", 0, 100), parent.Seq); got.ReplyCount != len(thread) {
		t.Errorf("Since: the parent's ReplyCount = %d, want %d", got.ReplyCount, len(thread))
	}
	if got := entryAt(t, replies(t, s, "r", parent.Seq, 0, 10), thread[0].Seq); got.ReplyCount != 1 {
		t.Errorf("Replies: the first reply's ReplyCount = %d, want 1", got.ReplyCount)
	}
}

// testReplyRefused: a reply names a message of its own room (a tombstone will do); anything
// else is refused with ECodeNotFound and takes no seq.
func testReplyRefused(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "hello"))
	r := mustAppend(t, s, react("r", "bob", m.Seq, "👍"))
	other := mustAppend(t, s, msg("elsewhere", "alice", "1"))
	mustAppend(t, s, msg("elsewhere", "alice", "2"))
	mustAppend(t, s, msg("elsewhere", "alice", "3"))
	for _, parent := range []uint64{r.Seq, 3, 99, 1 << 63} {
		refused(t, s, reply("r", "bob", parent, "to nothing"), hubbub.ECodeNotFound)
	}
	refused(t, s, reply("nowhere", "bob", other.Seq, "no such room"), hubbub.ECodeNotFound)
	checkSeqs(t, "Since after refused replies", since(t, s, "r", 0, 10), []uint64{1, 2})

	gone := mustAppend(t, s, msg("r", "alice", "soon gone"))
	mustAppend(t, s, del("r", "alice", gone.Seq, false))
	toTomb := mustAppend(t, s, reply("r", "bob", gone.Seq, "what was it?"))
	if toTomb.Seq != 5 || toTomb.ReplyTo != gone.Seq {
		t.Errorf("a reply to a tombstone = %+v, want seq 5 replying to %d", toTomb, gone.Seq)
	}
	if got := entryAt(t, before(t, s, "r", 0, 10), gone.Seq); got.ReplyCount != 1 || !got.Deleted {
		t.Errorf("the tombstone after a reply = %+v, want deleted with one reply", got)
	}
}

// testArgumentEdges: the reads answer arguments at the edges of their types (seqs past what a
// database's signed integers hold, empty and reversed ranges, limits of zero or less) with
// what the contract says, never an error.
func testArgumentEdges(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "hello"))
	rep := mustAppend(t, s, reply("r", "bob", m.Seq, "hi"))
	mustAppend(t, s, react("r", "bob", m.Seq, "👍"))
	const top = ^uint64(0)
	for _, c := range []struct {
		what string
		got  []hubbub.Entry
		want []uint64
	}{
		{"Since(max)", since(t, s, "r", top, 10), nil},
		{"Since(1<<63)", since(t, s, "r", 1<<63, 10), nil},
		{"Since(0, -1)", since(t, s, "r", 0, -1), nil},
		{"Before(max)", before(t, s, "r", top, 10), []uint64{m.Seq, rep.Seq}},
		{"Before(0, -1)", before(t, s, "r", 0, -1), nil},
		{"Replies(parent max)", replies(t, s, "r", top, 0, 10), nil},
		{"Replies(after max)", replies(t, s, "r", m.Seq, top, 10), nil},
		{"Replies(after 1<<63)", replies(t, s, "r", m.Seq, 1<<63, 10), nil},
		{"Replies(limit -1)", replies(t, s, "r", m.Seq, 0, -1), nil},
	} {
		checkSeqs(t, c.what, c.got, c.want)
	}
	if revs, found := revisions(t, s, "r", top); found || len(revs) != 0 {
		t.Errorf("Revisions(max) = %+v, %v; want not found", revs, found)
	}
	all := []hubbub.ReactionKey{{Seq: m.Seq, Emoji: "👍"}}
	for _, c := range []struct {
		from, to uint64
		want     []hubbub.ReactionKey
	}{
		{0, top, all},
		{1, 1 << 63, all},
		{2, 1, nil}, // reversed
		{1 << 63, top, nil},
	} {
		if got := reactedBy(t, s, "r", "bob", c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("ReactedBy(bob, %d, %d) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

// testReplyMention: the mention of a reply's author (Mention.Reply) is stored as given and
// read back with its mark by every read, counts among its user's mentions in MyRooms, and an
// edit's mentions replace it as they replace any: the server keeps it by giving the edit it.
func testReplyMention(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ann, bob := newUser(t, s, "ann"), newUser(t, s, "bob")
	if _, err := s.JoinRoom(t.Context(), "r", ann.ID); err != nil {
		t.Fatal(err)
	}
	parent := mustAppend(t, s, as(msg("r", "ann", "who has the keys?"), ann.ID))
	answers := []hubbub.Mention{{User: ann.ID, Name: "ann", Reply: true}}
	r := as(reply("r", "bob", parent.Seq, "I do"), bob.ID)
	r.Mentions = answers
	r = mustAppend(t, s, r)
	for what, got := range map[string][]hubbub.Mention{
		"Append":  r.Mentions,
		"Since":   entryAt(t, since(t, s, "r", 0, 10), r.Seq).Mentions,
		"Before":  entryAt(t, before(t, s, "r", 0, 10), r.Seq).Mentions,
		"Replies": entryAt(t, replies(t, s, "r", parent.Seq, 0, 10), r.Seq).Mentions,
	} {
		if !slices.Equal(got, answers) {
			t.Errorf("%s: the reply's mentions %+v, want %+v", what, got, answers)
		}
	}
	mentionsOfAnn := func(what string, want int) {
		t.Helper()
		if list := myRooms(t, s, ann.ID); len(list) != 1 || list[0].Mentions != want {
			t.Errorf("%s: ann's MyRooms = %+v, want r with %d mention(s)", what, list, want)
		}
	}
	mentionsOfAnn("the reply", 1)

	e := as(edit("r", "bob", r.Seq, "@bob does"), bob.ID)
	e.Mentions = []hubbub.Mention{{User: bob.ID, Name: "bob"}, answers[0]}
	mustAppend(t, s, e)
	if got := entryAt(t, since(t, s, "r", 0, 10), r.Seq).Mentions; !slices.Equal(got, e.Mentions) {
		t.Errorf("after the edit: mentions %+v, want %+v", got, e.Mentions)
	}
	mentionsOfAnn("the edited reply", 1)
}
