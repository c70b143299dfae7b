package session_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// The RFC 6455 example: the server must answer this key with this accept value.
func TestHandshakeAcceptKey(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: duR0pUQxNgBJsRQKj2Jxsw==\r\n\r\n", s.Addr)
	_ = conn.SetReadDeadline(time.Now().Add(servertest.Wait))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "a1y2oy1zvgHsVyHMx+hZ1AYrEHI=" {
		t.Fatalf("Sec-WebSocket-Accept = %q", got)
	}
	if got := resp.Header.Get("Upgrade"); !strings.EqualFold(got, "websocket") {
		t.Fatalf("Upgrade = %q", got)
	}
}

// Three text clients chat: each sees every "name: msg" in order, and nobody sees the names
// themselves (the first message) as a broadcast.
func TestTextClientsChatInOrder(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1000, SendBurst: 1000}})
	names := []string{"ann", "bob", "cy"}
	clients := make([]*servertest.TextClient, len(names))
	for i, n := range names {
		clients[i] = servertest.DialText(t, s, n)
	}
	servertest.WaitMembers(t, s, "lobby", len(names))
	var want []string
	for round := 0; round < 3; round++ {
		for i, c := range clients {
			c.Say(fmt.Sprintf("hello %d\nfrom\t%s ", round, names[i]))
			line := fmt.Sprintf("%s: hello %d from %s", names[i], round, names[i])
			want = append(want, line)
			for j, other := range clients {
				if got := other.Lines(1)[0]; got != line {
					t.Fatalf("%s saw %q, want %q", names[j], got, line)
				}
			}
		}
	}
	// A late client must see only what is said after it arrives, and never a name line.
	late := servertest.DialText(t, s, "dee")
	servertest.WaitMembers(t, s, "lobby", 4)
	clients[0].Say("last")
	for _, c := range append(clients[1:], late) {
		lines := c.Lines(1)
		for lines[0] != "ann: last" {
			if !contains(want, lines[0]) {
				t.Fatalf("unexpected line %q (names must not be broadcast)", lines[0])
			}
			lines = c.Lines(1)
		}
	}
}

// Every client sees the whole conversation in the same order.
func TestTextClientsSeeOneOrder(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1000, SendBurst: 1000}})
	a, b, c := servertest.DialText(t, s, "ann"), servertest.DialText(t, s, "bob"), servertest.DialText(t, s, "cy")
	servertest.WaitMembers(t, s, "lobby", 3)
	const n = 30
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			_ = a.Conn.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "a%d", i))
		}
	}()
	for i := 0; i < n; i++ {
		b.Say(fmt.Sprintf("b%d", i))
	}
	<-done
	la, lb, lc := a.Lines(2*n), b.Lines(2*n), c.Lines(2*n)
	for i := range la {
		if la[i] != lb[i] || la[i] != lc[i] {
			t.Fatalf("line %d differs: %q / %q / %q", i, la[i], lb[i], lc[i])
		}
	}
	if !inOrder(la, "ann: a") || !inOrder(la, "bob: b") {
		t.Fatalf("a sender's lines are out of order: %q", la)
	}
}

func TestTextInvalidNameIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, name := range []string{"   ", strings.Repeat("x", 40), "a\u200bb\u0007"} {
		c := servertest.DialText(t, s, name)
		ce := c.Closed()
		if ce.Code != websocket.ClosePolicyViolation {
			t.Errorf("name %q: close %d, want 1008", name, ce.Code)
		}
		if lines := c.Lines(1); !strings.HasPrefix(lines[0], "error: ") {
			t.Errorf("name %q: got %q, want an error line", name, lines[0])
		}
	}
}

// A text client has no key: it is the anonymous user of its name, which it may use only while
// no stored user holds the name (or a look-alike of it). Keyless connections of one name are one
// anonymous user, so two may share it. (Before users, a second "ann" was refused in lobby.)
func TestTextNameTakenIsRefused(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	servertest.DialJSON(t, s, "ann") // a guest: "ann" is now its key's
	for _, name := range []string{"ann", "аnn"} {
		c := servertest.DialText(t, s, name)
		if ce := c.Closed(); ce.Code != websocket.ClosePolicyViolation {
			t.Fatalf("%q: close %d, want 1008", name, ce.Code)
		}
		if l := c.Lines(1)[0]; !strings.Contains(l, "belongs to another user") {
			t.Fatalf("%q: got %q", name, l)
		}
	}
	tom := servertest.DialText(t, s, "tom")
	tom2 := servertest.DialText(t, s, "tom")
	testwait.Until(t, "both of tom's connections in lobby", func() bool {
		p, _ := s.Hub.Presence("lobby")
		return p.Connections == 2
	})
	if m := s.Hub.Members("lobby"); len(m) != 1 || m[0] != "tom" {
		t.Fatalf("lobby's members %v, want tom once", m)
	}
	tom.Say("hello from a free name")
	if l := tom2.Lines(1)[0]; l != "tom: hello from a free name" {
		t.Fatalf("tom's second connection got %q", l)
	}
}

func TestOversizedMessageClosesWith1009(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: 512}})
	c := servertest.DialText(t, s, "ann")
	c.Say(strings.Repeat("x", 513))
	if ce := c.Closed(); ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("close %d, want 1009", ce.Code)
	}
	// The server is still there for others.
	servertest.DialText(t, s, "bob").Say("still here")
}

func TestInvalidUTF8ClosesWith1007(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.DialText(t, s, "ann")
	if err := c.Conn.WriteMessage(websocket.TextMessage, []byte{'h', 0xff, 'i'}); err != nil {
		t.Fatal(err)
	}
	if ce := c.Closed(); ce.Code != websocket.CloseInvalidFramePayloadData {
		t.Fatalf("close %d, want 1007", ce.Code)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// inOrder reports whether the lines starting with prefix carry increasing numbers 0, 1, 2...
func inOrder(lines []string, prefix string) bool {
	next := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			if l != fmt.Sprintf("%s%d", prefix, next) {
				return false
			}
			next++
		}
	}
	return next > 0
}
