package session

import (
	"fmt"
	"slices"
	"testing"
)

// TestJoinedRooms checks the sorted slice behaves as the set it replaced: rooms joined in any
// order, joined twice, left, and left when not joined.
func TestJoinedRooms(t *testing.T) {
	var r joinedRooms
	if r.has("a") || r.count() != 0 || r.list() != nil {
		t.Fatalf("an empty record has rooms: %v", r.list())
	}
	order := []string{"m", "c", "x", "a", "c", "q", "b", "m"}
	for _, room := range order {
		r.add(room)
	}
	want := []string{"a", "b", "c", "m", "q", "x"}
	if got := r.list(); !slices.Equal(got, want) || r.count() != len(want) {
		t.Fatalf("after adding %v: list %v, count %d; want %v", order, got, r.count(), want)
	}
	for _, room := range want {
		if !r.has(room) {
			t.Errorf("has(%q) = false after adding it", room)
		}
	}
	for _, room := range []string{"", "aa", "d", "z"} {
		if r.has(room) {
			t.Errorf("has(%q) = true for a room never added", room)
		}
	}
	r.remove("c")
	r.remove("nope")
	r.remove("a")
	r.remove("x")
	want = []string{"b", "m", "q"}
	if got := r.list(); !slices.Equal(got, want) || r.has("c") || r.has("a") || r.has("x") {
		t.Fatalf("after removing c, a, x: list %v; want %v", got, want)
	}
	l := r.list()
	l[0] = "changed"
	if !r.has("b") || r.has("changed") {
		t.Fatal("list returned the record's own slice: changing it changed the record")
	}
	for _, room := range want {
		r.remove(room)
	}
	if r.count() != 0 || r.rooms != nil {
		t.Fatalf("after removing every room: %v (cap %d)", r.rooms, cap(r.rooms))
	}
	for i := range 200 { // many rooms, joined out of order
		r.add(fmt.Sprintf("r%03d", (i*37)%200))
	}
	if r.count() != 200 || !slices.IsSorted(r.rooms) || !r.has("r199") || !r.has("r000") {
		t.Fatalf("200 rooms: count %d, sorted %v", r.count(), slices.IsSorted(r.rooms))
	}
}
