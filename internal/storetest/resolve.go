package storetest

import (
	"testing"

	"hubbub"
)

// resolved returns what s.ResolveRoom answers for name, failing the test on an error.
func resolved(t testing.TB, s hubbub.RoomStore, name string) (string, bool) {
	t.Helper()
	stored, found, err := s.ResolveRoom(t.Context(), name)
	if err != nil {
		t.Fatalf("ResolveRoom(%q): %v", name, err)
	}
	if !found && stored != "" {
		t.Errorf("ResolveRoom(%q) = %q, not found: want \"\" with found false", name, stored)
	}
	return stored, found
}

// wantResolved checks that a request naming name means the room stored as want ("" for none).
func wantResolved(t testing.TB, s hubbub.RoomStore, name, want string) {
	t.Helper()
	got, found := resolved(t, s, name)
	if found != (want != "") || got != want {
		t.Errorf("ResolveRoom(%q) = %q, %v; want %q", name, got, found, want)
	}
}

// testResolveRoom: a request names the room of its exact name if there is one, else the room
// of its key (any case) — whichever way the room came to be: an entry, metadata, a join. Rooms
// RoomMeta does not find are none. (Rooms sharing a key are twins from before the upgrade
// that folded names, which the SQL stores' upgrade tests make: a store makes no second room of
// a key, testOneRoomPerKey.)
func testResolveRoom(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	wantResolved(t, s, "general", "")
	ann := newUser(t, s, "ann")

	mustAppend(t, s, msg("general", "ann", "hello"))
	createRoom(t, s, hubbub.RoomMeta{Name: "Plans", CreatedBy: ann.ID}) // metadata, no entry
	createRoom(t, s, hubbub.RoomMeta{Name: "Team.Q3", Private: true, CreatedBy: ann.ID}, member(ann, hubbub.RoomOwner))
	if _, err := s.JoinRoom(ctx, "Lobby-2", ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LeaveRoom(ctx, "Nowhere", ann.ID); err != nil {
		t.Fatalf("LeaveRoom of a room that does not exist: %v", err)
	}
	for name, want := range map[string]string{
		"general": "general", "General": "general", "GENERAL": "general", "gEnErAl": "general",
		"plans": "Plans", "Plans": "Plans", "PLANS": "Plans",
		"team.q3": "Team.Q3", "TEAM.Q3": "Team.Q3",
		"lobby-2": "Lobby-2",
		"nowhere": "", "Nowhere": "", // a leave makes no room
		"genera": "", "general2": "", "generaL-": "",
	} {
		wantResolved(t, s, name, want)
	}
}
