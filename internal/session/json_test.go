package session_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

func u64(n uint64) *uint64 { return &n }

func TestJSONJoinSendAckAndHistory(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	j := ann.Join("general", nil)
	if j.Type() != "joined" || j.Num("last_seq") != 0 {
		t.Fatalf("joined = %v", j)
	}
	bob := servertest.DialJSON(t, s, "bob")
	bob.Join("general", nil)
	ann.AwaitFunc("bob's presence", func(f servertest.Frame) bool {
		return f.Type() == "presence" && f.Str("name") == "bob" && f.Str("event") == "join"
	})
	for i := 1; i <= 3; i++ {
		ack := ann.Say("general", fmt.Sprintf("c%d", i), fmt.Sprintf("hi %d", i))
		if ack.Type() != "ack" || ack.Num("seq") != uint64(i) || ack.Str("msg_id") == "" {
			t.Fatalf("ack %d = %v", i, ack)
		}
	}
	for i, m := range bob.Messages("general", 3) {
		if m.Num("seq") != uint64(i+1) || m.Str("from") != "ann" || m.Str("text") != fmt.Sprintf("hi %d", i+1) ||
			m.Str("client_id") != fmt.Sprintf("c%d", i+1) || m.Str("time") == "" {
			t.Fatalf("message %d = %v", i, m)
		}
	}
	// A third member joins and gets the history, then pages back.
	cy := servertest.DialJSON(t, s, "cy")
	j = cy.Join("general", nil)
	if j.Num("last_seq") != 3 || j.Num("replay") != 3 {
		t.Fatalf("joined = %v", j)
	}
	members := fmt.Sprint(j["members"])
	if members != "[ann bob cy]" {
		t.Fatalf("members = %s", members)
	}
	cy.Messages("general", 3)
	cy.Send(servertest.Frame{"type": "history", "room": "general", "before": 3, "limit": 1})
	page := cy.Await("history")
	msgs, _ := page["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["seq"].(float64) != 2 || page["more"] != true {
		t.Fatalf("history page = %v", page)
	}
	cy.Send(servertest.Frame{"type": "who", "room": "general"})
	if w := cy.Await("members"); fmt.Sprint(w["members"]) != "[ann bob cy]" {
		t.Fatalf("who = %v", w)
	}
	// The name on a message is the server's, whatever the client claims.
	cy.Send(servertest.Frame{"type": "send", "room": "general", "id": "x", "text": "me", "from": "ann"})
	if m := bob.Messages("general", 1)[0]; m.Str("from") != "cy" {
		t.Fatalf("from = %q, want the sender's own name", m.Str("from"))
	}
}

// A client that disconnects while others keep sending, and rejoins with since, gets exactly the
// messages it missed, in order, then live ones.
func TestRejoinWithSinceGetsExactlyTheMissedMessages(t *testing.T) {
	for _, missed := range []int{5, 400} { // within the room's memory, and beyond it (from the store)
		t.Run(fmt.Sprint(missed), func(t *testing.T) {
			s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}})
			talker := servertest.DialJSON(t, s, "talker")
			talker.Join("r", nil)
			leaver := servertest.DialJSON(t, s, "leaver")
			leaver.Join("r", nil)
			talker.Say("r", "a", "before")
			last := leaver.Messages("r", 1)[0].Num("seq")
			leaver.Conn.Close()

			for i := 0; i < missed; i++ {
				talker.Say("r", fmt.Sprint("m", i), fmt.Sprint("missed ", i))
			}
			back := servertest.DialJSON(t, s, "leaver")
			j := back.Join("r", u64(last))
			if j.Num("replay") != uint64(missed) || j["truncated"] != false {
				t.Fatalf("joined = %v", j)
			}
			talker.Say("r", "z", "live")
			got := back.Messages("r", missed+1)
			for i, m := range got {
				if m.Num("seq") != last+1+uint64(i) {
					t.Fatalf("message %d has seq %d, want %d", i, m.Num("seq"), last+1+uint64(i))
				}
			}
			if got[missed].Str("text") != "live" {
				t.Fatalf("last = %v", got[missed])
			}
			// Nothing more: no duplicate follows.
			back.Send(servertest.Frame{"type": "ping", "id": "end"})
			if f := back.AwaitFunc("pong", func(f servertest.Frame) bool { return f.Type() == "pong" || f.Type() == "message" }); f.Type() != "pong" {
				t.Fatalf("extra frame after the replay: %v", f)
			}
		})
	}
}

func TestResentClientIDIsStoredOnce(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	first := ann.Say("r", "same-id", "hello")
	ann.Conn.Close()
	again := servertest.DialJSON(t, s, "ann")
	again.Join("r", u64(0))
	again.Messages("r", 1)
	second := again.Say("r", "same-id", "hello")
	if second.Num("seq") != first.Num("seq") || second["duplicate"] != true || second.Str("msg_id") != first.Str("msg_id") {
		t.Fatalf("resend ack = %v, first = %v", second, first)
	}
	again.Send(servertest.Frame{"type": "history", "room": "r"})
	if msgs := again.Await("history")["messages"].([]any); len(msgs) != 1 {
		t.Fatalf("history holds %d messages, want 1", len(msgs))
	}
}

func TestTextAndJSONClientsSeeEachOther(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	js := servertest.DialJSON(t, s, "jay")
	js.Join("lobby", nil)
	txt := servertest.DialText(t, s, "tex")
	servertest.WaitMembers(t, s, "lobby", 2)
	txt.Say("from text")
	if m := js.Messages("lobby", 1)[0]; m.Str("from") != "tex" || m.Str("text") != "from text" || m.Num("seq") != 1 {
		t.Fatalf("json client got %v", m)
	}
	js.Say("lobby", "1", "from json")
	js.Say("lobby", "2", "two\r\nlines")
	lines := txt.Lines(3)
	if lines[0] != "tex: from text" || lines[1] != "jay: from json" || lines[2] != "jay: two lines" {
		t.Fatalf("text client got %q", lines)
	}
	if m := js.Messages("lobby", 2)[1]; m.Str("text") != "two\nlines" {
		t.Fatalf("json client got %q, want the line break kept", m.Str("text"))
	}
}

func TestHistorySurvivesRestart(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("keep", nil)
	for i := 0; i < 5; i++ {
		ann.Say("keep", fmt.Sprint(i), fmt.Sprint("kept ", i))
	}
	s = s.Restart()
	bob := servertest.DialJSON(t, s, "bob")
	if j := bob.Join("keep", nil); j.Num("last_seq") != 5 || j.Num("replay") != 5 {
		t.Fatalf("joined after restart = %v", j)
	}
	msgs := bob.Messages("keep", 5)
	if msgs[4].Str("text") != "kept 4" {
		t.Fatalf("last message = %v", msgs[4])
	}
	if ack := bob.Say("keep", "n", "new"); ack.Num("seq") != 6 {
		t.Fatalf("numbering after restart: %v", ack)
	}
}

func TestBadInputGetsTypedErrorsAndTheConnectionStays(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 10, MaxRoomsPerConn: 2}})
	c := servertest.DialJSON(t, s, "")
	expect := func(raw, code string) {
		t.Helper()
		if err := c.Conn.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		f := c.Await("error")
		if f.Str("code") != code || f.Str("message") == "" {
			t.Fatalf("%s: got %v, want code %s", raw, f, code)
		}
	}
	expect(`{"type":"join","room":"r"}`, "no_hello")
	expect(`not json`, "bad_json")
	expect(`[1,2]`, "bad_json")
	expect(`{"type":"hello"}`, "missing_field")
	expect(`{"type":"hello","name":"bad\u0007name"}`, "bad_name")
	c.Send(servertest.Frame{"type": "hello", "name": "ann"})
	c.Await("welcome")
	expect(`{"type":"dance"}`, "unknown_type")
	expect(`{"room":"r"}`, "unknown_type")
	expect(`{"type":"join","room":"bad room!"}`, "bad_room")
	expect(`{"type":"send","room":"r","text":"x"}`, "not_joined")
	c.Join("r", nil)
	expect(`{"type":"send","room":"r"}`, "missing_field")
	expect(`{"type":"send","room":"r","text":" \n "}`, "empty")
	expect(`{"type":"send","room":"r","text":"far too long text"}`, "too_long")
	expect(`{"type":"send","room":"r","id":"`+strings.Repeat("i", 65)+`","text":"x"}`, "bad_id")
	expect(`{"type":"send","room":"r","id":"a\u001b[2Jb","text":"x"}`, "bad_id") // a terminal escape
	expect(`{"type":"send","room":"r","id":" c-1","text":"x"}`, "bad_id")
	c.Join("r2", nil)
	expect(`{"type":"join","room":"r3"}`, "too_many_rooms")
	// After all that the connection still works.
	if ack := c.Say("r", "ok", "fine"); ack.Type() != "ack" {
		t.Fatalf("after errors: %v", ack)
	}
	c.Send(servertest.Frame{"type": "leave", "room": "r2"})
	c.Await("left")
	c.Join("r3", nil)
}

func TestBinaryFrameOnJSONClosesWith1003(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialJSON(t, s, "ann")
	_ = c.Conn.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`))
	if ce := c.Closed(); ce.Code != websocket.CloseUnsupportedData {
		t.Fatalf("close %d, want 1003", ce.Code)
	}
}

func TestRateLimitErrorsThenCloses(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 0.001, SendBurst: 3, AbuseLimit: 5}})
	c := servertest.DialJSON(t, s, "ann")
	c.Join("r", nil)
	for i := 0; i < 3; i++ {
		if ack := c.Say("r", fmt.Sprint(i), "ok"); ack.Type() != "ack" {
			t.Fatalf("send %d within the burst: %v", i, ack)
		}
	}
	f := c.Say("r", "over", "too fast")
	if f.Type() != "error" || f.Str("code") != "rate_limited" {
		t.Fatalf("send over the limit: %v", f)
	}
	// It says how long until the next send is allowed: at 0.001 a second, up to 1,000 s.
	if ms := f.Num("retry_after_ms"); ms == 0 || ms > 1_000_000 {
		t.Errorf("send over the limit: retry_after_ms %d, want 1 to 1,000,000: %v", ms, f)
	}
	for i := 0; i < 10; i++ {
		c.Send(servertest.Frame{"type": "send", "room": "r", "id": fmt.Sprint("flood", i), "text": "flood"})
	}
	told := false // the error saying why comes before the close
	for {
		_ = c.Conn.SetReadDeadline(time.Now().Add(servertest.Wait))
		_, data, err := c.Conn.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != websocket.ClosePolicyViolation {
				t.Fatalf("close %d, want 1008", ce.Code)
			}
			break
		}
		if err != nil {
			t.Fatalf("want a close frame: %v", err)
		}
		told = told || strings.Contains(string(data), "sending too fast; closing")
	}
	if !told {
		t.Error(`no error "sending too fast; closing" before the close`)
	}
}

// A name is one user's, server-wide (issue 16): another key cannot take it at hello, whatever
// the room, nor can a look-alike ("аnn" with a Cyrillic а, "ANN"), while the same key may on
// any number of connections. (Before users, a name was taken per room, at join.)
func TestNameTakenUnlessSameKey(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann") // key "key-ann"
	ann.Join("r", nil)
	for _, name := range []string{"ann", "аnn", "ANN", "Ａnn"} {
		impostor := servertest.DialJSON(t, s, "")
		impostor.Send(servertest.Frame{"type": "hello", "name": name, "key": "other"})
		if f := impostor.Await("error"); f.Str("code") != "name_taken" || !strings.Contains(f.Str("message"), "belongs to another user") {
			t.Fatalf("impostor %q: %v", name, f)
		}
		keyless := servertest.DialJSON(t, s, "")
		keyless.Send(servertest.Frame{"type": "hello", "name": name})
		if f := keyless.Await("error"); f.Str("code") != "name_taken" {
			t.Fatalf("keyless %q: %v", name, f)
		}
	}
	// The same user on a second connection (same key) may join, in any room.
	again := servertest.DialJSON(t, s, "ann")
	if again.User != ann.User || ann.User == "" {
		t.Fatalf("same key, users %q and %q", ann.User, again.User)
	}
	for _, room := range []string{"r", "elsewhere"} {
		if f := again.Join(room, nil); f.Type() != "joined" {
			t.Fatalf("same user's second connection joins %s: %v", room, f)
		}
	}
}

// A name with a character that shows as nothing where it stands (a variation selector after a
// letter, a Hangul filler, the Braille blank…) reads as the name without it: a new guest's
// hello with one, and a guest's rename to one, are refused bad_name, so that nobody passes as
// ann. Before, "ann" and U+FE0F was a name of its own, welcomed, shown to everyone as "ann".
func TestNameThatShowsAsAnothersIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	eve := servertest.DialJSON(t, s, "eve")
	for _, name := range []string{"ann\ufe0f", "ann\u115f", "a\u034fnn", "ann\u2800", "ann\U000E0100"} {
		impostor := servertest.DialJSON(t, s, "")
		impostor.Send(servertest.Frame{"type": "hello", "name": name, "key": "key-impostor"})
		if f := impostor.AwaitFunc("the answer to hello", func(f servertest.Frame) bool {
			return f.Type() == "welcome" || f.Type() == "error"
		}); f.Str("code") != "bad_name" || !strings.Contains(f.Str("message"), "shows as nothing") {
			t.Errorf("a new guest named %q: %v, want bad_name", name, f)
		}
		eve.Send(servertest.Frame{"type": "hello", "name": name, "key": "key-eve"})
		if f := eve.AwaitFunc("the answer to eve's hello", func(f servertest.Frame) bool {
			return f.Type() == "welcome" || f.Type() == "error"
		}); f.Str("code") != "bad_name" {
			t.Errorf("eve renamed to %q: %v, want bad_name", name, f)
		}
	}
}

// Case never matters for a name, also where a capital's look-alike differs from its small
// letter's (ALICE's I looks like l, alice's i does not: before, they were two users): a guest
// "alice" holds every case of it, and keyless connections are refused it too.
func TestNameTakenInAnyCase(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	alice := servertest.DialJSON(t, s, "alice") // key "key-alice"
	alice.Join("r", nil)
	for _, name := range []string{"ALICE", "Alice", "ALlCE", "aLiCe"} {
		impostor := servertest.DialJSON(t, s, "")
		impostor.Send(servertest.Frame{"type": "hello", "name": name, "key": "key-" + name})
		if f := impostor.Await("error"); f.Str("code") != "name_taken" {
			t.Fatalf("guest %q while alice is connected: %v, want name_taken", name, f)
		}
		keyless := servertest.DialJSON(t, s, "")
		keyless.Send(servertest.Frame{"type": "hello", "name": name})
		if f := keyless.Await("error"); f.Str("code") != "name_taken" {
			t.Fatalf("keyless %q: %v, want name_taken", name, f)
		}
	}
	ian := servertest.DialJSON(t, s, "Ian")
	other := servertest.DialJSON(t, s, "")
	other.Send(servertest.Frame{"type": "hello", "name": "ian", "key": "key-ian"})
	if f := other.Await("error"); f.Str("code") != "name_taken" {
		t.Fatalf("guest ian while Ian (%s) is connected: %v, want name_taken", ian.User, f)
	}
}

func TestTypingReachesOthersAndIsThinned(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{TypingInterval: time.Hour}})
	ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
	ann.Join("r", nil)
	bob.Join("r", nil)
	for i := 0; i < 5; i++ {
		ann.Send(servertest.Frame{"type": "typing", "room": "r"})
	}
	ann.Say("r", "m", "done typing")
	typing := 0
	for {
		f := bob.AwaitFunc("typing or message", func(f servertest.Frame) bool {
			return f.Type() == "typing" || f.Type() == "message"
		})
		if f.Type() == "message" {
			break
		}
		if f.Str("name") != "ann" {
			t.Fatalf("typing = %v", f)
		}
		typing++
	}
	if typing != 1 {
		t.Fatalf("bob saw %d typing notices, want 1 (thinned to one per interval)", typing)
	}
}

// A client need not wait for welcome before it joins (docs/protocol.md): frames are handled in
// the order sent, so hello, join and send written back to back, unread, get welcome, joined and
// the ack in that order. A refused hello leaves the join that follows it without a user:
// no_hello, and the connection stays open for another try.
func TestHelloAndJoinPipelined(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "")
	ann.Send(servertest.Frame{"type": "hello", "name": "ann"})
	ann.Send(servertest.Frame{"type": "join", "room": "general"})
	ann.Send(servertest.Frame{"type": "send", "room": "general", "id": "c1", "text": "first"})
	var order []string
	for len(order) < 3 {
		switch f := ann.Next(); f.Type() {
		case "welcome", "joined", "ack":
			order = append(order, f.Type())
		case "error":
			t.Fatalf("pipelined hello, join, send: %v", f)
		}
	}
	if got := strings.Join(order, " "); got != "welcome joined ack" {
		t.Fatalf("answers in the order %q, want welcome joined ack", got)
	}

	bob := servertest.DialJSON(t, s, "")
	bob.Send(servertest.Frame{"type": "hello", "name": "bad\u0007name"})
	bob.Send(servertest.Frame{"type": "join", "room": "general"})
	if e := bob.Await("error"); e.Str("code") != "bad_name" {
		t.Fatalf("hello with a control character: %v, want bad_name", e)
	}
	if e := bob.Await("error"); e.Str("code") != "no_hello" {
		t.Fatalf("join after a refused hello: %v, want no_hello", e)
	}
	bob.Send(servertest.Frame{"type": "hello", "name": "bob"})
	bob.Send(servertest.Frame{"type": "join", "room": "general"})
	bob.Await("welcome")
	if j := bob.Await("joined"); j.Num("last_seq") != 1 {
		t.Fatalf("joined after a second hello = %v, want last_seq 1", j)
	}
}

// A crowded room's joined frames list the names the room keeps (their JSON made once for all
// the joins given the same list), but never a name that has left since: a client that joins
// after one of the listed names left is given a list without it, sorted, of the limit's size.
func TestCrowdedJoinedListsOnlyPresentNames(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{PresenceLimit: 2}})
	clients := map[string]*servertest.JSONClient{}
	present := 0 // in the room
	join := func(name string) []string {
		t.Helper()
		c := servertest.DialJSON(t, s, name)
		clients[name] = c
		j := c.Join("crowd", nil)
		present++
		// the frame is sent in parts around the kept list (hub.NewRawParts): all of it arrives
		if j.Type() != "joined" || j.Str("room") != "crowd" || j.Num("member_count") != uint64(present) {
			t.Fatalf("%s: join answered %v, want joined to crowd with member_count %d", name, j, present)
		}
		var names []string
		list, _ := j["members"].([]any)
		for _, n := range list {
			names = append(names, n.(string))
		}
		return names
	}
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		join(name)
	}
	first, again := join("n5"), join("n6")
	if len(first) != 2 || !slices.IsSorted(first) || !slices.Equal(first, again) {
		t.Fatalf("two joins in a crowded room listed %v and %v, want the same two sorted names", first, again)
	}
	gone := first[0]
	clients[gone].Send(servertest.Frame{"type": "leave", "room": "crowd"})
	clients[gone].Await("left")
	present--
	for _, name := range []string{"n7", "n8"} {
		if got := join(name); len(got) != 2 || !slices.IsSorted(got) || slices.Contains(got, gone) {
			t.Fatalf("%s joined after %s left and was given %v: want two sorted names without %s", name, gone, got, gone)
		}
	}
}

// An id that is not UTF-8 is bad_id, however JSON spells it: a lone surrogate escape
// ("\ud800", as JavaScript's JSON.stringify writes a string holding half a pair) decodes to
// U+FFFD, so two different such ids would be one id, and the second message would be
// answered as a duplicate of the first and never stored, with an ack whose id the client
// never sent. Each is refused; nothing is stored; a good id still goes.
func TestClientIDThatIsNotUnicodeIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	for _, raw := range []string{
		`{"type":"send","room":"r","id":"x\ud800","text":"first"}`,
		`{"type":"send","room":"r","id":"x\udbff","text":"second"}`,
		`{"type":"send","room":"r","id":"x\udc00\ud800","text":"pair backwards"}`,
		`{"type":"send","room":"r","id":"x` + "\uFFFD" + `","text":"what invalid bytes decode to"}`,
	} {
		if err := ann.Conn.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if f := ann.AwaitFunc("the answer to "+raw, func(f servertest.Frame) bool { return f.Type() == "ack" || f.Type() == "error" }); f.Type() != "error" || f.Str("code") != "bad_id" {
			t.Fatalf("%s: got %v, want error bad_id", raw, f)
		}
	}
	if ack := ann.Say("r", "x-\U0001F600", "a good id"); ack.Type() != "ack" || ack.Num("seq") != 1 || ack["duplicate"] != false {
		t.Fatalf("a send with a good id after the refusals: %v, want the room's first entry", ack)
	}
}

// A send that gives its text twice is refused, not stored with the last of the two: the
// client may have meant the first.
func TestSendWithATextGivenTwiceIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	for _, raw := range []string{
		`{"type":"send","room":"r","id":"t-1","text":"meant","text":"not meant"}`,
		`{"type":"send","room":"r","id":"t-2","text":"meant","Text":"not meant","reply_to":0}`,
	} {
		if err := ann.Conn.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		f := ann.AwaitFunc("the answer to "+raw, func(f servertest.Frame) bool { return f.Type() == "ack" || f.Type() == "error" })
		if f.Type() != "error" || f.Str("code") != "bad_json" || !strings.Contains(f.Str("message"), "text") {
			t.Fatalf("%s: got %v, want error bad_json naming the key", raw, f)
		}
	}
	if ack := ann.Say("r", "t-3", "said once"); ack.Type() != "ack" || ack.Num("seq") != 1 {
		t.Fatalf("a send after the refusals: %v, want the room's first entry (nothing was stored)", ack)
	}
}
