package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
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
