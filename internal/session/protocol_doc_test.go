package session_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// The tests in this file hold the server to what docs/protocol.md tells a client author, at the
// points where a client written from it alone had to guess (issue 14, item 16).

// raw sends data as one text frame and returns the next error frame.
func rawError(t *testing.T, c *servertest.JSONClient, data string) servertest.Frame {
	t.Helper()
	if err := c.Conn.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
		t.Fatal(err)
	}
	return c.Await("error")
}

// An empty name or room is an invalid one (bad_name, bad_room); only an absent field is
// missing_field.
func TestEmptyNameOrRoomIsInvalidNotMissing(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialJSON(t, s, "")
	for _, tc := range []struct{ frame, code string }{
		{`{"type":"hello","name":""}`, "bad_name"},
		{`{"type":"hello"}`, "missing_field"},
		{`{"type":"hello","name":null}`, "missing_field"},
	} {
		if f := rawError(t, c, tc.frame); f.Str("code") != tc.code || f.Str("request") != "hello" {
			t.Errorf("%s: got %v, want code %s", tc.frame, f, tc.code)
		}
	}
	c.Send(servertest.Frame{"type": "hello", "name": "ann"})
	c.Await("welcome")
	for _, tc := range []struct{ frame, code string }{
		{`{"type":"join","room":""}`, "bad_room"},
		{`{"type":"join"}`, "missing_field"},
		{`{"type":"kick","room":"r","name":""}`, "bad_name"},
	} {
		if f := rawError(t, c, tc.frame); f.Str("code") != tc.code {
			t.Errorf("%s: got %v, want code %s", tc.frame, f, tc.code)
		}
	}
}

// A field of the wrong type or a negative count gets bad_field naming the field, and the frame
// is not acted on.
func TestWrongFieldTypeGetsBadFieldNamingIt(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialJSON(t, s, "ann")
	c.Join("r", nil)
	for _, tc := range []struct{ frame, field string }{
		{`{"type":"join","room":5}`, "room"},
		{`{"type":"join","room":"x","since":"3"}`, "since"},
		{`{"type":"join","room":"x","since":-5}`, "since"},
		{`{"type":"join","room":"x","since":1.5}`, "since"},
		{`{"type":"join","room":"x","history":-1}`, "history"},
		{`{"type":"history","room":"r","limit":-1}`, "limit"},
		{`{"type":"history","room":"r","before":"3"}`, "before"},
		{`{"type":"send","room":"r","text":7}`, "text"},
		{`{"type":"hello","name":["ann"]}`, "name"},
	} {
		f := rawError(t, c, tc.frame)
		if f.Str("code") != "bad_field" || !strings.Contains(f.Str("message"), `"`+tc.field+`"`) {
			t.Errorf("%s: got %v, want bad_field naming %q", tc.frame, f, tc.field)
		}
	}
	// None of the joins happened; the connection works.
	if f := c.Say("x", "1", "hi"); f.Str("code") != "not_joined" {
		t.Fatalf("send to a room whose join was refused: %v", f)
	}
	if f := c.Say("r", "2", "hi"); f.Type() != "ack" {
		t.Fatalf("send after the errors: %v", f)
	}
	// Malformed JSON is still bad_json.
	if f := rawError(t, c, `{"type":"join","room":"r",}`); f.Str("code") != "bad_json" {
		t.Fatalf("malformed JSON: %v", f)
	}
}

// welcome.limits carries the history page maximum, the largest limit a history request gets.
func TestWelcomeSaysTheHistoryPageMax(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{HistoryPageMax: 77}})
	c := servertest.DialJSON(t, s, "")
	c.Send(servertest.Frame{"type": "hello", "name": "ann"})
	w := c.Await("welcome")
	limits, _ := w["limits"].(map[string]any)
	if got, _ := limits["history_page_max"].(float64); got != 77 {
		t.Fatalf("welcome limits = %v, want history_page_max 77", limits)
	}
}

// fill sends n messages to room through c, which has joined it.
func fill(t *testing.T, c *servertest.JSONClient, room string, n int) {
	t.Helper()
	for i := range n {
		if f := c.Say(room, fmt.Sprint("fill-", i), fmt.Sprint("message ", i+1)); f.Type() != "ack" {
			t.Fatalf("send %d: %v", i, f)
		}
	}
}

// A plain join says truncated when the room holds older messages than it replayed.
func TestPlainJoinIsTruncatedWhenOlderMessagesExist(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("big", nil)
	fill(t, ann, "big", 60)
	ann.Join("small", nil)
	fill(t, ann, "small", 10)

	bob := servertest.DialJSON(t, s, "bob")
	if j := bob.Join("big", nil); j.Num("replay") != 50 || j.Num("last_seq") != 60 || j["truncated"] != true {
		t.Errorf("plain join of 60 messages = %v, want 50 replayed, truncated", j)
	}
	if first := bob.Messages("big", 50)[0]; first.Num("seq") != 11 {
		t.Errorf("first replayed = %v, want seq 11", first)
	}
	bob.Send(servertest.Frame{"type": "join", "room": "big", "history": 60})
	j := bob.Await("joined")
	if j.Num("replay") != 50 || j["truncated"] != true {
		t.Errorf("join asking for history 60 (more than --history) = %v, want 50 replayed, truncated", j)
	}
	if j := bob.Join("small", nil); j.Num("replay") != 10 || j["truncated"] != false {
		t.Errorf("plain join of 10 messages = %v, want all 10, not truncated", j)
	}
	cy := servertest.DialJSON(t, s, "cy")
	cy.Send(servertest.Frame{"type": "join", "room": "small", "history": 4})
	if j := cy.Await("joined"); j.Num("replay") != 4 || j["truncated"] != true {
		t.Errorf("join of 10 messages with history 4 = %v, want 4 replayed, truncated", j)
	}
}

// history: 0, since: 0, since past last_seq and limit: 0 do what protocol.md says.
func TestZeroAndOutOfRangeJoinAndHistoryFields(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}, Hub: hub.Config{History: 5}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	fill(t, ann, "r", 8)

	bob := servertest.DialJSON(t, s, "bob")
	bob.Send(servertest.Frame{"type": "join", "room": "r", "history": 0})
	if j := bob.Await("joined"); j.Num("replay") != 5 || j["truncated"] != true {
		t.Errorf("history 0 = %v, want the default 5, truncated", j)
	}
	bob.Messages("r", 5)
	if j := bob.Join("r", u64(0)); j.Num("replay") != 8 || j["truncated"] != false {
		t.Errorf("since 0 = %v, want all 8", j)
	}
	bob.Messages("r", 8)
	if j := bob.Join("r", u64(100)); j.Num("replay") != 0 || j.Num("last_seq") != 8 || j["truncated"] != false {
		t.Errorf("since 100 past last_seq 8 = %v, want nothing replayed, last_seq 8", j)
	}
	bob.Send(servertest.Frame{"type": "history", "room": "r", "limit": 0, "before": 0})
	if h := bob.Await("history"); len(h["messages"].([]any)) != 8 || h["more"] != false {
		t.Errorf("history limit 0 = %v, want the newest up to 50: all 8", h)
	}
	// Nothing else came: no replay after since 100.
	bob.Send(servertest.Frame{"type": "ping", "id": "end"})
	if f := bob.AwaitFunc("pong", func(f servertest.Frame) bool { return f.Type() == "pong" || f.Type() == "message" }); f.Type() != "pong" {
		t.Fatalf("extra frame: %v", f)
	}
}

// member_count counts names, not connections.
func TestMemberCountCountsNamesNotConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann").Join("r", nil)
	servertest.DialJSON(t, s, "ann").Join("r", nil) // the same user in a second tab
	if j := servertest.DialJSON(t, s, "bob").Join("r", nil); j.Num("member_count") != 2 || fmt.Sprint(j["members"]) != "[ann bob]" {
		t.Fatalf("joined = %v, want 2 members: ann (twice connected) and bob", j)
	}
}

// Typing notices over the rate are dropped with no error to the sender.
func TestTypingFloodIsDroppedWithoutError(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	for range 20 {
		ann.Send(servertest.Frame{"type": "typing", "room": "r"})
	}
	ann.Send(servertest.Frame{"type": "ping", "id": "end"})
	if f := ann.AwaitFunc("pong", func(f servertest.Frame) bool { return f.Type() == "pong" || f.Type() == "error" }); f.Type() != "pong" {
		t.Fatalf("typing flood answered %v, want nothing", f)
	}
}

// Reaching --max-rooms answers room_full.
func TestMaxRoomsAnswersRoomFull(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{MaxRooms: 1}})
	c := servertest.DialJSON(t, s, "ann")
	c.Join("one", nil)
	if f := c.Join("two", nil); f.Str("code") != "room_full" {
		t.Fatalf("join past --max-rooms: %v, want room_full", f)
	}
}

// A send's text is cleaned as protocol.md's "Message text" says, and checked for length after
// cleaning.
func TestMessageTextCleaning(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 12}})
	c := servertest.DialJSON(t, s, "ann")
	c.Join("r", nil)
	for _, tc := range []struct{ in, want string }{
		{"a\r\nb\rc\td", "a\nb\nc d"},
		{"\u00a0 hi\u00a0\n", "hi"},
		{"   twelve bytes  \r\n", "twelve bytes"}, // 12 bytes once trimmed
	} {
		if f := c.Say("r", fmt.Sprintf("%q", tc.in), tc.in); f.Type() != "ack" {
			t.Errorf("send %q: %v", tc.in, f)
			continue
		}
		if m := c.Messages("r", 1)[0]; m.Str("text") != tc.want {
			t.Errorf("send %q: stored %q, want %q", tc.in, m.Str("text"), tc.want)
		}
	}
}

// A text client's name is trimmed of surrounding white space but otherwise taken as sent: one
// with a control character inside is refused, not cleaned into another name.
func TestTextNameWithControlCharactersIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, name := range []string{"al\x01ice", "al\tice", "al\r\nice"} {
		c := servertest.DialText(t, s, name)
		if ce := c.Closed(); ce.Code != websocket.ClosePolicyViolation {
			t.Errorf("name %q: close %d, want 1008", name, ce.Code)
		}
		if lines := c.Lines(1); !strings.HasPrefix(lines[0], "error: name ") {
			t.Errorf("name %q: got %q, want an error line", name, lines[0])
		}
	}
	ann := servertest.DialText(t, s, " \u00a0ann\r\n")
	servertest.WaitMembers(t, s, "lobby", 1)
	ann.Say("hi")
	if l := ann.Lines(1)[0]; l != "ann: hi" {
		t.Fatalf("got %q, want the trimmed name", l)
	}
}

// The text protocol's lines: CR and LF become spaces, no-break spaces are trimmed, the length
// is counted after cleaning, and the rate limit says "rate limited; slow down".
func TestTextLinesAsDocumented(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxText: 5, SendRate: 0.001, SendBurst: 3}})
	c := servertest.DialText(t, s, "ann")
	servertest.WaitMembers(t, s, "lobby", 1)
	c.Say("a\r\nb")
	c.Say("\u00a0 hello \u00a0\n")
	c.Say("toolong")
	if got := c.Lines(3); got[0] != "ann: a  b" || got[1] != "ann: hello" || got[2] != "error: message longer than 5 bytes" {
		t.Fatalf("got %q", got)
	}
	c.Say("over")
	if l := c.Lines(1)[0]; l != "error: rate limited; slow down" {
		t.Fatalf("over the rate: %q", l)
	}
}

// A binary frame on the text protocol is read as text, its invalid UTF-8 replaced by U+FFFD;
// only a text frame must be valid UTF-8 (1007).
func TestTextBinaryFrameWithInvalidUTF8IsCleaned(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialText(t, s, "ann")
	servertest.WaitMembers(t, s, "lobby", 1)
	if err := c.Conn.WriteMessage(websocket.BinaryMessage, []byte{'h', 0xff, 'i'}); err != nil {
		t.Fatal(err)
	}
	if l := c.Lines(1)[0]; l != "ann: h\uFFFDi" {
		t.Fatalf("got %q, want the bad byte as U+FFFD", l)
	}
}

// A count too large for an int is answered as any count past its maximum — the largest page,
// as the API caps it — not bad_field: history's, directory's and search's limit and join's
// history alike. A fraction or a negative one is still refused, however large.
func TestCountTooLargeForAnIntIsTheLargestPage(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}, Hub: hub.Config{History: 5}})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	fill(t, ann, "r", 8)
	huge := "99999999999999999999999"

	bob := servertest.DialJSON(t, s, "bob")
	send := func(data string) {
		t.Helper()
		if err := bob.Conn.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"type":"join","room":"r","history":` + huge + `}`)
	if j := bob.Await("joined"); j.Num("replay") != 5 || j["truncated"] != true {
		t.Errorf("join with history %s = %v, want the most, 5, replayed", huge, j)
	}
	bob.Messages("r", 5)
	send(`{"type":"history","room":"r","limit":` + huge + `}`)
	if h := bob.Await("history"); len(h["messages"].([]any)) != 8 {
		t.Errorf("history with limit %s = %v, want all 8", huge, h)
	}
	send(`{"type":"history","room":"r","thread":1,"limit":` + huge + `}`)
	bob.Await("history")
	send(`{"type":"directory","limit":` + huge + `}`)
	bob.Await("directory")
	send(`{"type":"search","q":"message","id":"s1","limit":` + huge + `}`)
	if r := bob.AwaitFunc("search results", func(f servertest.Frame) bool { return f.Type() == "search_results" || f.Type() == "error" }); r.Type() != "search_results" {
		t.Errorf("search with limit %s = %v, want its results", huge, r)
	}
	for _, frame := range []string{
		`{"type":"history","room":"r","limit":-` + huge + `}`,
		`{"type":"history","room":"r","limit":` + huge + `.5}`,
		`{"type":"join","room":"r","history":-` + huge + `}`,
		`{"type":"search","q":"message","limit":-` + huge + `}`,
	} {
		if f := rawError(t, bob, frame); f.Str("code") != "bad_field" {
			t.Errorf("%s: got %v, want bad_field", frame, f)
		}
	}
}
