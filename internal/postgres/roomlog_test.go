package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
)

// The room log on PostgreSQL: what the contract suite cannot see from outside (several
// changes decided in one batch transaction, two nodes changing one message, the names of a
// reaction held by more users than it names) and the rules themselves, end to end.

// appendOK appends e and fails t unless it was stored as a new entry.
func appendOK(t *testing.T, s hubbub.Store, e hubbub.Entry) hubbub.Entry {
	t.Helper()
	got, _, outcome, err := s.Append(t.Context(), &e)
	dup := outcome == hubbub.Duplicate
	if err != nil || dup {
		t.Fatalf("Append(%+v) = %+v, dup %v, %v", e, got, dup, err)
	}
	return *got
}

// appendRefused appends e and fails t unless it was refused with code.
func appendRefused(t *testing.T, s hubbub.Store, e hubbub.Entry, code string) {
	t.Helper()
	got, _, _, err := s.Append(t.Context(), &e)
	var he *hubbub.Error
	if !errors.As(err, &he) || he.Code != code {
		t.Fatalf("Append(%+v) = %+v, %v; want a %s refusal", e, got, err, code)
	}
}

// message reads message seq of room as Before does (current state), failing t if absent.
func message(t *testing.T, s hubbub.Store, room string, seq uint64) hubbub.Entry {
	t.Helper()
	got, err := s.Before(t.Context(), room, seq+1, 1)
	if err != nil || len(got) != 1 || got[0].Seq != seq {
		t.Fatalf("Before(%d) = %+v, %v; want message %d", seq+1, got, err, seq)
	}
	return got[0]
}

func react(room, from string, target uint64, emoji string) hubbub.Entry {
	return hubbub.Entry{Room: room, From: from, Kind: hubbub.KindReaction, Target: target, Emoji: emoji}
}

// TestLogOfEveryKind: messages, an edit, reactions, a reply and a delete share one gap-free
// seq space; Since replays them all in order, messages in their current state; Before reads
// messages only; refusals take no seq.
func TestLogOfEveryKind(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m1 := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "hello @bob",
		Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	m2 := appendOK(t, s, hubbub.Entry{Room: "r", From: "bob", Text: "hi", ReplyTo: m1.Seq})
	appendRefused(t, s, hubbub.Entry{Room: "r", From: "bob", Kind: hubbub.KindEdit, Target: m1.Seq, Text: "mine"}, hubbub.ECodeForbidden)
	appendRefused(t, s, hubbub.Entry{Room: "r", From: "bob", Text: "x", ReplyTo: 99}, hubbub.ECodeNotFound)
	ed := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m1.Seq, Text: "hello all"})
	r1 := appendOK(t, s, react("r", "bob", m1.Seq, "👍"))
	r2 := appendOK(t, s, react("r", "carol", m1.Seq, "👍"))
	appendRefused(t, s, react("r", "carol", 42, "👍"), hubbub.ECodeNotFound)
	appendRefused(t, s, hubbub.Entry{Room: "r", From: "carol", Kind: hubbub.KindDelete, Target: m2.Seq}, hubbub.ECodeForbidden)
	del := appendOK(t, s, hubbub.Entry{Room: "r", From: "mod", Kind: hubbub.KindDelete, Target: m2.Seq, Moderator: true})

	if got := []uint64{m1.Seq, m2.Seq, ed.Seq, r1.Seq, r2.Seq, del.Seq}; !slices.Equal(got, []uint64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("seqs %v, want 1..6: a refusal took a seq", got)
	}
	if !r1.Added || r1.Count != 1 || !r2.Added || r2.Count != 2 {
		t.Errorf("reactions = %+v, %+v; want added with counts 1 and 2", r1, r2)
	}
	if ed.Kind != hubbub.KindEdit || ed.Target != m1.Seq || ed.Text != "hello all" || ed.Time.IsZero() || ed.ID == "" {
		t.Errorf("edit = %+v", ed)
	}

	log, err := s.Since(ctx, "r", 0, 100)
	if err != nil || len(log) != 6 {
		t.Fatalf("Since = %d entries, %v; want 6", len(log), err)
	}
	want1 := m1
	want1.Text, want1.EditedAt, want1.Mentions, want1.ReplyCount = "hello all", ed.Time, nil, 1
	want1.Reactions = []hubbub.Reaction{{Emoji: "👍", Count: 2, Names: []string{"bob", "carol"}}}
	want2 := m2
	want2.Text, want2.Deleted = "", true
	for i, want := range []hubbub.Entry{want1, want2, ed, r1, r2, del} {
		if !reflect.DeepEqual(log[i], want) {
			t.Errorf("Since[%d] = %+v\nwant %+v", i, log[i], want)
		}
	}
	page, err := s.Before(ctx, "r", 0, 10)
	if err != nil || !reflect.DeepEqual(page, []hubbub.Entry{want1, want2}) {
		t.Errorf("Before = %+v, %v; want the two messages in their current state", page, err)
	}
	if last, _ := s.LastSeq(ctx, "r"); last != 6 {
		t.Errorf("LastSeq = %d, want 6", last)
	}
	if rs, _ := s.Rooms(ctx, "", 10); len(rs) != 1 || rs[0].LastSeq != 6 || !rs[0].LastActivity.Equal(del.Time) {
		t.Errorf("Rooms = %+v, want r at 6, active at the delete's time", rs)
	}
}

// TestEditsDeletesRevisions: an edit keeps the text it replaces; Revisions lists them oldest
// first with the current one last; a delete empties the message, its revisions and its
// edits' texts, a second delete returns the first as a duplicate, and an edit of the
// tombstone is refused.
func TestEditsDeletesRevisions(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "v1"})
	e1 := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: "v2"})
	e2 := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: "v3",
		Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	revs, found, err := s.Revisions(ctx, "r", m.Seq)
	want := []hubbub.Revision{{Text: "v1", Time: m.Time}, {Text: "v2", Time: e1.Time}, {Text: "v3", Time: e2.Time}}
	if err != nil || !found || !reflect.DeepEqual(revs, want) {
		t.Errorf("Revisions = %+v, %v, %v; want %+v", revs, found, err, want)
	}
	if got := message(t, s, "r", m.Seq); got.Text != "v3" || !got.EditedAt.Equal(e2.Time) || len(got.Mentions) != 1 {
		t.Errorf("edited message = %+v", got)
	}
	if _, found, _ := s.Revisions(ctx, "r", 77); found {
		t.Error("Revisions of a missing message found it")
	}

	d := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindDelete, Target: m.Seq, ClientID: "d1"})
	again, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "mod", Kind: hubbub.KindDelete, Target: m.Seq, Moderator: true})
	dup := outcome == hubbub.Duplicate
	if err != nil || !dup || !reflect.DeepEqual(*again, d) {
		t.Errorf("second delete = %+v, dup %v, %v; want the first %+v as a duplicate", again, dup, err, d)
	}
	if revs, found, err := s.Revisions(ctx, "r", m.Seq); err != nil || !found || len(revs) != 0 {
		t.Errorf("Revisions of a tombstone = %+v, %v, %v; want found and none", revs, found, err)
	}
	log, _ := s.Since(ctx, "r", 0, 10)
	for _, e := range log {
		if e.Text != "" {
			t.Errorf("after the delete, seq %d still holds text %q", e.Seq, e.Text)
		}
	}
	appendRefused(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: "back"}, hubbub.ECodeNotFound)
	appendRefused(t, s, react("r", "bob", m.Seq, "👍"), hubbub.ECodeNotFound)
	if last, _ := s.LastSeq(ctx, "r"); last != d.Seq {
		t.Errorf("LastSeq = %d, want %d", last, d.Seq)
	}
}

// TestReactionNames: a message names the first MaxReactionNames holders of each emoji in the
// order they reacted; when one of them takes theirs back, the next holder is named; emoji keep
// the order they were first added, and one whose count falls to zero goes. ReactedBy lists a
// user's reactions on a range of messages.
func TestReactionNames(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "vote"})
	other := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "other"})
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		appendOK(t, s, react("r", u, m.Seq, "👍"))
	}
	appendOK(t, s, react("r", "u2", m.Seq, "🎉"))
	off := appendOK(t, s, react("r", "u1", m.Seq, "👍"))
	if off.Added || off.Count != 4 {
		t.Errorf("taking a reaction back = %+v, want removed with count 4", off)
	}
	appendOK(t, s, react("r", "u3", m.Seq, "👍"))
	appendOK(t, s, react("r", "u3", m.Seq, "👍")) // back again: now the last to react
	appendOK(t, s, react("r", "u2", other.Seq, "❤️"))
	want := []hubbub.Reaction{
		{Emoji: "👍", Count: 4, Names: []string{"u2", "u4", "u5"}},
		{Emoji: "🎉", Count: 1, Names: []string{"u2"}},
	}
	if got := message(t, s, "r", m.Seq).Reactions; !reflect.DeepEqual(got, want) {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}
	appendOK(t, s, react("r", "u2", m.Seq, "🎉"))
	if got := message(t, s, "r", m.Seq).Reactions; !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("reactions after the last 🎉 went = %+v, want %+v", got, want[:1])
	}
	keys, err := s.ReactedBy(ctx, "r", "u2", m.Seq, other.Seq)
	if wantKeys := []hubbub.ReactionKey{{Seq: m.Seq, Emoji: "👍"}, {Seq: other.Seq, Emoji: "❤️"}}; err != nil || !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("ReactedBy = %+v, %v; want %+v", keys, err, wantKeys)
	}
	if keys, err := s.ReactedBy(ctx, "r", "u2", other.Seq+1, 1<<63); err != nil || len(keys) != 0 {
		t.Errorf("ReactedBy past the messages = %+v, %v", keys, err)
	}
}

// TestReactionLimit: a message carries at most MaxReactionsPerMessage emoji; another is
// refused, one it carries is not.
func TestReactionLimit(t *testing.T) {
	s, _ := openTest(t, Options{})
	m := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "x"})
	for i := range hubbub.MaxReactionsPerMessage {
		appendOK(t, s, react("r", "bob", m.Seq, fmt.Sprintf(":e%d:", i)))
	}
	appendRefused(t, s, react("r", "bob", m.Seq, ":one_more:"), hubbub.ECodeLimit)
	appendOK(t, s, react("r", "carol", m.Seq, ":e0:"))
}

// TestBatchOfChanges: many users toggle reactions on one message, edit and reply at once on
// two nodes, so that batches decide many changes of one message in one transaction. The
// message ends in the state the log describes: each reaction's count is the count of the last
// reaction entry for it, and its names are its holders in log order.
func TestBatchOfChanges(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	ctx := t.Context()
	m := appendOK(t, nodes[0], hubbub.Entry{Room: "r", From: "alice", Text: "v0"})
	const users, rounds = 12, 5
	var wg sync.WaitGroup
	for i := range users {
		s := nodes[i%2]
		wg.Go(func() {
			for j := range rounds {
				emoji := []string{"👍", "🎉", "❤️"}[(i+j)%3]
				if _, _, _, err := s.Append(ctx, new(react("r", fmt.Sprint("u", i), m.Seq, emoji))); err != nil {
					t.Errorf("react: %v", err)
				}
				if i == 0 {
					if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: fmt.Sprint("v", j+1)}); err != nil {
						t.Errorf("edit: %v", err)
					}
				}
				if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: fmt.Sprint("u", i), Text: "re", ReplyTo: m.Seq}); err != nil {
					t.Errorf("reply: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	log, err := nodes[1].Since(ctx, "r", 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	// Fold the log, as a client that saw every entry would.
	holders := map[string][]string{}
	var order []string
	var text string
	replies := 0
	for i, e := range log {
		if e.Seq != uint64(i+1) {
			t.Fatalf("seq %d at position %d", e.Seq, i)
		}
		switch e.Kind {
		case hubbub.KindEdit:
			text = e.Text
		case hubbub.KindMessage:
			if e.ReplyTo == m.Seq {
				replies++
			}
		case hubbub.KindReaction:
			h := holders[e.Emoji]
			if e.Added {
				if len(h) == 0 {
					order = append(order, e.Emoji)
				}
				h = append(h, e.From)
			} else {
				h = slices.DeleteFunc(h, func(n string) bool { return n == e.From })
				if len(h) == 0 {
					order = slices.DeleteFunc(order, func(x string) bool { return x == e.Emoji })
				}
			}
			if e.Count != len(h) {
				t.Errorf("reaction seq %d reports count %d, the log holds %d", e.Seq, e.Count, len(h))
			}
			holders[e.Emoji] = h
		}
	}
	var want []hubbub.Reaction
	for _, emoji := range order {
		h := holders[emoji]
		want = append(want, hubbub.Reaction{Emoji: emoji, Count: len(h), Names: h[:min(len(h), hubbub.MaxReactionNames)]})
	}
	t.Logf("%d entries in %d + %d batch transactions", len(log), nodes[0].w.batches.Load(), nodes[1].w.batches.Load())
	got := message(t, nodes[0], "r", m.Seq)
	if got.Text != text || got.ReplyCount != replies || replies != users*rounds || !reflect.DeepEqual(got.Reactions, want) {
		t.Errorf("message = %+v\nwant text %q, %d replies, reactions %+v", got, text, replies, want)
	}
	revs, _, err := nodes[0].Revisions(ctx, "r", m.Seq)
	if err != nil || len(revs) != rounds+1 || revs[0].Text != "v0" || revs[rounds].Text != text {
		t.Errorf("Revisions = %+v, %v; want v0..v%d", revs, err, rounds)
	}
	for _, e := range log {
		if e.Kind != hubbub.KindReaction {
			continue
		}
		keys, err := nodes[0].ReactedBy(ctx, "r", e.From, m.Seq, m.Seq)
		if err != nil {
			t.Fatal(err)
		}
		var held []string
		for _, k := range keys {
			held = append(held, k.Emoji)
		}
		for emoji, h := range holders {
			if slices.Contains(h, e.From) != slices.Contains(held, emoji) {
				t.Errorf("ReactedBy(%s) = %v, but the log says %s holds %s: %v", e.From, held, e.From, emoji, slices.Contains(h, e.From))
			}
		}
	}
}

// TestIdempotentChanges: a resend of each kind with its client id returns the first outcome,
// even after the message changed, and takes no seq; a refused change is not remembered.
func TestIdempotentChanges(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", ClientID: "m", Text: "x"})
	appendRefused(t, s, hubbub.Entry{Room: "r", From: "bob", ClientID: "e", Kind: hubbub.KindEdit, Target: m.Seq, Text: "y"}, hubbub.ECodeForbidden)
	for _, e := range []hubbub.Entry{
		{Room: "r", From: "alice", ClientID: "e", Kind: hubbub.KindEdit, Target: m.Seq, Text: "y"},
		{Room: "r", From: "bob", ClientID: "e", Kind: hubbub.KindReaction, Target: m.Seq, Emoji: "👍"},
		{Room: "r", From: "alice", ClientID: "d", Kind: hubbub.KindDelete, Target: m.Seq},
	} {
		first := appendOK(t, s, e)
		again, _, outcome, err := s.Append(ctx, &e)
		dup := outcome == hubbub.Duplicate
		if err != nil || !dup || !reflect.DeepEqual(*again, first) {
			t.Errorf("resend of %s = %+v, dup %v, %v; want %+v", e.Kind, again, dup, err, first)
		}
	}
	// The message's resend returns it in its current state, as Since does; an edit reusing
	// its key returns it too.
	again, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "m", Kind: hubbub.KindEdit, Target: m.Seq, Text: "z"})
	dup := outcome == hubbub.Duplicate
	if cur := message(t, s, "r", m.Seq); err != nil || !dup || !reflect.DeepEqual(*again, cur) {
		t.Errorf("edit with the message's key = %+v, dup %v, %v; want the message %+v", again, dup, err, cur)
	}
	if last, _ := s.LastSeq(ctx, "r"); last != 4 {
		t.Errorf("LastSeq = %d, want 4", last)
	}
}

// TestRetentionOfTheLog: MaxPerRoom counts messages, not entries; Prune removes the messages
// it cuts with their edits, reactions and revisions and every entry older than the oldest
// message it keeps, and keeps the changes of the messages it keeps.
func TestRetentionOfTheLog(t *testing.T) {
	s, u := openTest(t, Options{Retention: hubbub.Retention{MaxPerRoom: 2}})
	ctx := t.Context()
	m1 := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "one"})                                // 1
	appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: 1, Text: "one!"})   // 2
	m2 := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "two"})                                // 3
	appendOK(t, s, react("r", "bob", m1.Seq, "👍"))                                                           // 4
	appendOK(t, s, react("r", "bob", m2.Seq, "👍"))                                                           // 5
	m3 := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "three"})                              // 6
	appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m3.Seq, Text: "3"}) // 7
	n, err := s.Prune(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 message", n, err)
	}
	log, _ := s.Since(ctx, "r", 0, 100)
	var seqs []uint64
	for _, e := range log {
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []uint64{3, 5, 6, 7}) {
		t.Errorf("after Prune the log holds seqs %v, want 3 5 6 7", seqs)
	}
	for _, q := range []string{`SELECT count(*) FROM reactions WHERE seq = 1`, `SELECT count(*) FROM revisions WHERE seq = 1`} {
		var c int
		if err := s.pool.QueryRow(ctx, q).Scan(&c); err != nil || c != 0 {
			t.Errorf("%s = %d, %v; want 0", q, c, err)
		}
	}
	if revs, _, _ := s.Revisions(ctx, "r", m3.Seq); len(revs) != 2 {
		t.Errorf("Revisions of a kept message = %+v, want 2", revs)
	}
	if keys, _ := s.ReactedBy(ctx, "r", "bob", 0, 100); !reflect.DeepEqual(keys, []hubbub.ReactionKey{{Seq: m2.Seq, Emoji: "👍"}}) {
		t.Errorf("ReactedBy after Prune = %+v", keys)
	}
	_ = u
}

// TestMigrateFromMessagesOnly: a database written by the store before the room log (schema
// 0003: messages only, one of them deleted, some pruned) migrates on Open and works: its
// messages read back unchanged, new entries number on from its last seq, its messages can be
// edited, reacted to and replied to, and MaxPerRoom counts the old messages with the new.
func TestMigrateFromMessagesOnly(t *testing.T) {
	u := schemaAt(t, 3, "")
	// As the 0003 store wrote them: seqs 1-2 pruned, 3-6 kept, 5 deleted.
	adminExec(t, u, `INSERT INTO rooms (name, last_seq) VALUES ('old', 6)`)
	adminExec(t, u, `INSERT INTO messages (room, seq, id, client_id, sender, text, created_at, deleted) VALUES
		('old', 3, 'id3', 'k3', 'alice', 'three', '2026-01-01T00:00:03.001Z', false),
		('old', 4, 'id4', '', 'bob', 'four', '2026-01-01T00:00:04Z', false),
		('old', 5, 'id5', '', 'bob', '', '2026-01-01T00:00:05Z', true),
		('old', 6, 'id6', '', 'alice', 'six', '2026-01-01T00:00:06Z', false)`)

	s := openAt(t, u, Options{Retention: hubbub.Retention{MaxPerRoom: 4}})
	ctx := t.Context()
	old, err := s.Since(ctx, "old", 0, 100)
	if err != nil || len(old) != 4 {
		t.Fatalf("Since after the migration = %+v, %v", old, err)
	}
	if m := old[0]; m.Seq != 3 || m.ID != "id3" || m.ClientID != "k3" || m.From != "alice" || m.Text != "three" ||
		m.Time.UnixMilli() != 1767225603001 || m.Deleted || m.Reactions != nil || !m.EditedAt.IsZero() {
		t.Errorf("old message 3 = %+v", m)
	}
	if m := old[2]; !m.Deleted || m.Text != "" {
		t.Errorf("old tombstone 5 = %+v", m)
	}
	if _, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "old", From: "alice", ClientID: "k3", Text: "again"}); err != nil || outcome != hubbub.Duplicate {
		t.Errorf("resend of an old message's key: %v, %v", outcome, err)
	}
	ed := appendOK(t, s, hubbub.Entry{Room: "old", From: "alice", Kind: hubbub.KindEdit, Target: 3, Text: "3!"})
	re := appendOK(t, s, react("old", "bob", 4, "👍"))
	reply := appendOK(t, s, hubbub.Entry{Room: "old", From: "bob", Text: "re", ReplyTo: 6})
	if ed.Seq != 7 || re.Seq != 8 || reply.Seq != 9 {
		t.Errorf("new entries have seqs %d %d %d, want 7 8 9", ed.Seq, re.Seq, reply.Seq)
	}
	if revs, _, _ := s.Revisions(ctx, "old", 3); len(revs) != 2 || revs[0].Text != "three" || revs[0].Time.UnixMilli() != 1767225603001 {
		t.Errorf("Revisions of an old message = %+v", revs)
	}
	if m := message(t, s, "old", 6); m.ReplyCount != 1 {
		t.Errorf("old parent's reply count = %d, want 1", m.ReplyCount)
	}
	// Five messages now (3, 4, 5, 6 and the reply at 9): MaxPerRoom 4 removes message 3 and
	// its edit, which is older than the oldest message kept.
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	log, _ := s.Since(ctx, "old", 0, 100)
	var seqs []uint64
	for _, e := range log {
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []uint64{4, 5, 6, 8, 9}) {
		t.Errorf("after Prune the log holds %v, want 4 5 6 8 9", seqs)
	}
	if n, err := s.Prune(ctx); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0", n, err)
	}
}

// TestTombstoneBeforeTheLog: a message deleted before the room log (the Store's DeleteMessage
// of then emptied it in place, with no delete entry) stays a tombstone for the log: a delete
// entry of it stores nothing and answers a duplicate without a seq, and changes of it are
// refused.
func TestTombstoneBeforeTheLog(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	m := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "v1 @bob", Mentions: []hubbub.Mention{{User: "bob", Name: "bob"}}})
	appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: m.Seq, Text: "v2"})
	appendOK(t, s, react("r", "bob", m.Seq, "👍"))
	// What DeleteMessage did, in one transaction under the room's lock.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rollback(tx)
	b := &pgx.Batch{}
	b.Queue(lockRoomRow, "r")
	b.Queue(`UPDATE messages SET text = '', mentions = NULL, mention_room = false, deleted = true WHERE room = $1 AND seq = $2`, "r", int64(m.Seq))
	b.Queue(emptyRevisions, []string{"r"}, []int64{int64(m.Seq)})
	b.Queue(emptyEdits, []string{"r"}, []int64{int64(m.Seq)})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	log, _ := s.Since(ctx, "r", 0, 10)
	for _, e := range log {
		if e.Text != "" || e.Mentions != nil {
			t.Errorf("seq %d still says %q %+v", e.Seq, e.Text, e.Mentions)
		}
	}
	if got := message(t, s, "r", m.Seq); !got.Deleted || len(got.Reactions) != 1 {
		t.Errorf("tombstone = %+v, want deleted with its reaction", got)
	}
	if revs, found, err := s.Revisions(ctx, "r", m.Seq); err != nil || !found || revs != nil {
		t.Errorf("Revisions = %+v, %v, %v; want found and none", revs, found, err)
	}
	d, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindDelete, Target: m.Seq})
	dup := outcome == hubbub.Duplicate
	if err != nil || !dup || d.Seq != 0 || d.Kind != hubbub.KindDelete || d.Target != m.Seq {
		t.Errorf("delete entry of the tombstone = %+v, dup %v, %v; want a duplicate without a seq", d, dup, err)
	}
	appendRefused(t, s, react("r", "carol", m.Seq, "👍"), hubbub.ECodeNotFound)
	if last, _ := s.LastSeq(ctx, "r"); last != 3 {
		t.Errorf("LastSeq = %d, want 3", last)
	}
}

// TestPruneWhileChanging: Prune removes old messages while other goroutines react to, edit
// and reply to them. Whatever the interleaving, nothing that changes a removed message
// survives it (no orphan entry, reaction or revision), and every append either stored its
// entry or was refused as not found.
func TestPruneWhileChanging(t *testing.T) {
	s, _ := openTest(t, Options{Retention: hubbub.Retention{MaxPerRoom: 5}})
	ctx := t.Context()
	for i := range 40 {
		appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: fmt.Sprint("m", i)})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		untilStopped(&wg, stop, func(i int) bool {
			target := uint64(1 + (i*7+w)%40)
			for _, e := range []hubbub.Entry{
				react("r", fmt.Sprint("u", w), target, "👍"),
				{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: target, Text: fmt.Sprint("e", i)},
			} {
				_, _, _, err := s.Append(ctx, &e)
				var he *hubbub.Error
				if err != nil && !(errors.As(err, &he) && he.Code == hubbub.ECodeNotFound) {
					t.Errorf("Append(%+v): %v", e, err)
					return false
				}
			}
			return true
		})
	}
	for range 8 {
		if _, err := s.Prune(ctx); err != nil {
			t.Error(err)
		}
		appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "new"})
	}
	close(stop)
	wg.Wait()
	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	var orphans int
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.room = e.room AND m.seq = e.target)) +
		(SELECT count(*) FROM reactions r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.room = r.room AND m.seq = r.seq)) +
		(SELECT count(*) FROM revisions r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.room = r.room AND m.seq = r.seq))`).Scan(&orphans)
	if err != nil || orphans != 0 {
		t.Errorf("%d rows change messages that are gone (%v)", orphans, err)
	}
	if msgs, _ := s.Before(ctx, "r", 0, 100); len(msgs) != 5 {
		t.Errorf("%d messages kept, want 5", len(msgs))
	}
}

// TestPruneWaitsForABatch: a Prune that starts while a batch holds the room's lock, after the
// batch read the message it reacts to, waits for the batch to commit and then removes the
// message with its reaction: no reaction or entry outlives its message. (Without the lock the
// prune would delete the message under the batch, which would then store a reaction of a
// message that is gone.)
func TestPruneWaitsForABatch(t *testing.T) {
	app := fmt.Sprint("hubbub_prune_", time.Now().UnixNano())
	u := withParam(emptySchemas.Schema(t), "application_name", app)
	s := openAt(t, u, Options{Retention: hubbub.Retention{MaxPerRoom: 1}})
	ctx := t.Context()
	old := appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "old"})
	appendOK(t, s, hubbub.Entry{Room: "r", From: "alice", Text: "new"})

	conn, err := pgx.Connect(ctx, serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	pruned := make(chan error, 1)
	s.w.afterLookup = func(attempt int) {
		if attempt != 1 {
			return
		}
		go func() { _, err := s.Prune(ctx); pruned <- err }()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var waiting int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&waiting); err != nil {
				t.Error(err)
				return
			}
			if waiting > 0 || len(pruned) > 0 { // the prune waits for this batch, or is done
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Error("the prune neither finished nor waited for the batch's lock")
	}
	r, _, _, err := s.Append(ctx, new(react("r", "bob", old.Seq, "👍")))
	s.w.afterLookup = nil
	if err != nil || !r.Added {
		t.Fatalf("reaction = %+v, %v; want it stored (the batch read the message before the prune)", r, err)
	}
	if err := <-pruned; err != nil {
		t.Fatal(err)
	}
	log, _ := s.Since(ctx, "r", 0, 10)
	if len(log) != 1 || log[0].Text != "new" {
		t.Errorf("after the prune the log holds %+v, want the new message only", log)
	}
	var left int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM reactions) + (SELECT count(*) FROM entries)`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d reactions and entries outlive their message (%v)", left, err)
	}
}

// TestToggleBurstOfOneUser: one user's toggles of one reaction, sent at once from many
// connections on two nodes, land in batches that add and remove the same reaction several
// times. The log alternates added and removed, and the message, the reactions rows and
// ReactedBy all end where the last toggle left them.
func TestToggleBurstOfOneUser(t *testing.T) {
	u := emptySchemas.Schema(t)
	nodes := []*Store{openAt(t, u, Options{}), openAt(t, u, Options{})}
	ctx := t.Context()
	m := appendOK(t, nodes[0], hubbub.Entry{Room: "r", From: "alice", Text: "x"})
	appendOK(t, nodes[0], react("r", "carol", m.Seq, "👍")) // someone else holds it throughout
	const toggles = 41
	var wg sync.WaitGroup
	for i := range toggles {
		wg.Go(func() {
			if _, _, _, err := nodes[i%2].Append(ctx, new(react("r", "bob", m.Seq, "👍"))); err != nil {
				t.Errorf("toggle %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	log, err := nodes[1].Since(ctx, "r", m.Seq+1, 1000)
	if err != nil || len(log) != toggles {
		t.Fatalf("Since = %d entries, %v; want %d", len(log), err, toggles)
	}
	for i, e := range log {
		if wantAdded := i%2 == 0; e.Added != wantAdded || e.Count != 1+len(log[:i+1])%2 {
			t.Fatalf("toggle %d (seq %d): added %v count %d; want added %v count %d", i, e.Seq, e.Added, e.Count, wantAdded, 1+(i+1)%2)
		}
	}
	// An odd number of toggles: bob holds it, after carol.
	want := []hubbub.Reaction{{Emoji: "👍", Count: 2, Names: []string{"carol", "bob"}}}
	if got := message(t, nodes[0], "r", m.Seq).Reactions; !reflect.DeepEqual(got, want) {
		t.Errorf("reactions = %+v, want %+v", got, want)
	}
	var rows int
	if err := nodes[0].pool.QueryRow(ctx, `SELECT count(*) FROM reactions`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d reactions rows, %v; want 2", rows, err)
	}
	if keys, err := nodes[1].ReactedBy(ctx, "r", "bob", 1, 100); err != nil || len(keys) != 1 {
		t.Errorf("ReactedBy(bob) = %+v, %v", keys, err)
	}
	t.Logf("%d toggles in %d + %d batch transactions", toggles, nodes[0].w.batches.Load(), nodes[1].w.batches.Load())
}
