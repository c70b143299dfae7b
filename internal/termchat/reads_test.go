package termchat

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// A script's /rooms lists what it printed as read: `printf '/dm bob\nhi\n/rooms\n' | hubbub
// chat` printed bob's message in the DM and then listed the DM with 1 unread, since the read
// position went out after the /rooms it raced (found by s36).
func TestChatPipedRoomsCountsWhatItPrintedAsRead(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann := chattest.User(t, "ann")
	if _, stderr, err := chatToEnd(t, "", chattest.Args(ann, []string{s.WS})...); err != nil {
		t.Fatalf("ann's first run: %v\n%s", err, stderr) // so that bob can name her
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Send(servertest.Frame{"type": "dm", "names": []string{"ann"}})
	room := bob.AwaitFunc("the DM", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "error" }).Str("room")
	if j := bob.Join(room, nil); j.Type() != "joined" {
		t.Fatalf("bob's join of the DM: %v", j)
	}
	// As the task found it, and with no line to wait for between the join and the list.
	for n, script := range []string{"/dm bob\nhi\n/rooms\n", "/dm bob\n/rooms\n"} {
		for i, text := range []string{"are you there?", "ann?"} {
			if f := bob.Say(room, fmt.Sprintf("b-%d-%d", n, i), text); f.Type() != "ack" {
				t.Fatalf("bob's message: %v", f)
			}
		}
		out, stderr, err := chatToEnd(t, script, chattest.Args(ann, []string{s.WS})...)
		if err != nil {
			t.Fatalf("ann's run: %v\n%s", err, stderr)
		}
		i := strings.LastIndex(out, "* your rooms:\n") // the first is the list sent on connect
		if i < 0 || !strings.Contains(out[:i], "bob: ann?\n") {
			t.Fatalf("%q: no list of rooms after bob's messages:\n%s\nstderr:\n%s", script, out, stderr)
		}
		for _, line := range strings.Split(out[i:], "\n") {
			if strings.HasPrefix(line, "*   @bob") && !strings.HasSuffix(line, ": no unread messages") {
				t.Errorf("%q: the DM ann has just read is listed as %q:\n%s", script, line, out)
			}
		}
	}
}
