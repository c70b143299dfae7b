package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// plainConn is a plain HTTP/1.1 connection a test drives by hand, from a source address of
// its choosing, so that it knows which connection each request goes on.
type plainConn struct {
	net.Conn
	br *bufio.Reader
}

// dialFrom opens a TCP connection to s from the loopback address src (127.0.0.x: every one
// of them is this machine's, and the server, listening on 127.0.0.1, sees src as the peer).
func dialFrom(t *testing.T, s *servertest.Server, src string) *plainConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: servertest.Wait}
	c, err := d.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return &plainConn{Conn: c, br: bufio.NewReader(c)}
}

// get asks for path on c and reads the whole answer; the connection stays open (keep-alive)
// unless the server closes it.
func (c *plainConn) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: hubbub.test\r\n\r\n", path); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: body: %v", path, err)
	}
	return resp, string(b)
}

// upgradeRefused sends c a WebSocket upgrade of /ws from a foreign origin, and reads its
// answer, 403.
func (c *plainConn) upgradeRefused(t *testing.T) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: hubbub.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://elsewhere.example\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an upgrade from a foreign origin: %v, %v; want 403", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// hold sends c a request that stays in its handler: a sign-in form whose body, announced with
// Expect: 100-continue, never comes. Once the server has asked for the body (100 Continue) the
// request has taken its slot; the connection stays busy, its slot held, until it is closed
// or its body is sent (finish), or --body-timeout answers 408 (30 s, far past these tests). An
// idle connection gives its slot up to a new one past a limit; a busy one does not.
func (c *plainConn) hold(t *testing.T) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c, "POST /signin HTTP/1.1\r\nHost: hubbub.test\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("a request held in its handler: %v, %v; want 100 Continue", resp, err)
	}
}

// finish sends the body hold left out and reads the answer (the form carries no CSRF token:
// 403); the connection stays open, kept alive.
func (c *plainConn) finish(t *testing.T) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(c, "name="+strings.Repeat("a", 95)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("the answer to a held request: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatalf("the answer to a held request (%d) closes the connection", resp.StatusCode)
	}
}

// busyFrom opens a connection from src and holds a request on it (hold); it returns the
// connection, busy.
func busyFrom(t *testing.T, s *servertest.Server, src string) *plainConn {
	t.Helper()
	c := dialFrom(t, s, src)
	c.hold(t)
	return c
}

// okFrom opens a connection from src and makes a request on it that must be answered 200;
// it returns the connection, open.
func okFrom(t *testing.T, s *servertest.Server, src string) *plainConn {
	t.Helper()
	c := dialFrom(t, s, src)
	if resp, body := c.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz from %s: %d %q, want 200", src, resp.StatusCode, body)
	}
	return c
}

// waitClosedByServer fails unless the server closes c (its next read ends, with nothing
// more sent) within servertest.Wait.
func (c *plainConn) waitClosedByServer(t *testing.T, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
	if rest, err := io.ReadAll(c.br); err != nil || len(rest) != 0 {
		t.Fatalf("%s: %q, %v; want the connection closed by the server", what, rest, err)
	}
}

// metricOf reads one sample of m in the process: a scrape over HTTP from 127.0.0.1 would be
// one of the connections counted.
func metricOf(m *metrics.Metrics, name string) float64 {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// waitHTTPConns waits until the server counts n plain HTTP connections.
func waitHTTPConns(t *testing.T, m *metrics.Metrics, n float64) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%v plain HTTP connections counted", n), func() bool {
		return metricOf(m, "hubbub_http_connections") == n
	})
}

// waitIdle waits until the server lists n plain HTTP connections idle: answered, kept alive,
// and waiting for their next request. net/http marks a connection idle after its answer is
// sent, so a client that has read the answer cannot know it is yet.
func waitIdle(t *testing.T, m *metrics.Metrics, n float64) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%v idle plain HTTP connections", n), func() bool {
		return metricOf(m, "hubbub_http_connections_idle") == n
	})
}

// wantRefused fails unless a request on a new connection from src is refused for want of a
// plain HTTP connection (503, Retry-After, a body saying why) and the connection closed.
func wantRefused(t *testing.T, s *servertest.Server, src, why string) {
	t.Helper()
	c := dialFrom(t, s, src)
	resp, body := c.get(t, "/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" || !strings.Contains(body, why) {
		t.Fatalf("a connection past the limit from %s: %d, Retry-After %q, %q; want 503, 5 and %q",
			src, resp.StatusCode, resp.Header.Get("Retry-After"), body, why)
	}
	c.waitClosedByServer(t, "after the refusal")
}

// onTransports runs f on a server of each transport: the polled one, whose WebSocket listener
// hands net/http only the connections that are not plain upgrades of /ws, and the goroutine
// one, where net/http holds every connection until it is hijacked.
func onTransports(t *testing.T, f func(t *testing.T, transport string)) {
	for _, tr := range []string{server.TransportPoll, server.TransportGoroutine} {
		t.Run(tr, func(t *testing.T) { f(t, tr) })
	}
}

// TestPlainHTTPConnectionsPerAddress: one address may hold MaxHTTPConnsPerIP plain HTTP
// connections. Past it — here with every one of them busy, in a request — a request on another
// connection is answered 503 with Retry-After and the connection closed, and counted; the same
// address's WebSockets (/ws and /add) and another address are served as before, and a
// connection closed frees its slot. Before, one address could hold any number of them.
func TestPlainHTTPConnectionsPerAddress(t *testing.T) {
	onTransports(t, func(t *testing.T, transport string) {
		m := metrics.New()
		s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: transport, Metrics: m, MaxHTTPConnsPerIP: 3}})
		var held []*plainConn
		for range 3 {
			held = append(held, busyFrom(t, s, "127.0.0.1"))
		}
		wantRefused(t, s, "127.0.0.1", "too many HTTP connections from 127.0.0.1 (at most 3 at once)")

		// The address's WebSockets are counted by --max-conns-per-ip, not here.
		ann := servertest.DialText(t, s, "ann")
		bob := servertest.DialText(t, s, "bob")
		servertest.WaitMembers(t, s, "lobby", 2)
		ann.Say("still chatting")
		if got := bob.Lines(1)[0]; got != "ann: still chatting" {
			t.Fatalf("bob got %q", got)
		}
		add := servertest.Dial(t, "ws"+strings.TrimPrefix(s.URL, "http")+"/add", "", nil)
		var sum struct{ Sum int }
		if err := add.WriteJSON(map[string]int{"A": 3, "B": 9}); err != nil {
			t.Fatal(err)
		}
		_ = add.SetReadDeadline(time.Now().Add(servertest.Wait))
		if err := add.ReadJSON(&sum); err != nil || sum.Sum != 12 {
			t.Fatalf("the add service: %v, %v", sum, err)
		}
		// An upgrade refused leaves a plain connection, which takes a slot as it is answered;
		// with none free it is closed after the answer, not left open, idle and uncounted.
		c := dialFrom(t, s, "127.0.0.1")
		c.upgradeRefused(t)
		c.waitClosedByServer(t, "after the refused upgrade")
		// Another address has slots of its own.
		okFrom(t, s, "127.0.0.2")

		if got := metricOf(m, `hubbub_http_connections_refused_total{reason="per_ip"}`); got != 1 {
			t.Errorf("per-address refusals counted %v, want 1", got)
		}
		waitHTTPConns(t, m, 4)
		held[0].Close()
		waitHTTPConns(t, m, 3)
		okFrom(t, s, "127.0.0.1")
	})
}

// TestUpgradedConnectionsLeaveTheHTTPCount: a connection that made a plain request holds a
// slot; upgraded to a WebSocket on the same connection (/ws, /add), it leaves net/http and
// gives the slot back, so that opening and closing many of them from one address never fills
// its plain HTTP slots. WebSockets dialled afresh never take one; a refused upgrade leaves a
// plain connection, which does.
func TestUpgradedConnectionsLeaveTheHTTPCount(t *testing.T) {
	onTransports(t, func(t *testing.T, transport string) {
		m := metrics.New()
		s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: transport, Metrics: m, MaxHTTPConnsPerIP: 2}})
		ws := "ws" + strings.TrimPrefix(s.URL, "http")
		for i := range 6 {
			c := okFrom(t, s, "127.0.0.1") // holds a slot
			path := "/ws"
			if i%2 == 1 {
				path = "/add"
			}
			// The WebSocket handshake goes on the connection that made the request.
			d := websocket.Dialer{HandshakeTimeout: servertest.Wait,
				NetDialContext: func(context.Context, string, string) (net.Conn, error) { return c, nil }}
			conn, _, err := d.Dial(ws+path, nil)
			if err != nil {
				t.Fatalf("upgrade %d of a kept-alive connection to %s: %v", i, path, err)
			}
			conn.Close()
		}
		for range 10 {
			conn := servertest.Dial(t, ws+"/ws", "", nil)
			conn.Close()
		}
		waitHTTPConns(t, m, 0)
		// An upgrade refused leaves a plain connection, kept alive, which holds a slot from
		// its answer on.
		c := dialFrom(t, s, "127.0.0.1")
		c.upgradeRefused(t)
		if resp, body := c.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the next request after a refused upgrade: %d %q", resp.StatusCode, body)
		}
		waitHTTPConns(t, m, 1)
		c.hold(t)
		busyFrom(t, s, "127.0.0.1")
		wantRefused(t, s, "127.0.0.1", "too many HTTP connections from 127.0.0.1")
	})
}

// TestHTTPConnectionSlotEndsWithTheConnection: a slot is given back however the connection
// ends — closed by the server's idle timeout, or reset by the client — so that the address
// can make another.
func TestHTTPConnectionSlotEndsWithTheConnection(t *testing.T) {
	t.Run("idle timeout", func(t *testing.T) {
		m := metrics.New()
		s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: m, MaxHTTPConnsPerIP: 1},
			IdleTimeout: 100 * time.Millisecond})
		c := okFrom(t, s, "127.0.0.1")
		c.waitClosedByServer(t, "an idle connection")
		waitHTTPConns(t, m, 0)
		okFrom(t, s, "127.0.0.1")
	})
	t.Run("reset", func(t *testing.T) {
		m := metrics.New()
		s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: m, MaxHTTPConnsPerIP: 1}})
		c := busyFrom(t, s, "127.0.0.1")
		wantRefused(t, s, "127.0.0.1", "too many HTTP connections")
		if err := c.Conn.(*net.TCPConn).SetLinger(0); err != nil { // the close sends RST
			t.Fatal(err)
		}
		c.Close()
		waitHTTPConns(t, m, 0)
		okFrom(t, s, "127.0.0.1")
	})
}

// TestPlainHTTPConnectionsInAll: the server holds at most MaxHTTPConns plain HTTP
// connections, whatever their addresses; past it, with all of them busy, 503 with
// Retry-After, counted apart.
func TestPlainHTTPConnectionsInAll(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: m, MaxHTTPConns: 2}})
	a := busyFrom(t, s, "127.0.0.1")
	busyFrom(t, s, "127.0.0.2")
	wantRefused(t, s, "127.0.0.3", "server is at its HTTP connection limit")
	if got := metricOf(m, `hubbub_http_connections_refused_total{reason="max_conns"}`); got != 1 {
		t.Errorf("refusals for the limit in all counted %v, want 1", got)
	}
	// WebSockets are not plain HTTP connections.
	servertest.DialText(t, s, "ann")
	a.Close()
	waitHTTPConns(t, m, 1)
	okFrom(t, s, "127.0.0.3")
}

// TestPerAddressHTTPLimitIsOffBehindAProxy: with TrustProxy every connection comes from the
// proxy, which holds the clients' own connections and carries requests of many clients on
// each of its own: the per-address limit would limit the proxy, so it is not applied. The
// limit in all is.
func TestPerAddressHTTPLimitIsOffBehindAProxy(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{TrustProxy: true, MaxHTTPConnsPerIP: 1, MaxHTTPConns: 3}})
	for range 3 {
		busyFrom(t, s, "127.0.0.1")
	}
	wantRefused(t, s, "127.0.0.1", "server is at its HTTP connection limit")
}

// TestIdleHTTPConnectionGivesWay: a request on a new connection past MaxHTTPConnsPerIP is
// served when one of the address's connections is idle, kept alive between two requests: the
// server closes the one idle longest and gives its slot to the new one, as browsers behind one
// NAT address, each keeping a few connections open after the page, need. Only with every one
// of them in a request is the new one refused. Before, any idle connection held its slot until
// --http-idle-timeout, and the new one got 503.
func TestIdleHTTPConnectionGivesWay(t *testing.T) {
	onTransports(t, func(t *testing.T, transport string) {
		m := metrics.New()
		s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: transport, Metrics: m, MaxHTTPConnsPerIP: 2}})
		a := okFrom(t, s, "127.0.0.1")
		waitIdle(t, m, 1)
		b := okFrom(t, s, "127.0.0.1")
		waitIdle(t, m, 2)
		c := okFrom(t, s, "127.0.0.1") // 503 before
		a.waitClosedByServer(t, "the connection idle longest, once a third one is served")
		if resp, body := b.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the other idle connection, kept alive: %d %q", resp.StatusCode, body)
		}
		if got := metricOf(m, `hubbub_http_connections_reclaimed_total{reason="per_ip"}`); got != 1 {
			t.Errorf("idle connections reclaimed for the address counted %v, want 1", got)
		}
		waitHTTPConns(t, m, 2)

		// Connections in a request keep their slots.
		b.hold(t)
		c.hold(t)
		wantRefused(t, s, "127.0.0.1", "too many HTTP connections from 127.0.0.1 (at most 2 at once)")
		// Another address's idle connection is not the address's to take.
		d := okFrom(t, s, "127.0.0.2")
		waitIdle(t, m, 1)
		wantRefused(t, s, "127.0.0.1", "too many HTTP connections from 127.0.0.1")
		if resp, body := d.get(t, "/healthz"); resp.StatusCode != http.StatusOK {
			t.Fatalf("another address's idle connection: %d %q", resp.StatusCode, body)
		}
		if got := metricOf(m, `hubbub_http_connections_reclaimed_total{reason="per_ip"}`); got != 1 {
			t.Errorf("idle connections reclaimed for the address counted %v, want still 1", got)
		}
		// A request ended leaves its connection idle, its slot for the next to take.
		c.finish(t)
		waitIdle(t, m, 2)
		okFrom(t, s, "127.0.0.1")
		c.waitClosedByServer(t, "the address's idle connection, once another one is served")
	})
}

// TestIdleHTTPConnectionGivesWayInAll: past MaxHTTPConns a new connection takes the slot of
// the connection idle longest, whatever its address; with every one of them in a request it
// is refused.
func TestIdleHTTPConnectionGivesWayInAll(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: m, MaxHTTPConns: 3}})
	a := okFrom(t, s, "127.0.0.1")
	waitIdle(t, m, 1)
	b := okFrom(t, s, "127.0.0.2")
	waitIdle(t, m, 2)
	c := okFrom(t, s, "127.0.0.1")
	waitIdle(t, m, 3)
	d := okFrom(t, s, "127.0.0.3") // 503 before
	a.waitClosedByServer(t, "the connection idle longest, once a fourth one is served")
	if got := metricOf(m, `hubbub_http_connections_reclaimed_total{reason="max_conns"}`); got != 1 {
		t.Errorf("idle connections reclaimed for the limit in all counted %v, want 1", got)
	}
	for _, busy := range []*plainConn{b, c, d} {
		busy.hold(t)
	}
	wantRefused(t, s, "127.0.0.4", "server is at its HTTP connection limit")
	if got := metricOf(m, `hubbub_http_connections_refused_total{reason="max_conns"}`); got != 1 {
		t.Errorf("refusals for the limit in all counted %v, want 1", got)
	}
}
