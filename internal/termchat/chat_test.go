package termchat

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/chattest"
	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wire"
)

// refusingAddr refuses every connection: nothing listens on port 1 (only root may bind it, and
// no test does). A port freed by closing a listener would not do: another package's test
// server, running beside this one, can be given it.
const refusingAddr = "127.0.0.1:1"

// runChat runs the chat `hubbub chat args...` runs. The tests write each chat as the command
// line a person types; chatOptions reads it into Options as cmd/hubbub's chat.go does, for the
// flags the tests use (the command line's own checks and errors are cmd/hubbub's tests).
func runChat(ctx context.Context, args []string, io IO) error {
	o, err := chatOptions(args)
	if err != nil {
		return err
	}
	return Run(ctx, o, io)
}

// chatOptions reads args, flags and URLs in any order, into Options.
func chatOptions(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Name, "name", "", "")
	fs.StringVar(&o.Token, "token", "", "")
	fs.StringVar(&o.KeyFile, "key-file", "", "")
	fs.StringVar(&o.Room, "room", "", "")
	fs.IntVar(&o.History, "history", 20, "") // hubbub chat's default
	fs.DurationVar(&o.Wait, "wait", 0, "")
	fs.DurationVar(&o.AckTimeout, "ack-timeout", 0, "")
	fs.BoolVar(&o.Verbose, "verbose", false, "")
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if args = fs.Args(); len(args) == 0 {
			return o, nil
		}
		o.URLs, args = append(o.URLs, args[0]), args[1:]
	}
}

// runArgs is the chattest.Func of this package's tests: runChat on the streams given.
func runArgs(ctx context.Context, args []string, in io.Reader, out, errw io.Writer, tty bool) error {
	return runChat(ctx, args, IO{In: in, Out: out, Err: errw, TTY: tty})
}

// typedChat runs `hubbub chat args...` reading the lines the function it returns types, as
// a person types them (chattest.Typed); the test ends it with Stop (Ctrl-C), and its output
// is logged if the test failed.
func typedChat(t *testing.T, args ...string) (*chattest.Run, func(line string)) {
	t.Helper()
	return typedChatOn(t, IO{}, args...)
}

// typedChatOn is typedChat with TTY taken from io. An io.Out or io.Err given gets each write
// of that stream first, before the run's buffers (a test may hold one there).
func typedChatOn(t *testing.T, io IO, args ...string) (*chattest.Run, func(line string)) {
	t.Helper()
	return chattest.Typed(t, runArgs, chattest.Streams{Out: io.Out, Err: io.Err, TTY: io.TTY}, args...)
}

// chatToEnd runs `hubbub chat args...` on in to the end and returns its output and error.
func chatToEnd(t *testing.T, in string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return chattest.ToEnd(t, runArgs, in, args...)
}

func TestChatPipedLinesReachAnotherClient(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})

	// bob reads a pipe that stays open, like a terminal nobody types in.
	bob, _ := typedChat(t, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "* you joined general; members: bob\n")

	_, stderr, err := chatToEnd(t, "hello bob\n\n  second line  \n", chattest.Args(chattest.User(t, "alice"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("alice: %v\n%s", err, stderr)
	}
	bob.WaitOutput(t, "* alice joined general\n", "[general] #2 alice: second line\n")
	want := []string{"[general] #1 alice: hello bob", "[general] #2 alice: second line"}
	if got := chattest.Lines(bob.Out.String(), "[general]"); !reflect.DeepEqual(got, want) {
		t.Errorf("bob printed %q, want %q", got, want)
	}
	if err := bob.Stop(t); err != nil {
		t.Errorf("bob after Ctrl-C: %v", err)
	}

	// carol joins later: she gets the history, then waits a little before leaving.
	start := time.Now()
	out, stderr, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "carol"), []string{"--history", "5", "--wait", "200ms", s.WS})...)
	if err != nil {
		t.Fatalf("carol: %v\n%s", err, stderr)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("carol left after %v, before --wait was over", d)
	}
	if got := chattest.Lines(out, "[general]"); !reflect.DeepEqual(got, want) {
		t.Errorf("carol printed %q, want %q\n%s", got, want, out)
	}
	// A guest is a stored user now (issue 16), so the rooms list may come first; then her join.
	if !strings.HasPrefix(strings.TrimPrefix(out, "* your rooms: none yet\n"), "* you joined general; members: ") { // alice may not have left yet
		t.Errorf("carol's output does not start with her join:\n%s", out)
	}
	if !strings.Contains(stderr, "* connected to "+s.WS+" as carol") {
		t.Errorf("carol's stderr:\n%s", stderr)
	}
}

// `hubbub chat` with no --room starts in the server's room, hubbub.DefaultRoom (lobby), where
// the page opens (internal/e2e, TestBareAddressOpensMyRoomNotALeftLobby) and text clients talk.
// It started in general: a person who opened the page and one who ran the chat, neither naming
// a room, never met.
func TestChatStartsWhereThePageOpens(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	tess := servertest.DialText(t, s, "tess") // the original protocol, /classic's
	servertest.WaitMembers(t, s, hubbub.DefaultRoom, 1)

	out, stderr, err := chatToEnd(t, "hello tess\n", "--name", "ann", "--key-file", filepath.Join(t.TempDir(), "key"), s.WS)
	if err != nil {
		t.Fatalf("ann: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "* you joined "+hubbub.DefaultRoom+"; members: ann, tess\n") {
		t.Errorf("ann's chat did not start in %s with tess:\n%s", hubbub.DefaultRoom, out)
	}
	if got := tess.Lines(1); got[0] != "ann: hello tess" {
		t.Errorf("tess got %q, want ann's line", got)
	}
}

func TestChatCommands(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	in := strings.Join([]string{
		"/join random",
		"in random",
		"/who",
		"//starts with a slash",
		"/leave random",
		"back in general",
		"/who general",
		"/frobnicate",
		"/quit",
		"never sent",
	}, "\n")
	out, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "alice"), []string{s.WS})...)
	// An unknown command fails the script: what it was meant to do was not done.
	if err == nil || err.Error() != "chat: 1 command failed: unknown command /frobnicate (try /help)" {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{
		"* you joined random; members: alice\n",
		"* members of random: alice\n",
		"* you left random\n",
		"* members of general: alice\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "unknown command /frobnicate") {
		t.Errorf("stderr does not report the unknown command:\n%s", stderr)
	}
	// /join says where lines go, as /dm and /create do: the three take one path.
	if !strings.Contains(stderr, "* lines you type go to random now\n") {
		t.Errorf("stderr does not say that lines go to random after /join random:\n%s", stderr)
	}
	stored := func(room string) []string {
		msgs, err := s.Store.Before(context.Background(), room, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.From+": "+m.Text)
		}
		return texts
	}
	if got, want := stored("random"), []string{"alice: in random", "alice: /starts with a slash"}; !reflect.DeepEqual(got, want) {
		t.Errorf("random holds %q, want %q", got, want)
	}
	if got, want := stored("general"), []string{"alice: back in general"}; !reflect.DeepEqual(got, want) {
		t.Errorf("general holds %q, want %q", got, want)
	}
}

// bob stays through a server restart; alice's messages from before and after it are each
// printed once.
func TestChatReconnectsAndPrintsEachMessageOnce(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	bob, _ := typedChat(t, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	bob.WaitOutput(t, "* you joined general")

	alice := chattest.User(t, "alice")
	if _, stderr, err := chatToEnd(t, "before the restart\n", chattest.Args(alice, []string{s.WS})...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	bob.WaitOutput(t, "[general] #1 alice: before the restart\n")
	s = s.Restart()
	if _, stderr, err := chatToEnd(t, "after 1\nafter 2\nafter 3\n", chattest.Args(alice, []string{s.WS})...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	bob.WaitOutput(t, "[general] #4 alice: after 3\n")
	want := []string{
		"[general] #1 alice: before the restart",
		"[general] #2 alice: after 1",
		"[general] #3 alice: after 2",
		"[general] #4 alice: after 3",
	}
	if got := chattest.Lines(bob.Out.String(), "[general]"); !reflect.DeepEqual(got, want) {
		t.Errorf("bob printed %q, want %q", got, want)
	}
	if errs := bob.Err.String(); !strings.Contains(errs, "lost") || strings.Count(errs, "* connected to") != 2 {
		t.Errorf("bob's stderr does not tell of the reconnect:\n%s", errs)
	}
}

// A line whose send frame is larger than the server reads (its welcome's limits.frame) is
// refused by chat before sending, and the run fails over it; the connection stays up, and the
// next line is sent. Sent, the server closed the connection over it with 1009, and chat
// reconnected and resent it until its --ack-timeout.
func TestChatRefusesAMessageLargerThanTheServerReads(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: 2048}})
	in := strings.Repeat(`"`, 1500) + "\nafter it\n" // 1,500 quotes are 3,000 bytes as JSON
	_, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 messages were refused") || !strings.Contains(err.Error(), "--read-limit") {
		t.Fatalf("error %v, want one message of two refused over --read-limit\nstderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "not sent") || strings.Contains(stderr, "lost") {
		t.Errorf("stderr does not say the message was not sent, or the connection was lost:\n%s", stderr)
	}
	c := servertest.DialJSON(t, s, "bob")
	if got := c.Join("general", nil); got.Num("last_seq") != 1 {
		t.Errorf("general after the run: %v, want the line after it stored alone", got)
	}
}

// A server that never acknowledges: the chat gives up after --ack-timeout and fails.
func TestChatFailsWhenMessagesAreNotAcknowledged(t *testing.T) {
	chattest.LeakCheck(t)
	up := websocket.Upgrader{Subprotocols: []string{"hubbub.v1"}}
	var handlers sync.WaitGroup
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			var f map[string]any
			if err := c.ReadJSON(&f); err != nil {
				return
			}
			switch f["type"] {
			case "hello":
				_ = c.WriteJSON(map[string]any{"type": "welcome", "name": f["name"], "limits": map[string]any{"send_rate": 10, "send_burst": 20}})
			case "join":
				_ = c.WriteJSON(map[string]any{"type": "joined", "room": f["room"], "members": []string{"a"}})
			}
		}
	}))
	defer func() { silent.Close(); handlers.Wait() }()

	start := time.Now()
	_, _, err := chatToEnd(t, "lost 1\nlost 2\n", chattest.Args(chattest.User(t, "a"), []string{"--ack-timeout", "300ms", silent.URL})...)
	if err == nil || !strings.Contains(err.Error(), "2 of 2 messages were not acknowledged") {
		t.Errorf("error = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestChatKey(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir, err := os.UserConfigDir()
	if err != nil {
		t.Skip("no user config dir:", err)
	}
	key, err := chatKey("")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(key); err != nil || len(b) != 16 {
		t.Errorf("key %q is not 16 random bytes in hex", key)
	}
	path := filepath.Join(dir, "hubbub", "key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if again, err := chatKey(""); err != nil || again != key {
		t.Errorf("second run got %q, %v; want the same key %q", again, err, key)
	}
	other := filepath.Join(t.TempDir(), "sub", "key")
	if k, err := chatKey(other); err != nil || k == key {
		t.Errorf("--key-file gave %q, %v; want a new key", k, err)
	}
	if err := os.WriteFile(other, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := chatKey(other); err == nil {
		t.Error("an empty key file was accepted")
	}
}

func TestIsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, in := range []io.Reader{r, strings.NewReader("x"), &bytes.Buffer{}, null} {
		if isTerminal(in) {
			t.Errorf("isTerminal(%T) = true", in)
		}
	}
	if tty, err := os.Open("/dev/tty"); err == nil {
		defer tty.Close()
		if !isTerminal(tty) {
			t.Error("isTerminal(/dev/tty) = false")
		}
	}
}

// A message a moderator deletes shows as deleted: live, as a notice, and in the history a later
// client prints.
func TestChatShowsDeletedMessages(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: "test-api-key"}})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	bob.Say("general", "1", "a secret")
	watcher, _ := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "general", s.WS})...)
	watcher.WaitOutput(t, "[general] #1 bob: a secret\n")
	if code, _ := s.API("DELETE", "/api/rooms/general/messages/1", "test-api-key", nil); code != http.StatusOK {
		t.Fatalf("delete: status %d", code)
	}
	watcher.WaitOutput(t, "* a server admin deleted bob's message #1 in general\n") // a moderator's delete through the API
	out, stderr, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "cy"), []string{"--room", "general", s.WS})...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "[general] #1 bob: (message deleted)\n") || strings.Contains(out, "a secret") {
		t.Fatalf("history shows:\n%s", out)
	}
}

// In a crowded room the server lists only some members; chat says how many it left out.
func TestChatSaysHowManyMembersAreNotListed(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{PresenceLimit: 2}})
	for _, name := range []string{"m1", "m2", "m3"} {
		c := servertest.DialJSON(t, s, "")
		c.Send(servertest.Frame{"type": "hello", "name": name})
		c.Await("welcome")
		c.Join("general", nil)
	}
	out, stderr, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("chat: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, " and 2 more\n") { // 4 members, 2 listed
		t.Errorf("chat printed %q, want the join line to end with \" and 2 more\"", out)
	}
}

// Sixty lines piped faster than the server's send rate all arrive: the session waits and sends
// again when told it is too fast, and the chat does not call that a server error (it printed
// "* server error: sending too fast; slow down" though nothing was lost).
func TestChatPipedFasterThanTheRateLimitLosesNothingAndSaysNoError(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 20, SendBurst: 5}})
	var in strings.Builder
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&in, "line %d\n", i)
	}
	_, stderr, err := chatToEnd(t, in.String(), chattest.Args(chattest.User(t, "pat"), []string{"--room", "fast", s.WS})...)
	if err != nil {
		t.Fatalf("hubbub chat: %v\nstderr:\n%s", err, stderr)
	}
	if strings.Contains(stderr, "server error") {
		t.Errorf("stderr reports a server error for sends that were sent again:\n%s", stderr)
	}
	entries, err := s.Store.Since(context.Background(), "fast", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Kind == hubbub.KindMessage {
			n++
		}
	}
	if n != 60 {
		t.Errorf("%d messages stored, want 60", n)
	}
}

// /join of a room the chat is in already makes it the current room and no more: it sent a
// join, which the server answers by leaving and joining the room again, so every other member
// saw "alice left" and "alice joined" each time alice switched rooms. The same for /dm of a
// DM she is in.
func TestChatJoinOfAJoinedRoomOnlySwitches(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	in := strings.Join([]string{"/join random", "/join general", "to general", "/join random", "/join general", "again"}, "\n")
	_, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "alice"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := strings.Count(stderr, "* lines you type go to general now\n"); n != 2 {
		t.Errorf("%d times \"lines you type go to general now\", want 2:\n%s", n, stderr)
	}
	var seen []string
	bob.AwaitFunc("alice's second message", func(f servertest.Frame) bool {
		if f.Type() == "presence" && f.Str("room") == "general" && f.Str("name") == "alice" {
			seen = append(seen, f.Str("name")+" "+f.Str("event"))
		}
		return f.Type() == "message" && f.Str("text") == "again"
	})
	if want := []string{"alice join"}; !slices.Equal(seen, want) {
		t.Errorf("bob saw %q in general before alice's messages, want %q", seen, want)
	}
}

// A script's first line "/join general" (the room it starts in) joined it again when it came
// before the printer had read the start's joined: "* you joined general" twice, and the
// other members saw the join again.
func TestChatJoinOfTheStartRoomAtOnceOnlySwitches(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	out, stderr, err := chatToEnd(t, "/join general\nfirst\n", chattest.Args(chattest.User(t, "alice"), []string{s.WS})...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := strings.Count(out, "* you joined general"); n != 1 {
		t.Errorf("%d times \"you joined general\", want 1:\n%s", n, out)
	}
}

// A DM someone else starts while hubbub chat runs is joined at once, without becoming the
// current room, so that what they write there prints: the chat said only "direct message
// @erin is in your rooms" and printed none of its messages until the user typed /dm erin.
func TestChatShowsADMSomeoneElseStarts(t *testing.T) {
	chattest.LeakCheck(t)
	r, typeLine, erin, room := erinStartsADMWithFrank(t)
	if a := erin.Say(room, "e-1", "hey frank"); a.Type() != "ack" {
		t.Fatalf("erin's message: %v", a)
	}
	r.WaitOutput(t, "[@erin] #", "erin: hey frank")
	typeLine("still in general")
	r.WaitOutput(t, "frank: still in general")
	if out := r.Out.String(); !strings.Contains(out, "[general] #") || strings.Contains(out, "[@erin] #2 frank") {
		t.Errorf("frank's line went elsewhere than general:\n%s", out)
	}
}

// A DM someone else started, joined by the chat without becoming current, is a room the
// chat is in (found in session 33): what it printed there stayed unread on the user's other
// devices, and leaving the last room said "you are in no room now" with the DM open. What
// prints of it is read, and leaving the last room makes it current.
func TestChatTreatsAnOpenDMAsARoomItIsIn(t *testing.T) {
	chattest.LeakCheck(t)
	r, typeLine, erin, room, s, frank := erinStartsADMWithFrankOn(t, IO{TTY: true}) // in a terminal: a script's lines go where written
	if a := erin.Say(room, "e-1", "hey frank"); a.Type() != "ack" {
		t.Fatalf("erin's message: %v", a)
	}
	r.WaitOutput(t, "[@erin] #", "erin: hey frank")
	// frank's other device lists the DM read.
	testwait.Until(t, "the DM read on frank's other device", func() bool {
		out, _, err := chatToEnd(t, "/rooms\n", chattest.Args(frank, []string{s.WS})...)
		return err == nil && strings.Contains(out, "*   @erin (direct message): no unread messages\n")
	})

	typeLine("/leave general")
	r.WaitErr(t, "* lines you type go to @erin now\n")
	typeLine("hi erin")
	erin.AwaitFunc("frank's line in the DM", func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "hi erin" })
	if got := r.Err.String(); strings.Contains(got, "in no room") {
		t.Errorf("the chat said it was in no room with the DM open:\n%s", got)
	}
}

// roomsIn counts a room whose join is on its way as joined, so a /dm or /join typed then (or a
// second room frame of a DM someone else started) sends no second join — which the server
// answers by leaving and joining again, shown to the others — and forgets it when the join
// fails or the room is left, so the next /join joins. (An end-to-end test did not hit the
// window: the joined comes back within a millisecond.)
func TestRoomsInClaimsAJoinOnItsWay(t *testing.T) {
	var r roomsIn
	if !r.claim("plans") {
		t.Fatal("a first claim of a room not joined was refused")
	}
	if r.claim("plans") {
		t.Error("a second claim while the join is on its way was granted")
	}
	r.release("plans") // the join failed
	if !r.claim("plans") {
		t.Error("a claim after a failed join was refused")
	}
	r.set("plans", true) // joined
	if r.claim("plans") {
		t.Error("a claim of a joined room was granted")
	}
	r.set("plans", false) // left
	if !r.claim("plans") {
		t.Error("a claim of a room left was refused")
	}
}

// erinStartsADMWithFrank starts a server, frank's hubbub chat (in general, reading the lines
// the test types) and erin, who starts a DM with frank and joins it; it returns the
// chat, a function that types a line into it, erin and the DM's room.
func erinStartsADMWithFrank(t *testing.T) (*chattest.Run, func(line string), *servertest.JSONClient, string) {
	t.Helper()
	r, typeLine, erin, room, _, _ := erinStartsADMWithFrankOn(t, IO{})
	return r, typeLine, erin, room
}

// erinStartsADMWithFrankOn is erinStartsADMWithFrank with frank's chat on io, and returns the
// server and frank's user too.
func erinStartsADMWithFrankOn(t *testing.T, io IO) (*chattest.Run, func(line string), *servertest.JSONClient, string, *servertest.Server, []string) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{})
	frank := chattest.User(t, "frank")
	r, typeLine := typedChatOn(t, io, chattest.Args(frank, []string{s.WS})...)
	r.WaitOutput(t, "* you joined general")
	erin := servertest.DialJSON(t, s, "erin")
	erin.Send(servertest.Frame{"type": "dm", "names": []string{"frank"}})
	room := erin.AwaitFunc("the DM", func(f servertest.Frame) bool { return f.Type() == "room" || f.Type() == "error" }).Str("room")
	if j := erin.Join(room, nil); j.Type() != "joined" {
		t.Fatalf("erin's join of the DM: %v", j)
	}
	return r, typeLine, erin, room, s, frank
}

// TestChatJoinsARoomItsRejoinLost: a room whose rejoin after a reconnect is refused is no
// longer one the chat is in, so /join of it joins — the chat kept it as joined and /join only
// made it the current room, whose lines the server then refused as not joined.
func TestChatJoinsARoomItsRejoinLost(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann, typeLine := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{"--room", "a", s.WS})...)
	ann.WaitOutput(t, "* you joined a")
	typeLine("/join b")
	ann.WaitOutput(t, "* you joined b")

	// The server comes back allowing one room a connection: the rejoin of b is refused.
	s.Opts.Server.MaxRoomsPerConn = 1
	s = s.Restart()
	ann.WaitErr(t, "* connected to "+s.WS) // the first connection's line is the same: wait for two
	for deadline := time.Now().Add(servertest.Wait); strings.Count(ann.Err.String(), "* connected to") < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect:\n%s", ann.Err.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ann.WaitErr(t, "* could not join b again after the reconnect: ")
	typeLine("/leave a")
	ann.WaitOutput(t, "* you left a")
	typeLine("/join b")
	typeLine("in b")
	ann.WaitOutput(t, "[b] #1 ann: in b\n")
	if n := strings.Count(ann.Out.String(), "* you joined b"); n != 2 {
		t.Errorf("%d joins of b printed, want 2 (the first, and the one after the lost rejoin):\n%s\n%s", n, ann.Out.String(), ann.Err.String())
	}
}

// TestChatWithABotTokenSaysToPickARoom: a bot's token signs hubbub chat in as the bot, whose
// rooms may not include the default --room general: the refusal says to pass --room, where it
// only said the token does not allow the room.
func TestChatWithABotTokenSaysToPickARoom(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	token := hubbub.NewBotToken()
	if _, err := s.Store.CreateBot(t.Context(), "ci", []string{"builds"}, hubbub.SecretHash(token)); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := chatToEnd(t, "", "--token", token, s.WS)
	if err == nil || !strings.Contains(err.Error(), "--room") {
		t.Errorf("a bot in general: %v, want an error that says to pass --room\n%s", err, stderr)
	}
	// Printed plainly, the refusal is still in the error's chain for a caller to test.
	if se := (*wire.Error)(nil); !errors.As(err, &se) || se.Code != hubbub.ECodeForbidden {
		t.Errorf("a bot in general: %v does not wrap the server's forbidden", err)
	}
	out, stderr, err := chatToEnd(t, "green\n", "--token", token, "--room", "builds", s.WS)
	if err != nil || !strings.Contains(out, "[builds] #1 ci (bot): green") {
		t.Errorf("the bot in builds: %v\n%s\n%s", err, out, stderr)
	}
}

// A chat pointed at an address where no server listens says what to check, not only the
// dialer's "connection refused" (found being a new user, with the server started on another
// --port than the chat's URL).
func TestChatWithNoServerSaysWhatToCheck(t *testing.T) {
	chattest.LeakCheck(t)
	addr := refusingAddr
	_, _, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "ann"), []string{"ws://" + addr + "/ws"})...)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "is hubbub serving on "+addr+"?") {
		t.Errorf("chat with no server: %v, want the refusal and what to check", err)
	}
}

// TestChatToAnotherPathSaysTheEndpoint: a URL with another path than /ws (ws://HOST/chat, or
// the page's own) was answered "server answered 404 Not Found: 404 page not found: websocket:
// bad handshake"; the chat now names the endpoint.
func TestChatToAnotherPathSaysTheEndpoint(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	_, _, err := chatToEnd(t, "", chattest.Args(chattest.User(t, "ann"), []string{"ws://" + s.Addr + "/chat"})...)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "(hubbub's WebSocket endpoint is /ws: ws://"+s.Addr+"/ws)") {
		t.Errorf("chat to /chat: %v, want the 404 and the endpoint", err)
	}
}

// The line a lost connection printed was the client's chain of wrappings: "* connection to
// ws://…/ws lost (client: read: websocket: close 1001 (going away): server shutting down);
// reconnecting". It says in short what happened, that the chat reconnects and when it tries
// next — at once, then as the rounds that fail say — and --verbose logs the errors in full.
func TestChatSaysPlainlyThatItReconnects(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{DataPath: filepath.Join(t.TempDir(), "hubbub.db")})
	ann, _ := typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "ann"), []string{"--verbose", s.WS})...)
	bob, _ := typedChatOn(t, IO{TTY: true}, chattest.Args(chattest.User(t, "bob"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general")
	bob.WaitOutput(t, "* you joined general")

	// Cut off without a close frame, and nothing listening while it tries again.
	s.Kill()
	for _, r := range []*chattest.Run{ann, bob} {
		r.WaitErr(t, "* connection to "+s.WS+" lost (the connection dropped); reconnecting now\n")
		r.WaitErr(t, "* still not connected (nothing listens at "+s.Addr+"); next try in under a second\n")
	}
	s = s.Restart()
	for _, r := range []*chattest.Run{ann, bob} {
		testwait.Until(t, "the chat to be back", func() bool { return strings.Count(r.Err.String(), "* connected to ") == 2 })
	}
	// Shut down: the server's close frame says why — when it is read before the socket ends
	// (on a loaded machine the client can lose it to the reset of a socket closed with its
	// last frames unread: then the connection dropped, as after the kill), and as a failed
	// round if the shutdown came while the chat was still joining its rooms again.
	since := len(bob.Err.String()) // its lines so far end with the second "* connected to"
	s.Stop()
	var after string
	testwait.Until(t, "bob to say the connection ended again", func() bool {
		after = bob.Err.String()[since:]
		return strings.Contains(after, "\n")
	})
	first := after[:strings.IndexByte(after, '\n')+1]
	if !slices.Contains([]string{
		"* connection to " + s.WS + " lost (the server closed it: server shutting down (1001)); reconnecting now\n",
		"* connection to " + s.WS + " lost (the connection dropped); reconnecting now\n",
		"* still not connected (the server closed it: server shutting down (1001)); next try in under a second\n",
	}, first) {
		t.Errorf("bob's line after the shutdown: %q, want the server's reason\nALL:\n%s\nSINCE=%d", first, bob.Err.String(), since)
	}

	if errs := bob.Err.String(); strings.Contains(errs, "client:") || strings.Contains(errs, "level=") {
		t.Errorf("bob's stderr has the client's wrappings or log:\n%s", errs)
	}
	ann.WaitErr(t, `level=INFO msg="connection lost"`)
	for _, want := range []string{`msg="reconnect failed"`, "connect: connection refused", "client: read: websocket: close 1001 (going away): server shutting down"} {
		ann.WaitErr(t, want)
	}
}

// connReason says why in a few words, whatever wrapped the error.
func TestConnReason(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("client: read: %w", err) }
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "too many connections", http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	_, refused := client.Dial(context.Background(), busy.URL+"/ws", client.Options{})
	for _, c := range []struct {
		err  error
		want string
	}{
		{wrap(&websocket.CloseError{Code: websocket.CloseAbnormalClosure, Text: io.ErrUnexpectedEOF.Error()}), "the connection dropped"},
		{wrap(&websocket.CloseError{Code: websocket.CloseTryAgainLater, Text: "too many connections\x1b[2J"}), "the server closed it: too many connections [2J (1013)"},
		{wrap(&websocket.CloseError{Code: websocket.CloseInternalServerErr}), "the server closed it (1011)"},
		{wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), "the server stopped answering"},
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "chat.invalid", Err: "no such host", IsNotFound: true}}), "no address found for chat.invalid"},
		{wrap(&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}), "the connection dropped"},
		{refused, "the server answered 503 Service Unavailable"},
		{wrap(errors.New("something new")), "something new"},
	} {
		if got := connReason(c.err); got != c.want {
			t.Errorf("connReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	for round, want := range map[int]bool{1: true, 2: true, 3: false, 4: true, 6: false, 8: true, 64: true} {
		line := reconnectingLine(&client.Reconnecting{Round: round, Err: io.EOF, Wait: 4200 * time.Millisecond})
		if said := line != ""; said != want {
			t.Errorf("round %d said %q, want said: %v", round, line, want)
		} else if said && line != "* still not connected (the connection dropped); next try in 4s" {
			t.Errorf("round %d: %q", round, line)
		}
	}
}

// A line the client refuses before sending — longer than the server's --max-text, or nothing
// once its control characters are cleaned away (binary junk on stdin) — was said in the
// library's words, "* client: send to general: nothing to send", where the server's refusals
// read "* refused in general: … (code)". Found by s31-term. Said as those are now.
func TestChatLineRefusedBeforeSendingSaysSo(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	in := "first\n" + strings.Repeat("x", 10000) + "\n\x00\x01\nlast\n"
	out, stderr, err := chatToEnd(t, in, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	if err == nil {
		t.Errorf("a run with refused lines exited 0")
	}
	for _, want := range []string{
		"* refused in general: the message is 10000 bytes, longer than the ",
		"* refused in general: nothing to send (empty)\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "* client:") {
		t.Errorf("a refusal was said in the client library's words:\n%s", stderr)
	}
	if !strings.Contains(out, " ann: first\n") || !strings.Contains(out, " ann: last\n") {
		t.Errorf("the lines around the refused ones were not sent:\n%s", out)
	}
}

// A chat whose reconnect the server refuses (its user was disabled, a token expired) ends
// saying what the server said, as a refusal at start does: it printed the client's wrappings,
// "chat: client: ws://…/ws: client: hello: server: unauthorized: …".
func TestChatSaysWhyItsReconnectWasRefused(t *testing.T) {
	chattest.LeakCheck(t)
	s := servertest.Start(t, servertest.Options{})
	ann, _ := typedChat(t, chattest.Args(chattest.User(t, "ann"), []string{s.WS})...)
	ann.WaitOutput(t, "* you joined general; members: ann\n")
	u, found, err := s.Store.UserByName(t.Context(), "ann")
	if err != nil || !found {
		t.Fatalf("ann's user: %v %v", found, err)
	}
	disabled := true
	if _, err := s.Store.UpdateUser(t.Context(), u.ID, hubbub.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-ann.Done:
		ann.Done <- err // for the cleanup's Stop
	case <-time.After(servertest.Wait):
		t.Fatalf("the chat of a disabled user still runs:\n%s", ann.All.String())
	}
	if want := `chat: the server refused hello: the user "ann" is disabled (forbidden)`; err == nil || err.Error() != want {
		t.Errorf("the chat ended with %v, want %q", err, want)
	}
}
