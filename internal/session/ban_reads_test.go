package session_test

import (
	"testing"

	"hubbub/internal/servertest"
)

// A ban keeps its user out of the room, not only out of its joins and sends: carol, banned from
// a private room she stays a member of and from a public room, may not search either (by name,
// or among all her rooms), list their members or choose what notifies her of them, so nothing
// said after the ban reaches her. Before, she found the private room's new messages with a
// search, by its name or of all her rooms, and listed its members; and her refused join of the
// public room put it back in her list, where a search of all her rooms found what was said
// there after her ban.
func TestBanKeepsTheUserOutOfTheRoomsReads(t *testing.T) {
	onEveryStore(t, testBanKeepsTheUserOutOfTheRoomsReads)
}

func testBanKeepsTheUserOutOfTheRoomsReads(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ann, _ := dial(t, s, "ann")
	carol, _ := dial(t, s, "carol")
	create(t, ann, "plans", true)
	create(t, ann, "town", false)
	ann.Join("plans", nil)
	ann.Join("town", nil)
	wantAck(t, "ann invites carol", request(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "carol", "id": "i-1"}), 2, 0)
	for _, room := range []string{"plans", "town"} {
		if f := carol.Join(room, nil); f.Type() != "joined" {
			t.Fatalf("carol joins %s: %v", room, f)
		}
	}
	for _, room := range []string{"plans", "town"} {
		ban := servertest.Frame{"type": "ban", "room": room, "name": "carol", "duration": "1h"}
		if f := ask(ann, ban, "moderated"); f.Type() != "moderated" {
			t.Fatalf("ann bans carol from %s: %v", room, f)
		}
		awaitRoom(carol, "left", room)
	}
	// Her join of the public room is refused, and must not put it back in her list.
	wantError(t, "carol's join of town", refused(carol, servertest.Frame{"type": "join", "room": "town"}), "banned")
	// town first: newest first is then plans, town, and so is the order of two messages sent
	// in the same millisecond (by room name), whichever the clock gives.
	if f := ann.Say("town", "a-2", "the launch is tomorrow"); f.Type() != "ack" {
		t.Fatalf("ann in town: %v", f)
	}
	if f := ann.Say("plans", "a-1", "the launch codes are secret"); f.Type() != "ack" {
		t.Fatalf("ann in plans: %v", f)
	}
	wantHits(t, "ann, all her rooms", searchHits(t, ann, servertest.Frame{"q": "launch"}),
		"plans the launch codes are secret", "town the launch is tomorrow")

	for _, room := range []string{"plans", "town"} {
		wantError(t, "carol searches "+room, search(t, carol, servertest.Frame{"q": "launch", "room": room}), "banned")
		wantError(t, "carol lists the members of "+room, refused(carol, servertest.Frame{"type": "members", "room": room}), "banned")
		wantError(t, "carol's notification level in "+room, refused(carol, servertest.Frame{"type": "notify", "room": room, "level": "all"}), "banned")
	}
	carol.Send(servertest.Frame{"type": "rooms"})
	if rooms := roomsOf(t, carol.Await("rooms")); rooms["town"] != nil {
		t.Errorf("carol's list holds town after her refused join: %v", rooms["town"])
	}
	wantHits(t, "carol, all her rooms", searchHits(t, carol, servertest.Frame{"q": "launch"}))

	// Lifted, the ban no longer refuses anything.
	if f := ask(ann, servertest.Frame{"type": "unban", "room": "plans", "name": "carol"}, "moderated"); f.Type() != "moderated" {
		t.Fatalf("ann lifts carol's ban from plans: %v", f)
	}
	wantHits(t, "carol searches plans after the ban", searchHits(t, carol, servertest.Frame{"q": "launch", "room": "plans"}),
		"plans the launch codes are secret")
	wantHits(t, "carol searches all her rooms after the ban", searchHits(t, carol, servertest.Frame{"q": "launch"}),
		"plans the launch codes are secret")
}
