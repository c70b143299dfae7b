package sqlite

import (
	"fmt"
	"testing"

	"hubbub"
	"hubbub/internal/testwait"
)

// queueInOrder appends each of ms in a goroutine of its own, each once the one before is
// queued behind the blocked writer, so that the batch holds them in this order.
func queueInOrder(t *testing.T, s *Store, ms []hubbub.Entry) []<-chan result {
	t.Helper()
	base := s.w.q.Len()
	var out []<-chan result
	for i, m := range ms {
		out = append(out, appendAsync(t.Context(), s, m))
		testwait.Until(t, fmt.Sprintf("append %d queues", i), func() bool { return s.w.q.Len() == base+i+1 })
	}
	return out
}

// TestPlainMessagesGroupedKeepTheirOrder: one batch of 600 plain messages over 7 rooms (more
// than one multi-row statement takes), with a reply in the middle that numbers its room by
// its own statements: every message is stored with its room's next seq in the order sent,
// its ord counts the room's messages, and the rooms' numbering goes on from there.
func TestPlainMessagesGroupedKeepTheirOrder(t *testing.T) {
	s, path := openTest(t, Options{})
	ctx := t.Context()
	release, first := blockWriter(t, s, path, "other")
	const n, rooms = 600, 7
	var ms []hubbub.Entry
	for i := range n {
		m := hubbub.Entry{Room: fmt.Sprint("r", i%rooms), From: "alice", ClientID: fmt.Sprint("c", i), Text: fmt.Sprint("m", i)}
		if i == n/2 {
			m.ReplyTo = 1 // not plain: it takes r(n/2 % rooms)'s next seq in its own savepoint
		}
		ms = append(ms, m)
	}
	results := queueInOrder(t, s, ms)
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	next := map[string]uint64{}
	for i, ch := range results {
		res := <-ch
		room := ms[i].Room
		next[room]++
		if res.err != nil || res.dup || res.msg.Seq != next[room] {
			t.Fatalf("message %d in %s: seq %d, dup %v, %v; want seq %d", i, room, res.msg.Seq, res.dup, res.err, next[room])
		}
	}
	if len(s.w.plain.insert) == 0 || s.w.plain.insert[maxPlainRows] == nil {
		t.Errorf("the batch was not inserted %d rows a statement (statements: %v)", maxPlainRows, s.w.plain.insert)
	}
	for r := range rooms {
		room := fmt.Sprint("r", r)
		got, err := s.Since(ctx, room, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(got)) != next[room] {
			t.Fatalf("%s holds %d messages, want %d", room, len(got), next[room])
		}
		for j, e := range got {
			if want := fmt.Sprint("m", j*rooms+r); e.Seq != uint64(j+1) || e.Text != want {
				t.Errorf("%s: seq %d is %q, want seq %d %q", room, e.Seq, e.Text, j+1, want)
			}
		}
		var msgs, last, badOrds int64
		if err := s.rdb.QueryRowContext(ctx, `SELECT msgs, last_seq, (SELECT count(*) FROM messages WHERE room = ?1 AND ord <> seq)
			FROM rooms WHERE name = ?1`, room).Scan(&msgs, &last, &badOrds); err != nil {
			t.Fatal(err)
		}
		if msgs != int64(len(got)) || last != int64(len(got)) || badOrds != 0 {
			t.Errorf("%s: msgs %d, last_seq %d, %d messages with ord ≠ seq; want %d, %d, 0", room, msgs, last, badOrds, len(got), len(got))
		}
		if m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "bob", Text: "after"}); err != nil || m.Seq != uint64(len(got)+1) {
			t.Errorf("%s: the next message took seq %d (%v), want %d", room, m.Seq, err, len(got)+1)
		}
	}
}

// TestPlainMessagesGroupedWithResends: a batch of plain messages among which are a resend
// of a stored message, a client id a change holds, and the same client id twice. Each resend
// is answered with what holds its client id and takes no seq, as one at a time; the others
// are stored gap-free in the order sent.
func TestPlainMessagesGroupedWithResends(t *testing.T) {
	s, path := openTest(t, Options{})
	ctx := t.Context()
	x, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "x", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	edit, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "y", Kind: hubbub.KindEdit, Target: x.Seq, Text: "x edited"})
	if err != nil {
		t.Fatal(err)
	}
	release, first := blockWriter(t, s, path, "other")
	sends := []struct {
		id, text string
		seq      uint64
		dup      bool
	}{
		{"a", "a", 3, false},
		{"x", "x again", x.Seq, true},
		{"y", "y again", edit.Seq, true},
		{"c", "c", 4, false},
		{"c", "c again", 4, true},
		{"d", "d", 5, false},
	}
	var ms []hubbub.Entry
	for _, sd := range sends {
		ms = append(ms, hubbub.Entry{Room: "r", From: "alice", ClientID: sd.id, Text: sd.text})
	}
	results := queueInOrder(t, s, ms)
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	for i, ch := range results {
		res := <-ch
		if res.err != nil || res.dup != sends[i].dup || res.msg.Seq != sends[i].seq {
			t.Errorf("%q: seq %d, dup %v, %v; want seq %d, dup %v", sends[i].text, res.msg.Seq, res.dup, res.err, sends[i].seq, sends[i].dup)
		}
	}
	got, err := s.Since(ctx, "r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range got {
		texts = append(texts, fmt.Sprint(e.Seq, ":", e.Text))
	}
	if fmt.Sprint(texts) != "[1:x edited 2:x edited 3:a 4:c 5:d]" {
		t.Errorf("the room holds %v", texts)
	}
	if m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "bob", Text: "after"}); err != nil || m.Seq != 6 {
		t.Errorf("the next message took seq %d (%v), want 6", m.Seq, err)
	}
}

// TestPlainMessagesGroupedAboveTheFloor: one batch of plain messages, after a restore raised
// the seq floor, to new rooms (several messages each, with a client id or without), to a room
// with metadata alone, and to a room with entries: each room's first message goes through
// the savepoint path, which numbers it floor + 1 and reports it StoredFirst, and the room's
// next messages of the batch are grouped after it; the room with entries goes on from its
// own seq, the floor's seqs are counted as other_seqs, not messages, and the rooms' numbering
// goes on from there.
func TestPlainMessagesGroupedAboveTheFloor(t *testing.T) {
	s, path := openTest(t, Options{})
	ctx := t.Context()
	ann, err := s.ClaimGuest(ctx, "ann", "key-ann")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.JoinRoom(ctx, "meta", ann.ID); err != nil { // metadata, no entry
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "old", From: "alice", Text: fmt.Sprint("o", i)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.SkipSeqs(ctx, 100)
	if err != nil || r.Floor != 103 {
		t.Fatalf("SkipSeqs(100) = %+v, %v; want floor 103", r, err)
	}
	release, first := blockWriter(t, s, path, "other")
	sends := []struct {
		room, id string
		seq      uint64
		first    bool
	}{
		{"a", "a1", 104, true},
		{"old", "", 104, false}, // old's 3 + the gap + 1
		{"a", "", 105, false},
		{"meta", "m1", 104, true},
		{"b", "", 104, true},
		{"a", "a3", 106, false},
		{"b", "b2", 105, false},
		{"old", "o2", 105, false},
	}
	var ms []hubbub.Entry
	for i, sd := range sends {
		ms = append(ms, hubbub.Entry{Room: sd.room, From: "alice", ClientID: sd.id, Text: fmt.Sprint("m", i)})
	}
	results := queueInOrder(t, s, ms)
	release()
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	for i, ch := range results {
		res := <-ch
		if res.err != nil || res.dup || res.msg.Seq != sends[i].seq || res.first != sends[i].first {
			t.Errorf("message %d to %s: seq %d, first %v, dup %v, %v; want seq %d, first %v",
				i, sends[i].room, res.msg.Seq, res.first, res.dup, res.err, sends[i].seq, sends[i].first)
		}
	}
	for _, want := range []struct {
		room                  string
		last, msgs, otherSeqs int64
	}{
		{"a", 106, 3, 103},
		{"b", 105, 2, 103},
		{"meta", 104, 1, 103},
		{"old", 105, 5, 100},
	} {
		var last, msgs, other int64
		if err := s.rdb.QueryRowContext(ctx, `SELECT last_seq, msgs, other_seqs FROM rooms WHERE name = ?`, want.room).
			Scan(&last, &msgs, &other); err != nil {
			t.Fatal(err)
		}
		if last != want.last || msgs != want.msgs || other != want.otherSeqs {
			t.Errorf("%s's row: last_seq %d, msgs %d, other_seqs %d; want %d, %d, %d", want.room, last, msgs, other,
				want.last, want.msgs, want.otherSeqs)
		}
		m, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: want.room, From: "bob", Text: "after"})
		if err != nil || m.Seq != uint64(want.last+1) || outcome != hubbub.Stored {
			t.Errorf("%s: the next message took seq %d, %v (%v), want %d, stored", want.room, m.Seq, outcome, err, want.last+1)
		}
	}
}
