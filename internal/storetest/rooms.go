package storetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// rooms calls Rooms and fails t on error.
func rooms(t testing.TB, s hubbub.Store, after string, limit int) []hubbub.RoomInfo {
	t.Helper()
	list, err := s.Rooms(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("Rooms(%q, %d): %v", after, limit, err)
	}
	return list
}

// testRooms: Rooms lists every room holding a message, in byte order of names (capitals and
// punctuation included, where database collations differ from bytes), paged by a cursor,
// each with its last seq and the time of its last message; rooms only read are not listed.
func testRooms(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	if got := rooms(t, s, "", 10); len(got) != 0 {
		t.Fatalf("Rooms of an empty store = %+v", got)
	}
	// Reads create nothing.
	lastSeq(t, s, "ghost")
	since(t, s, "ghost", 0, 10)
	before(t, s, "ghost", 0, 10)

	// No two names differ only by case: they would be one room (testOneRoomPerKey).
	counts := map[string]int{"general": 3, "bc": 1, "B": 2, "a": 1, "a-b": 1, "a.b": 1, "ab": 2, "A_1": 1, "Z9": 1, "a_b": 1}
	last := map[string]hubbub.Entry{}
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		msgs := appendN(t, s, name, counts[name])
		last[name] = msgs[len(msgs)-1]
	}
	// Byte order: capitals, then '-' < '.' < '_' < letters.
	want := []string{"A_1", "B", "Z9", "a", "a-b", "a.b", "a_b", "ab", "bc", "general"}

	all := rooms(t, s, "", 100)
	if names := roomNames(all); !slices.Equal(names, want) {
		t.Fatalf("Rooms(\"\", 100) = %q, want %q", names, want)
	}
	for _, ri := range all {
		m := last[ri.Name]
		if ri.LastSeq != m.Seq || !ri.LastActivity.Equal(m.Time) {
			t.Errorf("room %s: last seq %d at %v, want %d at %v", ri.Name, ri.LastSeq, ri.LastActivity, m.Seq, m.Time)
		}
	}

	// Pages of 3, each after the last name of the one before, make up the whole list once.
	var paged []string
	after := ""
	for range len(want) + 1 {
		page := rooms(t, s, after, 3)
		if len(page) > 3 {
			t.Fatalf("Rooms(%q, 3) gave %d rooms", after, len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, roomNames(page)...)
		after = page[len(page)-1].Name
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paging by 3: %q, want %q", paged, want)
	}
	// A cursor need not name a stored room.
	if got := roomNames(rooms(t, s, "a-a", 2)); !slices.Equal(got, []string{"a-b", "a.b"}) {
		t.Errorf("Rooms(\"a-a\", 2) = %q, want [a-b a.b]", got)
	}
	if got := rooms(t, s, "general", 10); len(got) != 0 {
		t.Errorf("Rooms after the last room = %+v", got)
	}
	for _, limit := range []int{0, -1} {
		if got := rooms(t, s, "", limit); len(got) != 0 {
			t.Errorf("Rooms(\"\", %d) = %+v, want none", limit, got)
		}
	}

	// A new message moves the room's last seq and activity (so does any entry:
	// LastSeqEveryKind).
	time.Sleep(2 * time.Millisecond) // times are at millisecond precision
	m := mustAppend(t, s, msg("a", "bob", "later"))
	got := rooms(t, s, "Z9", 1)
	if len(got) != 1 || got[0].Name != "a" || got[0].LastSeq != m.Seq || !got[0].LastActivity.Equal(m.Time) {
		t.Errorf("Rooms(\"Z9\", 1) after a new message = %+v, want a at seq %d, %v", got, m.Seq, m.Time)
	}

	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Rooms(done, "", 10); !errors.Is(err, context.Canceled) {
		t.Errorf("Rooms with a done context: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rooms(ctx, "", 10); err == nil {
		t.Error("Rooms after Close succeeded")
	}
}

// testRoomsRetention: retention never hides a room; the last activity survives a cap on
// messages per room, which always keeps the newest message. (testMaxAge checks a room whose
// every message expired.)
func testRoomsRetention(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 1})
	msgs := appendN(t, s, "r", 3)
	prune(t, s, "r")
	got := rooms(t, s, "", 10)
	if len(got) != 1 || got[0].Name != "r" || got[0].LastSeq != 3 || !got[0].LastActivity.Equal(msgs[2].Time) {
		t.Errorf("Rooms after Prune = %+v, want r at seq 3, %v", got, msgs[2].Time)
	}
}

func roomNames(list []hubbub.RoomInfo) []string {
	names := make([]string, len(list))
	for i, ri := range list {
		names[i] = ri.Name
	}
	return names
}
