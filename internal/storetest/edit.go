package storetest

import (
	"testing"
	"time"

	"hubbub"
)

// testEdit: an edit is an entry of its own with the room's next seq; it replaces the
// message's text, mentions and @room, sets EditedAt to its time, and keeps every text the
// message had, oldest first, the current one last.
func testEdit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mentioning(msg("r", "alice", "hello @zoë, @bob and @al"), "zoë", "bob", "al") // in the text's order
	m.MentionRoom = true
	orig := mustAppend(t, s, m)
	other := mustAppend(t, s, msg("r", "bob", "hi"))
	time.Sleep(2 * time.Millisecond) // times are at millisecond precision

	e1 := mentioning(edit("r", "alice", orig.Seq, "hello @carol"), "carol")
	first := mustAppend(t, s, e1)
	if first.Seq != 3 || first.Kind != hubbub.KindEdit || first.Target != orig.Seq || first.From != "alice" ||
		first.Text != e1.Text || first.ID == "" || first.ID == orig.ID || first.Time.Before(orig.Time) {
		t.Errorf("Append(edit) = %+v, want seq 3, kind edit, target %d, the new text, a new ID and a later time", first, orig.Seq)
	}
	checkEntry(t, "the edit as returned", first, hubbub.Entry{
		Room: "r", Seq: 3, ID: first.ID, From: "alice", Kind: hubbub.KindEdit, Text: e1.Text,
		Time: first.Time, Target: orig.Seq, Mentions: e1.Mentions,
	})

	edited := orig
	edited.Text, edited.Mentions, edited.MentionRoom, edited.EditedAt = e1.Text, e1.Mentions, false, first.Time
	checkStored(t, "Since after an edit", since(t, s, "r", 0, 10), []hubbub.Entry{edited, other, first})
	checkStored(t, "Before after an edit", before(t, s, "r", 0, 10), []hubbub.Entry{edited, other})
	checkRevisions(t, s, "r", orig.Seq, []hubbub.Revision{{Text: orig.Text, Time: orig.Time}, {Text: e1.Text, Time: first.Time}})

	time.Sleep(2 * time.Millisecond)
	e2 := edit("r", "alice", orig.Seq, "hello everyone @room")
	e2.MentionRoom = true
	second := mustAppend(t, s, e2)
	if second.Seq != 4 || !second.MentionRoom || len(second.Mentions) != 0 {
		t.Errorf("second edit = %+v, want seq 4 with @room and no mentions", second)
	}
	edited.Text, edited.Mentions, edited.MentionRoom, edited.EditedAt = e2.Text, nil, true, second.Time
	checkStored(t, "Since after two edits", since(t, s, "r", 0, 10), []hubbub.Entry{edited, other, first, second})
	checkStored(t, "Before after two edits", before(t, s, "r", 0, 10), []hubbub.Entry{edited, other})
	checkRevisions(t, s, "r", orig.Seq, []hubbub.Revision{
		{Text: orig.Text, Time: orig.Time}, {Text: e1.Text, Time: first.Time}, {Text: e2.Text, Time: second.Time},
	})

	// A message never edited has one revision; an edit of the same text is an edit all the
	// same.
	checkRevisions(t, s, "r", other.Seq, []hubbub.Revision{{Text: other.Text, Time: other.Time}})
	same := mustAppend(t, s, edit("r", "bob", other.Seq, other.Text))
	checkRevisions(t, s, "r", other.Seq, []hubbub.Revision{{Text: other.Text, Time: other.Time}, {Text: other.Text, Time: same.Time}})
	if got := entryAt(t, since(t, s, "r", 0, 10), other.Seq); !got.EditedAt.Equal(same.Time) {
		t.Errorf("message edited to the same text: EditedAt %v, want %v", got.EditedAt, same.Time)
	}

	// Revisions of what is not a message of the room.
	for _, c := range []struct {
		room string
		seq  uint64
	}{{"r", 0}, {"r", first.Seq}, {"r", 99}, {"elsewhere", orig.Seq}} {
		if revs, found := revisions(t, s, c.room, c.seq); found || len(revs) != 0 {
			t.Errorf("Revisions(%q, %d) = %+v, found %v; want not found", c.room, c.seq, revs, found)
		}
	}
}

// testEditRefused: only the sender edits (a moderator neither), only a message of the room
// that is not deleted; a refusal is a *hubbub.Error with its code, changes nothing and takes
// no seq.
func testEditRefused(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "mine"))
	react1 := mustAppend(t, s, react("r", "bob", m.Seq, "👍"))
	gone := mustAppend(t, s, msg("r", "alice", "soon gone"))
	mustAppend(t, s, del("r", "alice", gone.Seq, false))
	mustAppend(t, s, msg("elsewhere", "alice", "other room"))
	before := since(t, s, "r", 0, 10)

	refused(t, s, edit("r", "bob", m.Seq, "not yours"), hubbub.ECodeForbidden)
	asMod := edit("r", "bob", m.Seq, "moderators do not edit")
	asMod.Moderator = true
	refused(t, s, asMod, hubbub.ECodeForbidden)
	for _, target := range []uint64{0, react1.Seq, 99, 1 << 63} {
		refused(t, s, edit("r", "alice", target, "no such message"), hubbub.ECodeNotFound)
	}
	refused(t, s, edit("nowhere", "alice", m.Seq, "no such room"), hubbub.ECodeNotFound)
	refused(t, s, edit("r", "alice", gone.Seq, "deleted"), hubbub.ECodeNotFound)
	refused(t, s, edit("r", "bob", gone.Seq, "deleted and not yours"), hubbub.ECodeNotFound)

	checkStored(t, "Since after refused edits", since(t, s, "r", 0, 10), before)
	checkRevisions(t, s, "r", m.Seq, []hubbub.Revision{{Text: m.Text, Time: m.Time}})
	if next := mustAppend(t, s, edit("r", "alice", m.Seq, "now edited")); next.Seq != 5 {
		t.Errorf("the edit after the refused ones got seq %d, want 5", next.Seq)
	}
}
