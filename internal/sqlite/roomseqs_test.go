package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"hubbub"
	"hubbub/internal/testwait"
)

// TestRoomSeqsTwoStores: two stores on one file append to the same room in turn. Each
// writer holds the numbering of the rooms it appended to (roomseqs.go); the other's commits
// must make it read the room again, or it would give a seq the other already gave.
func TestRoomSeqsTwoStores(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hubbub.db")
	stores := []*Store{openAt(t, path, Options{}), openAt(t, path, Options{})}
	for i := range 6 {
		s := stores[i%2]
		m, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: fmt.Sprint("c", i), Text: "hi"})
		dup := outcome == hubbub.Duplicate
		if err != nil || dup || m.Seq != uint64(i+1) {
			t.Fatalf("append %d on store %d = seq %d, dup %v, %v; want seq %d", i, i%2, m.Seq, dup, err, i+1)
		}
	}
	got, err := stores[0].Since(ctx, "r", 0, 10)
	if err != nil || len(got) != 6 {
		t.Fatalf("Since = %d entries, %v; want 6", len(got), err)
	}
}

// TestRoomSeqsAfterOtherWrites: a plain message after a resend, a change (its own
// numbering, in a savepoint), a refused change and a prune takes the next seq each time,
// and the room's message count (its unread counts) follows.
func TestRoomSeqsAfterOtherWrites(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t, Options{Retention: hubbub.Retention{MaxPerRoom: 2}})
	want := uint64(0)
	appendPlain := func(id string) hubbub.Entry {
		t.Helper()
		want++
		m, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: id, Text: "hi " + id})
		dup := outcome == hubbub.Duplicate
		if err != nil || dup || m.Seq != want {
			t.Fatalf("append %s = seq %d, dup %v, %v; want seq %d", id, m.Seq, dup, err, want)
		}
		return *m
	}
	first := appendPlain("a")
	if m, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "a", Text: "again"}); err != nil || outcome != hubbub.Duplicate || m.Seq != first.Seq {
		t.Fatalf("resend = seq %d, %v, %v; want the first (seq %d)", m.Seq, outcome, err, first.Seq)
	}
	appendPlain("b")
	want++
	if e, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: first.Seq, Text: "edited"}); err != nil || e.Seq != want {
		t.Fatalf("edit = seq %d, %v; want seq %d", e.Seq, err, want)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Kind: hubbub.KindEdit, Target: 999, Text: "nothing"}); err == nil {
		t.Fatal("an edit of no message was stored")
	}
	appendPlain("c")
	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	appendPlain("d")
	var msgs, last int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT msgs, last_seq FROM rooms WHERE name = 'r'`).Scan(&msgs, &last); err != nil {
		t.Fatal(err)
	}
	if msgs != 4 || last != int64(want) {
		t.Errorf("rooms row: msgs %d, last_seq %d; want 4 messages, last seq %d", msgs, last, want)
	}
	var ords []int64
	rows, err := s.rdb.QueryContext(ctx, `SELECT ord FROM messages WHERE room = 'r' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			t.Fatal(err)
		}
		ords = append(ords, o)
	}
	if fmt.Sprint(ords) != "[2 3 4]" { // the prune after c kept b and c
		t.Errorf("ords of the messages kept = %v, want [2 3 4]", ords)
	}
}

// TestBatchRolledBackMidway: when a statement of a batch fails and SQLite rolls the whole
// transaction back (as it may on a full disk or an I/O error; a batchFunc rolls back here to
// stand for it), the appends after it in the batch must not run outside a transaction: an
// append reported failed must not be stored, and the room must take its next message.
func TestBatchRolledBackMidway(t *testing.T) {
	ctx := t.Context()
	s, path := openTest(t, Options{})
	release, first := blockWriter(t, s, path, "other")
	a := appendAsync(ctx, s, hubbub.Entry{Room: "r", From: "alice", Text: "a"})
	testwait.Until(t, "a queues", func() bool { return s.w.q.Len() == 1 })
	broken := make(chan error, 1)
	go func() {
		_, err := s.batch(ctx, func(ctx context.Context, w *writer) (int64, error) {
			_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
			return 0, errors.New("disk I/O error (SQLite rolled the transaction back)")
		})
		broken <- err
	}()
	testwait.Until(t, "the failing write queues", func() bool { return s.w.q.Len() == 2 })
	c := appendAsync(ctx, s, hubbub.Entry{Room: "r", From: "alice", Text: "c"})
	testwait.Until(t, "c queues", func() bool { return s.w.q.Len() == 3 })
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	if err := <-broken; err == nil {
		t.Error("the write that failed was reported done")
	}
	reported := map[string]error{"a": (<-a).err, "c": (<-c).err}
	d, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Text: "d"})
	if err != nil {
		t.Fatalf("the next message of the room failed: %v", err)
	}
	got, err := s.Since(ctx, "r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for i, e := range got {
		stored[e.Text] = true
		if e.Seq != uint64(i+1) {
			t.Errorf("message %q has seq %d, want %d", e.Text, e.Seq, i+1)
		}
	}
	for text, err := range reported {
		if (err == nil) != stored[text] {
			t.Errorf("message %s: reported %v, stored %v", text, err, stored[text])
		}
	}
	if !stored["d"] || d.Seq != uint64(len(got)) {
		t.Errorf("d: seq %d, stored %v; %d messages in the room", d.Seq, stored["d"], len(got))
	}
}
