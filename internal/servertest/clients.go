package servertest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/testwait"
)

// Wait is how long test clients wait for an expected frame. It is generous because tests run
// on busy 2-core machines under -race; it bounds a failing test, not a passing one.
const Wait = testwait.Timeout

// Dial opens a WebSocket to url with the given subprotocol ("" for the text protocol) and
// headers, failing the test if the upgrade is refused.
func Dial(tb testing.TB, url, subprotocol string, header http.Header) *websocket.Conn {
	tb.Helper()
	d := websocket.Dialer{HandshakeTimeout: Wait}
	if subprotocol != "" {
		d.Subprotocols = []string{subprotocol}
	}
	c, resp, err := d.Dial(url, header)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		tb.Fatalf("dial %s: %v %s", url, err, status)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// TextClient is a client of the original text protocol.
type TextClient struct {
	Conn  *websocket.Conn
	tb    testing.TB
	lines []string
}

// DialText connects a text-protocol client and, if name is not empty, sends it as the first
// line.
func DialText(tb testing.TB, s *Server, name string) *TextClient {
	tb.Helper()
	c := &TextClient{Conn: Dial(tb, s.WS, "", nil), tb: tb}
	if name != "" {
		c.Say(name)
	}
	return c
}

// Say sends one text frame.
func (c *TextClient) Say(text string) {
	c.tb.Helper()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(Wait))
	if err := c.Conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		c.tb.Fatalf("text client: write: %v", err)
	}
}

// Lines reads until it has n lines (frames split on '\n') and returns them; it fails the test
// if they do not come within Wait.
func (c *TextClient) Lines(n int) []string {
	c.tb.Helper()
	deadline := time.Now().Add(Wait)
	for len(c.lines) < n {
		_ = c.Conn.SetReadDeadline(deadline)
		_, data, err := c.Conn.ReadMessage()
		if err != nil {
			c.tb.Fatalf("text client: waiting for %d lines, have %q: %v", n, c.lines, err)
		}
		c.lines = append(c.lines, strings.Split(string(data), "\n")...)
	}
	out := c.lines[:n:n]
	c.lines = c.lines[n:]
	return out
}

// Closed reads until the server closes the connection and returns the close error (code and
// reason); lines read meanwhile are kept for Lines.
func (c *TextClient) Closed() *websocket.CloseError {
	c.tb.Helper()
	return readUntilClose(c.tb, c.Conn, func(data []byte) {
		c.lines = append(c.lines, strings.Split(string(data), "\n")...)
	})
}

func readUntilClose(tb testing.TB, conn *websocket.Conn, keep func([]byte)) *websocket.CloseError {
	tb.Helper()
	deadline := time.Now().Add(Wait)
	for {
		_ = conn.SetReadDeadline(deadline)
		_, data, err := conn.ReadMessage()
		if err == nil {
			keep(data)
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce
		}
		tb.Fatalf("expected a close frame, got %v", err)
		return nil
	}
}

// Frame is one hubbub.v1 frame as a generic JSON object.
type Frame map[string]any

// Type returns the frame's type.
func (f Frame) Type() string { s, _ := f["type"].(string); return s }

// Str returns a string field.
func (f Frame) Str(k string) string { s, _ := f[k].(string); return s }

// Num returns a numeric field as uint64.
func (f Frame) Num(k string) uint64 { n, _ := f[k].(float64); return uint64(n) }

// JSONClient is a client of hubbub.v1 that keeps frames it has read but not yet asked for.
type JSONClient struct {
	Conn *websocket.Conn
	// User is the user id the server's welcome named, once DialJSON said hello.
	User    string
	tb      testing.TB
	backlog []Frame
}

// DialJSON connects a hubbub.v1 client and, if name is not empty, says hello and waits for
// the welcome.
func DialJSON(tb testing.TB, s *Server, name string) *JSONClient {
	tb.Helper()
	c := &JSONClient{Conn: Dial(tb, s.WS, hubbub.ProtocolJSON, nil), tb: tb}
	if name != "" {
		c.Send(Frame{"type": "hello", "name": name, "key": "key-" + name})
		w := c.Await("welcome")
		u, _ := w["user"].(map[string]any)
		c.User, _ = u["id"].(string)
	}
	return c
}

// Send writes one frame.
func (c *JSONClient) Send(f Frame) {
	c.tb.Helper()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(Wait))
	if err := c.Conn.WriteJSON(f); err != nil {
		c.tb.Fatalf("json client: write: %v", err)
	}
}

// Next returns the next frame not yet taken.
func (c *JSONClient) Next() Frame {
	c.tb.Helper()
	if len(c.backlog) > 0 {
		f := c.backlog[0]
		c.backlog = c.backlog[1:]
		return f
	}
	return c.read(time.Now().Add(Wait))
}

func (c *JSONClient) read(deadline time.Time) Frame {
	c.tb.Helper()
	_ = c.Conn.SetReadDeadline(deadline)
	_, data, err := c.Conn.ReadMessage()
	if err != nil {
		c.tb.Fatalf("json client: read: %v", err)
	}
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		c.tb.Fatalf("json client: server sent %q: %v", data, err)
	}
	return f
}

// AwaitFunc returns the first frame, old or new, for which match is true, keeping the others
// in order for later calls.
func (c *JSONClient) AwaitFunc(what string, match func(Frame) bool) Frame {
	c.tb.Helper()
	for i, f := range c.backlog {
		if match(f) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return f
		}
	}
	deadline := time.Now().Add(Wait)
	for {
		if time.Now().After(deadline) {
			c.tb.Fatalf("json client: no %s within %v; backlog %v", what, Wait, c.backlog)
		}
		f := c.read(deadline)
		if match(f) {
			return f
		}
		c.backlog = append(c.backlog, f)
	}
}

// Await returns the first frame of the given type.
func (c *JSONClient) Await(typ string) Frame {
	c.tb.Helper()
	return c.AwaitFunc(typ+" frame", func(f Frame) bool { return f.Type() == typ })
}

// Messages returns the next n message frames of room, in the order received.
func (c *JSONClient) Messages(room string, n int) []Frame {
	c.tb.Helper()
	out := make([]Frame, 0, n)
	for len(out) < n {
		out = append(out, c.AwaitFunc("message in "+room, func(f Frame) bool {
			return f.Type() == "message" && f.Str("room") == room
		}))
	}
	return out
}

// Join joins room (since may be nil) and returns the joined frame.
func (c *JSONClient) Join(room string, since *uint64) Frame {
	c.tb.Helper()
	f := Frame{"type": "join", "room": room}
	if since != nil {
		f["since"] = *since
	}
	c.Send(f)
	return c.AwaitFunc("joined "+room, func(f Frame) bool {
		return f.Type() == "joined" && f.Str("room") == room || f.Type() == "error"
	})
}

// Say sends text to room with client id id and returns the ack (or error) frame.
func (c *JSONClient) Say(room, id, text string) Frame {
	c.tb.Helper()
	c.Send(Frame{"type": "send", "room": room, "id": id, "text": text})
	return c.AwaitFunc("ack for "+id, func(f Frame) bool {
		return (f.Type() == "ack" || f.Type() == "error") && f.Str("id") == id
	})
}

// Closed reads until the server closes the connection and returns the close error.
func (c *JSONClient) Closed() *websocket.CloseError {
	c.tb.Helper()
	return readUntilClose(c.tb, c.Conn, func([]byte) {})
}

// CheckTwoRoomsCappedAboveFloor10 checks the cap of stored rooms after a restore, on s, a
// server with --max-stored-rooms 2 whose store's seq floor is 10 and holds no room yet: ann
// (a named connection) joins r1, an anonymous connection joins r2 and its first message there
// is seq 11 (the floor + 1), and that message's room counts at once: ann's join of r3 is
// refused with limit. The hub took only seq 1, or a floor it read at start, for a room's first
// entry, and let the third room in until its next count.
func CheckTwoRoomsCappedAboveFloor10(tb testing.TB, s *Server, ann *JSONClient) {
	tb.Helper()
	if f := ann.Join("r1", nil); f.Type() != "joined" {
		tb.Fatalf("ann's join of r1 below the cap: %v", f)
	}
	anon := DialJSON(tb, s, "")
	anon.Send(Frame{"type": "hello", "name": "zed"})
	anon.Await("welcome")
	if f := anon.Join("r2", nil); f.Type() != "joined" {
		tb.Fatalf("an anonymous join of r2 below the cap: %v", f)
	}
	if f := anon.Say("r2", "c1", "the first message stores r2"); f.Num("seq") != 11 {
		tb.Fatalf("the first message of r2: %v, want seq 11, above the floor of 10", f)
	}
	if f := ann.Join("r3", nil); f.Type() != "error" || f.Str("code") != "limit" {
		tb.Errorf("ann's join of r3 with two rooms stored and a cap of 2: %v, want refused with limit", f)
	}
}
