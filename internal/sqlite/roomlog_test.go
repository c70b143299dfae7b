package sqlite

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// The room log on real files: each kind of entry, what it does to its message's state, what
// it refuses, and idempotency. The contract suite (internal/storetest) checks the same rules
// on every store; these tests pin what this store does in its tables as well.

// add appends e and fails t unless it was stored as a new entry.
func add(t *testing.T, s *Store, e hubbub.Entry) hubbub.Entry {
	t.Helper()
	got, _, outcome, err := s.Append(t.Context(), &e)
	dup := outcome == hubbub.Duplicate
	if err != nil || dup {
		t.Fatalf("Append(%+v) = %+v, dup %v, %v; want a new entry", e, got, dup, err)
	}
	return *got
}

// refused appends e and fails t unless it is refused with code, taking no seq.
func refused(t *testing.T, s *Store, e hubbub.Entry, code string) {
	t.Helper()
	last, err := s.LastSeq(t.Context(), e.Room)
	if err != nil {
		t.Fatal(err)
	}
	got, _, outcome, err := s.Append(t.Context(), &e)
	dup := outcome == hubbub.Duplicate
	if hubbub.ErrorCode(err) != code {
		t.Fatalf("Append(%+v) = %+v, dup %v, %v; want a %s error", e, got, dup, err, code)
	}
	if after, _ := s.LastSeq(t.Context(), e.Room); after != last {
		t.Fatalf("refused Append(%+v) moved the last seq from %d to %d", e, last, after)
	}
}

// message reads message seq of room in its current state through Before.
func message(t *testing.T, s *Store, room string, seq uint64) hubbub.Entry {
	t.Helper()
	got, err := s.Before(t.Context(), room, seq+1, 1)
	if err != nil || len(got) != 1 || got[0].Seq != seq {
		t.Fatalf("Before(%d) = %+v, %v; want message %d", seq+1, got, err, seq)
	}
	return got[0]
}

func edit(room, from string, target uint64, text string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindEdit, Target: target, Text: text}
}

func del(room, from string, target uint64, moderator bool) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindDelete, Target: target, Moderator: moderator}
}

func react(room, from string, target uint64, emoji string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindReaction, Target: target, Emoji: emoji}
}

func text(room, from, s string) hubbub.Entry { return hubbub.Entry{Room: room, From: from, Text: s} }

// TestEditKeepsRevisions: an edit takes the next seq, changes the message's text, mentions
// and edited time, and keeps every earlier text; Since returns the message as it is now and
// the edits as they were made; only the sender may edit.
func TestEditKeepsRevisions(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := add(t, s, text("r", "alice", "helo @bob"))
	e1 := add(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: "hello @bob",
		Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	if e1.Seq != 2 || e1.Kind != hubbub.KindEdit || e1.Target != 1 || e1.ID == "" || e1.Time.IsZero() {
		t.Fatalf("edit = %+v", e1)
	}
	e2 := add(t, s, edit("r", "alice", m.Seq, "hello, bob"))

	now := message(t, s, "r", m.Seq)
	if now.Text != "hello, bob" || !now.EditedAt.Equal(e2.Time) || now.Mentions != nil || now.Time != m.Time {
		t.Errorf("message after two edits = %+v", now)
	}
	log, err := s.Since(ctx, "r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []hubbub.Entry{now, e1, e2}; !reflect.DeepEqual(log, want) {
		t.Errorf("Since =\n%+v\nwant\n%+v", log, want)
	}
	revs, found, err := s.Revisions(ctx, "r", m.Seq)
	want := []hubbub.Revision{{Text: "helo @bob", Time: m.Time}, {Text: "hello @bob", Time: e1.Time}, {Text: "hello, bob", Time: e2.Time}}
	if err != nil || !found || !reflect.DeepEqual(revs, want) {
		t.Errorf("Revisions = %+v, %v, %v; want %+v", revs, found, err, want)
	}

	refused(t, s, edit("r", "bob", m.Seq, "mine now"), hubbub.ECodeForbidden)
	refused(t, s, edit("r", "alice", 99, "x"), hubbub.ECodeNotFound)
	refused(t, s, edit("r", "alice", e1.Seq, "an edit is not a message"), hubbub.ECodeNotFound)
	refused(t, s, edit("other", "alice", m.Seq, "another room"), hubbub.ECodeNotFound)

	plain := add(t, s, text("r", "bob", "never edited"))
	if plain.Seq != 4 {
		t.Errorf("the next message took seq %d, want 4: a refusal took a seq", plain.Seq)
	}
	revs, found, err = s.Revisions(ctx, "r", plain.Seq)
	if err != nil || !found || !reflect.DeepEqual(revs, []hubbub.Revision{{Text: "never edited", Time: plain.Time}}) {
		t.Errorf("Revisions of an unedited message = %+v, %v, %v", revs, found, err)
	}
	if revs, found, err := s.Revisions(ctx, "r", e1.Seq); err != nil || found || revs != nil {
		t.Errorf("Revisions of an edit's seq = %+v, %v, %v; want not found", revs, found, err)
	}
}

// TestDeleteEmptiesEveryText: a delete leaves a tombstone without text, revisions or
// mentions, empties its edits' texts in the log and keeps the reactions; the sender or a
// moderator may delete; deleting a tombstone returns the delete that made it.
func TestDeleteEmptiesEveryText(t *testing.T) {
	s, path := openTest(t, Options{})
	ctx := t.Context()
	m := add(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "secret @bob", Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	ed := add(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: "more secret @bob",
		Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	add(t, s, react("r", "bob", m.Seq, "👍"))

	refused(t, s, del("r", "bob", m.Seq, false), hubbub.ECodeForbidden)
	refused(t, s, del("r", "bob", 42, true), hubbub.ECodeNotFound)
	d := add(t, s, del("r", "mod", m.Seq, true))
	if d.Seq != 4 || d.Kind != hubbub.KindDelete || !d.Moderator || d.Target != m.Seq || d.Text != "" {
		t.Errorf("delete = %+v", d)
	}

	gone := message(t, s, "r", m.Seq)
	if !gone.Deleted || gone.Text != "" || gone.Mentions != nil || len(gone.Reactions) != 1 || gone.Reactions[0].Count != 1 {
		t.Errorf("tombstone = %+v; want no text or mentions, the reaction kept", gone)
	}
	log, err := s.Since(ctx, "r", 0, 10)
	if err != nil || len(log) != 4 {
		t.Fatalf("Since = %+v, %v", log, err)
	}
	if e := log[1]; e.Seq != ed.Seq || e.Text != "" || e.Mentions != nil {
		t.Errorf("the edit of a deleted message reads %+v; want its text and mentions gone", e)
	}
	if revs, found, err := s.Revisions(ctx, "r", m.Seq); err != nil || !found || len(revs) != 0 {
		t.Errorf("Revisions of a tombstone = %+v, %v, %v; want found and none", revs, found, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoText(t, path, "secret")
	s = openAt(t, path, Options{})

	again, _, outcome, err := s.Append(ctx, new(del("r", "alice", m.Seq, false)))
	dup := outcome == hubbub.Duplicate
	if err != nil || !dup || !reflect.DeepEqual(*again, d) {
		t.Errorf("second delete = %+v, dup %v, %v; want the first %+v", again, dup, err, d)
	}
	refused(t, s, edit("r", "alice", m.Seq, "back"), hubbub.ECodeNotFound)
	refused(t, s, react("r", "bob", m.Seq, "👍"), hubbub.ECodeNotFound)
	// a tombstone may still be replied to
	reply := add(t, s, hubbub.Entry{Room: "r", From: "carol", Text: "what was it?", ReplyTo: m.Seq})
	if reply.Seq != 5 {
		t.Errorf("reply to a tombstone took seq %d, want 5", reply.Seq)
	}
}

// assertNoText fails t if any row of the database at path still holds s: a deleted text
// must be gone from the tables, not just hidden.
func assertNoText(t *testing.T, path, s string) {
	t.Helper()
	db := rawDB(t, path)
	for _, q := range []string{
		`SELECT count(*) FROM messages WHERE instr(text, ?1) OR instr(coalesce(original, ''), ?1) OR instr(mentions, ?1)`,
		`SELECT count(*) FROM entries WHERE instr(text, ?1) OR instr(mentions, ?1)`,
	} {
		var n int
		if err := db.QueryRow(q, s).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows still hold %q (%s)", n, s, q)
		}
	}
}

// TestReactionsToggle: a reaction toggles, reports whether it added and the count after;
// the message lists each emoji in the order it was first added with its first holders in
// the order they reacted, the next holder taking the place of one who leaves; ReactedBy
// lists one user's.
func TestReactionsToggle(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := add(t, s, text("r", "alice", "vote"))
	for i, name := range []string{"a", "b", "c", "d"} {
		r := add(t, s, react("r", name, m.Seq, "👍"))
		if !r.Added || r.Count != i+1 || r.Seq != uint64(i+2) {
			t.Fatalf("reaction %d = %+v", i, r)
		}
	}
	add(t, s, react("r", "b", m.Seq, "🎉"))
	off := add(t, s, react("r", "a", m.Seq, "👍"))
	if off.Added || off.Count != 3 {
		t.Errorf("second toggle = %+v; want removed, count 3", off)
	}
	want := []hubbub.Reaction{{Emoji: "👍", Count: 3, Names: []string{"b", "c", "d"}}, {Emoji: "🎉", Count: 1, Names: []string{"b"}}}
	if got := message(t, s, "r", m.Seq).Reactions; !reflect.DeepEqual(got, want) {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}
	// an emoji nobody holds any more goes, and comes back last
	add(t, s, react("r", "b", m.Seq, "🎉"))
	add(t, s, react("r", "a", m.Seq, "🎉"))
	want = []hubbub.Reaction{want[0], {Emoji: "🎉", Count: 1, Names: []string{"a"}}}
	if got := message(t, s, "r", m.Seq).Reactions; !reflect.DeepEqual(got, want) {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}
	keys, err := s.ReactedBy(ctx, "r", "b", 0, 100)
	if err != nil || !reflect.DeepEqual(keys, []hubbub.ReactionKey{{Seq: m.Seq, Emoji: "👍"}}) {
		t.Errorf("ReactedBy(b) = %+v, %v", keys, err)
	}
	if keys, err := s.ReactedBy(ctx, "r", "b", m.Seq+1, 100); err != nil || keys != nil {
		t.Errorf("ReactedBy(b) past the message = %+v, %v", keys, err)
	}
	refused(t, s, react("r", "a", 99, "👍"), hubbub.ECodeNotFound)

	// the log holds each toggle with its outcome
	log, err := s.Since(ctx, "r", m.Seq, 100)
	if err != nil || len(log) != 8 || log[5].Seq != off.Seq || !reflect.DeepEqual(log[5], off) {
		t.Errorf("Since = %+v, %v; want 8 reactions, the 6th %+v", log, err, off)
	}
}

// TestReactionLimit: a message carries at most MaxReactionsPerMessage emoji; more of one it
// carries are fine, and a new one is refused without taking a seq.
func TestReactionLimit(t *testing.T) {
	s, _ := openTest(t, Options{})
	m := add(t, s, text("r", "alice", "react to me"))
	for i := range hubbub.MaxReactionsPerMessage {
		add(t, s, react("r", "a", m.Seq, fmt.Sprintf(":e%d:", i)))
	}
	refused(t, s, react("r", "b", m.Seq, ":one_too_many:"), hubbub.ECodeLimit)
	if r := add(t, s, react("r", "b", m.Seq, ":e0:")); r.Count != 2 {
		t.Errorf("a second holder of a carried emoji = %+v", r)
	}
	add(t, s, react("r", "a", m.Seq, ":e3:"))
	add(t, s, react("r", "b", m.Seq, ":now_there_is_room:"))
	if got := message(t, s, "r", m.Seq).Reactions; len(got) != hubbub.MaxReactionsPerMessage || got[len(got)-1].Emoji != ":now_there_is_room:" {
		t.Errorf("reactions = %+v", got)
	}
}

// TestRepliesAndThreads: a reply needs its parent in the room, counts itself in the parent,
// and Replies reads a thread in pages.
func TestRepliesAndThreads(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	p := add(t, s, text("r", "alice", "question"))
	add(t, s, text("r", "bob", "unrelated"))
	var replies []hubbub.Entry
	for i := range 5 {
		replies = append(replies, add(t, s, hubbub.Entry{Room: "r", From: "bob", Text: fmt.Sprint("answer ", i), ReplyTo: p.Seq}))
	}
	refused(t, s, hubbub.Entry{Room: "r", From: "bob", Text: "to nothing", ReplyTo: 99}, hubbub.ECodeNotFound)
	refused(t, s, hubbub.Entry{Room: "r", From: "bob", Text: "to itself", ReplyTo: 8}, hubbub.ECodeNotFound)
	refused(t, s, hubbub.Entry{Room: "other", From: "bob", Text: "across rooms", ReplyTo: p.Seq}, hubbub.ECodeNotFound)
	r := add(t, s, react("r", "a", p.Seq, "👍"))
	refused(t, s, hubbub.Entry{Room: "r", From: "bob", Text: "to a reaction", ReplyTo: r.Seq}, hubbub.ECodeNotFound)

	if got := message(t, s, "r", p.Seq); got.ReplyCount != 5 {
		t.Errorf("parent's reply count = %d, want 5", got.ReplyCount)
	}
	page, err := s.Replies(ctx, "r", p.Seq, 0, 3)
	if err != nil || !reflect.DeepEqual(page, replies[:3]) {
		t.Errorf("Replies(0, 3) = %+v, %v; want %+v", page, err, replies[:3])
	}
	page, err = s.Replies(ctx, "r", p.Seq, replies[2].Seq, 10)
	if err != nil || !reflect.DeepEqual(page, replies[3:]) {
		t.Errorf("Replies(after %d) = %+v, %v; want %+v", replies[2].Seq, page, err, replies[3:])
	}
	if page, err := s.Replies(ctx, "r", replies[0].Seq, 0, 10); err != nil || len(page) != 0 {
		t.Errorf("Replies to a message without replies = %+v, %v", page, err)
	}
	if page, err := s.Replies(ctx, "r", 0, 0, 10); err != nil || page != nil {
		t.Errorf("Replies(0) = %+v, %v; want nothing (0 is no parent)", page, err)
	}
}

// TestResendEveryKind: a resend of any kind returns the first outcome, even after the
// message changed in a way that would now refuse it, and one client id names one entry
// whatever its kind.
func TestResendEveryKind(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	withID := func(e hubbub.Entry, id string) hubbub.Entry { e.ClientID = id; return e }
	p := add(t, s, withID(text("r", "alice", "parent"), "m1"))
	reply := add(t, s, withID(hubbub.Entry{Room: "r", From: "bob", Text: "reply", ReplyTo: p.Seq}, "m2"))
	ed := add(t, s, withID(edit("r", "alice", p.Seq, "parent, edited"), "e1"))
	re := add(t, s, withID(react("r", "bob", p.Seq, "👍"), "x1"))
	d := add(t, s, withID(del("r", "alice", p.Seq, false), "d1"))
	ed.Text = "" // as Since returns it now that its message is deleted

	for _, c := range []struct {
		send hubbub.Entry
		want hubbub.Entry
	}{
		{withID(edit("r", "alice", p.Seq, "again"), "e1"), ed},                              // the message is deleted now
		{withID(react("r", "bob", p.Seq, "👍"), "x1"), re},                                   // would toggle off
		{withID(del("r", "alice", p.Seq, false), "d1"), d},                                  // a tombstone now
		{withID(hubbub.Entry{Room: "r", From: "bob", Text: "?", ReplyTo: 77}, "m2"), reply}, // another parent
		{withID(text("r", "bob", "a message"), "x1"), re},                                   // another kind
		{withID(react("r", "alice", reply.Seq, "🎉"), "m1"), message(t, s, "r", p.Seq)},      // a message, as it is now
	} {
		got, _, outcome, err := s.Append(ctx, &c.send)
		dup := outcome == hubbub.Duplicate
		if err != nil || !dup || !reflect.DeepEqual(*got, c.want) {
			t.Errorf("resend %+v = %+v, dup %v, %v; want %+v", c.send, got, dup, err, c.want)
		}
	}
	if last, _ := s.LastSeq(ctx, "r"); last != d.Seq {
		t.Errorf("LastSeq = %d after resends, want %d", last, d.Seq)
	}
	// the id is the sender's: another sender's entry with it is new
	add(t, s, withID(react("r", "carol", reply.Seq, "👍"), "x1"))
}

// TestConcurrentChanges: many appenders of every kind at once on one message keep seqs
// gap-free, and the message's counts agree with the log.
func TestConcurrentChanges(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := add(t, s, text("r", "alice", "popular"))
	const users, toggles = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for u := range users {
		wg.Go(func() {
			for i := range toggles {
				var e hubbub.Entry
				switch i % 3 {
				case 0:
					e = react("r", fmt.Sprint("u", u), m.Seq, "👍")
				case 1:
					e = hubbub.Entry{Room: "r", From: fmt.Sprint("u", u), Text: "me too", ReplyTo: m.Seq}
				case 2:
					e = react("r", fmt.Sprint("u", u), m.Seq, "🎉")
				}
				if _, _, _, err := s.Append(ctx, &e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	log, err := s.Since(ctx, "r", 0, 1000)
	if err != nil || len(log) != 1+users*toggles {
		t.Fatalf("Since = %d entries, %v; want %d", len(log), err, 1+users*toggles)
	}
	held := map[string]int{}
	replies := 0
	for i, e := range log {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		switch {
		case e.Kind == hubbub.KindReaction:
			held[e.Emoji] = e.Count
		case e.ReplyTo == m.Seq:
			replies++
		}
	}
	got := message(t, s, "r", m.Seq)
	counts := map[string]int{}
	for _, r := range got.Reactions {
		counts[r.Emoji] = r.Count
	}
	// 15 toggles each: 5 of 👍 (held: odd), 5 of 🎉 (held), 5 replies
	if got.ReplyCount != replies || replies != users*5 || counts["👍"] != users || counts["🎉"] != users ||
		held["👍"] != users || held["🎉"] != users {
		t.Errorf("message %+v, replies %d, last counts in the log %v", got, replies, held)
	}
}

// TestSinceMergesKinds: Since pages through messages and changes together by seq, whatever
// the limit, and Before skips the changes.
func TestSinceMergesKinds(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	var kinds []hubbub.EntryKind
	for i := range 10 {
		m := add(t, s, text("r", "alice", fmt.Sprint(i)))
		kinds = append(kinds, m.Kind)
		if i%2 == 0 {
			kinds = append(kinds, add(t, s, react("r", "bob", m.Seq, "👀")).Kind)
		}
		if i%3 == 0 {
			kinds = append(kinds, add(t, s, edit("r", "alice", m.Seq, fmt.Sprint(i, "!"))).Kind)
		}
	}
	for _, limit := range []int{1, 2, 3, 7, 100} {
		var got []hubbub.EntryKind
		var after uint64
		for {
			page, err := s.Since(ctx, "r", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) > limit {
				t.Fatalf("Since(%d, %d) returned %d", after, limit, len(page))
			}
			for _, e := range page {
				if e.Seq != after+1 {
					t.Fatalf("limit %d: seq %d after %d", limit, e.Seq, after)
				}
				after = e.Seq
				got = append(got, e.Kind)
			}
		}
		if !slices.Equal(got, kinds) {
			t.Errorf("limit %d: kinds %v, want %v", limit, got, kinds)
		}
	}
	msgs, err := s.Before(ctx, "r", 0, 4)
	if err != nil || len(msgs) != 4 || msgs[0].Text != "6!" || msgs[3].Text != "9!" {
		t.Errorf("Before(0, 4) = %+v, %v", msgs, err)
	}
}

// TestRetentionTakesChanges: pruning removes the messages past the policy with their
// changes, reactions and revisions, and the changes older than the oldest message kept;
// the count of messages kept survives a reopen.
func TestRetentionTakesChanges(t *testing.T) {
	ctx := t.Context()
	opts := Options{Retention: hubbub.Retention{MaxPerRoom: 2}}
	s, path := openTest(t, opts)
	m1 := add(t, s, text("r", "alice", "one"))
	add(t, s, react("r", "bob", m1.Seq, "👍"))            // 2
	m3 := add(t, s, text("r", "alice", "three"))         // 3
	add(t, s, edit("r", "alice", m1.Seq, "one, edited")) // 4: changes a message that goes
	add(t, s, react("r", "bob", m3.Seq, "👍"))            // 5: stays with m3
	m6 := add(t, s, text("r", "alice", "six"))           // 6
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	log, err := s.Since(ctx, "r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if seqs := seqsOf(log); !slices.Equal(seqs, []uint64{3, 5, 6}) {
		t.Errorf("after Prune the log holds %v, want [3 5 6]", seqs)
	}
	if keys, _ := s.ReactedBy(ctx, "r", "bob", 0, 10); !reflect.DeepEqual(keys, []hubbub.ReactionKey{{Seq: 3, Emoji: "👍"}}) {
		t.Errorf("ReactedBy after Prune = %+v", keys)
	}
	if _, found, _ := s.Revisions(ctx, "r", m1.Seq); found {
		t.Error("Revisions finds a pruned message")
	}
	refused(t, s, react("r", "bob", m1.Seq, "🎉"), hubbub.ECodeNotFound)
	assertNoText(t, path, "one")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, opts)
	add(t, s, react("r", "carol", m6.Seq, "👍"))
	add(t, s, text("r", "alice", "eight"))
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("second Prune = %d, %v; want 1 (m3)", n, err)
	}
	log, _ = s.Since(ctx, "r", 0, 10)
	if seqs := seqsOf(log); !slices.Equal(seqs, []uint64{6, 7, 8}) {
		t.Errorf("after the second Prune the log holds %v, want [6 7 8]", seqs)
	}
	if last, _ := s.LastSeq(ctx, "r"); last != 8 {
		t.Errorf("LastSeq = %d, want 8", last)
	}
}

// TestRetentionByAgeTakesChanges: MaxAge removes old messages and their recent changes.
func TestRetentionByAgeTakesChanges(t *testing.T) {
	ctx := t.Context()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, _ := openTest(t, Options{Now: clock, Retention: hubbub.Retention{MaxAge: time.Hour}})
	old := add(t, s, text("r", "alice", "old"))
	advance(50 * time.Minute)
	young := add(t, s, text("r", "alice", "young"))
	add(t, s, react("r", "bob", old.Seq, "👍"))
	add(t, s, react("r", "bob", young.Seq, "👍"))
	advance(20 * time.Minute)
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	log, _ := s.Since(ctx, "r", 0, 10)
	if seqs := seqsOf(log); !slices.Equal(seqs, []uint64{2, 4}) {
		t.Errorf("after Prune the log holds %v, want [2 4]", seqs)
	}
	advance(time.Hour)
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	if log, _ := s.Since(ctx, "r", 0, 10); len(log) != 0 {
		t.Errorf("after every message aged out the log holds %+v", log)
	}
}

func seqsOf(es []hubbub.Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}
