package termchat

import (
	"path/filepath"
	"strings"
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// TestChatPartOnAnotherDeviceIsSaidOnce: ann runs `hubbub chat` on two devices (one user, one
// key) and parts lobby on the first; the second, which was in lobby, says so in one line. It
// printed "* lobby left your rooms" and "* you left lobby", one part said twice: the server
// takes each of her connections out of the room (left) and the room out of her list
// (unroom), in either order.
func TestChatPartOnAnotherDeviceIsSaidOnce(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann := chattest.User(t, "ann") // both devices share its key file: one user

	phone, typePhone := typedChat(t, chattest.Args(ann, []string{s.WS})...)
	phone.WaitOutput(t, "* you joined general")
	typePhone("/join lobby")
	phone.WaitOutput(t, "* you joined lobby")

	laptop, typeLaptop := typedChat(t, chattest.Args(ann, []string{"--room", "lobby", s.WS})...)
	laptop.WaitOutput(t, "* you joined lobby")
	typeLaptop("/join general")
	laptop.WaitOutput(t, "* you joined general")

	typePhone("/part lobby")
	phone.WaitErr(t, "* you parted lobby: it is no longer in your rooms\n")
	said := func() int {
		out := laptop.Out.String()
		return strings.Count(out, "* lobby left your rooms\n") + strings.Count(out, "* you left lobby\n")
	}
	testwait.Until(t, "the laptop saying the part", func() bool { return said() > 0 })
	// Both frames of the part were sent before the phone's part was answered; a message the
	// laptop sends now comes back after them.
	typeLaptop("after the part")
	laptop.WaitOutput(t, " ann: after the part\n")
	if n := said(); n != 1 {
		t.Errorf("the laptop said the part %d times:\n%s", n, laptop.All.String())
	}
}

// TestChatPartAnyCase: /part Lobby after joining lobby parts lobby, as /join General joins
// general (TestChatJoinAnyCase); it was refused, "room Lobby is named lobby (room_case)". A
// room of the list the connection is not in (left with /leave OPS, which leaves ops) is
// parted by the name the server's refusal gives.
func TestChatPartAnyCase(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	typeLine("/join lobby")
	ann.WaitOutput(t, "* you joined lobby")
	typeLine("/part Lobby")
	ann.WaitErr(t, "* you parted lobby: it is no longer in your rooms\n* lines you type go to general now\n")

	typeLine("/join ops")
	ann.WaitOutput(t, "* you joined ops")
	typeLine("/leave OPS")
	ann.WaitOutput(t, "* you left ops\n")
	typeLine("/part OPS")
	ann.WaitErr(t, "* you parted ops: it is no longer in your rooms\n")
	typeLine("/rooms")
	typeLine("/who general") // answered after the list: all of it is printed then
	ann.WaitOutput(t, "* your rooms:\n*   general: no unread messages\n", "* members of general: ann\n")
	if out := ann.Out.String(); strings.Contains(out, "*   lobby") || strings.Contains(out, "*   ops") {
		t.Errorf("a parted room is still in ann's rooms:\n%s", out)
	}
	if strings.Contains(ann.Err.String(), "room_case") {
		t.Errorf("a /part was refused:\n%s", ann.Err.String())
	}
}

// TestChatSaysWhoseDMItIs: what the chat says of a DM names the other person, as "your
// direct messages with carol": a /dm of one the user parted said "you left this direct
// message", a moderator's confirmation "you muted eve in this direct message"
// (TestChatModeration), and a /join @carol of a parted DM asked the server for it by its id
// and printed its hash, "no direct message \"dm.d161…\"".
func TestChatSaysWhoseDMItIs(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	carol := servertest.DialJSON(t, s, "carol")
	carol.Join("general", nil)
	ann, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	typeLine("/dm carol")
	ann.WaitOutput(t, "* you joined @carol")
	typeLine("/part")
	ann.WaitErr(t, "* you parted @carol: it is no longer in your rooms\n")
	typeLine("/dm carol")
	ann.WaitErr(t, "* /dm: you left your direct messages with carol, and a direct message keeps the people it was started with (forbidden)\n")
	typeLine("/join @carol")
	ann.WaitErr(t, "* /join: no direct message with carol: /dm carol starts one\n")
	if all := ann.All.String(); strings.Contains(all, "this direct message") || strings.Contains(all, "dm.") {
		t.Errorf("a DM named otherwise than by its people:\n%s", all)
	}
}

func TestRoomsNamed(t *testing.T) {
	var titles roomTitles
	titles.learn(&wire.MyRoom{RoomMeta: wire.RoomMeta{Room: "dm.1", DM: true}, People: []string{"bob", "carol"}})
	titles.learn(&wire.MyRoom{RoomMeta: wire.RoomMeta{Room: "dm.2", DM: true}, People: []string{"eve"}})
	for in, want := range map[string]string{
		`you were removed from room "dm.1" by a moderator`: "you were removed from your direct messages with bob and carol by a moderator",
		`you have not joined room "dm.2"`:                  "you have not joined your direct messages with eve",
		`you have not joined room "dm.3"`:                  "you have not joined a direct message",
		`room "general" and room "dm.2`:                    `room "general" and room "dm.2`,
	} {
		if got := titles.roomsNamed(in); got != want {
			t.Errorf("roomsNamed(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestChatSaysADMIsInTheRoomsOnce: each /dm bob of a DM ann has printed "* direct message @bob
// is in your rooms" again (the server answers a /dm with the DM's room frame), as if it were
// new; it is said once, when it joins her list.
func TestChatSaysADMIsInTheRoomsOnce(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "bob")
	ann, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	typeLine("/dm bob")
	ann.WaitOutput(t, "* direct message @bob is in your rooms\n", "* you joined @bob")
	typeLine("/join general")
	typeLine("/dm bob")
	testwait.Until(t, "lines to go to @bob again", func() bool {
		return strings.Count(ann.Err.String(), "* lines you type go to @bob now\n") == 2
	})
	typeLine("back in the DM") // printed after the second /dm's room frame
	ann.WaitOutput(t, " ann: back in the DM\n")
	if n := strings.Count(ann.Out.String(), "is in your rooms"); n != 1 {
		t.Errorf("the DM was said to be in ann's rooms %d times:\n%s", n, ann.All.String())
	}
}

// TestChatHelpSaysWhatEachCommandDoes: /help printed the commands' names on one line, "/join
// ROOM, /leave [ROOM], … /part [ROOM], …": a new user learned that /part exists, not that it
// leaves for good where /leave does not. It lists them as --help does, one a line, each with
// what it does.
func TestChatHelpSaysWhatEachCommandDoes(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	_, stderr, err := chatToEnd(t, "/help\n", chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{
		"\n  /leave [ROOM]    leave ROOM (default: the current room)",
		"\n  /part [ROOM]     leave ROOM (default: the current room) for good: it leaves your rooms\n",
		"\n  /react SEQ EMOJI toggle your reaction",
		"\n  /search [#ROOM] TEXT",
		"\n  /help            list these commands\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("/help does not say %q:\n%s", want, stderr)
		}
	}
}

// Every reconnect printed the whole list of rooms again, as the server sends it after each
// connect (found in session 33). The list is printed once, at the start; a reconnect prints
// only what changed meanwhile: here c's unread message, and not a, which the chat is in and
// whose rejoin prints what it missed.
func TestChatReconnectPrintsOnlyWhatChangedInTheRooms(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann := chattest.User(t, "ann")
	if _, stderr, err := chatToEnd(t, "/join c\n", chattest.Args(ann, []string{"--room", "a", s.WS})...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	run, _ := typedChat(t, chattest.Args(ann, []string{"--room", "a", s.WS})...)
	run.WaitOutput(t, "* your rooms:\n*   a: no unread messages\n*   c: no unread messages\n", "* you joined a")
	if _, stderr, err := chatToEnd(t, "while ann is not in c\n", chattest.Args(chattest.User(t, "bob"), []string{"--room", "c", s.WS})...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}

	s = s.Restart()
	testwait.Until(t, "ann's rejoin of a", func() bool { return strings.Count(run.Out.String(), "* you joined a") == 2 })
	run.WaitOutput(t, "* your rooms that changed while disconnected:\n*   c: 1 unread\n")
	if got := run.Out.String(); strings.Count(got, "* your rooms:") != 1 || strings.Count(got, "*   a: ") != 1 {
		t.Errorf("the reconnect printed the list again:\n%s", got)
	}
}
