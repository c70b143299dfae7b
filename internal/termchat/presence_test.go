package termchat

import (
	"testing"

	"hubbub/internal/wire"
)

// TestPresenceLine: comings and goings in a room and in a DM, and no line for a change of
// state (away and back), which printed "bob joined general" for a member who had been there;
// a rename says so, not that the member left.
func TestPresenceLine(t *testing.T) {
	for _, c := range []struct {
		f          wire.Presence
		room, want string
	}{
		{wire.NewPresence("general", "bob", "join"), "general", "* bob joined general\n"},
		{wire.NewPresence("general", "bob", "leave"), "general", "* bob left general\n"},
		{wire.NewPresenceState("general", "bob", "away"), "general", ""},
		{wire.NewPresenceState("general", "bob", "online"), "general", ""},
		{wire.NewPresenceState("general", "bob", ""), "general", "* bob joined general\n"},
		{wire.NewPresence("dm.0123", "bob", "join"), "@bob", "* bob is here (@bob)\n"},
		{wire.NewPresence("dm.0123", "bob", "leave"), "@bob", "* bob left (@bob)\n"},
		// A rename is no departure: bob goes by Robert now (docs/protocol.md, "Renames").
		{wire.Presence{Type: wire.TypePresence, Room: "general", Name: "bob", Event: "leave", Renamed: "Robert"}, "general", "* bob is now Robert (general)\n"},
	} {
		if got := presenceLine(&c.f, c.room); got != c.want {
			t.Errorf("presenceLine(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}
