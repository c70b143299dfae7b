package hubbub

import "testing"

// TestRoomPatternMatches checks the rule Webhook.Rooms states: a DM is covered only by a
// pattern starting with "dm.", so a prefix meant for ordinary rooms ("d*" for dev, design, …)
// never lets a webhook or a bot read private conversations; and that case does not count, as
// it does not in room names.
func TestRoomPatternMatches(t *testing.T) {
	cases := []struct {
		pattern, room string
		want          bool
	}{
		{"*", "general", true},
		{"*", "dm.abc", false},
		{"dev", "dev", true},
		{"dev", "devops", false},
		{"dev*", "devops", true},
		{"d*", "dev", true},
		{"d*", "dm.abc", false},
		{"dm*", "dm.abc", false},
		{"dm*", "dmitri", true},
		{"dm.*", "dm.abc", true},
		{"dm.a*", "dm.abc", true},
		{"dm.abc", "dm.abc", true},
		{"dm.x*", "dm.abc", false},
		// Room names are one room whatever their case, and so are patterns.
		{"General", "general", true},
		{"general", "GENERAL", true},
		{"Team-*", "team-a", true},
		{"team-*", "TEAM-B", true},
		{"TEAM-*", "tea", false},
		{"DM.*", "dm.abc", true},
		{"*", "DM.abc", false},
		{"Dev", "devops", false},
	}
	for _, c := range cases {
		if got := RoomPatternMatches(c.pattern, c.room); got != c.want {
			t.Errorf("RoomPatternMatches(%q, %q) = %v, want %v", c.pattern, c.room, got, c.want)
		}
	}
}
