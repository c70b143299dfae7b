package session_test

import (
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/servertest"
)

// Whether two people have a direct message is theirs to know: a DM's name is a hash of its
// people's user ids, which anyone reads in members and member_changed frames, so anyone can
// name the DM of any two people. To mallory, not among them, every request about ann and bob's
// DM is answered as one about a DM nobody started (bob and carol's) — a join, with since, its
// members, a search, a notification level, a read position, a part, a topic, an invitation, a
// removal, a role, and any of them under another spelling ("DM.…"). Before, the DM that exists
// was forbidden and the other not_found, and another spelling of it was refused room_case
// naming it. Nor may anyone hold a DM's name before its people start it: mallory's join of
// "DM." and bob and carol's hash made a public room of that name, and their dm was refused.
func TestADMsExistenceIsItsPeoplesOnly(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	bob, _ := dial(t, s, "bob")
	carol, _ := dial(t, s, "carol")
	mallory, _ := dial(t, s, "mallory")
	dm := ask(ann, servertest.Frame{"type": "dm", "names": []string{"bob"}}, "room")
	started := dm.Str("room")
	if dm.Type() != "room" || started != hubbub.DMRoomName([]string{ann.User, bob.User}) {
		t.Fatalf("ann's dm with bob: %v", dm)
	}
	never := hubbub.DMRoomName([]string{bob.User, carol.User})

	// answer returns mallory's answer to a request about room, with the room's name in it
	// replaced by ROOM, so that the answers about two rooms compare.
	answer := func(room string, f servertest.Frame) string {
		f["room"] = room
		if _, ok := f["id"]; ok {
			f["id"] = "id-" + f.Type() + "-" + room
		}
		g := refused(mallory, f)
		for _, k := range []string{"room", "id"} {
			if v, ok := g[k].(string); ok {
				g[k] = strings.ReplaceAll(v, room, "ROOM")
			}
		}
		return g.Str("code") + " " + strings.ReplaceAll(g.Str("message"), room, "ROOM")
	}
	for _, f := range []servertest.Frame{
		{"type": "join"},
		{"type": "join", "since": 0},
		{"type": "members"},
		{"type": "search", "q": "between"},
		{"type": "notify", "level": "all"},
		{"type": "read", "seq": 1},
		{"type": "part", "id": ""},
		{"type": "topic", "topic": "ours now", "id": ""},
		{"type": "invite", "name": "mallory", "id": ""},
		{"type": "remove", "name": "bob", "id": ""},
		{"type": "role", "name": "bob", "role": "owner", "id": ""},
	} {
		for _, spell := range []func(string) string{
			func(r string) string { return r },
			func(r string) string { return "DM." + r[3:] },
			func(r string) string { return "dm." + strings.ToUpper(r[3:]) },
		} {
			copyOf := func() servertest.Frame {
				c := servertest.Frame{}
				for k, v := range f {
					c[k] = v
				}
				return c
			}
			got, want := answer(spell(started), copyOf()), answer(spell(never), copyOf())
			if got != want || !strings.HasPrefix(want, "not_found ") {
				t.Errorf("%s of %s: %q; of a DM nobody started: %q; want the same not_found", f.Type(), spell(started), got, want)
			}
		}
	}

	// Nobody holds bob and carol's DM before they start it.
	squat := "DM." + never[3:]
	if got := refused(mallory, servertest.Frame{"type": "join", "room": squat}); got.Str("code") != "not_found" {
		t.Fatalf("mallory's join of %s: %v, want not_found", squat, got)
	}
	if got := refused(mallory, servertest.Frame{"type": "create", "room": squat}); got.Str("code") != "bad_room" {
		t.Errorf("mallory's create of %s: %v, want bad_room", squat, got)
	}
	bob.Send(servertest.Frame{"type": "dm", "names": []string{"carol"}})
	if f := bob.AwaitFunc("bob's dm with carol", func(f servertest.Frame) bool {
		return f.Type() == "room" && f.Str("room") == never || f.Type() == "error" && f.Str("request") == "dm"
	}); f.Type() != "room" {
		t.Errorf("bob's dm with carol: %v, want room %s", f, never)
	}
}
