package termchat

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hubbub"
	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// ann's `hubbub chat` creates a private room with a topic, invites bob, sets the topic, opens a
// DM with bob and writes in it; bob (a hubbub.v1 client) gets each of them live. ann's next
// run prints her rooms on connect with bob's messages as unread and a mention; shown, they are
// read (her other device is told), and the run after that counts none. /part takes a room out.
func TestChatPeople(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	bob := servertest.DialJSON(t, s, "bob")
	ann := chattest.User(t, "ann")
	keyFile := ann[3]

	run, say := typedChat(t, chattest.Args(ann, []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")
	say("/rooms")
	run.WaitOutput(t, "*   general: no unread messages\n")
	if strings.Contains(run.Out.String(), "none yet") {
		t.Errorf("ann's empty list on connect was printed:\n%s", run.Out.String())
	}
	say("/create plans --private --topic Q3 plans")
	run.WaitOutput(t, "* plans is in your rooms (private; owner; topic: Q3 plans)\n", "* you joined plans")
	run.WaitErr(t, "* lines you type go to plans now\n")
	say("/invite bob")
	run.WaitErr(t, "* you invited bob to plans\n")
	bob.AwaitFunc("bob's invitation", func(f servertest.Frame) bool {
		return f.Type() == "room" && f.Str("room") == "plans" && f["invited"] == true
	})
	say("/invite ghost")
	run.WaitErr(t, `* /invite: no user is named "ghost" (not_found)`)
	say("/topic the plan")
	run.WaitErr(t, "* you set the topic of plans: the plan\n")
	say("/create plans")
	run.WaitErr(t, "* /create: ")
	say("/create")
	run.WaitErr(t, "* usage: /create ROOM [--private] [--topic TEXT]")
	say("/directory gen")
	run.WaitOutput(t, "* public rooms (/join one):\n*   general (1 member)\n")
	say("/directory nothing-like-it")
	run.WaitOutput(t, "* no public room matches\n")
	say("/dm")
	run.WaitErr(t, "* usage: /dm NAME...")
	say("/join dm.zzz")
	run.WaitErr(t, `* /join: no direct message "dm.zzz": /dm NAME... starts one with its people (not_found)`)
	say("/dm bob")
	run.WaitOutput(t, "* direct message @bob is in your rooms\n")
	run.WaitErr(t, "* lines you type go to @bob now\n")
	// The DM is called by its people in every line, never by its room's hash.
	run.WaitOutput(t, "* you joined @bob; members: ann\n")
	dm := bob.AwaitFunc("bob's DM", func(f servertest.Frame) bool { return f.Type() == "room" && f["dm"] == true })
	bob.Join(dm.Str("room"), nil)
	run.WaitOutput(t, "* bob is here (@bob)\n")
	say("hello bob")
	bob.AwaitFunc("ann's message", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "hello bob" })
	run.WaitOutput(t, " ann: hello bob\n", "[@bob] #")

	// bob accepts and writes in plans while ann looks at the DM.
	bob.Join("plans", nil)
	bob.Say("plans", "b-1", "hi all")
	bob.Say("plans", "b-2", "@ann look")
	run.WaitOutput(t, "[plans] #6 bob: @ann look\n")
	// ann's own changes are said once, by the command ("* you invited …"), not again as the
	// room's entries (which came before #6).
	for _, twice := range []string{"* ann invited bob to plans", "* ann set the topic of plans"} {
		if strings.Contains(run.Out.String(), twice) {
			t.Errorf("ann's own change printed again as %q:\n%s", twice, run.Out.String())
		}
	}
	if err := run.Stop(t); err != nil {
		t.Fatal(err)
	}

	// ann's other device, to see her read positions move.
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	device := servertest.DialJSON(t, s, "")
	device.Send(servertest.Frame{"type": "hello", "name": "ann", "key": strings.TrimSpace(string(key))})
	device.Await("welcome")

	run, say = typedChat(t, chattest.Args(ann, []string{"--room", "plans", s.WS})...)
	run.WaitOutput(t, "* your rooms:\n",
		"*   @bob (direct message): no unread messages\n",
		"*   general: no unread messages\n",
		"*   plans (private; owner; topic: the plan): 2 unread, 1 mention\n",
		"[plans] #6 bob: @ann look\n")
	device.AwaitFunc("the read position of plans", func(f servertest.Frame) bool {
		return f.Type() == "read" && f.Str("room") == "plans" && f.Num("seq") == 6
	})
	say("/remove ghost")
	say("/remove bob")
	run.WaitErr(t, "* /remove: ")
	run.WaitErr(t, "* you removed bob from plans\n")
	bob.AwaitFunc("bob's unroom", func(f servertest.Frame) bool { return f.Type() == "unroom" && f.Str("room") == "plans" })
	say("/part")
	run.WaitErr(t, "* you parted plans: it is no longer in your rooms\n")
	if strings.Contains(run.Out.String(), "* ann removed bob") {
		t.Errorf("ann's /remove printed again as the room's entry:\n%s", run.Out.String())
	}
	if err := run.Stop(t); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := chatToEnd(t, "/rooms\n", chattest.Args(ann, []string{s.WS})...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if strings.Contains(out, "*   plans") || !strings.Contains(out, "*   general: no unread messages\n") {
		t.Errorf("the rooms after /part:\n%s", out)
	}
}

// A command the server refuses says why in the words /invite uses, "reason (code)": /dm and
// /join printed the client's chain of wrappings, "client: dm [nobody]: server: not_found: …",
// and a piped chat's exit named a request id (found being a new user).
func TestChatSaysServerRefusalsPlainly(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	owner := servertest.DialJSON(t, s, "owner")
	owner.Send(servertest.Frame{"type": "create", "room": "secret", "private": true, "id": "c1"})
	owner.AwaitFunc("created", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "ack" })
	_, stderr, err := chatToEnd(t, "/react 99 👍\n/dm nobody\n/join secret\n", chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	for _, want := range []string{
		"* /dm: no user is named \"nobody\" (not_found)\n",
		"(forbidden)\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in stderr:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "client:") || strings.Contains(stderr, "server: ") {
		t.Errorf("stderr shows the client's wrappings:\n%s", stderr)
	}
	if err == nil || err.Error() != `chat: 1 of 1 reactions were refused: the room has no message 99 (not_found); 2 commands failed; the first: /dm: no user is named "nobody" (not_found)` {
		t.Errorf("the chat ended with %v", err)
	}
	if se := (*wire.Error)(nil); !errors.As(err, &se) || se.Code != hubbub.ECodeNotFound {
		t.Errorf("the chat's end, %v, does not wrap the server's not_found", err)
	}
}

// A script's lines after a /join the server refused were written for that room: they are
// refused and counted (the run fails), and none reaches the room the chat was in before —
// they went to general, where everyone read a line meant for a private room.
func TestChatPipedLinesAfterARefusedJoinGoNowhereElse(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	owner := servertest.DialJSON(t, s, "owner")
	owner.Send(servertest.Frame{"type": "create", "room": "secret", "private": true, "id": "c1"})
	owner.AwaitFunc("created", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "ack" })
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	_, stderr, err := chatToEnd(t, "before\n/join secret\nmeant for secret\n", chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if !strings.Contains(stderr, "(forbidden)") {
		t.Errorf("no forbidden join in stderr:\n%s", stderr)
	}
	// The line's refusal is the user's situation, not a failure of the server.
	if want := `* refused: you have not joined room "secret" (not_joined)`; !strings.Contains(stderr, want) || strings.Contains(stderr, "server error") {
		t.Errorf("stderr:\n%s\nwant %q and no \"server error\"", stderr, want)
	}
	if err == nil || !strings.Contains(err.Error(), "1 of 2 messages were refused") {
		t.Errorf("the chat ended with %v, want the line after the refused join counted refused", err)
	}
	// What the chat says is true: the join was refused, and the lines after it go to secret
	// and are refused there — not "lines you type go to secret now", which read as joined.
	if want := `* /join: room "secret" is private: only its members may join and read it (forbidden)` + "\n" +
		"* the script's lines after it go to secret all the same, which refuses them; none goes to general\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr:\n%s\nwant\n%s", stderr, want)
	}
	if strings.Contains(stderr, "lines you type go to secret") {
		t.Errorf("stderr says lines go to secret as if it were joined:\n%s", stderr)
	}
	bob.Say("general", "b1", "after") // bob reads general's messages in order up to his own
	var read []string
	bob.AwaitFunc("bob's own message", func(f servertest.Frame) bool {
		if f.Type() == "message" {
			read = append(read, f.Str("text"))
		}
		return f.Type() == "message" && f.Str("text") == "after"
	})
	if strings.Join(read, ",") != "before,after" {
		t.Errorf("general's messages: %q, want before,after (nothing meant for secret)", read)
	}
}

// A script's /join the chat itself refuses (a name that is no room's, too long, none at all),
// and a /dm of no one, are refused /joins as the server's are: the lines after them were
// written for another room, and went to general; and a command that fails in the client
// (/upload of no file, an unknown command) left the run's status 0, though what it was to send
// was never sent. Now each such line is refused (not sent), each failed command counted, and
// the run exits 1; general holds nothing of it.
func TestChatPipedCommandsTheClientRefusesFailTheRun(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	long := strings.Repeat("a", 70)
	cases := []struct {
		in, want string
		refused  bool // the line after the command is refused, not sent
	}{
		{"/join bad!room\nhello after bad join\n", "/join: room names hold only ASCII letters and digits", true},
		{"/join " + long + "\nhello after a long name\n", "/join: room name is longer than 64 bytes (bad_room)", true},
		{"/join\nhello after a bare join\n", "usage: /join ROOM", true},
		{"/dm nobody\nhello to nobody\n", `/dm: no user is named "nobody" (not_found)`, true},
		{"/upload /nonexistent hello\n", "/upload: open /nonexistent: no such file or directory", false},
		{"/frobnicate\n", "unknown command /frobnicate (try /help)", false},
	}
	uma := chattest.User(t, "uma")
	for _, tc := range cases {
		_, stderr, err := chatToEnd(t, tc.in, chattest.Args(uma, []string{s.WS})...)
		if !strings.Contains(stderr, "* "+tc.want) {
			t.Errorf("%q: stderr has no %q:\n%s", tc.in, tc.want, stderr)
		}
		wantErr := "1 command failed: " + tc.want
		if tc.refused {
			cmd, _, _ := strings.Cut(tc.in, "\n")
			refusal := fmt.Sprintf("not sent, as %q before it failed", cmd)
			wantErr = "chat: 1 of 1 messages were refused: " + refusal + "; " + wantErr
			if want := "* the script's lines after it are refused, not sent; none goes to general\n* refused: " + refusal + "\n"; !strings.Contains(stderr, want) {
				t.Errorf("%q: stderr has no\n%s\nin\n%s", tc.in, want, stderr)
			}
		}
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: the chat ended with %v, want %q", tc.in, err, wantErr)
		}
	}
	c := servertest.DialJSON(t, s, "bob")
	if got := c.Join("general", nil); got.Num("last_seq") != 0 {
		t.Errorf("general after the runs: %v, want nothing sent to it", got)
	}
}

// TestChatRemovedFromTheCurrentRoom: removed from the private room lines were going to, the
// chat in a terminal says so at the next line and moves to the room joined before it; each
// line typed after the removal was refused as not joined, with nothing saying where to type
// instead. (A script's lines are not moved: each is refused and counted, as before.)
func TestChatRemovedFromTheCurrentRoom(t *testing.T) {
	chattest.LeakCheck(t)
	bob, typeLine, ann := bobJoinsAnnsPlans(t)
	typeLine("in plans")
	bob.WaitOutput(t, "[plans] #4 bob: in plans\n")

	ann.Send(servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "r-1"})
	bob.WaitOutput(t, "* ann removed you from plans\n") // the one line of the removal
	// The removal's left follows its line; a line typed at once raced the printer to it. A
	// person reads first: the answer to /who comes after every frame of the removal.
	typeLine("/who plans")
	bob.WaitErr(t, "* /who: ")
	typeLine("meant for plans")
	bob.WaitErr(t, "* you are no longer in plans: that line was not sent\n* lines you type go to general now\n")
	typeLine("now in general")
	bob.WaitOutput(t, "[general] #1 bob: now in general\n")
	if strings.Contains(bob.Err.String(), "* refused") { // the /who's not_joined is no line's
		t.Errorf("a line was sent to plans after the removal:\n%s", bob.Err.String())
	}
	// The removal's unroom, which came before the line in general, says nothing more: "* you
	// left plans" said it (TestChatPartOnAnotherDeviceIsSaidOnce).
	if strings.Contains(bob.Out.String(), "* plans left your rooms") {
		t.Errorf("the removal was said twice:\n%s", bob.Out.String())
	}
}

// bobJoinsAnnsPlans starts a server, bob's chat in a terminal (in general) and ann, who
// creates the private room plans and invites bob; bob joins it. It returns bob's chat, a
// function that types a line into it, and ann.
func bobJoinsAnnsPlans(t *testing.T) (bob *chattest.Run, typeLine func(string), ann *servertest.JSONClient) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{})
	bob, typeLine = typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "* you joined general")
	ann = servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for _, f := range []servertest.Frame{
		{"type": "create", "room": "plans", "private": true},
		{"type": "invite", "room": "plans", "name": "bob", "id": "i-1"},
	} {
		ann.Send(f)
		ann.AwaitFunc(fmt.Sprint(f["type"]), func(g servertest.Frame) bool {
			return g.Type() == "room" || g.Type() == "ack" || g.Type() == "error"
		})
	}
	bob.WaitOutput(t, "* you are invited to plans")
	typeLine("/join plans")
	bob.WaitOutput(t, "* you joined plans")
	return bob, typeLine, ann
}

// annInvitesBobToPlans starts a server and two typed chats in general, ann's and bob's; ann
// makes the private room plans and invites bob, and it returns once her chat said so.
func annInvitesBobToPlans(t *testing.T) (ann *chattest.Run, annSays func(string), bob *chattest.Run, bobSays func(string)) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{})
	ann, annSays = typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	bob, bobSays = typedChat(t, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "* you joined general")
	annSays("/create plans --private")
	ann.WaitOutput(t, "* you joined plans")
	annSays("/invite bob")
	ann.WaitErr(t, "* you invited bob to plans\n")
	return ann, annSays, bob, bobSays
}

// In a terminal, /join says where lines go only once the server has answered: after a refusal
// the refusal and that lines still go to the room before (it said "lines you type go to
// secret now" with the refusal; a piped run still does, see above), and after a join, right
// after its "* you joined" line — printed before the server's answer, it read as a promise the
// server could still break. stdout and stderr are one terminal here, as for a person.
func TestChatJoinSaysWhereLinesGoOnceAnswered(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	owner := servertest.DialJSON(t, s, "owner")
	owner.Send(servertest.Frame{"type": "create", "room": "secret", "private": true, "id": "c1"})
	owner.AwaitFunc("created", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "ack" })
	owner.Join("random", nil)
	owner.Say("random", "o1", "history in random")

	ann, typeLine := typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	term := &ann.All // both streams, in the order they were written
	waitTerm := func(want string) {
		t.Helper()
		testwait.Until(t, "the terminal: "+want, func() bool { return strings.Contains(term.String(), want) })
	}
	waitTerm("* you joined general")

	typeLine("/join secret")
	waitTerm(`* /join: room "secret" is private: only its members may join and read it (forbidden)` + "\n* lines you type still go to general\n")
	typeLine("still general")
	waitTerm("[general] #1 ann: still general\n")
	// A typo'd name: refused by the chat, said the same way; lines still go to general.
	typeLine("/join bad!room")
	waitTerm("(bad_room)\n* lines you type still go to general\n")
	typeLine("after the typo")
	waitTerm("[general] #2 ann: after the typo\n")

	typeLine("/join random")
	waitTerm("* lines you type go to random now\n")
	got := term.String()
	joined := strings.Index(got, "* you joined random; members: ")
	if note := strings.Index(got, "* lines you type go to random now\n"); joined < 0 || note < joined {
		t.Errorf("where lines go was said before the join's answer was printed:\n%s", got)
	}
	typeLine("in random")
	waitTerm("[random] #2 ann: in random\n")
	if strings.Contains(term.String(), "lines you type go to secret") {
		t.Errorf("the terminal says lines go to secret, whose join was refused:\n%s", term.String())
	}
}

// A /join typed while the chat reconnects is sent once the connection is back: the chat said
// "lines you type go to secret now" at once, before any server had answered, and nothing when
// the new connection's server refused it. It says now that the join waits for the connection,
// and then the refusal.
func TestChatJoinWhileReconnectingSaysTheAnswer(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	owner := servertest.DialJSON(t, s, "owner")
	owner.Send(servertest.Frame{"type": "create", "room": "secret", "private": true, "id": "c1"})
	owner.AwaitFunc("created", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "ack" })
	ann, typeLine := terminalChatCutOff(t, s)
	typeLine("/join secret")
	ann.WaitErr(t, "* not connected: secret is joined once the connection is back; lines you type wait to go there\n")
	s = servertest.Start(t, s.Opts)
	ann.WaitErr(t, `* could not join secret after the reconnect: room "secret" is private: only its members may join and read it (forbidden); /join secret to try again`)
	if strings.Contains(ann.Err.String(), "lines you type go to secret") {
		t.Errorf("stderr says lines go to secret, whose join was refused:\n%s", ann.Err.String())
	}
}

// A role change reads as who made whom what; the server's own, after the only owner left,
// reads as who owns the room now and why.
func TestMemberChangedLineOfARole(t *testing.T) {
	set := &wire.MemberChanged{From: "ann", SubjectName: "bob", Action: hubbub.MemberRole, Role: "moderator"}
	if got, want := memberChangedLine(set, "plans", "carol"), "* ann made bob moderator of plans"; got != want {
		t.Errorf("a role set: %q, want %q", got, want)
	}
	auto := &wire.MemberChanged{From: "ann", SubjectName: "bob", Action: hubbub.MemberRole, Role: "owner", Auto: true}
	if got, want := memberChangedLine(auto, "plans", "carol"), "* bob is the owner of plans now, as ann left"; got != want {
		t.Errorf("a handover: %q, want %q", got, want)
	}
	regained := &wire.MemberChanged{From: "ann", User: "u_ann", Subject: "u_ann", SubjectName: "ann", Action: hubbub.MemberRole,
		Role: "owner", Auto: true}
	if got, want := memberChangedLine(regained, "plans", "carol"), "* ann is the owner of plans now, as it had none"; got != want {
		t.Errorf("a join of a room that had lost its owner: %q, want %q", got, want)
	}
}

// In a DM, labelled by the reader's others ("@ann" for bob), "* ann parted @ann" read as if
// ann had parted herself; the line says what she parted.
func TestMemberChangedLineInADM(t *testing.T) {
	part := &wire.MemberChanged{Room: "dm.0123", From: "ann", SubjectName: "ann", Action: hubbub.MemberLeave}
	if got, want := memberChangedLine(part, "@ann", "carol"), "* ann parted the direct message for good (@ann)"; got != want {
		t.Errorf("a part of a DM: %q, want %q", got, want)
	}
	part.Room = "plans"
	if got, want := memberChangedLine(part, "plans", "carol"), "* ann parted plans"; got != want {
		t.Errorf("a part of a room: %q, want %q", got, want)
	}
}

// A command typed while the chat reconnects said so twice over, in the client's wrappings:
// "* /search: client: search: client: not connected". It says it once now, and that the chat
// is reconnecting.
func TestChatSaysNotConnectedOnce(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann, typeLine := terminalChatCutOff(t, s)
	for _, cmd := range []string{"/search deploy", "/rooms", "/dm bob", "/directory", "/who", "/notify", "/commands", "/create plans"} {
		typeLine(cmd)
		name, _, _ := strings.Cut(cmd, " ")
		ann.WaitErr(t, "* "+name+": not connected (reconnecting)\n")
	}
	for _, l := range chattest.Lines(ann.Err.String(), "* /") {
		if strings.Contains(l, "client:") {
			t.Errorf("a command's error shows the client's wrappings: %s", l)
		}
	}
}

// A piped run prints a room's history and exits: what it printed counts as read, as it does
// for a person at the terminal. The run exited before the read position was written (and
// often before the printer had printed the history at all), so the next /rooms still counted
// every message unread; with --wait 2s it cleared.
func TestChatPipedMarksTheHistoryItPrintedRead(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	owner := servertest.DialJSON(t, s, "owner")
	owner.Join("longroom", nil)
	for i := 1; i <= 8; i++ {
		owner.Say("longroom", fmt.Sprintf("o%d", i), fmt.Sprintf("line %d", i))
	}
	lee := chattest.User(t, "lee")
	out, stderr, err := chatToEnd(t, "", chattest.Args(lee, []string{"--room", "longroom", "--history", "5", s.WS})...)
	if err != nil || !strings.Contains(out, "[longroom] #8 owner: line 8\n") {
		t.Fatalf("lee's run: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}
	out, stderr, err = chatToEnd(t, "/rooms\n", chattest.Args(lee, []string{s.WS})...)
	if err != nil {
		t.Fatalf("lee's /rooms: %v\n%s", err, stderr)
	}
	if want := "*   longroom: no unread messages\n"; !strings.Contains(out, want) {
		t.Errorf("lee's rooms after the run that printed longroom's last messages; want %q:\n%s", want, out)
	}
}

// /role sets a member's room role from the terminal, as the page does: the owner rule's
// refusal ("make another member owner first") asks for something the chat could not do before.
// The only owner's step down is refused with the server's reason; after making bob owner, ann
// may step down.
func TestChatRole(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	bob := servertest.DialJSON(t, s, "bob")
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")
	say("/create plans --private")
	run.WaitErr(t, "* lines you type go to plans now\n")
	say("/invite bob")
	run.WaitErr(t, "* you invited bob to plans\n")
	bob.AwaitFunc("bob's invitation", func(f servertest.Frame) bool {
		return f.Type() == "room" && f.Str("room") == "plans" && f["invited"] == true
	})
	bob.Join("plans", nil)

	say("/role bob boss")
	run.WaitErr(t, `* usage: /role NAME owner|moderator|member (a name with a space in quotes: /role "ann lee" moderator)`+"\n")
	say("/role bob moderator")
	run.WaitErr(t, "* you made bob moderator of plans\n")
	bob.AwaitFunc("bob made moderator", func(f servertest.Frame) bool {
		return f.Type() == "member_changed" && f.Str("action") == "role" && f.Str("role") == "moderator"
	})
	say("/role ann member")
	run.WaitErr(t, "* /role: you are the only owner of room plans: make another member owner first (forbidden)\n")
	say("/role bob owner")
	run.WaitErr(t, "* you made bob owner of plans\n")
	say("/role ann member")
	run.WaitErr(t, "* you made ann member of plans\n")
	bob.AwaitFunc("ann stepped down", func(f servertest.Frame) bool {
		return f.Type() == "member_changed" && f.Str("action") == "role" && f.Str("role") == "member"
	})
	// bob's line comes after ann's changes in the room's log: by then they were read.
	bob.Say("plans", "b-1", "thanks")
	run.WaitOutput(t, "bob: thanks\n")
	if strings.Contains(run.Out.String(), "* ann made") {
		t.Errorf("ann's /role printed again as the room's entry:\n%s", run.Out.String())
	}
}

// terminalChatCutOff starts ann's chat at a terminal on s, waits for her join of general, then
// stops s and waits for the chat to say the connection is lost; typeLine types into the chat.
func terminalChatCutOff(t *testing.T, s *servertest.Server) (ann *chattest.Run, typeLine func(string)) {
	t.Helper()
	ann, typeLine = typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	s.Stop()
	ann.WaitErr(t, "* connection to ")
	return ann, typeLine
}

// --room @bob was refused at start as a room name ("room names hold only ASCII letters…"),
// though /join @bob opens the DM with bob: the start room takes the same forms now, and is
// refused as /join refuses them. Edits, deletions and reactions there name the DM by its
// people, as its messages do.
func TestChatStartsInADM(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	servertest.DialJSON(t, s, "bob") // a user ann can DM
	ann := chattest.User(t, "ann")
	if _, stderr, err := chatToEnd(t, "/dm bob\n", chattest.Args(ann, []string{s.WS})...); err != nil {
		t.Fatalf("ann's /dm bob: %v\n%s", err, stderr)
	}

	in := "for bob\n/edit 3 for bob, again\n/react 3 👍\n/delete 3\n/who @\n"
	out, stderr, err := chatToEnd(t, in, chattest.Args(ann, []string{"--room", "@BOB", s.WS})...)
	for _, want := range []string{
		"* you joined @bob; members: ann\n",
		"[@bob] #3 ann: for bob\n", // after the two members
		"[@bob] #3 ann: for bob, again (edited)\n",
		"* you reacted 👍 to #3 in @bob [👍 1]\n",
		"* you deleted #3 in @bob\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout has no %q:\n%s\nstderr:\n%s", want, out, stderr)
		}
	}
	if strings.Contains(out, "[dm.") || strings.Contains(out, "in dm.") {
		t.Errorf("the DM named by its id:\n%s", out)
	}
	// "@" names no one: said so, not looked up as "no direct message with : /dm  starts one".
	const noOne = `"@" is not a direct message: "" is not a name (name is empty)`
	if err == nil || err.Error() != "chat: 1 command failed: /who: "+noOne {
		t.Errorf("the run ended with %v, want only /who @ failed\n%s", err, stderr)
	}

	// A DM ann does not have is refused as /join refuses it, before anything is sent.
	_, stderr, err = chatToEnd(t, "never sent\n", chattest.Args(ann, []string{"--room", "@carol", s.WS})...)
	if want := "chat: joining @carol: no direct message with carol: /dm carol starts one"; err == nil || err.Error() != want {
		t.Errorf("--room @carol: %v, want %q\n%s", err, want, stderr)
	}
}

// A removal from a private room reads as one line on each side (found by s29-chat): the owner's
// chat printed "* you removed bob from plans" and then "* bob left plans", and bob's read "* ann
// removed bob from plans", his own name, where he is "you", and then "* you left plans".
func TestChatRemovalIsSaidOnce(t *testing.T) {
	chattest.LeakCheck(t)
	ann, annSays, bob, bobSays := annInvitesBobToPlans(t)
	bob.WaitOutput(t, "* you are invited to plans")
	bobSays("/join plans")
	ann.WaitOutput(t, "* bob joined plans, accepting the invitation\n")
	annSays("/remove bob")
	ann.WaitErr(t, "* you removed bob from plans\n")
	bob.WaitOutput(t, "* ann removed you from plans\n")
	// A later event of plans has printed after anything the removal was to print.
	annSays("/topic after")
	ann.WaitErr(t, "* you set the topic of plans: after\n")
	annSays("/who plans")
	ann.WaitOutput(t, "* members of plans: ann\n")
	if got := ann.Out.String(); strings.Contains(got, "bob left plans") {
		t.Errorf("ann's chat said bob's leave besides her own line:\n%s", ann.All.String())
	}
	bobSays("/rooms") // answered after every frame the removal sent bob
	bob.WaitOutput(t, "* your rooms:\n")
	if got := bob.Out.String(); strings.Contains(got, "you left plans") || strings.Contains(got, "plans left your rooms") {
		t.Errorf("bob's chat said his removal twice:\n%s", bob.All.String())
	}
}

// Leaving the current room makes the room joined before it current, but not one I was removed
// from meanwhile (found by s29-chat): after bob's removal from plans, his /leave of the room he
// was in said "* lines you type go to plans now", and his next line was refused there.
func TestChatLeaveSkipsARoomIWasRemovedFrom(t *testing.T) {
	chattest.LeakCheck(t)
	bob, typeLine, ann := bobJoinsAnnsPlans(t)
	typeLine("/join other")
	bob.WaitOutput(t, "* you joined other")
	ann.Send(servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "r-1"})
	bob.WaitOutput(t, "* ann removed you from plans\n")
	typeLine("/who plans") // answered after every frame of the removal
	bob.WaitErr(t, "/who")
	typeLine("/leave")
	bob.WaitErr(t, "* lines you type go to general now\n")
	typeLine("back in general")
	bob.WaitOutput(t, "[general] #1 bob: back in general\n")
	if got := bob.Err.String(); strings.Count(got, "go to plans now") != 1 { // the one its /join said
		t.Errorf("bob's lines were said to go to plans, which he was removed from:\n%s", bob.All.String())
	}
}

// An invitee's accepting is one line in the room (found by s30-chat): the others' chats printed
// "* bob is a member of plans now", the entry of the log, and then "* bob joined plans", his
// presence, for the one /join that accepted; the line now says both.
func TestChatAcceptedInvitationIsOneLine(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann, annSays := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	bob := servertest.DialJSON(t, s, "bob")
	annSays("/create plans --private")
	ann.WaitOutput(t, "* you joined plans")
	annSays("/invite bob")
	ann.WaitErr(t, "* you invited bob to plans\n")
	bob.AwaitFunc("bob's invitation", func(f servertest.Frame) bool { return f.Type() == "room" && f.Str("room") == "plans" })
	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	ann.WaitOutput(t, "* bob joined plans, accepting the invitation\n")
	// His leave comes after his arrival's presence: anything it was to print has printed.
	bob.Send(servertest.Frame{"type": "leave", "room": "plans"})
	ann.WaitOutput(t, "* bob left plans\n")
	got := chattest.Lines(ann.Out.String(), "* bob")
	if want := []string{"* bob joined plans, accepting the invitation", "* bob left plans"}; !slices.Equal(got, want) {
		t.Errorf("ann's chat said bob's arrival and leave as %q, want %q\n%s", got, want, ann.All.String())
	}
	// He joins again, no invitation in it: said as any arrival.
	if f := bob.Join("plans", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	ann.WaitOutput(t, "* bob joined plans\n")
}

// The entry of a member the room was made with says only that: its creator is no invitee.
func TestMemberChangedLineOfAJoin(t *testing.T) {
	for _, c := range []struct {
		f    wire.MemberChanged
		want string
	}{
		{wire.MemberChanged{Room: "plans", From: "bob", User: "u_b", Subject: "u_b", SubjectName: "bob", Action: hubbub.MemberJoin, Role: "member"},
			"* bob joined plans, accepting the invitation"},
		{wire.MemberChanged{Room: "plans", From: "bob", SubjectName: "bob", Action: hubbub.MemberJoin}, // no user ids
			"* bob joined plans, accepting the invitation"},
		{wire.MemberChanged{Room: "plans", From: "ann", User: "u_a", Subject: "u_b", SubjectName: "bob", Action: hubbub.MemberJoin, Role: "member"},
			"* bob is a member of plans now"},
		{wire.MemberChanged{Room: "plans", From: "ann", User: "u_a", Subject: "u_a", SubjectName: "ann", Action: hubbub.MemberJoin, Role: "owner"},
			"* ann is a member of plans now"},
	} {
		if got := memberChangedLine(&c.f, "plans", "carol"); got != c.want {
			t.Errorf("memberChangedLine(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// A member taken out of a private room, or parting it, is one line in the chats of the members
// who stay (found by s30-chat): they printed "* ann removed bob from plans", the log's entry,
// and then "* bob left plans", his presence, which read as a removal and a leave of his own.
// (A kick is a leave to them: the server tells the others nothing more, docs/protocol.md.)
func TestChatRemovalIsOneLineForTheOthers(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	dave := servertest.DialJSON(t, s, "dave")
	carol, carolSays := typedChat(t, chattest.Args(chattest.User(t, "carol"), []string{s.WS})...)
	carol.WaitOutput(t, "* you joined general")
	ann.Send(servertest.Frame{"type": "create", "room": "plans", "private": true})
	ann.Await("room")
	if f := ann.Join("plans", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	for _, name := range []string{"carol", "bob", "dave"} {
		ann.Send(servertest.Frame{"type": "invite", "room": "plans", "name": name, "id": "i-" + name})
		ann.AwaitFunc("the invitation of "+name, func(f servertest.Frame) bool { return f.Type() == "ack" || f.Type() == "error" })
	}
	carol.WaitOutput(t, "* you are invited to plans")
	carolSays("/join plans")
	carol.WaitOutput(t, "* you joined plans")
	for _, c := range []*servertest.JSONClient{bob, dave} {
		if f := c.Join("plans", nil); f.Type() != "joined" {
			t.Fatal(f)
		}
	}
	carol.WaitOutput(t, "* dave joined plans, accepting the invitation\n")

	ann.Send(servertest.Frame{"type": "remove", "room": "plans", "name": "bob", "id": "r-1"})
	carol.WaitOutput(t, "* ann removed bob from plans\n")
	dave.Send(servertest.Frame{"type": "part", "room": "plans", "id": "p-1"})
	carol.WaitOutput(t, "* dave parted plans\n")
	// ann's leave comes after theirs: anything the removal and the part were to print has.
	ann.Send(servertest.Frame{"type": "leave", "room": "plans"})
	carol.WaitOutput(t, "* ann left plans\n")
	for _, l := range chattest.Lines(carol.Out.String(), "* ") {
		if l == "* bob left plans" || l == "* dave left plans" {
			t.Errorf("carol's chat said %q besides the entry's line:\n%s", l, carol.All.String())
		}
	}
}

// An invitation said how to accept it ("/join plans to accept") and not how to decline it, as
// the page's Decline does; a new user could not find that /part declines (found by s31-term).
// It says both, and /part declines: the inviter sees bob part, and plans leaves his rooms.
func TestChatInvitationSaysHowToDecline(t *testing.T) {
	chattest.LeakCheck(t)
	ann, _, bob, bobSays := annInvitesBobToPlans(t)
	bob.WaitOutput(t, "* you are invited to plans: /join plans to accept, /part plans to decline\n")
	bobSays("/rooms")
	bob.WaitOutput(t, "*   plans (private): invited, /join plans to accept, /part plans to decline\n")
	bobSays("/part plans")
	ann.WaitOutput(t, "* bob parted plans\n")
	bobSays("/rooms")
	testwait.Until(t, "bob's second /rooms", func() bool { return strings.Count(bob.Out.String(), "* your rooms:") == 2 })
	if rooms := bob.Out.String()[strings.LastIndex(bob.Out.String(), "* your rooms:"):]; strings.Contains(rooms, "plans") {
		t.Errorf("plans is still in bob's rooms after declining:\n%s", rooms)
	}
}

// A DM follows its person's rename: after bob went by robert, "/who @robert" found no direct
// message (the chat still titled it @bob), and once the list of rooms came again (/rooms, a
// reconnect) "/who @bob", the name ann knows him by, found none. Both name it now, and its
// lines show the new name.
func TestChatDMFollowsARename(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	ann, typeLine := typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general; members: ann, bob\n")
	typeLine("/dm bob")
	ann.WaitOutput(t, "* you joined @bob")

	device := servertest.DialJSON(t, s, "") // bob's other device says a new name: robert
	device.Send(servertest.Frame{"type": "hello", "name": "robert", "key": "key-bob"})
	device.Await("welcome")
	ann.WaitOutput(t, "* bob is now robert (general)\n")
	typeLine("/who @robert")
	ann.WaitOutput(t, "* members of @robert: ann\n")
	typeLine("/rooms")
	ann.WaitOutput(t, "*   @robert (direct message): no unread messages\n")
	typeLine("/who @bob")
	testwait.Until(t, "/who @bob to answer", func() bool { return strings.Count(ann.Out.String(), "* members of @robert: ann\n") == 2 })
	typeLine("still here")
	ann.WaitOutput(t, "[@robert] #3 ann: still here\n")
	if errs := ann.Err.String(); strings.Contains(errs, "no direct message") {
		t.Errorf("a name of the DM found none:\n%s", errs)
	}
}

// A group DM from the terminal: names are separated by spaces, and a name that holds a space
// or a comma (both are allowed in names) is written in quotes. "/dm bob,carol", as the chat
// shows the DM, was sent as the one name "bob,carol" and answered that no user has it; it is
// refused now with both spellings, and a name no user has gets the server's words.
func TestChatGroupDM(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	for _, name := range []string{"bob", "carol", "bob smith", "smith, jo"} {
		servertest.DialJSON(t, s, name)
	}
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")

	say("/dm bob,carol")
	run.WaitErr(t, `* /dm: names are separated by spaces: /dm bob carol (for the one name bob,carol, in quotes: /dm "bob,carol")`+"\n")
	say("/dm bob carol")
	run.WaitOutput(t, "* you joined @bob,carol; members: ann\n")
	say("/dm carol nobody")
	run.WaitErr(t, `* /dm: no user is named "nobody" (not_found)`+"\n")
	say(`/dm "bob smith"`)
	run.WaitOutput(t, "* you joined @\"bob smith\"; members: ann\n")
	say(`/dm "bob smith`)
	run.WaitErr(t, `* /dm: a name in quotes has no closing quote: "bob smith`+"\n")
	say("/join @carol,bob")
	run.WaitErr(t, "* lines you type go to @bob,carol now\n")
	// A name with a space or a comma is quoted in the DM's title as /dm takes it, and the
	// title typed back names the DM: "@bob smith,carol,smith, jo" could not be.
	say(`/dm "bob smith" carol "smith, jo"`)
	const title = `@"bob smith",carol,"smith, jo"`
	run.WaitErr(t, "* lines you type go to "+title+" now\n")
	say("/join general")
	run.WaitErr(t, "* lines you type go to general now\n")
	say("/join " + title)
	run.WaitErr(t, "* lines you type go to general now\n* lines you type go to "+title+" now\n")
	say(`/who @carol,"SMITH, JO","bob smith"`)
	run.WaitOutput(t, "* members of "+title+": ann\n")
	say("/help")
	run.WaitErr(t, `a name with a space or a comma in quotes: /dm "bob smith"`)
	if strings.Contains(run.Err.String(), "no user is named \"bob,carol\"") || strings.Contains(run.Err.String(), "no user is named \"\\\"bob\"") {
		t.Errorf("a /dm's names were read as others:\n%s", run.Err.String())
	}
}

// parseNames reads what quoteNames writes, and refuses what it cannot read for sure.
func TestParseNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "bob  carol\tdan", want: []string{"bob", "carol", "dan"}},
		{in: `"bob smith" carol`, want: []string{"bob smith", "carol"}},
		{in: `"say \"hi\", \\o/"`, want: []string{`say "hi", \o/`}},
		{in: `"bob,carol"`, want: []string{"bob,carol"}},
		{in: `bo"b`, want: []string{`bo"b`}},
		{in: "bob,carol", err: "names are separated by spaces"},
		{in: `"bob`, err: "no closing quote"},
		{in: `"bob"carol`, err: "put a space after the closing quote"},
	} {
		got, err := parseNames(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseNames(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseNames(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if back, err := parseNames(quoteNames(got)); err != nil || !slices.Equal(back, got) {
			t.Errorf("quoteNames(%q) = %s reads back as %q, %v", got, quoteNames(got), back, err)
		}
	}
}

// A name with a space is quoted in /invite, /role and /remove as in /dm: "bob smith" is invited,
// made moderator and taken out, where each command read "bob" and said no more.
func TestChatPeopleCommandsTakeAQuotedName(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	bs := servertest.DialJSON(t, s, "bob smith")
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")
	say("/create plans --private")
	run.WaitErr(t, "* lines you type go to plans now\n")
	say(`/invite "bob smith`)
	run.WaitErr(t, `* usage: /invite NAME (a name with a space in quotes: /invite "ann lee")`+"\n")
	say(`/invite "bob smith"`)
	run.WaitErr(t, "* you invited bob smith to plans\n")
	bs.AwaitFunc("the invitation", func(f servertest.Frame) bool {
		return f.Type() == "room" && f.Str("room") == "plans" && f["invited"] == true
	})
	bs.Join("plans", nil)
	say(`/role "bob smith" moderator`)
	run.WaitErr(t, "* you made bob smith moderator of plans\n")
	say(`/remove "bob smith"`)
	run.WaitErr(t, "* you removed bob smith from plans\n")
	bs.AwaitFunc("the removal", func(f servertest.Frame) bool { return f.Type() == "unroom" && f.Str("room") == "plans" })
}

// A DM's title reads back as the DM wherever a command takes a room: whole, though its quoted
// names hold spaces, commas, quotes or a '#', with what follows it apart, and as ROOM#12.
func TestDMTitleReadsBack(t *testing.T) {
	for _, people := range [][]string{
		{"bob"},
		{"bob", "carol"},
		{"bob smith", "carol"},
		{"smith, jo", `say "hi" \o/`, "a#b"},
		{"@ann", "ann-lee"},
	} {
		title := dmTitle(people)
		word, rest := cutRoomWord(title + "  the rest")
		if word != title || rest != "the rest" {
			t.Errorf("cutRoomWord(%s the rest) = %q, %q; want the title whole, then the rest", title, word, rest)
		}
		if got, err := dmPeople(strings.TrimPrefix(title, "@")); err != nil || !slices.Equal(got, people) {
			t.Errorf("dmPeople(%s) = %q, %v; want %q", title, got, err, people)
		}
		if room, num, ok := cutMessageRoom(title + "#12"); !ok || room != title || num != "12" {
			t.Errorf("cutMessageRoom(%s#12) = %q, %q, %v; want the title and 12", title, room, num, ok)
		}
		if word, rest := cutRoomWord("#" + title + " deploy"); word != "#"+title || rest != "deploy" {
			t.Errorf("cutRoomWord(#%s deploy) = %q, %q", title, word, rest)
		}
	}
	for in, want := range map[string]string{
		`"bob`:         "no closing quote",
		"bob,":         `"" is not a name`,
		`"bob smith"x`: `"x" follows its names`,
		"bob smith":    `"smith" follows its names (a name with a space, a comma or a '#' in quotes: @"bob smith")`,
	} {
		if _, err := dmPeople(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("dmPeople(%s) = %v, want an error with %q", in, err, want)
		}
	}
}
