package termchat

import (
	"slices"
	"strings"
	"testing"
	"time"

	"hubbub/internal/chattest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/wire"
)

// What a message's line shows follows the log as a fresh join would read the message after
// it: an emoji no one holds any more goes, and one added again comes last; a fresh join's
// message keeps the replies it counts, a live one counts those that come; mine are marked.
func TestShownMessagesFollowTheLog(t *testing.T) {
	var s shownMessages
	label := new(roomTitles).label
	s.saw(&wire.Message{Room: "r", Seq: 1, From: "bob", ReplyCount: 2,
		Reactions: []wire.Reaction{{Emoji: "👍", Count: 1}, {Emoji: "🎉", Count: 2, Me: true}}}, true)
	s.saw(&wire.Message{Room: "r", Seq: 5, From: "cy", ReplyTo: 1, ReplyCount: 4}, false)
	s.saw(&wire.Message{Room: "r", Seq: 6, From: "cy", ReplyTo: 5}, false)
	s.reacted(&wire.Reacted{Room: "r", Changes: []wire.ReactionChange{
		{Seq: 1, Emoji: "👍", From: "bob", Count: 0},
		{Seq: 1, Emoji: "👀", From: "ann", Added: true, Count: 1},
		{Seq: 1, Emoji: "👍", From: "ann", Added: true, Count: 1},
		{Seq: 1, Emoji: "🎉", From: "ann", Count: 1},
	}}, "ann")
	for _, c := range []struct {
		seq  uint64
		want string
	}{
		{1, "[r] #1 bob: x (edited) (3 replies) [🎉 1 👀 1 👍 1]"},
		{5, "[r] #5 cy ↪ #1: x (edited) (1 reply)"},
	} {
		m, ok := s.edited(&wire.Edited{Room: "r", Seq: c.seq, From: "bob", Text: "x", Time: wire.Time{Time: time.Unix(1, 0)}})
		if !ok {
			t.Fatalf("#%d unknown", c.seq)
		}
		if got := messageLine(m, label); got != c.want {
			t.Errorf("#%d edited reads %q, want %q", c.seq, got, c.want)
		}
	}
	mine, _ := s.reactions("R", 1) // the room in another case is the same room
	var held []string
	for _, r := range mine {
		if r.Me {
			held = append(held, r.Emoji)
		}
	}
	if len(held) != 2 || held[0] != "👀" || held[1] != "👍" {
		t.Errorf("I hold %q, want 👀 and 👍 (🎉 taken back)", held)
	}
	if _, ok := s.edited(&wire.Edited{Room: "r", Seq: 9}); ok {
		t.Error("an edit of a message never printed was known")
	}
}

// A message that mentions me is marked on its line, as the page marks it: "! " before it,
// live, in the history a join prints, and on an edit that mentions me. A script reads the
// rest of the line as any other. Neither a message that mentions someone else nor one of my
// own that names me is marked; nor is a line a script parses otherwise changed.
func TestChatMarksMentionsOfMe(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{RoleFor: servertest.Roles("mod")}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	carol := servertest.DialJSON(t, s, "carol")
	carol.Join("general", nil)
	mod := servertest.DialJSON(t, s, "mod")
	mod.Join("general", nil)
	annArgs := chattest.Args(chattest.User(t, "ann"), []string{s.WS})
	ann, typeLine := typedChat(t, annArgs...)
	ann.WaitOutput(t, "* you joined general")

	say := func(c *servertest.JSONClient, id, text string) {
		t.Helper()
		if f := c.Say("general", id, text); f.Type() != "ack" {
			t.Fatalf("%s: %v", text, f)
		}
	}
	say(bob, "b1", "@ann look at this")     // #1
	say(bob, "b2", "@carol and not you")    // #2
	say(carol, "c1", "hi all")              // #3
	say(mod, "m1", "@room standup in five") // #4
	typeLine("@ann note to self")           // #5
	ann.WaitOutput(t, "[general] #5 ann: @ann note to self\n")
	bob.Send(servertest.Frame{"type": "edit", "room": "general", "seq": 2, "text": "@carol and @ann too", "id": "b3"}) // #6
	ann.WaitOutput(t, "! [general] #2 bob: @carol and @ann too (edited)\n")
	want := []string{
		"! [general] #1 bob: @ann look at this",
		"[general] #2 bob: @carol and not you",
		"[general] #3 carol: hi all",
		"! [general] #4 mod: @room standup in five",
		"[general] #5 ann: @ann note to self",
		"! [general] #2 bob: @carol and @ann too (edited)",
	}
	if got := chattest.Lines(ann.Out.String(), "[general]"); !slices.Equal(got, marked(want, false)) {
		t.Errorf("the unmarked lines:\n%q\nwant\n%q", got, marked(want, false))
	}
	if got := chattest.Lines(ann.Out.String(), mentionMark); !slices.Equal(got, marked(want, true)) {
		t.Errorf("the marked lines:\n%q\nwant\n%q", got, marked(want, true))
	}

	// The history ann's next run prints marks them too.
	out, stderr, err := chatToEnd(t, "", annArgs...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, line := range []string{"! [general] #1 bob: @ann look at this\n", "! [general] #2 bob: @carol and @ann too (edited)\n", "\n[general] #3 carol: hi all\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("the history has no %q:\n%s", line, out)
		}
	}
}

// marked returns the lines of want that start with mentionMark (or those that do not).
func marked(want []string, mark bool) []string {
	var out []string
	for _, l := range want {
		if strings.HasPrefix(l, mentionMark) == mark {
			out = append(out, l)
		}
	}
	return out
}

// A reply to my message is marked as a mention is: bob answers ann's message without naming
// her, and her line of it starts with the mark, live and in the history of her next run, as
// her page highlights it; his reply to carol's message, and his edit of his reply, follow. Before,
// a reply to her was a line like any other.
func TestChatMarksRepliesToMe(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	carol := servertest.DialJSON(t, s, "carol")
	carol.Join("general", nil)
	annArgs := chattest.Args(chattest.User(t, "ann"), []string{s.WS})
	ann, typeLine := typedChat(t, annArgs...)
	ann.WaitOutput(t, "* you joined general")

	typeLine("who has the keys?") // #1
	ann.WaitOutput(t, "[general] #1 ann: who has the keys?\n")
	if f := carol.Say("general", "c1", "and the map?"); f.Type() != "ack" { // #2
		t.Fatalf("carol: %v", f)
	}
	answer := func(id string, parent uint64, text string) {
		t.Helper()
		bob.Send(servertest.Frame{"type": "send", "room": "general", "id": id, "text": text, "reply_to": parent})
		if f := bob.AwaitFunc("ack "+id, func(f servertest.Frame) bool { return f.Type() == "ack" || f.Type() == "error" }); f.Type() != "ack" {
			t.Fatalf("bob's reply %s: %v", id, f)
		}
	}
	answer("b1", 1, "I do")       // #3
	answer("b2", 2, "in the car") // #4
	bob.Send(servertest.Frame{"type": "edit", "room": "general", "seq": 3, "text": "I do, in my pocket", "id": "b3"})
	ann.WaitOutput(t, "! [general] #3 bob ↪ #1: I do, in my pocket (edited)\n")
	want := []string{
		"[general] #1 ann: who has the keys?",
		"[general] #2 carol: and the map?",
		"! [general] #3 bob ↪ #1: I do",
		"[general] #4 bob ↪ #2: in the car",
		"! [general] #3 bob ↪ #1: I do, in my pocket (edited)",
	}
	if got := chattest.Lines(ann.Out.String(), "[general]"); !slices.Equal(got, marked(want, false)) {
		t.Errorf("the unmarked lines:\n%q\nwant\n%q", got, marked(want, false))
	}
	if got := chattest.Lines(ann.Out.String(), mentionMark); !slices.Equal(got, marked(want, true)) {
		t.Errorf("the marked lines:\n%q\nwant\n%q", got, marked(want, true))
	}

	out, stderr, err := chatToEnd(t, "", annArgs...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if line := "! [general] #3 bob ↪ #1: I do, in my pocket (edited)\n"; !strings.Contains(out, line) {
		t.Errorf("the history has no %q:\n%s", line, out)
	}
}
