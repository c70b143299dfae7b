package storetest

import (
	"fmt"
	"slices"
	"testing"

	"hubbub"
)

// reactionsOf returns the reactions message seq of room carries, as Before reads them.
func reactionsOf(t testing.TB, s hubbub.Store, room string, seq uint64) []hubbub.Reaction {
	t.Helper()
	msgs := before(t, s, room, seq+1, 1)
	if len(msgs) != 1 || msgs[0].Seq != seq {
		t.Fatalf("Before(%q, %d, 1) = seqs %v, want message %d", room, seq+1, seqsOf(msgs), seq)
	}
	return msgs[0].Reactions
}

// checkReactions fails t unless message seq of room carries exactly want (Names nil is none).
func checkReactions(t testing.TB, s hubbub.Store, room string, seq uint64, want []hubbub.Reaction) {
	t.Helper()
	got := reactionsOf(t, s, room, seq)
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].Emoji == want[i].Emoji && got[i].Count == want[i].Count &&
			slices.Equal(got[i].Names, want[i].Names) && !got[i].Me
	}
	if !same {
		t.Errorf("reactions on message %d = %+v, want %+v", seq, got, want)
	}
}

// testReactionToggle: a reaction toggles the sender's emoji on a message, each toggle an
// entry of its own that says what it did (Added) and how many hold the emoji after it (Count).
func testReactionToggle(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "react to me"))
	steps := []struct {
		from, emoji string
		added       bool
		count       int
	}{
		{"bob", "👍", true, 1},
		{"carol", "👍", true, 2},
		{"bob", ":tada:", true, 1},
		{"bob", "👍", false, 1},
		{"alice", "👍", true, 2},
		{"carol", "👍", false, 1},
		{"bob", ":tada:", false, 0},
		{"bob", ":tada:", true, 1},
		// Emoji are compared byte for byte: with and without a variation selector, two.
		{"carol", "\u2764", true, 1},
		{"carol", "\u2764\ufe0f", true, 1},
		{"carol", "\u2764", false, 0},
	}
	var stored []hubbub.Entry
	for i, st := range steps {
		got := mustAppend(t, s, react("r", st.from, m.Seq, st.emoji))
		want := hubbub.Entry{Room: "r", Seq: uint64(i + 2), ID: got.ID, From: st.from, Kind: hubbub.KindReaction,
			Time: got.Time, Target: m.Seq, Emoji: st.emoji, Added: st.added, Count: st.count}
		checkEntry(t, fmt.Sprintf("reaction %d as returned", i), got, want)
		stored = append(stored, got)
	}
	m.Reactions = []hubbub.Reaction{
		{Emoji: "👍", Count: 1, Names: []string{"alice"}},
		{Emoji: ":tada:", Count: 1, Names: []string{"bob"}},
		{Emoji: "\u2764\ufe0f", Count: 1, Names: []string{"carol"}},
	}
	checkStored(t, "Since after the reactions", since(t, s, "r", 0, 20), append([]hubbub.Entry{m}, stored...))
	checkStored(t, "Before after the reactions", before(t, s, "r", 0, 20), []hubbub.Entry{m})

	refused(t, s, react("r", "bob", 0, "👍"), hubbub.ECodeNotFound)
	refused(t, s, react("r", "bob", stored[0].Seq, "👍"), hubbub.ECodeNotFound)
	refused(t, s, react("r", "bob", 99, "👍"), hubbub.ECodeNotFound)
	refused(t, s, react("elsewhere", "bob", m.Seq, "👍"), hubbub.ECodeNotFound)
}

// testReactionOrder: a message lists each emoji in the order it was added since nobody held
// it, with the first MaxReactionNames holders in the order they reacted.
func testReactionOrder(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "react to me"))
	toggle := func(from, emoji string) {
		t.Helper()
		mustAppend(t, s, react("r", from, m.Seq, emoji))
	}
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		toggle(u, "👍")
	}
	toggle("u2", "🎉")
	toggle("u1", "❤️")
	toggle("u3", "🎉")
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{
		{Emoji: "👍", Count: 5, Names: []string{"u1", "u2", "u3"}},
		{Emoji: "🎉", Count: 2, Names: []string{"u2", "u3"}},
		{Emoji: "❤️", Count: 1, Names: []string{"u1"}},
	})
	// u1 takes 👍 back and adds it again: last of its holders; 👍 keeps its place.
	toggle("u1", "👍")
	toggle("u2", "👍")
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{
		{Emoji: "👍", Count: 3, Names: []string{"u3", "u4", "u5"}},
		{Emoji: "🎉", Count: 2, Names: []string{"u2", "u3"}},
		{Emoji: "❤️", Count: 1, Names: []string{"u1"}},
	})
	toggle("u1", "👍")
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{
		{Emoji: "👍", Count: 4, Names: []string{"u3", "u4", "u5"}},
		{Emoji: "🎉", Count: 2, Names: []string{"u2", "u3"}},
		{Emoji: "❤️", Count: 1, Names: []string{"u1"}},
	})
	// Every holder of 🎉 takes it back: it goes; added again, it comes last.
	toggle("u3", "🎉")
	toggle("u2", "🎉")
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{
		{Emoji: "👍", Count: 4, Names: []string{"u3", "u4", "u5"}},
		{Emoji: "❤️", Count: 1, Names: []string{"u1"}},
	})
	toggle("u5", "🎉")
	toggle("u4", "🎉")
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{
		{Emoji: "👍", Count: 4, Names: []string{"u3", "u4", "u5"}},
		{Emoji: "❤️", Count: 1, Names: []string{"u1"}},
		{Emoji: "🎉", Count: 2, Names: []string{"u5", "u4"}},
	})
	// The first holder of ❤️ takes it back while another holds it: ❤️ keeps its place.
	toggle("u2", "❤️")
	toggle("u1", "❤️")
	checkReactions(t, s, "r", m.Seq, []hubbub.Reaction{
		{Emoji: "👍", Count: 4, Names: []string{"u3", "u4", "u5"}},
		{Emoji: "❤️", Count: 1, Names: []string{"u2"}},
		{Emoji: "🎉", Count: 2, Names: []string{"u5", "u4"}},
	})
	// Since shows the same state as Before.
	want := reactionsOf(t, s, "r", m.Seq)
	if got := since(t, s, "r", 0, 1); len(got) != 1 || !slices.EqualFunc(got[0].Reactions, want, sameReaction) {
		t.Errorf("Since shows reactions %+v, Before %+v", got[0].Reactions, want)
	}
}

func sameReaction(a, b hubbub.Reaction) bool {
	return a.Emoji == b.Emoji && a.Count == b.Count && slices.Equal(a.Names, b.Names) && a.Me == b.Me
}

// testReactionLimit: a message carries at most MaxReactionsPerMessage emoji; one more is
// refused with ECodeLimit (and takes no seq), while a reaction with an emoji it carries, and
// taking one back, still work; an emoji nobody holds any more frees its place.
func testReactionLimit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	m := mustAppend(t, s, msg("r", "alice", "popular"))
	other := mustAppend(t, s, msg("r", "alice", "another"))
	emoji := func(i int) string { return fmt.Sprintf(":e%d:", i) }
	for i := range hubbub.MaxReactionsPerMessage {
		mustAppend(t, s, react("r", "alice", m.Seq, emoji(i)))
	}
	refused(t, s, react("r", "bob", m.Seq, ":one_too_many:"), hubbub.ECodeLimit)
	refused(t, s, react("r", "alice", m.Seq, ":one_too_many:"), hubbub.ECodeLimit)
	if got := mustAppend(t, s, react("r", "bob", m.Seq, emoji(3))); !got.Added || got.Count != 2 {
		t.Errorf("a reaction with an emoji the full message carries = %+v, want added, count 2", got)
	}
	if got := mustAppend(t, s, react("r", "alice", m.Seq, emoji(5))); got.Added || got.Count != 0 {
		t.Errorf("taking a reaction back from the full message = %+v, want removed, count 0", got)
	}
	if got := mustAppend(t, s, react("r", "bob", m.Seq, ":one_too_many:")); !got.Added || got.Count != 1 {
		t.Errorf("a new emoji once one left = %+v, want added, count 1", got)
	}
	refused(t, s, keyed(react("r", "bob", m.Seq, ":two_too_many:"), "k"), hubbub.ECodeLimit)
	if n := len(reactionsOf(t, s, "r", m.Seq)); n != hubbub.MaxReactionsPerMessage {
		t.Errorf("the full message carries %d emoji, want %d", n, hubbub.MaxReactionsPerMessage)
	}
	// A refusal is not remembered under its key: resent once a place is free, it is added.
	mustAppend(t, s, react("r", "alice", m.Seq, emoji(6)))
	if got := mustAppend(t, s, keyed(react("r", "bob", m.Seq, ":two_too_many:"), "k")); !got.Added || got.Count != 1 {
		t.Errorf("a refused reaction resent with its key once a place is free = %+v, want added", got)
	}
	// The limit is per message.
	if got := mustAppend(t, s, react("r", "bob", other.Seq, ":two_too_many:")); !got.Added {
		t.Errorf("a reaction on another message = %+v, want added", got)
	}
}

// testReactedBy: a reader's reactions on the messages of a range (bounds included), in one
// room, those held now only.
func testReactedBy(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	msgs := appendN(t, s, "r", 4) // seqs 1..4
	elsewhere := appendN(t, s, "x", 2)
	mustAppend(t, s, react("r", "bob", msgs[0].Seq, "👍"))
	mustAppend(t, s, react("r", "bob", msgs[1].Seq, "🎉"))
	mustAppend(t, s, react("r", "bob", msgs[1].Seq, "👍"))
	mustAppend(t, s, react("r", "bob", msgs[3].Seq, "👀"))
	mustAppend(t, s, react("r", "bob", msgs[2].Seq, "🙈"))
	mustAppend(t, s, react("r", "bob", msgs[2].Seq, "🙈")) // taken back
	mustAppend(t, s, react("r", "carol", msgs[2].Seq, "👍"))
	mustAppend(t, s, react("x", "bob", elsewhere[1].Seq, "👍"))

	keys := func(pairs ...any) []hubbub.ReactionKey {
		var out []hubbub.ReactionKey
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, hubbub.ReactionKey{Seq: uint64(pairs[i].(int)), Emoji: pairs[i+1].(string)})
		}
		slices.SortFunc(out, compareReactionKeys)
		return out
	}
	for _, c := range []struct {
		name     string
		from, to uint64
		want     []hubbub.ReactionKey
	}{
		{"bob", 1, 4, keys(1, "👍", 2, "🎉", 2, "👍", 4, "👀")},
		{"bob", 0, 100, keys(1, "👍", 2, "🎉", 2, "👍", 4, "👀")},
		{"bob", 2, 3, keys(2, "🎉", 2, "👍")},
		{"bob", 3, 3, nil},
		{"bob", 4, 4, keys(4, "👀")},
		{"bob", 5, 100, nil}, // the reaction entries' own seqs are not messages
		{"carol", 1, 4, keys(3, "👍")},
		{"alice", 1, 4, nil},
	} {
		if got := reactedBy(t, s, "r", c.name, c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("ReactedBy(r, %s, %d, %d) = %v, want %v", c.name, c.from, c.to, got, c.want)
		}
	}
	if got := reactedBy(t, s, "x", "bob", 0, 100); !slices.Equal(got, keys(2, "👍")) {
		t.Errorf("ReactedBy(x, bob) = %v, want [{2 👍}]", got)
	}
	if got := reactedBy(t, s, "nowhere", "bob", 0, 100); len(got) != 0 {
		t.Errorf("ReactedBy in an unknown room = %v", got)
	}
}
