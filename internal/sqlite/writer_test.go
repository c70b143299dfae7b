package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/testwait"
)

// stall holds the write lock of the file at path from a connection of its own, the way
// another process would, so that the store's writer blocks in BEGIN IMMEDIATE (for up to
// its busy timeout) and requests pile up behind it. The returned func releases the lock.
func stall(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_, _ = conn.ExecContext(context.Background(), "COMMIT")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// blockWriter stalls the file and sends the writer one append to room, returning once the
// writer has taken it and is therefore stuck in BEGIN: everything sent after it queues.
// The returned channel yields that append's result after release.
func blockWriter(t *testing.T, s *Store, path, room string) (release func(), first <-chan result) {
	t.Helper()
	release = stall(t, path)
	r := &request{msg: &hubbub.Entry{Room: room, From: "first", Text: "first"}}
	ch := make(chan result, 1)
	go func() { ch <- *s.w.do(context.Background(), r) }()
	testwait.Until(t, "the writer takes the first request", r.Taken)
	return release, ch
}

// appendAsync appends m in a goroutine and returns where its outcome will arrive.
func appendAsync(ctx context.Context, s *Store, m hubbub.Entry) <-chan result {
	ch := make(chan result, 1)
	go func() {
		var r result
		got, _, outcome, err := s.Append(ctx, &m)
		if err == nil {
			r.msg, r.dup, r.first = *got, outcome == hubbub.Duplicate, outcome == hubbub.StoredFirst
		}
		r.err = err
		ch <- r
	}()
	return ch
}

// TestGroupCommit: appends that queue while a commit is under way are committed together,
// in one transaction.
func TestGroupCommit(t *testing.T) {
	s, path := openTest(t, Options{})
	release, first := blockWriter(t, s, path, "r")
	const n = 20
	var results []<-chan result
	for i := range n {
		results = append(results, appendAsync(t.Context(), s, hubbub.Entry{Room: "r", From: "u", Text: fmt.Sprint(i)}))
	}
	testwait.Until(t, "all appends queue", func() bool { return s.w.q.Len() == n })
	if b := s.w.batches.Load(); b != 0 {
		t.Fatalf("%d batches committed while the file was locked", b)
	}
	release()

	seqs := []uint64{(<-first).msg.Seq}
	for _, ch := range results {
		res := <-ch
		if res.err != nil {
			t.Fatal(res.err)
		}
		seqs = append(seqs, res.msg.Seq)
	}
	slices.Sort(seqs)
	if want := seqRange(1, n+1); !slices.Equal(seqs, want) {
		t.Errorf("seqs %v, want %v", seqs, want)
	}
	if b := s.w.batches.Load(); b != 2 {
		t.Errorf("%d appends took %d commits, want 2 (the first alone, then the queued %d together)", n+1, b, n)
	}
}

// TestFailedAppendDoesNotFailBatch: an append that fails inside a batch is rolled back alone
// (its seq is not consumed) and the rest of the batch commits.
func TestFailedAppendDoesNotFailBatch(t *testing.T) {
	s, path := openTest(t, Options{})
	// Poison room "bad": a stray row at seq 1 that rooms.last_seq does not know about, so
	// the next append there hits the primary key.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO messages (room, seq, id, sender, text, created_ms) VALUES ('bad', 1, 'x', 'x', 'x', 0)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	release, first := blockWriter(t, s, path, "good")
	var good, bad []<-chan result
	for i := range 6 {
		m := hubbub.Entry{Room: "good", From: "u", Text: fmt.Sprint(i)}
		if i%2 == 1 {
			m.Room = "bad"
			bad = append(bad, appendAsync(t.Context(), s, m))
		} else {
			good = append(good, appendAsync(t.Context(), s, m))
		}
	}
	testwait.Until(t, "all appends queue", func() bool { return s.w.q.Len() == 6 })
	release()

	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	seqs := []uint64{1}
	for _, ch := range good {
		res := <-ch
		if res.err != nil {
			t.Fatalf("an append to the good room failed with the bad ones: %v", res.err)
		}
		seqs = append(seqs, res.msg.Seq)
	}
	slices.Sort(seqs)
	if !slices.Equal(seqs, seqRange(1, 4)) {
		t.Errorf("good room seqs %v, want 1..4", seqs)
	}
	for _, ch := range bad {
		if res := <-ch; res.err == nil {
			t.Errorf("an append to the poisoned room succeeded with seq %d", res.msg.Seq)
		}
	}
	if b := s.w.batches.Load(); b != 2 {
		t.Errorf("%d commits, want 2: the failures did not share the batch", b)
	}
	if last, err := s.LastSeq(t.Context(), "bad"); err != nil || last != 0 {
		t.Errorf("LastSeq of the poisoned room = %d, %v; want 0 (failed appends roll back their seq)", last, err)
	}
	if last, err := s.LastSeq(t.Context(), "good"); err != nil || last != 4 {
		t.Errorf("LastSeq of the good room = %d, %v; want 4", last, err)
	}
}

// TestCancelWhileQueued: an append whose context ends while it waits for the writer returns
// at once and is never stored.
func TestCancelWhileQueued(t *testing.T) {
	s, path := openTest(t, Options{})
	release, first := blockWriter(t, s, path, "r")
	ctx, cancel := context.WithCancel(t.Context())
	ch := appendAsync(ctx, s, hubbub.Entry{Room: "r", From: "u", Text: "given up"})
	testwait.Until(t, "the append queues", func() bool { return s.w.q.Len() == 1 })
	cancel()
	select {
	case res := <-ch:
		if !errors.Is(res.err, context.Canceled) {
			t.Errorf("cancelled Append = %v, want context.Canceled", res.err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a cancelled Append waited for the blocked writer")
	}
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	m, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "next"})
	if err != nil || m.Seq != 2 {
		t.Errorf("Append after the cancelled one = seq %d, %v; want 2", m.Seq, err)
	}
	if msgs, err := s.Since(t.Context(), "r", 0, 10); err != nil || len(msgs) != 2 || msgs[1].Text != "next" {
		t.Errorf("room holds %+v, %v; want first and next only", msgs, err)
	}
}

// TestReadsDoNotWaitForWriter: reads are served while the writer is stuck in a commit.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	s, path := openTest(t, Options{})
	if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	release, first := blockWriter(t, s, path, "r")
	done := make(chan error, 1)
	go func() {
		_, err := s.Since(t.Context(), "r", 0, 10)
		if err == nil {
			_, err = s.Before(t.Context(), "r", 0, 10)
		}
		if err == nil {
			_, err = s.LastSeq(t.Context(), "r")
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(2 * time.Second):
		t.Error("reads waited for the blocked writer")
		release()
		<-done
	}
	release()
	if res := <-first; res.err != nil {
		t.Error(res.err)
	}
}

// TestCloseWhileQueued: Close lets the batch under way commit and fails the queued appends
// with ErrClosed, without storing them.
func TestCloseWhileQueued(t *testing.T) {
	s, path := openTest(t, Options{})
	release, first := blockWriter(t, s, path, "r")
	var queued []<-chan result
	for i := range 3 {
		queued = append(queued, appendAsync(t.Context(), s, hubbub.Entry{Room: "r", From: "u", Text: fmt.Sprint(i)}))
	}
	testwait.Until(t, "the appends queue", func() bool { return s.w.q.Len() == 3 })
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	testwait.Until(t, "Close begins", s.guard.Closed)
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if res := <-first; res.err != nil || res.msg.Seq != 1 {
		t.Errorf("the append under way = seq %d, %v; want it committed as 1", res.msg.Seq, res.err)
	}
	for _, ch := range queued {
		if res := <-ch; !errors.Is(res.err, ErrClosed) {
			t.Errorf("queued append = %+v, want ErrClosed", res)
		}
	}
	s = openAt(t, path, Options{})
	if last, err := s.LastSeq(t.Context(), "r"); err != nil || last != 1 {
		t.Errorf("after reopen LastSeq = %d, %v; want 1", last, err)
	}
}

// TestPruneCancelledOnWriter: a Prune the writer has begun still honours its context, and
// the writer carries on afterwards.
func TestPruneCancelledOnWriter(t *testing.T) {
	s, path := openTest(t, Options{Retention: hubbub.Retention{MaxPerRoom: 1}})
	for range 3 {
		if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	release := stall(t, path)
	ctx, cancel := context.WithCancel(t.Context())
	r := &request{exec: func(ctx context.Context, _ *sql.Conn) (int64, error) { return s.w.prune(ctx) }, ctx: ctx} // as Store.Prune queues it
	ch := make(chan result, 1)
	go func() { ch <- *s.w.do(ctx, r) }()
	testwait.Until(t, "the writer takes the prune", r.Taken)
	cancel()
	select {
	case res := <-ch:
		if !errors.Is(res.err, context.Canceled) {
			t.Errorf("cancelled prune = %+v, want context.Canceled", res)
		}
	case <-time.After(DefaultBusyTimeout / 2):
		t.Fatal("a cancelled prune waited for the lock")
	}
	release()
	if m, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "x"}); err != nil || m.Seq != 4 {
		t.Fatalf("Append after the cancelled prune = seq %d, %v; want 4", m.Seq, err)
	}
	if n, err := s.Prune(t.Context()); err != nil || n != 3 {
		t.Errorf("Prune after the cancelled one = %d, %v; want 3", n, err)
	}
}

func seqRange(lo, hi uint64) []uint64 {
	var s []uint64
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// TestChangesShareABatch: edits, deletes, reactions and replies queued behind a commit go
// into the next batch with the messages, in queue order, each seeing the ones before it in
// the same transaction; a refused one is rolled back alone and takes no seq.
func TestChangesShareABatch(t *testing.T) {
	s, path := openTest(t, Options{})
	release, first := blockWriter(t, s, path, "r") // message 1, from "first"
	queue := []hubbub.Entry{
		react("r", "bob", 1, "👍"),
		edit("r", "bob", 1, "not bob's"),
		edit("r", "first", 1, "edited"),
		{Room: "r", From: "bob", Text: "a reply", ReplyTo: 1},
		del("r", "bob", 1, false),
		text("r", "carol", "after"),
		react("r", "carol", 5, "🎉"), // the message just before it in the batch
	}
	var results []<-chan result
	for i, e := range queue {
		results = append(results, appendAsync(t.Context(), s, e))
		testwait.Until(t, "the append queues", func() bool { return s.w.q.Len() == i+1 })
	}
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	want := []struct {
		seq  uint64
		code string
	}{{2, ""}, {0, hubbub.ECodeForbidden}, {3, ""}, {4, ""}, {0, hubbub.ECodeForbidden}, {5, ""}, {6, ""}}
	for i, ch := range results {
		res := <-ch
		code := ""
		if res.err != nil {
			code = hubbub.ErrorCode(res.err)
		}
		if res.msg.Seq != want[i].seq || code != want[i].code {
			t.Errorf("%+v: seq %d, %v; want seq %d, code %q", queue[i], res.msg.Seq, res.err, want[i].seq, want[i].code)
		}
	}
	if b := s.w.batches.Load(); b != 2 {
		t.Errorf("%d commits, want 2 (the first alone, then the queue together)", b)
	}
	m := message(t, s, "r", 1)
	if m.Text != "edited" || m.ReplyCount != 1 || len(m.Reactions) != 1 || m.Reactions[0].Count != 1 {
		t.Errorf("message after the batch = %+v", m)
	}
}

// TestSmallWritesShareABatch: read positions and last-seen times queued behind a commit share
// the next batch with the appends; a read position clamped to a message appended earlier in
// the same batch sees it; one that fails alone leaves the others committed.
func TestSmallWritesShareABatch(t *testing.T) {
	ctx := t.Context()
	s, path := openTest(t, Options{})
	ann := newUser(t, s, "ann")
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	release, first := blockWriter(t, s, path, "r") // message 1
	type outcome struct {
		seq uint64
		err error
	}
	reads := make(chan outcome, 3)
	msg := appendAsync(ctx, s, text("r", "bob", "two"))
	testwait.Until(t, "the append queues", func() bool { return s.w.q.Len() == 1 })
	for i, seq := range []uint64{9, 1} {
		go func() {
			got, err := s.SetRead(ctx, ann.ID, "r", seq)
			reads <- outcome{got, err}
		}()
		testwait.Until(t, "the read queues", func() bool { return s.w.q.Len() == 2+i })
	}
	seenErr := make(chan error, 1)
	go func() { seenErr <- s.SeenAt(ctx, ann.ID, seen) }()
	testwait.Until(t, "the last-seen time queues", func() bool { return s.w.q.Len() == 4 })
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	if res := <-msg; res.err != nil || res.msg.Seq != 2 {
		t.Fatalf("the append = %+v", res)
	}
	// the reads ran in the order queued: 9 clamped to 2 (the message before them), then 1 kept 2
	for range 2 {
		if r := <-reads; r.err != nil || r.seq != 2 {
			t.Errorf("SetRead = %d, %v; want 2", r.seq, r.err)
		}
	}
	if err := <-seenErr; err != nil {
		t.Fatal(err)
	}
	if b := s.w.batches.Load(); b != 2 {
		t.Errorf("%d commits, want 2 (the first alone, then the queue together)", b)
	}
	if u, _, _ := s.UserByID(ctx, ann.ID); !u.LastSeen.Equal(seen) {
		t.Errorf("LastSeen = %v, want %v", u.LastSeen, seen)
	}
	if r := myRoomOrNone(t, s, ann.ID, "r"); r != nil {
		t.Errorf("SetRead made ann a member: %+v", r)
	}
}

// myRoomOrNone returns user's row for room in MyRooms, or nil.
func myRoomOrNone(t *testing.T, s *Store, user, room string) *hubbub.MyRoom {
	t.Helper()
	rooms, err := s.MyRooms(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms {
		if r.Name == room {
			return &r
		}
	}
	return nil
}
