package session

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hubbub"
)

// A user in more rooms than one search covers searches the most recently active ones, and the
// answer says it was partial; a user in fewer searches them all.
func TestMostActiveRooms(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var found []candidate
	for i := range hubbub.MaxSearchRooms + 5 {
		// Room i was active i minutes after at; room "quiet" never.
		found = append(found, candidate{room: fmt.Sprintf("r%04d", i), active: at.Add(time.Duration(i) * time.Minute)})
	}
	found = append(found, candidate{room: "quiet"})
	rooms, partial := mostActive(found, hubbub.MaxSearchRooms)
	if !partial || len(rooms) != hubbub.MaxSearchRooms {
		t.Fatalf("%d rooms, partial %v; want %d, partial", len(rooms), partial, hubbub.MaxSearchRooms)
	}
	if rooms[0] != fmt.Sprintf("r%04d", hubbub.MaxSearchRooms+4) || slices.Contains(rooms, "quiet") || slices.Contains(rooms, "r0004") || !slices.Contains(rooms, "r0005") {
		t.Errorf("kept %q … %q; want the newest first, down to r0005", rooms[0], rooms[len(rooms)-1])
	}
	few, partial := mostActive(found[:3], hubbub.MaxSearchRooms)
	if partial || !slices.Equal(few, []string{"r0000", "r0001", "r0002"}) {
		t.Errorf("three rooms: %q, partial %v", few, partial)
	}
}
