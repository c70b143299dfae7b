package session_test

import (
	"fmt"
	"slices"
	"testing"

	"hubbub/internal/servertest"
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
