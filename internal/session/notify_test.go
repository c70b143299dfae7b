package session_test

import (
	"testing"

	"hubbub/internal/servertest"
)

// notifyLevel sends a notify frame (level "" asks) and returns its answer: notify, or the
// error naming it.
func notifyLevel(c *servertest.JSONClient, room, level, id string) servertest.Frame {
	f := servertest.Frame{"type": "notify", "room": room, "id": id}
	if level != "" {
		f["level"] = level
	}
	c.Send(f)
	return c.AwaitFunc("the answer to notify "+id, func(g servertest.Frame) bool {
		return (g.Type() == "notify" || g.Type() == "error") && g.Str("id") == id
	})
}

func wantLevel(t *testing.T, what string, f servertest.Frame, room, level string) {
	t.Helper()
	if f.Type() != "notify" || f.Str("room") != room || f.Str("level") != level {
		t.Fatalf("%s: got %v, want notify %s %s", what, f, room, level)
	}
}

// A user's notification level of a room is mention until they choose, what they chose after
// (on every connection of theirs, the room joined or not), and their own: another user's stays
// mention. Levels other than the three, anonymous users, rooms the user may not read and
// rooms that are not there are refused with the error protocol.md names.
func TestNotifyLevels(t *testing.T) {
	onEveryStore(t, testNotifyLevels)
}

func testNotifyLevels(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ann, _ := dial(t, s, "ann")
	ann.Join("town", nil)
	wantLevel(t, "never set", notifyLevel(ann, "town", "", "n-1"), "town", "mention")
	wantLevel(t, "set all", notifyLevel(ann, "town", "all", "n-2"), "town", "all")
	wantLevel(t, "asked after all", notifyLevel(ann, "town", "", "n-3"), "town", "all")
	wantLevel(t, "set nothing", notifyLevel(ann, "town", "nothing", "n-4"), "town", "nothing")
	other, _ := dial(t, s, "ann")
	wantLevel(t, "ann's other connection", notifyLevel(other, "town", "", "n-5"), "town", "nothing")
	bob, _ := dial(t, s, "bob")
	bob.Join("town", nil)
	wantLevel(t, "another user", notifyLevel(bob, "town", "", "n-6"), "town", "mention")

	wantError(t, "a level that is none", notifyLevel(ann, "town", "loud", "n-7"), "bad_field")
	wantError(t, "a bad room", notifyLevel(ann, "no room!", "all", "n-8"), "bad_room")
	ann.Send(servertest.Frame{"type": "notify", "id": "n-9"})
	wantError(t, "no room", ann.AwaitFunc("error n-9", func(f servertest.Frame) bool { return f.Str("id") == "n-9" }), "missing_field")

	create(t, ann, "plans", true)
	wantLevel(t, "the owner of a private room", notifyLevel(ann, "plans", "all", "n-10"), "plans", "all")
	wantError(t, "an outsider of a private room", notifyLevel(bob, "plans", "all", "n-11"), "forbidden")

	tom := servertest.DialJSON(t, s, "")
	tom.Send(servertest.Frame{"type": "hello", "name": "tom"}) // no key: anonymous
	tom.Await("welcome")
	wantError(t, "an anonymous user", notifyLevel(tom, "town", "all", "n-12"), "forbidden")
	wantError(t, "a room that is not there, set", notifyLevel(ann, "twon", "all", "n-13"), "not_found")
	wantError(t, "a room that is not there, asked", notifyLevel(ann, "twon", "", "n-14"), "not_found")
}
