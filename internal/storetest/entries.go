package storetest

import (
	"cmp"
	"errors"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// The entries of each kind as the server hands them to Append.

func edit(room, from string, target uint64, text string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindEdit, Target: target, Text: text}
}

// del is a delete by the message's sender, or by a moderator if moderator is set.
func del(room, from string, target uint64, moderator bool) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindDelete, Target: target, Moderator: moderator}
}

func react(room, from string, target uint64, emoji string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindReaction, Target: target, Emoji: emoji}
}

func reply(room, from string, parent uint64, text string) hubbub.Entry {
	m := msg(room, from, text)
	m.ReplyTo = parent
	return m
}

// keyed is e with an idempotency key.
func keyed(e hubbub.Entry, clientID string) hubbub.Entry {
	e.ClientID = clientID
	return e
}

// mentioning is e with the given users mentioned (each user's id is their name).
func mentioning(e hubbub.Entry, names ...string) hubbub.Entry {
	e.Mentions = nil
	for _, n := range names {
		e.Mentions = append(e.Mentions, hubbub.Mention{User: n, Name: n})
	}
	return e
}

// refused appends e, fails t unless Append refuses it with a *hubbub.Error of code, and checks
// that the refusal took no seq.
func refused(t testing.TB, s hubbub.Store, e hubbub.Entry, code string) {
	t.Helper()
	lastBefore := lastSeq(t, s, e.Room)
	got, dup, err := appendValue(t.Context(), s, e)
	var herr *hubbub.Error
	switch {
	case err == nil:
		t.Errorf("Append(%+v) = %+v (duplicate %v), want a %s error", e, got, dup, code)
	case !errors.As(err, &herr):
		t.Errorf("Append(%+v): error %q is not a *hubbub.Error (want code %s)", e, err, code)
	case hubbub.ErrorCode(err) != code:
		t.Errorf("Append(%+v): error code %s (%v), want %s", e, hubbub.ErrorCode(err), err, code)
	}
	if last := lastSeq(t, s, e.Room); last != lastBefore {
		t.Errorf("a refused %q entry moved LastSeq from %d to %d", e.Kind, lastBefore, last)
	}
}

// duplicate appends e and fails t unless Append reports it a duplicate of want, stored
// nothing, and took no seq.
func duplicate(t testing.TB, s hubbub.Store, e hubbub.Entry, want hubbub.Entry) {
	t.Helper()
	lastBefore := lastSeq(t, s, e.Room)
	got, dup, err := appendValue(t.Context(), s, e)
	if err != nil {
		t.Errorf("Append(%+v): %v, want a duplicate of seq %d", e, err, want.Seq)
		return
	}
	if !dup {
		t.Errorf("Append(%+v) stored %+v, want a duplicate of seq %d", e, got, want.Seq)
	}
	if d := sameEntry(got, want); d != "" {
		t.Errorf("Append(%+v) returned another entry than the first: %s", e, d)
	}
	if last := lastSeq(t, s, e.Room); last != lastBefore {
		t.Errorf("a duplicate %q entry moved LastSeq from %d to %d", e.Kind, lastBefore, last)
	}
}

// replies, revisions and reactedBy call the Store and fail t on error.
func replies(t testing.TB, s hubbub.Store, room string, parent, after uint64, limit int) []hubbub.Entry {
	t.Helper()
	msgs, err := s.Replies(t.Context(), room, parent, after, limit)
	if err != nil {
		t.Fatalf("Replies(%q, %d, %d, %d): %v", room, parent, after, limit, err)
	}
	return msgs
}

func revisions(t testing.TB, s hubbub.Store, room string, seq uint64) ([]hubbub.Revision, bool) {
	t.Helper()
	revs, found, err := s.Revisions(t.Context(), room, seq)
	if err != nil {
		t.Fatalf("Revisions(%q, %d): %v", room, seq, err)
	}
	return revs, found
}

// reactedBy returns the reactions sorted by seq, then emoji: the Store promises no order.
func reactedBy(t testing.TB, s hubbub.Store, room, name string, from, to uint64) []hubbub.ReactionKey {
	t.Helper()
	keys, err := s.ReactedBy(t.Context(), room, name, from, to)
	if err != nil {
		t.Fatalf("ReactedBy(%q, %q, %d, %d): %v", room, name, from, to, err)
	}
	slices.SortFunc(keys, compareReactionKeys)
	return keys
}

func compareReactionKeys(a, b hubbub.ReactionKey) int {
	return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Emoji, b.Emoji))
}

// entryAt returns the entry with seq from entries, failing t if there is none.
func entryAt(t testing.TB, entries []hubbub.Entry, seq uint64) hubbub.Entry {
	t.Helper()
	for _, e := range entries {
		if e.Seq == seq {
			return e
		}
	}
	t.Fatalf("no entry %d among seqs %v", seq, seqsOf(entries))
	return hubbub.Entry{}
}

// checkEntry fails t unless got is the same stored entry as want.
func checkEntry(t testing.TB, what string, got, want hubbub.Entry) {
	t.Helper()
	if d := sameEntry(got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// checkRevisions fails t unless message seq of room has exactly the revisions want.
func checkRevisions(t testing.TB, s hubbub.Store, room string, seq uint64, want []hubbub.Revision) {
	t.Helper()
	got, found := revisions(t, s, room, seq)
	if !found {
		t.Errorf("Revisions(%q, %d): not found", room, seq)
		return
	}
	if len(got) != len(want) {
		t.Errorf("Revisions(%q, %d) = %+v, want %+v", room, seq, got, want)
		return
	}
	for i := range got {
		if got[i].Text != want[i].Text || !got[i].Time.Equal(want[i].Time) || got[i].Time.Location() != time.UTC {
			t.Errorf("Revisions(%q, %d)[%d] = %+v, want %+v in UTC", room, seq, i, got[i], want[i])
		}
	}
}
