package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// Upgrades that waited for an admission slot are held to MaxConns when they get it: each
// passed the MaxConns check when it arrived, with fewer connections open than when its turn
// came, so without a second check a storm's queue would open up to --connecting-queue
// connections past --max-conns.
func TestAdmissionWaitersAreHeldToMaxConns(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConns: 2, MaxConnecting: 1,
		Metrics: metrics.New(), HandshakeTimeout: time.Hour, ConnectingWait: time.Minute}})
	a := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the only slot
	type dialed struct {
		c      *websocket.Conn
		status int
	}
	waiting := func(n float64) {
		testwait.Until(t, "the upgrades wait", func() bool {
			return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] == n
		})
	}
	b, c := make(chan dialed, 1), make(chan dialed, 1)
	for i, ch := range []chan dialed{b, c} {
		go func() {
			conn, status, _, _ := dialJSONRaw(s.WS)
			ch <- dialed{conn, status}
		}()
		waiting(float64(i + 1)) // in this order: b first
	}
	settle := func(cl *servertest.JSONClient, name string) {
		cl.Send(servertest.Frame{"type": "hello", "name": name, "key": "key-" + name})
		cl.Await("welcome")
		cl.Join("lobby", nil)
	}
	settle(a, "alice") // her slot goes to b: two connections, MaxConns
	db := <-b
	if db.c == nil {
		t.Fatalf("the first waiting upgrade: status %d, want 101", db.status)
	}
	t.Cleanup(func() { db.c.Close() })
	settle(servertest.NewJSONClient(t, db.c), "bob") // his slot goes to c, past MaxConns
	dc := <-c
	if dc.c != nil {
		dc.c.Close()
		t.Fatalf("an upgrade that waited was let in past --max-conns 2 (%d connections)", s.Srv.Conns())
	}
	if dc.status != http.StatusServiceUnavailable {
		t.Fatalf("the second waiting upgrade: status %d, want 503", dc.status)
	}
}

// An upgrade waiting for a slot when the server stops admitting is refused as the server
// shutting down: counted as draining, with no Retry-After that invites it back at once, not as
// shed by --max-connecting.
func TestAdmissionWaitEndsAsDraining(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnecting: 1, Metrics: metrics.New(),
		HandshakeTimeout: time.Hour, ConnectingWait: time.Minute}})
	servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the only slot
	type refused struct {
		status int
		retry  string
	}
	got := make(chan refused, 1)
	go func() {
		c, st, h, _ := dialJSONRaw(s.WS)
		if c != nil {
			c.Close()
		}
		got <- refused{st, h.Get("Retry-After")}
	}()
	testwait.Until(t, "the second upgrade waits", func() bool {
		return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] == 1
	})
	s.Srv.StopAdmitting()
	if r := <-got; r.status != http.StatusServiceUnavailable || r.retry != "" {
		t.Fatalf("the waiting upgrade at shutdown: status %d, Retry-After %q; want 503 and none", r.status, r.retry)
	}
	m := servertest.Scrape(t, s)
	if d, c := m[`hubbub_connections_refused_total{reason="draining"}`], m[`hubbub_connections_refused_total{reason="connecting"}`]; d != 1 || c != 0 {
		t.Fatalf("refused draining %v, connecting %v; want 1, 0", d, c)
	}
}

// Upgrades that arrive together are held to MaxConns: each passed admission's check of the
// count before any of them was counted, and all were served (the storm bench's test saw three
// clients back at a server of --max-conns 2). The count is checked again where a connection
// is counted; one past it is closed with 1013, which a client retries later.
func TestUpgradesTogetherAreHeldToMaxConns(t *testing.T) {
	const dials = 24
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConns: 2, Metrics: metrics.New()}})
	conns := make(chan *websocket.Conn, dials)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range dials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if c, _, _, _ := dialJSONRaw(s.WS); c != nil {
				conns <- c
			}
		}()
	}
	close(start)
	wg.Wait()
	close(conns)
	welcomed := 0
	for c := range conns {
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
		if err := c.WriteJSON(servertest.Frame{"type": "hello", "name": fmt.Sprintf("u%d", welcomed)}); err != nil {
			continue // closed at once
		}
		var f servertest.Frame
		err := c.ReadJSON(&f)
		switch {
		case err == nil && f["type"] == "welcome":
			welcomed++
		case websocket.IsCloseError(err, websocket.CloseTryAgainLater), err != nil:
		default:
			t.Errorf("a connection past the cap was answered %v", f)
		}
	}
	if welcomed > 2 || s.Srv.Conns() > 2 {
		t.Fatalf("%d welcomed, %d connections held, with --max-conns 2", welcomed, s.Srv.Conns())
	}
}
