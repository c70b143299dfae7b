package termchat

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"hubbub/internal/chattest"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// ann's `hubbub chat` searches her rooms and one room with /search, sees each hit as
// "[room] #SEQ name TIME: snippet" with the matched word in stars (a message's control
// characters never reach the terminal), pages with /search --more, and is told when a search
// is refused.
func TestChatSearch(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db"),
		Server: server.Config{SearchRate: 1e6, SearchBurst: 1e6, SendRate: 1e6, SendBurst: 1e6}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Join("ops", nil)
	for i, m := range []struct{ room, text string }{
		{"general", "the deploy is at noon"},
		{"ops", "deploy\x1b[31m done"},
		{"general", "lunch?"},
	} {
		if f := bob.Say(m.room, fmt.Sprintf("b-%d", i), m.text); f.Type() != "ack" {
			t.Fatalf("bob's message: %v", f)
		}
		// Newest first across rooms orders by the time in milliseconds, then by room: two
		// messages acked within one millisecond would tie, and general sorts before ops.
		// The next message is sent in a later millisecond, so the order asserted below is
		// the order they were sent in.
		time.Sleep(2 * time.Millisecond)
	}
	ann := chattest.User(t, "ann")
	run, say := typedChat(t, chattest.Args(ann, []string{"--room", "ops", s.WS})...)
	run.WaitOutput(t, "* you joined ops")
	say("/join general")
	run.WaitOutput(t, "* you joined general")

	say("/search deploy")
	run.WaitOutput(t, "* messages matching \"deploy\" in your rooms:\n")
	when := `\d{4}-\d\d-\d\d \d\d:\d\d`
	want := regexp.MustCompile(`\[ops\] #1 bob ` + when + `: \*deploy\* \[31m done\n\[general\] #1 bob ` + when + `: the \*deploy\* is at noon\n`)
	run.WaitOutputMatch(t, want)

	say("/search #general lunch")
	run.WaitOutputMatch(t, regexp.MustCompile(`\* messages matching "lunch" in general:\n\[general\] #2 bob `+when+`: \*lunch\*\?\n`))

	say("/search nothing-like-it")
	run.WaitOutput(t, "* no message matches \"nothing-like-it\" in your rooms\n")
	say("/search --more")
	run.WaitErr(t, "* /search: no more results for \"nothing-like-it\"")
	say("/search")
	run.WaitErr(t, "* usage: /search [#ROOM] TEXT, or /search --more")
	say("/search #general") // the room, with no text: not a search for "#general"
	run.WaitErr(t, "* /search: say what to find in #general: /search #general TEXT\n")
	say("/search #ops lunch")
	run.WaitOutput(t, "* no message matches \"lunch\" in ops\n")
	say("/search #secret deploy") // a room that does not exist is not found, not an empty page
	run.WaitErr(t, "* /search: no room \"secret\" (not_found)")
	say("/search !!!")
	run.WaitErr(t, "* /search: ") // the store says why
	run.WaitErr(t, " (empty)\n")

	// A page holds 20 hits; --more asks for the rest.
	for i := range 20 {
		if f := bob.Say("general", fmt.Sprintf("c-%d", i), fmt.Sprintf("deploy again %d", i)); f.Type() != "ack" {
			t.Fatalf("bob's message: %v", f)
		}
	}
	// ann's chat prints bob's messages as they come, from another goroutine than a search's
	// answer: once they are all printed, they cannot come between the pages below.
	run.WaitOutput(t, "[general] #22 bob: deploy again 19\n")
	say("/search deploy")
	run.WaitOutputMatch(t, regexp.MustCompile(`\[general\] #22 bob `+when+`: \*deploy\* again 19\n(.*\n){19}\* more: /search --more\n`))
	say("/search --more")
	run.WaitOutputMatch(t, regexp.MustCompile(`more: /search --more\n\* messages matching "deploy" in your rooms:\n\[ops\] #1 bob `+when+`: .*\n\[general\] #1 bob `+when+`: .*\n`))
}

// A script pipes lines and then searches them: the search waits for the lines before it to be
// stored, so it finds every one, and /search --more pages through the rest; a --more before
// any search or past the last page says so.
func TestChatPipedSearchFindsTheLinesBeforeIt(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db"),
		Server: server.Config{SearchRate: 1e6, SearchBurst: 1e6, SendRate: 1e6, SendBurst: 1e6}})
	var in strings.Builder
	in.WriteString("/search --more\n")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&in, "zebra number %d\n", i)
	}
	in.WriteString("/search zebra\n/search --more\n/search --more\n")
	out, stderr, err := chatToEnd(t, in.String(), chattest.Args(chattest.User(t, "carl"), []string{"--room", "zoo", s.WS})...)
	// The --more before any search failed (the run says so); the one past the last page is
	// an answer, not a failure.
	if err == nil || err.Error() != "chat: 1 command failed: /search: no more results: search for something first" {
		t.Fatalf("hubbub chat: %v\nstderr:\n%s", err, stderr)
	}
	var hits []string
	for _, l := range chattest.Lines(out, "[zoo] #") {
		if strings.Contains(l, "*zebra*") {
			hits = append(hits, strings.Fields(l)[1])
		}
	}
	want := make([]string, 25)
	for i := range want {
		want[i] = fmt.Sprintf("#%d", 25-i)
	}
	if !reflect.DeepEqual(hits, want) {
		t.Errorf("the hits of /search and /search --more: %q, want #25 down to #1\nstdout:\n%s", hits, out)
	}
	if !strings.Contains(stderr, `* /search: no more results for "zebra"`) ||
		!strings.Contains(stderr, "* /search: no more results: search for something first") {
		t.Errorf("a --more before any search and past the last page; stderr:\n%s", stderr)
	}
}

// A DM prints as "[@bob]" in live lines, but /search printed its hits as "[dm.ce36…]", and a
// command that takes a room took only that id: /join @bob was bad_room, /who @bob "you have
// not joined room "@bob"", /search #@bob bad_room. Hits are labelled as live lines now, and
// "@bob" names the DM with bob wherever a command takes a room; a DM the user does not have
// is refused with the /dm that starts it.
func TestChatNamesADMAsItShowsIt(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db"),
		Server: server.Config{SearchRate: 1e6, SearchBurst: 1e6}})
	servertest.DialJSON(t, s, "bob") // a user ann can DM
	ann := chattest.User(t, "ann")
	out, stderr, err := chatToEnd(t, "/dm bob\nprivate words for bob\n", chattest.Args(ann, []string{s.WS})...)
	if err != nil || !strings.Contains(out, "[@bob] #3 ann: private words for bob\n") { // after two members
		t.Fatalf("ann's DM: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr)
	}

	// The next run knows the DM from ann's list of rooms, as the tester's did.
	in := "/search private\n/search #@bob private\n/join @BOB\n/who @bob\n/search #general private\n/leave @bob\n/who @carol\n"
	out, stderr, err = chatToEnd(t, in, chattest.Args(ann, []string{s.WS})...)
	hit := regexp.MustCompile(`(?m)^\[@bob\] #3 ann \d{4}-\d\d-\d\d \d\d:\d\d: \*private\* words for bob$`)
	if n := len(hit.FindAllString(out, -1)); n != 2 {
		t.Errorf("%d hits labelled [@bob], want 2 (/search, /search #@bob):\n%s", n, out)
	}
	for _, want := range []string{
		"* messages matching \"private\" in your rooms:\n",
		"* messages matching \"private\" in @bob:\n",
		"* members of @bob: ann\n",
		"* you joined @bob; members: ann\n",
		"* you left @bob\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout has no %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "[dm.") || strings.Contains(stderr, "bad_room") || strings.Contains(stderr, "not joined") {
		t.Errorf("a DM named by its id, or @bob refused:\nstdout:\n%s\nstderr:\n%s", out, stderr)
	}
	if want := "* /who: no direct message with carol: /dm carol starts one\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr has no %q:\n%s", want, stderr)
	}
	if err == nil || err.Error() != "chat: 1 command failed: /who: no direct message with carol: /dm carol starts one" {
		t.Errorf("the run ended with %v, want the /who of a DM ann does not have failed", err)
	}
}
