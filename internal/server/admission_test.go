package server_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
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

// dialJSONRaw tries a hubbub.v1 upgrade: the connection, or the refusal's status and headers.
func dialJSONRaw(url string) (*websocket.Conn, int, http.Header, error) {
	d := websocket.Dialer{HandshakeTimeout: servertest.Wait, Subprotocols: []string{hubbub.ProtocolJSON}}
	c, resp, err := d.Dial(url, nil)
	if err == nil {
		return c, http.StatusSwitchingProtocols, nil, nil
	}
	if resp == nil {
		return nil, 0, nil, err
	}
	resp.Body.Close()
	return nil, resp.StatusCode, resp.Header, err
}

// assertShed checks that an upgrade to s is shed: 503 with a Retry-After of 1 or 2 seconds.
func assertShed(t *testing.T, s *servertest.Server) {
	t.Helper()
	c, status, body, h := dialStatus(t, s.WS, nil)
	if c != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, "busy") {
		t.Fatalf("upgrade past --max-connecting: %d %q", status, body)
	}
	if ra := h.Get("Retry-After"); ra != "1" && ra != "2" {
		t.Fatalf("shed upgrade's Retry-After = %q, want 1 or 2", ra)
	}
}

// dialAdmitted dials s until the upgrade is not shed (a slot is given back a moment after
// what frees it), within Wait.
func dialAdmitted(t *testing.T, s *servertest.Server, subprotocol string) *websocket.Conn {
	t.Helper()
	deadline := time.Now().Add(servertest.Wait)
	for {
		d := websocket.Dialer{HandshakeTimeout: servertest.Wait}
		if subprotocol != "" {
			d.Subprotocols = []string{subprotocol}
		}
		c, resp, err := d.Dial(s.WS, nil)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("dial: %v %v", resp, err)
		}
		resp.Body.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// A connection holds an admission slot from its upgrade until it settles (hello and the frame
// after it handled), ends, or HandshakeTimeout passes; meanwhile upgrades past MaxConnecting
// get 503 with Retry-After, counted as refused "connecting".
func TestAdmissionSlotsAreHeldUntilSettled(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnecting: 2, Metrics: m,
		HandshakeTimeout: time.Hour, ConnectingWait: -1}})
	a := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON))
	b := dialAdmitted(t, s, "") // a text client that has not sent its name
	assertShed(t, s)
	if got := servertest.Scrape(t, s)[`hubbub_connections_refused_total{reason="connecting"}`]; got != 1 {
		t.Fatalf("refused connecting = %v, want 1", got)
	}

	// A hello alone does not settle a connection; the join after it does.
	a.Send(servertest.Frame{"type": "hello", "name": "alice", "key": "key-alice"})
	a.Await("welcome")
	assertShed(t, s)
	if f := a.Join("lobby", nil); f.Type() != "joined" {
		t.Fatalf("join: %v", f)
	}
	c := servertest.NewTextClient(t, dialAdmitted(t, s, "")) // the slot alice freed
	c.Say("carol")                                           // her name settles her
	servertest.WaitMembers(t, s, "lobby", 2)
	d := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON))
	d.Send(servertest.Frame{"type": "hello", "name": "dave", "key": "key-dave"})
	d.Await("welcome")
	assertShed(t, s) // b and d hold the two slots

	// A connection that ends gives its slot back too.
	b.Close()
	e := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON))
	for _, cl := range []*servertest.JSONClient{d, e} {
		if cl == e {
			cl.Send(servertest.Frame{"type": "hello", "name": "erin", "key": "key-erin"})
			cl.Await("welcome")
		}
		if f := cl.Join("lobby", nil); f.Type() != "joined" {
			t.Fatalf("join: %v", f)
		}
	}
	c.Say("still here")
	if got := c.Lines(1)[0]; !strings.HasSuffix(got, "carol: still here") {
		t.Fatalf("carol got %q", got)
	}
}

// A client that never says hello holds its slot only for HandshakeTimeout: it keeps its
// socket, and the next client gets in.
func TestAdmissionSlotOfSilentClientExpires(t *testing.T) {
	// HandshakeTimeout also bounds each upgrade and the reading of its headers: 2 s, not less,
	// so that the dials themselves do not time out on a busy machine under -race.
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnecting: 1,
		HandshakeTimeout: 2 * time.Second, ConnectingWait: -1}})
	silent := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON))
	deadline := time.Now().Add(servertest.Wait)
	for {
		c, status, _, err := dialJSONRaw(s.WS)
		if c != nil {
			c.Close()
			break
		}
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("dial past a silent client: %d %v", status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The silent client was not disconnected; it may still say hello.
	silent.Send(servertest.Frame{"type": "hello", "name": "late", "key": "key-late"})
	silent.Await("welcome")
}

// stormClient dials until admitted (honouring 503 as "try again"), says hello, joins room
// with since 0 and reads its replay of want messages; then it waits for one more message and
// closes. It reports how many 503s it met, and the first error.
func stormClient(url, name, room string, want uint64, ready *sync.WaitGroup, shed *int, live <-chan struct{}) (err error) {
	var ws *websocket.Conn
	// Generous: every client may wait for all the others to be set up, on a busy machine.
	deadline := time.Now().Add(3 * servertest.Wait)
	readyDone := false
	defer func() {
		if !readyDone {
			ready.Done()
		}
	}()
	for ws == nil {
		c, status, h, err := dialJSONRaw(url)
		switch {
		case c != nil:
			ws = c
		case status == http.StatusServiceUnavailable:
			if _, err := strconv.Atoi(h.Get("Retry-After")); err != nil {
				return fmt.Errorf("503 without a Retry-After in seconds: %q", h.Get("Retry-After"))
			}
			*shed++
			if time.Now().After(deadline) {
				return fmt.Errorf("still shed after %v", 3*servertest.Wait)
			}
			// The test does not wait the whole Retry-After: it checks the server, not the
			// clients' patience.
			time.Sleep(time.Duration(20+rand.IntN(40)) * time.Millisecond)
		default:
			return fmt.Errorf("dial: %d %v", status, err)
		}
	}
	defer ws.Close()
	send := func(v any) error { return ws.WriteJSON(v) }
	if err := send(map[string]any{"type": "hello", "name": name, "key": "key-" + name}); err != nil {
		return err
	}
	if err := send(map[string]any{"type": "join", "room": room, "since": 0}); err != nil {
		return err
	}
	seen := map[uint64]bool{}
	joined := false
	for {
		var f map[string]any
		// The live message comes once every client is ready: up to the dial deadline.
		_ = ws.SetReadDeadline(deadline.Add(servertest.Wait))
		if err := ws.ReadJSON(&f); err != nil {
			return fmt.Errorf("read (joined %v, %d of %d messages): %w", joined, len(seen), want, err)
		}
		switch f["type"] {
		case "joined":
			joined = true
		case "error":
			return fmt.Errorf("server: %v", f)
		case "message":
			seq := uint64(f["seq"].(float64))
			if seen[seq] {
				return fmt.Errorf("message %d twice", seq)
			}
			seen[seq] = true
		}
		if joined && uint64(len(seen)) == want && !readyDone {
			readyDone = true
			ready.Done()
			<-live
		}
		if uint64(len(seen)) == want+1 {
			for seq := uint64(1); seq <= want+1; seq++ {
				if !seen[seq] {
					return fmt.Errorf("message %d missing", seq)
				}
			}
			return nil
		}
	}
}

// Many clients dialling at once past a low MaxConnecting: every one of them ends up joined,
// caught up on the room's log and live, whether the excess wait for a slot or, with no wait
// or a queue of one, get 503 with Retry-After and retry.
func TestAdmissionUnderDialStormLosesNobody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		wait  time.Duration
		queue int
		pause time.Duration
	}{
		{"wait", 0, 0, 0}, {"queue of one", 0, 1, 0},
		{"no wait, accepts paced", -1, 0, 0}, // the excess waits in the kernel's queue
		{"no wait, accepts not paced", -1, 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dialStorm(t, server.Config{MaxConnecting: 2, ConnectingWait: tc.wait, ConnectingQueue: tc.queue, AcceptPause: tc.pause})
		})
	}
}

func dialStorm(t *testing.T, cfg server.Config) {
	const room, before, clients = "storm", 20, 16
	m := metrics.New()
	cfg.Metrics = m
	// The sender sends before+1 messages, the last once every client is back: with the
	// default burst of 20 the last was refused as rate_limited whenever the storm took less
	// than a refill (a fast, unraced run), and every client then waited for it in vain.
	cfg.SendBurst = before + 1
	s := servertest.Start(t, servertest.Options{Server: cfg})
	sender := servertest.DialJSON(t, s, "sender")
	sender.Join(room, nil)
	for i := range before {
		if f := sender.Say(room, fmt.Sprint("m", i), fmt.Sprint("before ", i)); f.Type() != "ack" {
			t.Fatalf("send: %v", f)
		}
	}
	var ready, done sync.WaitGroup
	live := make(chan struct{})
	errs := make([]error, clients)
	sheds := make([]int, clients)
	ready.Add(clients)
	done.Add(clients)
	for i := range clients {
		go func() {
			defer done.Done()
			errs[i] = stormClient(s.WS, fmt.Sprint("c", i), room, before, &ready, &sheds[i], live)
		}()
	}
	ready.Wait()
	if f := sender.Say(room, "last", "after everyone is back"); f.Type() != "ack" {
		t.Errorf("the last send: %v", f)
	}
	close(live)
	done.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
		total += sheds[i]
	}
	counted := servertest.Scrape(t, s)[`hubbub_connections_refused_total{reason="connecting"}`]
	if counted != float64(total) {
		t.Errorf("refused connecting = %v, clients met %d", counted, total)
	}
	t.Logf("%d clients, --max-connecting 2: %d upgrades shed", clients, total)
	// Sheds need an upgrade read past the bound: without paced accepts (or with the
	// goroutine transport, which has no listener of its own to pace) and with no wait.
	unpaced := cfg.AcceptPause < 0 || os.Getenv("HUBBUB_TEST_TRANSPORT") == server.TransportGoroutine
	if cfg.ConnectingWait < 0 && unpaced && total == 0 {
		t.Error("with no wait, not one upgrade of 16 clients past a bound of 2 was shed")
	}
}

// An upgrade past MaxConnecting waits for a slot instead of being shed: it completes, with
// no 503, as soon as the connection ahead of it settles.
func TestAdmissionUpgradeWaitsForASlot(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnecting: 1, Metrics: m,
		HandshakeTimeout: time.Hour, ConnectingWait: time.Minute}})
	a := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON))
	type dialed struct {
		c      *websocket.Conn
		status int
		err    error
	}
	second := make(chan dialed, 1)
	go func() {
		c, status, _, err := dialJSONRaw(s.WS)
		second <- dialed{c, status, err}
	}()
	testwait.Until(t, "the second upgrade waits", func() bool {
		return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] == 1
	})
	select {
	case d := <-second:
		t.Fatalf("the second upgrade ended while the first holds the only slot: %d %v", d.status, d.err)
	default:
	}
	a.Send(servertest.Frame{"type": "hello", "name": "alice", "key": "key-alice"})
	a.Await("welcome")
	a.Join("lobby", nil) // settles alice: her slot goes to the waiting upgrade
	d := <-second
	if d.c == nil {
		t.Fatalf("the waiting upgrade: %d %v", d.status, d.err)
	}
	b := servertest.NewJSONClient(t, d.c)
	t.Cleanup(func() { d.c.Close() })
	b.Send(servertest.Frame{"type": "hello", "name": "bob", "key": "key-bob"})
	b.Await("welcome")
	if f := b.Join("lobby", nil); f.Type() != "joined" {
		t.Fatalf("join: %v", f)
	}
	if got := servertest.Scrape(t, s)[`hubbub_connections_refused_total{reason="connecting"}`]; got != 0 {
		t.Fatalf("refused connecting = %v, want 0", got)
	}
}

// An upgrade waiting for a slot when shutdown begins is answered 503 at once, not held for
// its wait (http.Server.Shutdown waits for its handler).
func TestAdmissionWaitEndsAtShutdown(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnecting: 1, Metrics: metrics.New(),
		HandshakeTimeout: time.Hour, ConnectingWait: time.Minute}})
	servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the only slot
	status := make(chan int, 1)
	go func() {
		c, st, _, _ := dialJSONRaw(s.WS)
		if c != nil {
			c.Close()
		}
		status <- st
	}()
	testwait.Until(t, "the second upgrade waits", func() bool {
		return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] == 1
	})
	s.Srv.StopAdmitting()
	if st := <-status; st != http.StatusServiceUnavailable {
		t.Fatalf("the waiting upgrade at shutdown: status %d, want 503", st)
	}
}
