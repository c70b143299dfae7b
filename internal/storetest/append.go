package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// testSeqPerRoom: seqs start at 1 and count up in each room independently.
func testSeqPerRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	rooms := []string{"a", "b", "a", "a", "c", "b", "a"}
	want := []uint64{1, 1, 2, 3, 1, 2, 4}
	for i, room := range rooms {
		got := mustAppend(t, s, msg(room, "alice", fmt.Sprint("m", i)))
		if got.Seq != want[i] {
			t.Errorf("append %d to %q: seq %d, want %d", i, room, got.Seq, want[i])
		}
	}
	for room, want := range map[string]uint64{"a": 4, "b": 2, "c": 1} {
		if got := lastSeq(t, s, room); got != want {
			t.Errorf("LastSeq(%q) = %d, want %d", room, got, want)
		}
	}
}

// testAppendAssignsFields: Append keeps what the caller owns (room, sender, text, key) byte
// for byte, overrides what the store owns (seq, ID, time), and reads back what it returned.
func testAppendAssignsFields(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	forged := time.Date(2001, 2, 3, 4, 5, 6, 7, time.Local)
	in := hubbub.Entry{
		Room: "room-1.x_y", From: "Zoë 🦊", ClientID: "c-1",
		Text: `it's "quoted" \ back\slash, 100% émoji 🎉, <b>html</b>; DROP TABLE messages;--`,
		Seq:  99, ID: "forged-id", Time: forged,
	}
	// What the store owns or computes, and the fields of other kinds, are not read.
	in.Deleted, in.EditedAt, in.ReplyCount = true, forged, 7
	in.Reactions = []hubbub.Reaction{{Emoji: "👍", Count: 9, Names: []string{"mallory"}, Me: true}}
	in.Target, in.Emoji, in.Added, in.Count, in.Moderator = 1, "👍", true, 9, true
	got := mustAppend(t, s, in)
	if got.Deleted || !got.EditedAt.IsZero() || got.ReplyCount != 0 || len(got.Reactions) != 0 ||
		got.Target != 0 || got.Emoji != "" || got.Added || got.Count != 0 || got.Moderator {
		t.Errorf("Append stored fields that are not a message's to give: %+v", got)
	}
	if got.Room != in.Room || got.From != in.From || got.ClientID != in.ClientID || got.Text != in.Text {
		t.Errorf("Append returned %+v, want room, from, client_id and text of %+v", got, in)
	}
	if got.Seq != 1 || got.ID == "" || got.ID == in.ID || got.Time.Equal(forged) {
		t.Errorf("Append returned seq %d, id %q, time %v: want seq 1 and a new ID and time", got.Seq, got.ID, got.Time)
	}
	checkStored(t, "Since after Append", since(t, s, in.Room, 0, 10), []hubbub.Entry{got})
	checkStored(t, "Before after Append", before(t, s, in.Room, 0, 10), []hubbub.Entry{got})
}

// AppendConcurrently runs workers goroutines that each append perWorker messages to s, worker
// w's i-th to roomOf(w, i) from the user from+"user"+w, and returns everything they stored.
// An error or a duplicate fails t. Stores' own tests use it too (two nodes on one database).
func AppendConcurrently(t *testing.T, s hubbub.Store, from string, workers, perWorker int, roomOf func(w, i int) string) []hubbub.Entry {
	t.Helper()
	var (
		mu     sync.Mutex
		stored []hubbub.Entry
		wg     sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				m, dup, err := appendValue(t.Context(), s, msg(roomOf(w, i), fmt.Sprint(from, "user", w), fmt.Sprint(w, "/", i)))
				if err != nil || dup {
					t.Errorf("%sworker %d append %d: dup=%v err=%v", from, w, i, dup, err)
					return
				}
				mu.Lock()
				stored = append(stored, m)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return stored
}

// CheckRoomSeqs fails t unless the messages stored in each room carry exactly the seqs 1..n
// (n = want[room]), and the room reads back from s as exactly those messages.
func CheckRoomSeqs(t *testing.T, s hubbub.Store, stored []hubbub.Entry, want map[string]int) {
	t.Helper()
	byRoom := map[string][]hubbub.Entry{}
	for _, m := range stored {
		byRoom[m.Room] = append(byRoom[m.Room], m)
	}
	for room, n := range want {
		msgs := byRoom[room]
		slices.SortFunc(msgs, func(a, b hubbub.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
		checkSeqs(t, "seqs returned by Append in "+room, msgs, span(1, uint64(n)))
		checkStored(t, "Since in "+room, since(t, s, room, 0, 2*n), msgs)
		if got := lastSeq(t, s, room); got != uint64(n) {
			t.Errorf("LastSeq(%q) = %d, want %d", room, got, n)
		}
	}
}

// testConcurrentOneRoom: 8 goroutines × 50 appends to one room get seqs 1..400, each once.
func testConcurrentOneRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	stored := AppendConcurrently(t, s, "", 8, 50, func(int, int) string { return "busy" })
	CheckRoomSeqs(t, s, stored, map[string]int{"busy": 400})
}

// testConcurrentManyRooms: 8 goroutines × 50 appends spread over 4 rooms give every room
// its own gap-free numbering.
func testConcurrentManyRooms(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	rooms := []string{"r0", "r1", "r2", "r3"}
	stored := AppendConcurrently(t, s, "", 8, 50, func(w, i int) string { return rooms[(w+i)%len(rooms)] })
	CheckRoomSeqs(t, s, stored, map[string]int{"r0": 100, "r1": 100, "r2": 100, "r3": 100})
}

// clockSkew is how far the store's clock may be from the test's: a shared store stamps with
// its server's clock.
const clockSkew = time.Minute

// testIDAndTime: IDs are unique across rooms and kinds; Time is the store's clock, in UTC, to
// the ms.
func testIDAndTime(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	start := time.Now()
	ids := map[string]hubbub.Entry{}
	for i := range 60 {
		// Entries of every kind: messages, and changes of the room's first message.
		e := msg(fmt.Sprint("room", i%3), "alice", "hi")
		switch {
		case i < 3:
		case i%4 == 1:
			e = edit(e.Room, "alice", 1, fmt.Sprint("edit ", i))
		case i%4 == 2:
			e = react(e.Room, "alice", 1, "👍")
		}
		m := mustAppend(t, s, e)
		if m.ID == "" {
			t.Fatalf("message %+v has no ID", m)
		}
		if prev, ok := ids[m.ID]; ok {
			t.Fatalf("ID %q given to %+v and %+v", m.ID, prev, m)
		}
		ids[m.ID] = m
		switch {
		case m.Time.Location() != time.UTC:
			t.Errorf("time %v of seq %d is not in UTC", m.Time, m.Seq)
		case !m.Time.Equal(m.Time.Truncate(time.Millisecond)):
			t.Errorf("time %v of seq %d is finer than milliseconds", m.Time, m.Seq)
		case m.Time.Before(start.Add(-clockSkew)) || m.Time.After(time.Now().Add(clockSkew)):
			t.Errorf("time %v of seq %d is not about now (%v)", m.Time, m.Seq, start)
		}
	}
}
