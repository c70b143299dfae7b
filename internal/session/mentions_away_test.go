package session_test

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"hubbub"
	"hubbub/internal/servertest"
	"hubbub/internal/sqlstore"
	"hubbub/internal/testwait"
)

// A member who is away is mentioned all the same: "@bob" in a room bob joined once (a stored
// member) names him after his last connection ended, so the notifier can tell him; a name
// after '@' that is no member of the room (a user elsewhere, an e-mail address) mentions no one.
func TestMentionReachesAMemberWhoIsAway(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	ann.Join("town", nil)
	bob, _ := dial(t, s, "bob")
	bob.Join("town", nil)
	cy, _ := dial(t, s, "cy") // a user, never in town
	bob.Conn.Close()
	testwait.Until(t, "bob gone from town", func() bool { return !slices.Contains(s.Hub.Members("town"), "bob") })

	ann.Send(servertest.Frame{"type": "send", "room": "town", "id": "m-1", "text": "@bob are you there? @cy, mail me@example.com"})
	m := ann.AwaitFunc("ann's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("client_id") == "m-1" })
	if got, want := fmt.Sprint(m["mentions"]), "[map[name:bob user:"+bob.User+"]]"; got != want {
		t.Fatalf("mentions %s, want %s (cy %s is no member of town)", got, want, cy.User)
	}
}

// A user left on a held name key by migration 0015 (two older users, "alice" and "ALICE",
// whose names are now one name) is mentioned by her exact name while away, and a DM finds
// her: "@ALICE" is ALICE, "@alice" and "@Alice" are alice, the older, until an operator
// renames one. Before, the lookup of away members by name found only the key's holder.
func TestMentionReachesAHeldNameWhileAway(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	alice, _ := dial(t, s, "alice")
	alice.Join("town", nil)
	zed, _ := dial(t, s, "zed")
	zed.Join("town", nil)
	s.Stop()
	// What the upgrade leaves of a second, newer user named ALICE: her exact name on the held
	// key (sqlstore.RekeyNames), as a store before step 15 allowed.
	db, err := sql.Open("sqlite", s.Opts.DataPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hubbub.NameKey("ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE users SET name = 'ALICE', name_key = ? WHERE id = ?`, sqlstore.HeldKey(key, "ALICE"), zed.User); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = s.Restart()
	ann, _ = dial(t, s, "ann")
	ann.Join("town", nil)

	ann.Send(servertest.Frame{"type": "send", "room": "town", "id": "m-1", "text": "@ALICE and @alice, and @Alice too"})
	m := ann.AwaitFunc("ann's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("client_id") == "m-1" })
	got := map[string]string{}
	for _, x := range m["mentions"].([]any) {
		x := x.(map[string]any)
		got[x["name"].(string)] = x["user"].(string)
	}
	want := map[string]string{"ALICE": zed.User, "alice": alice.User, "Alice": alice.User}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mentions %v, want %v (ALICE is %s, alice %s)", got, want, zed.User, alice.User)
	}

	r := ask(ann, servertest.Frame{"type": "dm", "names": []string{"ALICE"}}, "room")
	if r.Type() != "room" || fmt.Sprint(r["people"]) != "[ALICE]" {
		t.Errorf("a DM with ALICE: %v", r)
	}
}

// Six members who are away, each mentioned in a sentence ("@p1 can you look, @p2 can you
// look, …"), are all mentioned: every '@' makes a few names to look up ("p1", "p1 can",
// "p1 can you", …: a name may hold spaces), and a lookup of 16 names in all left the last
// ones unmentioned, so unnotified, though they were in the room.
func TestMentionsOfManyAwayMembersAreAllFound(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann, _ := dial(t, s, "ann")
	ann.Join("town", nil)
	var text []string
	want := map[string]bool{}
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("p%d", i)
		p, _ := dial(t, s, name)
		p.Join("town", nil)
		p.Conn.Close()
		testwait.Until(t, name+" gone from town", func() bool { return !slices.Contains(s.Hub.Members("town"), name) })
		text = append(text, "@"+name+" can you look at it")
		want[name] = true
	}
	ann.Send(servertest.Frame{"type": "send", "room": "town", "id": "m-1", "text": strings.Join(text, ", ")})
	m := ann.AwaitFunc("ann's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("client_id") == "m-1" })
	got, _ := m["mentions"].([]any)
	for _, v := range got {
		delete(want, v.(map[string]any)["name"].(string))
	}
	if len(want) != 0 {
		t.Errorf("not mentioned: %v (mentions %v)", want, got)
	}
}
