package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// While the connections being set up fill --max-connecting, the WebSocket listener leaves the
// next connection in the kernel's queue instead of accepting it and shedding it: an upgrade
// sent while the only slot is held is answered 101 once the slot's client settles, where an
// unpaced server (and --connecting-wait 0) answered it 503 at once.
func TestPacedAcceptWaitsForTheSlotInsteadOfShedding(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		MaxConnecting: 1, ConnectingWait: -1, HandshakeTimeout: time.Hour, AcceptPause: 5 * time.Second}})
	first := servertest.NewJSONClient(t, servertest.Dial(t, s.WS, hubbub.ProtocolJSON, nil))
	servertest.WaitConns(t, s, 1) // upgraded: it holds the slot until hello and join

	c, err := net.Dial("tcp", s.Addr) // the kernel's queue takes it; the server does not yet
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, upgradeRequest("Sec-WebSocket-Protocol: "+hubbub.ProtocolJSON)); err != nil {
		t.Fatal(err)
	}
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			line = err.Error()
		}
		answered <- line
	}()
	// Time for an unpaced server to have answered (503: the slot is held and nothing waits).
	// A paced one must not answer at all before the slot is free.
	select {
	case line := <-answered:
		t.Fatalf("answered while the slot was held: %q", line)
	case <-time.After(300 * time.Millisecond):
	}

	first.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-ann"})
	first.Await("welcome")
	if f := first.Join("lobby", nil); f.Type() != "joined" {
		t.Fatalf("join: %v", f)
	}
	select {
	case line := <-answered:
		if !strings.HasPrefix(line, "HTTP/1.1 101 ") {
			t.Fatalf("the upgrade queued behind the slot was answered %q, want 101", line)
		}
	case <-time.After(servertest.Wait):
		t.Fatal("the upgrade queued behind the slot was not answered after the slot was freed")
	}
}

// Sockets that connect and never send a request fill the bound too, but hold accepting off
// only AcceptPause at a time: health checks and pages are still answered.
func TestPacedAcceptStillServesWhileSetupsHang(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		MaxConnecting: 1, HandshakeTimeout: time.Hour, AcceptPause: 200 * time.Millisecond}})
	silent, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	client := &http.Client{Timeout: servertest.Wait}
	for i := range 3 {
		resp, err := client.Get(s.URL + "/healthz")
		if err != nil {
			t.Fatalf("health check %d beside a silent socket: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("health check %d: %d", i, resp.StatusCode)
		}
		client.CloseIdleConnections() // a new connection each time: each one is accepted
	}
}

// While admission's queue of waiting upgrades is full, the WebSocket listener leaves the next
// connection in the kernel's queue even after its pause runs out: accepted, it would be
// answered 503 at once and its client would come back only after its Retry-After. Here the
// third client's upgrade, sent while the only slot is held and the only place in the queue
// taken, is not answered until there is room, and is then answered 101: nobody is refused.
func TestPacedAcceptLeavesUpgradesInTheKernelWhileTheQueueIsFull(t *testing.T) {
	m := metrics.New()
	// The metrics are read in the process: a scrape's own connection would wait its turn in
	// the kernel's queue too, behind the held upgrade.
	metric := func(name string) string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for line := range strings.SplitSeq(rec.Body.String(), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return ""
	}
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		Metrics: m, MaxConnecting: 1, ConnectingQueue: 1, ConnectingWait: time.Minute,
		HandshakeTimeout: time.Hour, AcceptPause: 20 * time.Millisecond}})
	first := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the slot

	type dialed struct {
		c      *websocket.Conn
		status int
		err    error
	}
	dial := func() chan dialed {
		ch := make(chan dialed, 1)
		go func() {
			c, status, _, err := dialJSONRaw(s.WS)
			ch <- dialed{c, status, err}
		}()
		return ch
	}
	second := dial()
	testwait.Until(t, "the second upgrade waits", func() bool {
		return metric("hubbub_connections_waiting_admission") == "1"
	})
	third := dial()
	// Many pauses' time: a listener that accepted the third connection has refused it by now.
	select {
	case d := <-third:
		t.Fatalf("the third upgrade was answered while the queue was full: %d %v", d.status, d.err)
	case <-time.After(400 * time.Millisecond):
	}

	settle := func(c *servertest.JSONClient, name string) {
		t.Helper()
		c.Send(servertest.Frame{"type": "hello", "name": name, "key": "key-" + name})
		c.Await("welcome")
		if f := c.Join("lobby", nil); f.Type() != "joined" {
			t.Fatalf("%s's join: %v", name, f)
		}
	}
	admitted := func(ch chan dialed, which string) *servertest.JSONClient {
		t.Helper()
		d := <-ch
		if d.c == nil {
			t.Fatalf("the %s upgrade: %d %v, want 101", which, d.status, d.err)
		}
		t.Cleanup(func() { d.c.Close() })
		return servertest.NewJSONClient(t, d.c)
	}
	settle(first, "ann") // her slot goes to the second; the third is accepted and waits
	settle(admitted(second, "second"), "bob")
	settle(admitted(third, "third"), "cid")
	if got := metric(`hubbub_connections_refused_total{reason="connecting"}`); got != "" && got != "0" {
		t.Fatalf("refused connecting = %v, want 0", got)
	}
}
