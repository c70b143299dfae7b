package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"hubbub"
)

// outcome is what one Append of a race returned.
type outcome struct {
	in  hubbub.Entry
	got hubbub.Entry
	dup bool
	err error
}

// race appends every entry of ins at once (released together), and returns what each got.
func race(t *testing.T, s hubbub.Store, ins []hubbub.Entry) []outcome {
	t.Helper()
	out := make([]outcome, len(ins))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			<-start
			got, dup, err := appendValue(t.Context(), s, in)
			out[i] = outcome{in, got, dup, err}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// foldState is a message's state as the log adds it up.
type foldState struct {
	text     string
	deleted  bool
	deleteBy uint64              // seq of the delete entry
	holders  map[string][]string // emoji → holders in order
	order    []string            // emoji held, in the order added since last zero
	replies  int                 // ReplyCount
}

// foldLog replays log (every entry of a room from seq 1, ascending) and fails t where an
// entry's outcome is not what the entries before it allow: a change of a deleted or unknown
// message, a toggle whose Added or Count is not the one the log before it gives, an emoji past
// MaxReactionsPerMessage. It returns each message's state.
func foldLog(t *testing.T, log []hubbub.Entry) map[uint64]*foldState {
	t.Helper()
	msgs := map[uint64]*foldState{}
	for _, e := range log {
		if e.IsMessage() {
			msgs[e.Seq] = &foldState{text: e.Text, holders: map[string][]string{}}
			if p := msgs[e.ReplyTo]; e.ReplyTo > 0 {
				if p == nil {
					t.Errorf("message %d replies to %d, which is no message before it", e.Seq, e.ReplyTo)
					continue
				}
				p.replies++
			}
			continue
		}
		m := msgs[e.Target]
		if m == nil {
			t.Errorf("entry %d (%s) changes %d, which is no message before it", e.Seq, e.Kind, e.Target)
			continue
		}
		if m.deleted {
			t.Errorf("entry %d (%s) changes message %d, deleted by entry %d before it", e.Seq, e.Kind, e.Target, m.deleteBy)
			continue
		}
		switch e.Kind {
		case hubbub.KindEdit:
			m.text = e.Text
		case hubbub.KindDelete:
			m.text, m.deleted, m.deleteBy = "", true, e.Seq
		case hubbub.KindReaction:
			h := m.holders[e.Emoji]
			held := slices.Contains(h, e.From)
			if held {
				h = slices.DeleteFunc(slices.Clone(h), func(u string) bool { return u == e.From })
			} else {
				h = append(h, e.From)
			}
			m.holders[e.Emoji] = h
			if e.Added == held || e.Count != len(h) {
				t.Errorf("reaction %d (%s %s on %d) = added %v, count %d; the log before it gives added %v, count %d",
					e.Seq, e.From, e.Emoji, e.Target, e.Added, e.Count, !held, len(h))
			}
			switch {
			case len(h) == 0:
				m.order = slices.DeleteFunc(m.order, func(x string) bool { return x == e.Emoji })
			case !slices.Contains(m.order, e.Emoji):
				m.order = append(m.order, e.Emoji)
				if len(m.order) > hubbub.MaxReactionsPerMessage {
					t.Errorf("reaction %d gives message %d a %dth emoji", e.Seq, e.Target, len(m.order))
				}
			}
		}
	}
	return msgs
}

// reactions returns the Reactions a message in state m carries.
func (m *foldState) reactions() []hubbub.Reaction {
	var out []hubbub.Reaction
	for _, emoji := range m.order {
		h := m.holders[emoji]
		out = append(out, hubbub.Reaction{Emoji: emoji, Count: len(h), Names: h[:min(len(h), hubbub.MaxReactionNames)]})
	}
	return out
}

// checkFold reads room whole, folds its log, and fails t unless every entry's outcome follows
// from those before it and every message reads in the state the log adds up to.
func checkFold(t *testing.T, s hubbub.Store, room string) map[uint64]*foldState {
	t.Helper()
	last := lastSeq(t, s, room)
	log := since(t, s, room, 0, int(last)+10)
	checkSeqs(t, "Since "+room, log, span(1, last))
	state := foldLog(t, log)
	for _, e := range log {
		m := state[e.Seq]
		if !e.IsMessage() || m == nil {
			continue
		}
		if e.Text != m.text || e.Deleted != m.deleted || e.ReplyCount != m.replies ||
			!slices.EqualFunc(e.Reactions, m.reactions(), sameReaction) {
			t.Errorf("message %d reads as text %q, deleted %v, %d replies, reactions %+v; the log gives %q, %v, %d, %+v",
				e.Seq, e.Text, e.Deleted, e.ReplyCount, e.Reactions, m.text, m.deleted, m.replies, m.reactions())
		}
	}
	return state
}

// testConcurrentChanges: changes of one message racing each other (edits, deletes by its
// sender and a moderator, reactions, replies) come out as if one at a time, in seq order: no
// change lands after the delete, exactly one delete is stored and every other returns it,
// and each refusal is one the log explains.
func testConcurrentChanges(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	msgs := appendN(t, s, "r", 6)
	for _, m := range msgs {
		ins := []hubbub.Entry{
			edit("r", "alice", m.Seq, "edit 1"), edit("r", "alice", m.Seq, "edit 2"),
			del("r", "alice", m.Seq, false), del("r", "mod", m.Seq, true), del("r", "alice", m.Seq, false),
			react("r", "bob", m.Seq, "👍"), react("r", "carol", m.Seq, "👍"), react("r", "bob", m.Seq, "🎉"),
			reply("r", "dave", m.Seq, "re"), reply("r", "erin", m.Seq, "re"),
		}
		var deletes []outcome
		for _, o := range race(t, s, ins) {
			switch {
			case o.in.Kind == hubbub.KindDelete:
				if o.err != nil {
					t.Errorf("delete of %d: %v", m.Seq, o.err)
				}
				deletes = append(deletes, o)
			case o.in.IsMessage() && (o.err != nil || o.dup):
				t.Errorf("reply to %d: dup %v, err %v", m.Seq, o.dup, o.err)
			case o.err != nil && hubbub.ErrorCode(o.err) != hubbub.ECodeNotFound:
				t.Errorf("%s of %d: %v, want success or not_found (deleted)", o.in.Kind, m.Seq, o.err)
			}
		}
		fresh := 0
		for _, d := range deletes {
			if !d.dup {
				fresh++
			}
			if diff := sameEntry(d.got, deletes[0].got); diff != "" {
				t.Errorf("deletes of %d returned different entries: %s", m.Seq, diff)
			}
		}
		if fresh != 1 {
			t.Errorf("%d deletes of %d at once: %d stored, want 1", len(deletes), m.Seq, fresh)
		}
	}
	state := checkFold(t, s, "r")
	for _, m := range msgs {
		if st := state[m.Seq]; st == nil || !st.deleted || st.replies != 2 {
			t.Errorf("message %d after the race: %+v, want deleted with 2 replies", m.Seq, st)
		}
	}
}

// testConcurrentToggles: one user's toggles of one reaction racing each other (a client's
// resends under new keys, or two tabs) alternate in seq order, add, remove, add, …, while
// others toggle beside them.
func testConcurrentToggles(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "toggle me"))
	var ins []hubbub.Entry
	for i := range 24 {
		ins = append(ins, react("r", "bob", m.Seq, "👍"))
		if i%3 == 0 {
			ins = append(ins, react("r", fmt.Sprint("user", i), m.Seq, "👍"), react("r", "carol", m.Seq, "🎉"))
		}
	}
	for _, o := range race(t, s, ins) {
		if o.err != nil || o.dup {
			t.Errorf("toggle %+v: dup %v, err %v", o.in, o.dup, o.err)
		}
	}
	state := checkFold(t, s, "r")
	if got := state[m.Seq].holders["👍"]; slices.Contains(got, "bob") {
		t.Errorf("bob toggled 👍 24 times and holds it: holders %v", got)
	}
}

// testConcurrentLimit: new emoji racing for the last places on a message: exactly as many as
// fit are added, the others refused with ECodeLimit.
func testConcurrentLimit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "popular"))
	const racers = hubbub.MaxReactionsPerMessage + 10
	var ins []hubbub.Entry
	for i := range racers {
		ins = append(ins, react("r", fmt.Sprint("user", i), m.Seq, fmt.Sprintf(":e%d:", i)))
	}
	added := 0
	for _, o := range race(t, s, ins) {
		switch {
		case o.err == nil && o.got.Added:
			added++
		case hubbub.ErrorCode(o.err) != hubbub.ECodeLimit:
			t.Errorf("reaction %s: %+v, %v; want added or a limit error", o.in.Emoji, o.got, o.err)
		}
	}
	if added != hubbub.MaxReactionsPerMessage {
		t.Errorf("%d new emoji at once: %d added, want %d", racers, added, hubbub.MaxReactionsPerMessage)
	}
	log := checkFold(t, s, "r")
	if n := len(log[m.Seq].order); n != hubbub.MaxReactionsPerMessage {
		t.Errorf("message carries %d emoji, want %d", n, hubbub.MaxReactionsPerMessage)
	}
}
