package termchat

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"hubbub/internal/chattest"
	"hubbub/internal/hub"
	"hubbub/internal/servertest"
)

// annsPlans starts a server with cfg and has ann make the private room plans, whose log is:
// 1 her joining, 2 "first", 3 the topic, 4 bob's invitation, 5 "second", 6 carol's
// invitation, 7 eve's ban — a notice last. bob is the guest of a chat run with bobArgs
// before it all (and after that run, whose chat is not running). It returns the server and
// ann.
func annsPlans(t *testing.T, cfg hub.Config, bobArgs []string) (*servertest.Server, *servertest.JSONClient) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{Hub: cfg})
	if _, stderr, err := chatToEnd(t, "", append(bobArgs, s.WS)...); err != nil { // bob is a user now
		t.Fatalf("bob's first run: %v\n%s", err, stderr)
	}
	ann := servertest.DialJSON(t, s, "ann")
	servertest.DialJSON(t, s, "carol")
	servertest.DialJSON(t, s, "eve")
	ann.Send(servertest.Frame{"type": "create", "room": "plans", "private": true})
	ann.Await("room")
	if f := ann.Join("plans", nil); f.Type() != "joined" {
		t.Fatal(f)
	}
	requests := []servertest.Frame{
		{"type": "send", "room": "plans", "id": "m-1", "text": "first"},
		{"type": "topic", "room": "plans", "topic": "launch", "id": "t-1"},
		{"type": "invite", "room": "plans", "name": "bob", "id": "i-bob"},
		{"type": "send", "room": "plans", "id": "m-2", "text": "second"},
		{"type": "invite", "room": "plans", "name": "carol", "id": "i-carol"},
	}
	for i, f := range requests {
		ann.Send(f)
		ack := ann.AwaitFunc(fmt.Sprint(f["type"]), func(g servertest.Frame) bool {
			return (g.Type() == "ack" || g.Type() == "error") && g.Str("id") == f["id"]
		})
		if ack.Type() != "ack" || ack.Num("seq") != uint64(i+2) {
			t.Fatalf("%v: %v, want an ack of seq %d", f, ack, i+2)
		}
	}
	ann.Send(servertest.Frame{"type": "ban", "room": "plans", "name": "eve", "duration": "1h", "reason": "spam"})
	ann.AwaitFunc("the ban's entry", func(g servertest.Frame) bool { return g.Type() == "sanction_changed" && g.Num("log_seq") == 7 })
	return s, ann
}

// planLines returns the lines of out about plans: its messages and notices.
func planLines(out string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "[plans]") || strings.HasPrefix(l, "* ") && strings.Contains(l, " plans") && !strings.HasPrefix(l, "* you joined plans;") &&
			!strings.HasPrefix(l, "* you are invited") && !strings.HasPrefix(l, "*   ") && !strings.HasPrefix(l, "* your rooms") {
			got = append(got, l)
		}
	}
	return got
}

// matches reports whether each line of got starts with the line of want at its place.
func matches(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

// The history a join prints holds the room's notices among its messages, in the log's
// order, as the lines the live events print ("* ann set the topic of plans: launch", "* ann
// invited carol to plans", "* ann banned eve in plans until …"), each once: a notice of the
// join's history is not printed again live, and a live one after it prints once. Before,
// `hubbub chat` printed a room's past as its messages alone: who set the topic, who was
// invited and who was banned were lost with a restart of the chat.
func TestChatHistoryPrintsTheRoomsNotices(t *testing.T) {
	chattest.LeakCheck(t)
	bobArgs := chattest.User(t, "bob")
	s, ann := annsPlans(t, hub.Config{}, bobArgs)
	bob, _ := typedChat(t, chattest.Args(bobArgs, []string{"--room", "plans", s.WS})...)
	bob.WaitOutput(t, "* you joined plans", "* ann banned eve in plans until ")
	ann.Send(servertest.Frame{"type": "topic", "room": "plans", "topic": "later", "id": "t-2"})
	bob.WaitOutput(t, "* ann set the topic of plans: later\n")
	want := []string{
		"* ann is a member of plans now",
		"[plans] #2 ann: first",
		"* ann set the topic of plans: launch",
		"* ann invited you to plans",
		"[plans] #5 ann: second",
		"* ann invited carol to plans",
		"* ann banned eve in plans until ",
		"* you joined plans, accepting the invitation", // his own join: the history's, or live
		"* ann set the topic of plans: later",
	}
	if got := planLines(bob.Out.String()); !matches(got, want) {
		t.Errorf("bob's chat printed plans as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(bob.Out.String(), "not shown") {
		t.Errorf("every notice of the history was shown, but the chat says some were not:\n%s", bob.Out.String())
	}
}

// When the server left older notices of a join's history out (more than its
// --notice-limit), one line above that history says some were not shown; the newest are.
func TestChatHistorySaysNoticesWereLeftOut(t *testing.T) {
	chattest.LeakCheck(t)
	bobArgs := chattest.User(t, "bob")
	s, ann := annsPlans(t, hub.Config{NoticeLimit: 1}, bobArgs)
	bob, _ := typedChat(t, chattest.Args(bobArgs, []string{"--room", "plans", "--history", "1", s.WS})...)
	bob.WaitOutput(t, "* you joined plans", "[plans] #5 ann: second\n")
	// The history is "second" (#5) and the newest notice of the span after it; a live one
	// after it says that all before it has printed.
	ann.Send(servertest.Frame{"type": "topic", "room": "plans", "topic": "later", "id": "t-2"})
	bob.WaitOutput(t, "* ann set the topic of plans: later\n")
	out := bob.Out.String()
	got := planLines(out)
	want := "* some earlier events of plans (topic, membership and ban changes) are not shown"
	if i := slices.Index(got, want); i != 0 || strings.Count(out, "not shown") != 1 || len(got) < 3 || got[1] != "[plans] #5 ann: second" {
		t.Errorf("bob's chat printed plans as\n%s\nwant first, once, %q, then #5 and the newest notice", strings.Join(got, "\n"), want)
	}
	if strings.Contains(out, "invited carol") || strings.Contains(out, "topic of plans: launch") {
		t.Errorf("a notice the server left out was printed:\n%s", out)
	}
}
