package termchat

import (
	"strings"
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// TestChatJoinAnyCase: `/join General` when "general" exists enters general (the server's
// room_case, which the session follows), says so, and the lines typed after it go there: the
// other member reads them in general. So does --room GENERAL.
func TestChatJoinAnyCase(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})

	bob, typeLine := typedChat(t, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "* you joined general; members: bob\n")

	out, stderr, err := chatToEnd(t, "/join lobby\n/join General\nhello from alice\n", chattest.Args(chattest.User(t, "alice"), []string{"--room", "lobby", s.WS})...)
	if err != nil {
		t.Fatalf("alice: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "* room General is named general; lines you type go there now") {
		t.Errorf("alice was not told where her lines go:\n%s", stderr)
	}
	bob.WaitOutput(t, "[general] #1 alice: hello from alice\n")
	if strings.Contains(out+stderr, "[General]") {
		t.Errorf("alice's chat names a room General:\n%s\n%s", out, stderr)
	}

	out, stderr, err = chatToEnd(t, "and carol\n", chattest.Args(chattest.User(t, "carol"), []string{"--room", "GENERAL", s.WS})...)
	if err != nil {
		t.Fatalf("carol: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "* room GENERAL is named general") {
		t.Errorf("carol was not told the room's name:\n%s\n%s", stderr, out)
	}
	bob.WaitOutput(t, "[general] #2 carol: and carol\n")

	// In general already, /join GENERAL is general: no second join (which printed "* you
	// joined general" again and showed the others a leave and a join).
	typeLine("/join GENERAL")
	bob.WaitErr(t, "* lines you type go to general now\n")
	if n := strings.Count(bob.Out.String(), "* you joined general"); n != 1 {
		t.Errorf("bob joined general %d times:\n%s", n, bob.Out.String())
	}
	if err := bob.Stop(t); err != nil {
		t.Errorf("bob after Ctrl-C: %v", err)
	}
}
