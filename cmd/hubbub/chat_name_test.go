package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// A guest renamed on another device while its chat was away comes back under the new name when
// the chat runs again without --name: saying $USER, the default, renamed the user back.
func TestChatWithoutNameSaysTheNameTheServerGaveIt(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	keyFile := filepath.Join(t.TempDir(), "key")
	t.Setenv("USER", "ann")

	// The first run, as ann (from $USER), and a rename to anna while it runs: the chat is
	// told, and keeps the name.
	a, _ := typedChat(t, "--key-file", keyFile, "--room", "general", s.WS)
	a.WaitErr(t, "* connected to "+s.WS+" as ann (guest)")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	other := servertest.DialJSON(t, s, "")
	other.Send(servertest.Frame{"type": "hello", "name": "anna", "key": strings.TrimSpace(string(key))})
	if w := other.Await("welcome"); w.Str("name") != "anna" {
		t.Fatalf("the other device's welcome: %v", w)
	}
	a.WaitErr(t, "* you are anna now, not ann")
	if err := a.Stop(t); err != nil {
		t.Fatal(err)
	}
	_ = other.Conn.Close()

	// The next run, with no --name and $USER still ann: anna, and no rename back.
	out, stderr, err := chatToEnd(t, "back again\n", "--key-file", keyFile, "--room", "general", s.WS)
	if err != nil {
		t.Fatalf("the second run: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "as anna (guest)") || !strings.Contains(out, "anna: back again") {
		t.Errorf("the second run without --name:\nstdout:\n%s\nstderr:\n%s\nwant it connected as anna, the name the server gave", out, stderr)
	}

	// --name still wins: the user asked for that name.
	_, stderr, err = chatToEnd(t, "", "--name", "annie", "--key-file", keyFile, "--room", "general", s.WS)
	if err != nil || !strings.Contains(stderr, "as annie (guest)") {
		t.Errorf("--name annie: %v\n%s", err, stderr)
	}
}
