package main

import (
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// What a new user typed in half an hour with the chat, and was refused in words they could
// not act on (session 33's walk-through).

// "/join #team", as IRC and Slack write a channel and as the chat's own /search #team takes a
// room, joins team (and --room, /who, /leave take #team too): it was refused as "room names
// hold only ASCII letters and digits …", which left the user to guess that the # was wrong.
func TestChatTakesARoomWrittenWithHash(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "#lobby", s.WS})...)
	run.WaitOutput(t, "* you joined lobby; members: ann\n")
	say("/join #team")
	run.WaitOutput(t, "* you joined team; members: ann\n")
	run.WaitErr(t, "* lines you type go to team now\n")
	say("/who #lobby")
	run.WaitOutput(t, "* members of lobby: ann\n")
	say("/leave #lobby")
	run.WaitOutput(t, "* you left lobby\n")
}

// "/dm ann", typed by ann (to try it, or for notes to herself), says that ann is she and
// what /dm wants: the server's refusal, "name someone other than yourself in names
// (bad_field)", named a field of its protocol.
func TestChatDMWithYourselfSaysWhatDMTakes(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")
	say("/dm ANN")
	run.WaitErr(t, "* /dm: ANN is you: a direct message is with someone else (/dm NAME, their name)\n")
}
