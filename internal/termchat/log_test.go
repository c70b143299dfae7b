package termchat

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/chattest"
	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/wire"
)

// afterBobsHello starts a server where bob has said "hello" (#1) in general, and ann's chat,
// which has printed it; typeLine types a line into her chat.
func afterBobsHello(t *testing.T) (s *servertest.Server, bob *servertest.JSONClient, ann *chattest.Run, typeLine func(string)) {
	t.Helper()
	s = servertest.Start(t, servertest.Options{})
	bob = servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Say("general", "b1", "hello") // #1

	ann, typeLine = typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "[general] #1 bob: hello\n")
	return s, bob, ann, typeLine
}

// A user replies, edits, reacts and deletes from the terminal; the other member's changes
// show up too, and a later client prints the room's state: the edited text, the reactions
// and the tombstone.
func TestChatRoomLogCommands(t *testing.T) {
	chattest.LeakCheck(t)
	s, bob, ann, typeLine := afterBobsHello(t)

	typeLine("/reply 1 hi bob") // #2
	ann.WaitOutput(t, "[general] #2 ann ↪ #1: hi bob\n")
	typeLine("/edit #2 hi again, bob") // #3
	ann.WaitOutput(t, "[general] #2 ann ↪ #1: hi again, bob (edited)\n")
	typeLine("/react 1 👍") // #4
	ann.WaitOutput(t, "* you reacted 👍 to #1 in general [👍 1]\n")
	bob.Send(servertest.Frame{"type": "react", "room": "general", "seq": 1, "emoji": "👍", "id": "b2"}) // #5
	ann.WaitOutput(t, "* bob reacted 👍 to #1 in general [👍 2]\n")
	bob.Send(servertest.Frame{"type": "edit", "room": "general", "seq": 1, "text": "hello all", "id": "b3"}) // #6
	ann.WaitOutput(t, "[general] #1 bob: hello all (edited) (1 reply) [👍 2]\n")
	typeLine("/react 1 👍") // #7: toggles it off
	ann.WaitOutput(t, "* you took back 👍 on #1 in general [👍 1]\n")
	typeLine("/delete 2") // #8
	ann.WaitOutput(t, "* you deleted #2 in general\n")

	// Bad input is explained at once and sends nothing; the server's refusals are printed.
	for line, want := range map[string]string{
		"/edit":         "* usage: /edit SEQ TEXT\n",
		"/edit 1":       "* usage: /edit SEQ TEXT (the text is missing)\n",
		"/edit x text":  `* /edit: "x" is not a message number`,
		"/reply 0 text": `* /reply: "0" is not a message number`,
		"/delete 1 2":   "* usage: /delete SEQ (nothing comes after the seq)\n",
		"/react 1":      "* usage: /react SEQ EMOJI (the emoji is missing)\n",
		"/react 1 abc":  `* /react: "abc" is not a reaction`,
		"/react 1 👍 👎":  "* usage: /react SEQ EMOJI (one emoji, without spaces)\n",
	} {
		typeLine(line)
		ann.WaitErr(t, want)
	}
	typeLine("/edit 1 not mine")
	ann.WaitErr(t, "(forbidden)\n")
	typeLine("/react 99 👍")
	ann.WaitErr(t, "(not_found)\n")

	out, stderr, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "cy"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("cy: %v\n%s", err, stderr)
	}
	want := []string{"[general] #1 bob: hello all (edited) (1 reply) [👍 1]", "[general] #2 ann ↪ #1: (message deleted)"}
	if got := chattest.Lines(out, "[general]"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cy printed %q, want %q", got, want)
	}
}

// An edit prints the message's new line as a rejoin then prints the message: a person who saw
// "#1 bob: hello all (edited)" live reads the same line in the history, not "(edited)" moved
// before the colon as if it were part of the name.
func TestChatEditLineReadsAsTheHistoryLine(t *testing.T) {
	chattest.LeakCheck(t)
	s, bob, ann, _ := afterBobsHello(t)
	bob.Send(servertest.Frame{"type": "edit", "room": "general", "seq": 1, "text": "hello all", "id": "b2"})
	ann.WaitOutput(t, "hello all")
	live := chattest.Lines(ann.Out.String(), "[general] #1 ")
	out, stderr, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "cy"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("cy: %v\n%s", err, stderr)
	}
	history := chattest.Lines(out, "[general] #1 ")
	want := "[general] #1 bob: hello all (edited)"
	if len(live) != 2 || live[1] != want || len(history) != 1 || history[0] != want {
		t.Errorf("live edit printed %q, the rejoin %q; want both %q", live, history, want)
	}
}

// A live edit printed only what the edit carries, "#1 ci: build 3 passed (edited)", where
// the history prints the message after it as "#1 ci (bot): build 3 passed (edited) (2 replies)
// [👍 1 🎉 1]": the bot badge, the reply marker, the replies and the reactions were lost. The
// live edit line is the history's line now, for a message first printed from the join's
// history and changed since, and for one that came live.
func TestChatLiveEditReadsAsTheHistoryPrintsIt(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	token := hubbub.NewBotToken()
	if _, err := s.Store.CreateBot(t.Context(), "ci", []string{"builds"}, hubbub.SecretHash(token)); err != nil {
		t.Fatal(err)
	}
	ci := servertest.DialJSON(t, s, "")
	ci.Send(servertest.Frame{"type": "hello", "token": token})
	ci.Await("welcome")
	bob := servertest.DialJSON(t, s, "bob")
	stored := func(c *servertest.JSONClient, f servertest.Frame) {
		t.Helper()
		c.Send(f)
		id := f.Str("id")
		if got := c.AwaitFunc("ack for "+id, func(f servertest.Frame) bool {
			return (f.Type() == "ack" || f.Type() == "error") && f.Str("id") == id
		}); got.Type() != "ack" {
			t.Fatalf("%v: %v", f, got)
		}
	}
	send := func(c *servertest.JSONClient, id, text string, replyTo uint64) {
		t.Helper()
		f := servertest.Frame{"type": "send", "room": "builds", "id": id, "text": text}
		if replyTo > 0 {
			f["reply_to"] = replyTo
		}
		stored(c, f)
	}
	react := func(c *servertest.JSONClient, id string, seq uint64, emoji string) {
		t.Helper()
		stored(c, servertest.Frame{"type": "react", "room": "builds", "seq": seq, "emoji": emoji, "id": id})
	}
	edit := func(c *servertest.JSONClient, id string, seq uint64, text string) {
		t.Helper()
		stored(c, servertest.Frame{"type": "edit", "room": "builds", "seq": seq, "text": text, "id": id})
	}
	ci.Join("builds", nil)
	bob.Join("builds", nil)
	send(ci, "c1", "build 3 failed", 0) // #1, from a bot
	send(bob, "b1", "looking", 1)       // #2, a reply
	react(bob, "b2", 1, "👍")            // #3

	// ann's join prints #1 and #2 from the room's history; the rest comes live.
	ann, _ := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "builds", s.WS})...)
	ann.WaitOutput(t, "[builds] #1 ci (bot): build 3 failed (1 reply) [👍 1]\n", "[builds] #2 bob ↪ #1: looking\n")
	send(bob, "b3", "flaky test?", 1) // #4, a reply that came live
	react(bob, "b4", 1, "🎉")          // #5
	react(bob, "b5", 4, "👀")          // #6, on a message that came live
	edit(ci, "c2", 1, "build 3 passed")
	edit(bob, "b6", 2, "looked")
	edit(bob, "b7", 4, "flaky test")
	live := map[uint64]string{
		1: "[builds] #1 ci (bot): build 3 passed (edited) (2 replies) [👍 1 🎉 1]",
		2: "[builds] #2 bob ↪ #1: looked (edited)",
		4: "[builds] #4 bob ↪ #1: flaky test (edited) [👀 1]",
	}
	ann.WaitOutput(t, live[1]+"\n", live[2]+"\n", live[4]+"\n")

	out, stderr, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "cy"), []string{"--room", "builds", s.WS})...)
	if err != nil {
		t.Fatalf("cy: %v\n%s", err, stderr)
	}
	for seq, want := range live {
		if got := chattest.Lines(out, fmt.Sprintf("[builds] #%d ", seq)); len(got) != 1 || got[0] != want {
			t.Errorf("the history printed #%d as %q; ann's live edit printed %q", seq, got, want)
		}
	}
}

func TestChatLogLines(t *testing.T) {
	label := new(roomTitles).label // no DM known: each room as it is
	at := wire.Time{Time: time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		m    wire.Message
		want string
	}{
		{wire.Message{Room: "r", Seq: 3, From: "ann", Text: "hi"}, "[r] #3 ann: hi"},
		{wire.Message{Room: "r", Seq: 4, From: "ann", Text: "re", ReplyTo: 3}, "[r] #4 ann ↪ #3: re"},
		{wire.Message{Room: "r", Seq: 5, From: "ann", Text: "x", EditedAt: at}, "[r] #5 ann: x (edited)"},
		{wire.Message{Room: "r", Seq: 6, From: "ann", Deleted: true, ReplyTo: 2, EditedAt: at}, "[r] #6 ann ↪ #2: (message deleted)"},
		{wire.Message{Room: "r", Seq: 7, From: "ann", Text: "y", Reactions: []wire.Reaction{{Emoji: "👍", Count: 2}, {Emoji: ":tada:", Count: 1}}},
			"[r] #7 ann: y [👍 2 :tada: 1]"},
		{wire.Message{Room: "r", Seq: 9, From: "ann", Text: "q", ReplyCount: 1, Reactions: []wire.Reaction{{Emoji: "👍", Count: 1}}},
			"[r] #9 ann: q (1 reply) [👍 1]"},
		{wire.Message{Room: "r", Seq: 10, From: "ann", Text: "q", ReplyCount: 3}, "[r] #10 ann: q (3 replies)"},
		// A bot's message says so.
		{wire.Message{Room: "r", Seq: 11, From: "ci", Text: "green", Bot: true, ReplyTo: 10}, "[r] #11 ci (bot) ↪ #10: green"},
		// Control characters never reach the terminal.
		{wire.Message{Room: "r", Seq: 8, From: "a\x1b[31m", Text: "t\x1b[2J\nu"}, "[r] #8 a [31m: t [2J u"},
	} {
		if got := messageLine(&c.m, label); got != c.want {
			t.Errorf("messageLine(%+v) = %q, want %q", c.m, got, c.want)
		}
	}
	for _, c := range []struct {
		from, me, author, want string
	}{
		{"", "ann", "bob", "* #2 in r was deleted"}, // a server before the room log says not who
		{"ann", "ann", "ann", "* you deleted #2 in r"},
		{"Ann", "ann", "", "* you deleted #2 in r"},
		{"ann", "ann", "bob", "* you deleted bob's message #2 in r"},
		{"bob", "ann", "bob", "* bob deleted #2 in r"},
		{"mod", "ann", "bob", "* mod deleted bob's message #2 in r"},
		{"mod", "ann", "ann", "* mod deleted your message #2 in r"},
		{"mod", "ann", "", "* mod deleted #2 in r"},
	} {
		if got := deletedLine(&wire.Deleted{Room: "r", Seq: 2, From: c.from}, label, c.me, c.author); got != c.want {
			t.Errorf("deletedLine(from %q, me %q, author %q) = %q, want %q", c.from, c.me, c.author, got, c.want)
		}
	}
	got := reactedLines(&wire.Reacted{Room: "r", LogSeq: 9, Changes: []wire.ReactionChange{
		{LogSeq: 8, Seq: 1, Emoji: "👍", From: "ann", Added: true, Count: 3},
		{LogSeq: 9, Seq: 2, Emoji: "🎉", From: "bob", Added: false, Count: 0},
	}}, label, "carol")
	if want := []string{"* ann reacted 👍 to #1 in r [👍 3]", "* bob took back 🎉 on #2 in r"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("reactedLines = %q, want %q", got, want)
	}
	// My own reactions, from this device or another, read "you" (as a deletion does).
	got = reactedLines(&wire.Reacted{Room: "r", LogSeq: 9, Changes: []wire.ReactionChange{
		{LogSeq: 8, Seq: 1, Emoji: "👍", From: "Ann", Added: true, Count: 3},
		{LogSeq: 9, Seq: 2, Emoji: "🎉", From: "ann", Added: false, Count: 0},
	}}, label, "ann")
	if want := []string{"* you reacted 👍 to #1 in r [👍 3]", "* you took back 🎉 on #2 in r"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("reactedLines for me = %q, want %q", got, want)
	}
	for in, want := range map[string]uint64{"12": 12, "#12": 12} {
		if n, err := parseSeq(in); err != nil || n != want {
			t.Errorf("parseSeq(%q) = %d, %v", in, n, err)
		}
	}
	for _, in := range []string{"", "0", "#", "-1", "1.5", "x", "99999999999999999999"} {
		if _, err := parseSeq(in); err == nil {
			t.Errorf("parseSeq(%q) accepted", in)
		}
	}
}

// TestChatPipedWaitsForItsOwnReactions: a piped chat prints what it sent before it exits — a
// server holds live reactions for --reaction-window to send a burst as one frame, so the
// reacted came after the ack, and the chat used to exit between them with half its output.
// A reaction taken back to no one says so without a count of 0.
func TestChatPipedWaitsForItsOwnReactions(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{ReactionWindow: 300 * time.Millisecond}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Say("general", "b1", "hello") // #1

	// A piped command waits for them too, so a script's output reads in the script's order.
	out, stderr, err := chatToEnd(t, "/react 1 :star:\n/who\n/react 1 :star:\n", chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("ann: %v\n%s", err, stderr)
	}
	want := []string{"* you reacted :star: to #1 in general [:star: 1]", "* members of general: ann, bob", "* you took back :star: on #1 in general"}
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "* you reacted") || strings.HasPrefix(l, "* you took back") || strings.HasPrefix(l, "* members of") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ann printed %q, want %q\nall output:\n%s", got, want, out)
	}
}

// TestChatTakesBackAReactionFromBeforeTheOneEmojiRule: a reaction stored before reactions had
// to be one emoji ("👍👍") is taken back from the terminal as from the page — the chat used to
// refuse it before sending — while adding such a reaction is still refused, by the server, and
// the refusal says why.
func TestChatTakesBackAReactionFromBeforeTheOneEmojiRule(t *testing.T) {
	chattest.LeakCheck(t)
	s, _, ann, typeLine := afterBobsHello(t)
	typeLine("hi")
	ann.WaitOutput(t, "ann: hi\n")
	log, err := s.Store.Since(t.Context(), "general", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	user := log[len(log)-1].User // ann's, from her message
	old := &hubbub.Entry{Kind: hubbub.KindReaction, Room: "general", From: "ann", User: user, Target: 1, Emoji: "👍👍"}
	if _, _, _, err := s.Store.Append(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	typeLine("/react 1 👍👍")
	ann.WaitOutput(t, "* you took back 👍👍 on #1 in general\n")
	typeLine("/react 1 👍👍")
	ann.WaitErr(t, "not several")
	ann.WaitErr(t, "(bad_field)\n")
	typeLine("/react 1 👍a")
	ann.WaitErr(t, `* /react: "👍a" is not a reaction`)
}

// TestChatPipedEchoWaitEndsWhileOthersTalk: at the end of input a piped chat waits for its own
// writes to print for --ack-timeout in all, not since the last print. Here the echo never
// comes — a reaction held by a --reaction-window of an hour, in a quiet room — while bob keeps
// talking in another room the chat is in, so it prints all the time: the chat must end while
// he still talks (it used to wait as long as anyone talked).
func TestChatPipedEchoWaitEndsWhileOthersTalk(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{
		Server: server.Config{SendRate: 1e6, SendBurst: 1e6},
		Hub:    hub.Config{ReactionWindow: time.Hour},
	})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("quiet", nil)
	bob.Say("quiet", "q1", "react to me") // #1
	bob.Join("busy", nil)

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var out, errOut chattest.Buffer
	go func() {
		done <- runChat(t.Context(), chattest.Args(chattest.User(t, "ann"), []string{"--room", "busy", "--ack-timeout", "1s", s.WS}),
			IO{In: pr, Out: &out, Err: &errOut})
	}()
	if _, err := io.WriteString(pw, "/join quiet\n/react 1 👍\n"); err != nil {
		t.Fatal(err)
	}
	pw.Close() // the end of input: the chat waits for its reaction's echo

	// bob talks in busy until the chat ends, for at most a minute.
	stop := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("chat: %v\n%s", err, errOut.String())
			}
			if strings.Contains(out.String(), "reacted") {
				t.Errorf("the reaction printed, held for an hour:\n%s", out.String())
			}
			return
		default:
		}
		if time.Now().After(stop) {
			t.Fatalf("the piped chat was still waiting for its echo after bob talked for a minute:\n%s", errOut.String())
		}
		bob.Say("busy", fmt.Sprint("b", i), fmt.Sprint("busy ", i))
		time.Sleep(10 * time.Millisecond)
	}
}

// Deletions read as the reader would say them (found by s29-chat): ann's own printed "message
// 2 in general was deleted by ann", her own name; now "you deleted #2", and a moderator's
// deletion names the moderator and whose message it was.
func TestChatDeletionsSayWho(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	run, say := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	run.WaitOutput(t, "* you joined general")
	del := func(c *servertest.JSONClient, id string, seq int) {
		t.Helper()
		c.Send(servertest.Frame{"type": "delete", "room": "general", "seq": seq, "id": id})
	}

	bob.Say("general", "b1", "one") // #1
	run.WaitOutput(t, "[general] #1 bob: one\n")
	del(bob, "b2", 1) // #2
	run.WaitOutput(t, "* bob deleted #1 in general\n")
	say("mine") // #3
	run.WaitOutput(t, "[general] #3 ann: mine\n")
	say("/delete 3") // #4
	run.WaitOutput(t, "* you deleted #3 in general\n")
	bob.Say("general", "b3", "rude") // #5
	run.WaitOutput(t, "[general] #5 bob: rude\n")
	del(mod, "m1", 5) // #6
	run.WaitOutput(t, "* mod deleted bob's message #5 in general\n")
	say("oops") // #7
	run.WaitOutput(t, "[general] #7 ann: oops\n")
	del(mod, "m2", 7) // #8
	run.WaitOutput(t, "* mod deleted your message #7 in general\n")
	if got := run.Out.String(); strings.Contains(got, "deleted by") {
		t.Errorf("a deletion said the old way:\n%s", got)
	}
}

// /react takes an emoji's name as the page's picker names it and as short codes spell it
// (found by s29-chat): "/react 1 :+1:" added a reaction of its own, shown as ":+1:" beside the
// page's 👍, and "/react 1 thumbsup" was refused for holding letters. Now both are the 👍
// everyone counts; another :short_name: still goes as it is (the server takes it), and a word
// that names no emoji is refused with what is taken.
func TestChatReactTakesEmojiNames(t *testing.T) {
	chattest.LeakCheck(t)
	_, bob, ann, typeLine := afterBobsHello(t)
	bob.Send(servertest.Frame{"type": "react", "room": "general", "seq": 1, "emoji": "👍", "id": "b2"})
	ann.WaitOutput(t, "* bob reacted 👍 to #1 in general [👍 1]\n")
	typeLine("/react 1 :+1:")
	ann.WaitOutput(t, "* you reacted 👍 to #1 in general [👍 2]\n")
	typeLine("/react 1 thumbsup")
	ann.WaitOutput(t, "* you took back 👍 on #1 in general [👍 1]\n")
	typeLine("/react 1 :Tada:")
	ann.WaitOutput(t, "* you reacted 🎉 to #1 in general [🎉 1]\n")
	typeLine("/react 1 heart")
	ann.WaitOutput(t, "* you reacted ❤️ to #1 in general [❤️ 1]\n")
	typeLine("/react 1 :party_parrot:")
	ann.WaitOutput(t, "* you reacted :party_parrot: to #1 in general [:party_parrot: 1]\n")
	typeLine("/react 1 thumbsupp")
	ann.WaitErr(t, `* /react: "thumbsupp" is not a reaction: give one emoji (👍), the name of one (thumbsup or :+1:, heart`)
	typeLine("/react 1 :Party!:")
	ann.WaitErr(t, `* /react: ":Party!:" is not a reaction: a :short_name: may hold only a-z, 0-9`)
	if got := ann.Out.String(); strings.Contains(got, ":+1:") || strings.Contains(got, "thumbsup") {
		t.Errorf("a name was sent as the reaction:\n%s", got)
	}
}

// A refusal names the room the command went to, unless the server's words do (found by
// s29-chat): "/edit 3 …" typed for the DM one had in mind, with another room current, said
// "the room has no message 3", which read as the DM.
func TestChatRefusalNamesTheRoom(t *testing.T) {
	chattest.LeakCheck(t)
	_, _, ann, typeLine := afterBobsHello(t)
	typeLine("/join other")
	ann.WaitOutput(t, "* you joined other")
	typeLine("/edit 1 hello all")
	ann.WaitErr(t, "* refused in other: the room has no message 1 (not_found)\n")
}

// TestChatTakesBackAReactionHeldUnderAnotherSpelling: a reaction stored under an emoji's name
// (":+1:", by another client or the API) is taken back by /react with that name, or with the
// emoji (found by s30-chat): the chat reads every spelling as the emoji, so it sent 👍, which
// the server added beside the :+1:, and no /react could take the :+1: back. A reaction held as
// the emoji is still taken back by its name, and one not held is added as the emoji.
func TestChatTakesBackAReactionHeldUnderAnotherSpelling(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Say("general", "b1", "hello") // #1
	args := chattest.User(t, "ann")
	ann, say := typedChat(t, chattest.Args(args, []string{s.WS})...)
	ann.WaitOutput(t, "[general] #1 bob: hello\n")

	// ann's other device, an older client that sends the names as they are.
	key, err := os.ReadFile(args[3])
	if err != nil {
		t.Fatal(err)
	}
	device := servertest.DialJSON(t, s, "")
	device.Send(servertest.Frame{"type": "hello", "name": "ann", "key": strings.TrimSpace(string(key))})
	device.Await("welcome")
	device.Join("general", nil)
	react := func(id, emoji string) {
		t.Helper()
		device.Send(servertest.Frame{"type": "react", "room": "general", "seq": 1, "emoji": emoji, "id": id})
		device.AwaitFunc("the ack of "+id, func(f servertest.Frame) bool { return f.Type() == "ack" && f.Str("id") == id })
	}

	react("d-1", ":+1:")
	ann.WaitOutput(t, "* you reacted :+1: to #1 in general [:+1: 1]\n")
	say("/react 1 :+1:")
	ann.WaitOutput(t, "* you took back :+1: on #1 in general\n")
	react("d-2", ":thumbsup:")
	ann.WaitOutput(t, "* you reacted :thumbsup: to #1 in general [:thumbsup: 1]\n")
	say("/react 1 👍")
	ann.WaitOutput(t, "* you took back :thumbsup: on #1 in general\n")
	react("d-3", "❤") // the heart without its variation selector, which the page's has
	ann.WaitOutput(t, "* you reacted ❤ to #1 in general [❤ 1]\n")
	say("/react 1 heart")
	ann.WaitOutput(t, "* you took back ❤ on #1 in general\n")
	say("/react 1 thumbsup")
	ann.WaitOutput(t, "* you reacted 👍 to #1 in general [👍 1]\n")
	say("/react 1 :+1:")
	ann.WaitOutput(t, "* you took back 👍 on #1 in general\n")
	if got := ann.Out.String(); strings.Count(got, "* you reacted") != 4 { // the device's three, and thumbsup
		t.Errorf("a /react added a reaction it was to take back:\n%s", got)
	}
}

// historyReads counts the store's reads of one message before a seq: a history request for
// one message (hub.History reads one more, to say whether older ones remain).
type historyReads struct {
	hubbub.Store
	n *atomic.Int64
}

func (h historyReads) Before(ctx context.Context, room string, before uint64, limit int) ([]hubbub.Entry, error) {
	if limit == 2 {
		h.n.Add(1)
	}
	return h.Store.Before(ctx, room, before, limit)
}

// /react of an emoji with several spellings asked the server, with a history request, which
// spelling of it I hold, each time, though the chat had printed the message and every change
// of it since. It asks only when it does not know now: a message it did not print (older than
// the history it printed), and it still takes back what I hold there.
func TestChatReactKnowsWhatIHoldWithoutAsking(t *testing.T) {
	chattest.LeakCheck(t)
	var reads atomic.Int64
	s := servertest.Start(t, servertest.Options{WrapStore: func(st hubbub.Store) hubbub.Store { return historyReads{st, &reads} }})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Say("general", "b1", "old")   // #1, before the history ann's chat prints
	bob.Say("general", "b2", "hello") // #2
	args := chattest.User(t, "ann")
	ann, say := typedChat(t, chattest.Args(args, []string{"--history", "1", s.WS})...)
	ann.WaitOutput(t, "[general] #2 bob: hello\n")

	key, err := os.ReadFile(args[3]) // ann's other device, which sends a name as it is
	if err != nil {
		t.Fatal(err)
	}
	device := servertest.DialJSON(t, s, "")
	device.Send(servertest.Frame{"type": "hello", "name": "ann", "key": strings.TrimSpace(string(key))})
	device.Await("welcome")
	device.Join("general", nil)
	for i, seq := range []uint64{1, 2} {
		id := fmt.Sprint("d-", i)
		device.Send(servertest.Frame{"type": "react", "room": "general", "seq": seq, "emoji": ":+1:", "id": id})
		device.AwaitFunc("the ack of "+id, func(f servertest.Frame) bool { return f.Type() == "ack" && f.Str("id") == id })
	}
	ann.WaitOutput(t, "* you reacted :+1: to #2 in general [:+1: 1]\n")
	start := reads.Load()

	say("/react 2 👍") // the :+1: it printed is mine
	ann.WaitOutput(t, "* you took back :+1: on #2 in general\n")
	say("/react 2 thumbsup")
	ann.WaitOutput(t, "* you reacted 👍 to #2 in general [👍 1]\n")
	say("/react 2 :+1:")
	ann.WaitOutput(t, "* you took back 👍 on #2 in general\n")
	if n := reads.Load() - start; n != 0 {
		t.Errorf("/react of a message the chat printed, with every change since, read it from the store %d times, want 0", n)
	}
	say("/react 1 👍") // not printed: the server says
	ann.WaitOutput(t, "* you took back :+1: on #1 in general\n")
	if n := reads.Load() - start; n != 1 {
		t.Errorf("/react of a message the chat did not print read it from the store %d times, want 1", n)
	}
}

// TestChatNumbersAreTheRoomsOfTheLinesShown: in a terminal a bare number is the current room's,
// unless the last message line that showed it since is another room's (found by s30-chat): a
// DM someone else started printed "[@ann] #3 ann: hello bob" while bob's lines went to
// general, and his "/reply 3 …" answered general's #3 — the DM's first message is #3, its log
// beginning with the members. Now that is refused, naming both rooms, and ROOM#SEQ names the
// message of either.
func TestChatNumbersAreTheRoomsOfTheLinesShown(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("general", nil)
	for i, text := range []string{"one", "two", "three"} {
		ann.Say("general", fmt.Sprint("a-", i), text) // #1 to #3
	}
	bob, say := typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "[general] #3 ann: three\n")

	ann.Send(servertest.Frame{"type": "dm", "names": []string{"bob"}})
	dm := ann.AwaitFunc("the DM", func(f servertest.Frame) bool { return f.Type() == "room" && f["dm"] == true }).Str("room")
	ann.Join(dm, nil)
	ann.Say(dm, "a-dm", "hello bob") // #3: #1 and #2 are its members
	bob.WaitOutput(t, "[@ann] #3 ann: hello bob\n")

	say("/reply 3 glad to hear from you")
	bob.WaitErr(t, "* /reply: the #3 shown last is in @ann, not general, where lines go: give @ann#3, or general#3\n")
	say("/reply @ann#3 glad to hear from you")
	bob.WaitOutput(t, "[@ann] #4 bob ↪ #3: glad to hear from you\n")
	say("/react general#3 👍")
	bob.WaitOutput(t, "* you reacted 👍 to #3 in general [👍 1]\n")
	if got := chattest.Lines(bob.Out.String(), "[general]"); len(got) != 3 {
		t.Errorf("bob's /reply went to general: %q", got)
	}
	// Turned to the DM, its numbers are the ones typed, whatever showed them before.
	say("/dm ann")
	bob.WaitErr(t, "* lines you type go to @ann now\n")
	say("/edit 4 glad, truly")
	bob.WaitOutput(t, "[@ann] #4 bob ↪ #3: glad, truly (edited)\n")
	say("/react 3 👀")
	bob.WaitOutput(t, "* you reacted 👀 to #3 in @ann [👀 1]\n")
	say("/react bad!room#3 👀")
	bob.WaitErr(t, `* /react: "bad!room#3" is not a message: "bad!room" is not a room`)
}

// A number is checked against the lines shown since the current room became current, and a
// chat remembers a bounded number of them.
func TestShownNumbers(t *testing.T) {
	var n shownNumbers
	n.current("general")
	n.saw("general", 3)
	if _, ok := n.elsewhere("general", 3); ok {
		t.Error("general's #3 was taken for another room's in general")
	}
	n.saw("dm.1", 3)
	if room, ok := n.elsewhere("General", 3); !ok || room != "dm.1" {
		t.Errorf("elsewhere after the DM's #3 = %q, %v", room, ok)
	}
	n.current("dm.1")
	n.current("dm.1") // again: still current since the first
	if _, ok := n.elsewhere("dm.1", 3); ok {
		t.Error("the DM's own #3 was taken for another room's")
	}
	n.current("general")
	if _, ok := n.elsewhere("general", 3); ok {
		t.Error("a line shown before general became current counted")
	}
	for seq := range uint64(maxNumbers + 10) {
		n.saw("other", seq+10)
	}
	if len(n.last) != maxNumbers || len(n.order) != maxNumbers {
		t.Errorf("remembers %d numbers (%d in order), want %d", len(n.last), len(n.order), maxNumbers)
	}
}

// A script's summary names what it sent by kind: its edits, deletions and reactions were
// counted as messages, so a script that sent one message and had a /delete and a /react
// refused ended "2 of 5 messages were refused", though its one message had gone through.
func TestChatPipedSummaryCountsWritesByKind(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	in := "one\n/edit 1 one, edited\n/react 1 👍\n/delete 99\n/react 98 👍\n"
	_, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "ann"), []string{"--room", "notes", s.WS})...)
	want := "chat: 1 of 1 deletions and 1 of 2 reactions were refused; the first: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("the script ended with %v, want %q…\n%s", err, want, stderr)
	}
	if strings.Contains(err.Error(), "messages") {
		t.Errorf("the summary counts messages, and none was refused: %v", err)
	}
}
