package session_test

import (
	"testing"

	"hubbub/internal/servertest"
)

// A ban, mute, unban or unmute confirms the user by the name they hold, as a kick confirms the
// name the room shows: a moderator who types "carol" for Carol reads "Carol" back. They echoed
// the name as typed, so the confirmation named someone the room does not show.
func TestModerationConfirmsTheNameAsTheUserHoldsIt(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	create(t, ann, "town", false)
	ann.Join("town", nil)
	carol, _ := dial(t, s, "Carol")
	if f := carol.Join("town", nil); f.Type() != "joined" {
		t.Fatalf("Carol joins town: %v", f)
	}
	for _, f := range []servertest.Frame{
		{"type": "mute", "room": "town", "name": "carol", "duration": "1h"},
		{"type": "unmute", "room": "town", "name": "CAROL"},
		{"type": "ban", "room": "town", "name": "carol", "duration": "1h"},
		{"type": "unban", "room": "town", "name": "cArol"},
	} {
		if got := ask(ann, f, "moderated"); got.Type() != "moderated" || got.Str("name") != "Carol" {
			t.Errorf("%s of %q: %v, want it confirmed for Carol", f.Type(), f["name"], got)
		}
	}
}
