package session_test

import (
	"slices"
	"testing"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlite"
)

// besideStore opens s's SQLite file as `hubbub user` does beside a running server: another
// Store on the same file, whose writes the server learns of only from the file.
func besideStore(t *testing.T, s *servertest.Server) hubbub.UserStore {
	t.Helper()
	st, err := sqlite.Open(s.Opts.DataPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// renamedTo waits for c's renamed frame naming name.
func renamedTo(t *testing.T, c *servertest.JSONClient, who, was, name string) {
	t.Helper()
	f := c.Await("renamed")
	if f.Str("name") != name || f.Str("was") != was {
		t.Fatalf("%s's renamed frame: %v, want name %q was %q", who, f, name, was)
	}
}

// renameSeen waits for c's presence frame in room that says was is now name: a leave of was
// with renamed name.
func renameSeen(t *testing.T, c *servertest.JSONClient, who, room, was, name string) {
	t.Helper()
	f := c.AwaitFunc(who+"'s presence leave of "+was, func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("room") == room && f.Str("event") == "leave" && f.Str("name") == was
	})
	if f.Str("renamed") != name {
		t.Fatalf("%s saw %s leave %s: %v, want it renamed %q, not gone", who, was, room, f, name)
	}
}

// joinedMembers joins room with a new client called name and returns its joined frame.
func joinedMembers(t *testing.T, s *servertest.Server, name, room string) servertest.Frame {
	t.Helper()
	c := servertest.DialJSON(t, s, name)
	f := c.Join(room, nil)
	if f.Type() != "joined" {
		t.Fatalf("%s's join: %v", name, f)
	}
	return f
}

// strs returns f[k] as strings.
func strs(f servertest.Frame, k string) []string {
	var out []string
	list, _ := f[k].([]any)
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// A guest on two devices (one key): device B says hello with a new name, which renames the
// user. Device A, still connected, follows: it is told its new name, the room shows the user
// once under it (joined's members and member_count), the other members see a rename rather
// than a departure, and A's messages carry the new name. Before, A stayed "ann": a room
// listed [ann anna bob] with member_count 3 for two users, and A's messages said from ann, a
// name the user no longer held.
func TestGuestRenameOnAnotherDeviceReachesTheFirst(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	annA := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	for _, c := range []*servertest.JSONClient{annA, bob} {
		if f := c.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}

	annB := servertest.DialJSON(t, s, "")
	annB.Send(servertest.Frame{"type": "hello", "name": "anna", "key": "key-ann"})
	if w := annB.Await("welcome"); w.Str("name") != "anna" {
		t.Fatalf("device B's welcome: %v, want anna", w)
	}
	renamedTo(t, annA, "device A", "ann", "anna")
	renameSeen(t, bob, "bob", "general", "ann", "anna")

	if f := annB.Join("general", nil); f.Type() != "joined" || !slices.Equal(strs(f, "members"), []string{"anna", "bob"}) || f.Num("member_count") != 2 {
		t.Fatalf("device B's joined: %v, want members [anna bob], member_count 2", f)
	}
	if f := annA.Say("general", "a-1", "from device A"); f.Type() != "ack" {
		t.Fatalf("device A's send: %v", f)
	}
	if m := bob.Messages("general", 1)[0]; m.Str("from") != "anna" {
		t.Fatalf("device A's message as bob sees it: %v, want from anna", m)
	}
	if f := joinedMembers(t, s, "carol", "general"); !slices.Equal(strs(f, "members"), []string{"anna", "bob", "carol"}) || f.Num("member_count") != 3 {
		t.Fatalf("a newcomer's joined: %v, want members [anna bob carol], member_count 3", f)
	}

	// The name ann is free now, and someone else may take it without being taken for her.
	other := servertest.DialJSON(t, s, "")
	other.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-someone-else"})
	if w := other.Await("welcome"); w.Str("name") != "ann" {
		t.Fatalf("another guest asking for the freed name ann: %v", w)
	}
	if f := other.Join("general", nil); f.Type() != "joined" || !slices.Equal(strs(f, "members"), []string{"ann", "anna", "bob", "carol"}) {
		t.Fatalf("the new ann's joined: %v", f)
	}
}

// An operator's rename beside the running server (`hubbub user rename`, the store written
// directly) reaches the user's open connections: they go by the new name in their rooms and
// on what they send, without being closed (each device would reconnect with the name it
// remembers and rename the user back).
func TestOperatorRenameReachesOpenConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	dave := servertest.DialJSON(t, s, "dave")
	phone := servertest.DialJSON(t, s, "")
	phone.Send(servertest.Frame{"type": "hello", "name": "dave", "key": "key-dave"})
	phone.Await("welcome")
	eve := servertest.DialJSON(t, s, "eve")
	for _, c := range []*servertest.JSONClient{dave, phone, eve} {
		if f := c.Join("general", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}
	if _, err := accounts.Rename(t.Context(), besideStore(t, s), "dave", "David"); err != nil {
		t.Fatal(err)
	}
	renamedTo(t, dave, "dave's laptop", "dave", "David")
	renamedTo(t, phone, "dave's phone", "dave", "David")
	renameSeen(t, eve, "eve", "general", "dave", "David")
	if f := phone.Say("general", "p-1", "new name"); f.Type() != "ack" {
		t.Fatal(f)
	}
	if m := eve.Messages("general", 1)[0]; m.Str("from") != "David" {
		t.Fatalf("the renamed user's message: %v, want from David", m)
	}
	if got := s.Hub.Members("general"); !slices.Equal(got, []string{"David", "eve"}) {
		t.Fatalf("general's members after the rename: %v", got)
	}
	if f := dave.Say("general", "l-1", "still connected"); f.Type() != "ack" {
		t.Fatalf("dave's laptop after the rename: %v, want it still connected", f)
	}
}

// A renamed user's DM partners learn the new name at once, in a room frame of their DM with
// its people as they are now, wherever the rename came from and whether or not the renamed
// user is in the DM: bob, in room b only, is renamed from his phone; ann, who shares no
// room with him (her DM with him included: she has not joined it), gets her DM's row again
// with people [robert], her own read position and counts kept — as is carol, in a DM with
// both. Before, the rename reached only the rooms bob's connections were in, and ann's DM
// said "bob" until her next room list (a reconnect).
func TestRenameReachesDMPeopleInNoCommonRoom(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	carol := servertest.DialJSON(t, s, "carol")
	for c, room := range map[*servertest.JSONClient]string{ann: "a", bob: "b", carol: "c"} {
		if f := c.Join(room, nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}
	dm := ask(bob, servertest.Frame{"type": "dm", "names": []string{"ann"}}, "room")
	group := ask(bob, servertest.Frame{"type": "dm", "names": []string{"ann", "carol"}}, "room")
	if dm.Type() != "room" || group.Type() != "room" {
		t.Fatalf("bob's DMs: %v, %v", dm, group)
	}
	// bob writes in the DM, unread by ann: her row must keep counting it.
	if f := bob.Join(dm.Str("room"), nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	if f := bob.Say(dm.Str("room"), "d-1", "psst"); f.Type() != "ack" {
		t.Fatal(f)
	}
	bob.Send(servertest.Frame{"type": "leave", "room": dm.Str("room")})
	bob.Await("left")
	// The DMs bob opened are in his partners' lists now: ann's two, carol's one.
	ann.Await("room")
	ann.Await("room")
	carol.Await("room")

	phone := servertest.DialJSON(t, s, "")
	phone.Send(servertest.Frame{"type": "hello", "name": "robert", "key": "key-bob"})
	phone.Await("welcome")
	renamedTo(t, bob, "bob", "bob", "robert")

	dmRow := func(c *servertest.JSONClient, who, room string, people []string) servertest.Frame {
		t.Helper()
		f := c.AwaitFunc(who+"'s room frame of "+room, func(f servertest.Frame) bool {
			return f.Type() == "room" && f.Str("room") == room
		})
		if !slices.Equal(strs(f, "people"), people) {
			t.Fatalf("%s's DM after bob's rename: %v, want people %v", who, f, people)
		}
		return f
	}
	if f := dmRow(ann, "ann", dm.Str("room"), []string{"robert"}); f.Num("unread") != 1 || f["dm"] != true {
		t.Fatalf("ann's DM row after the rename: %v, want it a DM with 1 unread, as her list has it", f)
	}
	dmRow(ann, "ann", group.Str("room"), []string{"carol", "robert"})
	dmRow(carol, "carol", group.Str("room"), []string{"ann", "robert"})
}
