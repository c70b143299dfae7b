package server_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// getWithHeader GETs url with one extra header and returns the status and body.
func getWithHeader(t *testing.T, url, key, value string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(key, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// dialStatus tries a WebSocket upgrade and returns the connection (nil if refused), the HTTP
// status and the body of a refusal.
func dialStatus(t *testing.T, url string, header http.Header) (*websocket.Conn, int, string, http.Header) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: servertest.Wait}
	c, resp, err := d.Dial(url, header)
	if err == nil {
		t.Cleanup(func() { c.Close() })
		return c, resp.StatusCode, "", resp.Header
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return nil, resp.StatusCode, string(b), resp.Header
}

// assertStillServing checks the server is up: health answers and two clients still chat.
func assertStillServing(t *testing.T, s *servertest.Server, a, b *servertest.TextClient, text string) {
	t.Helper()
	if status, _ := s.Get("/healthz"); status != 200 {
		t.Fatalf("healthz: %d", status)
	}
	// The text protocol confirms no join: wait until both names are in before speaking.
	servertest.WaitMembers(t, s, "lobby", 2)
	a.Say(text)
	if got := b.Lines(1)[0]; !strings.HasSuffix(got, ": "+text) {
		t.Fatalf("after the refusals, got %q", got)
	}
}

// One address may hold at most MaxConnsPerIP sockets: the next upgrade gets 429 with a body,
// the server stays up, and a slot freed by a client that leaves can be taken again.
func TestPerIPConnectionLimit(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnsPerIP: 2, ConnectRate: 1000, ConnectBurst: 1000, Metrics: m}})
	a := servertest.DialText(t, s, "a")
	b := servertest.DialText(t, s, "b")
	for range 3 {
		c, status, body, _ := dialStatus(t, s.WS, nil)
		if c != nil || status != http.StatusTooManyRequests || !strings.Contains(body, "too many connections from 127.0.0.1") {
			t.Fatalf("third connection from one address: %d %q", status, body)
		}
	}
	if c, status, _, _ := dialStatus(t, "ws"+s.URL[len("http"):]+"/add", nil); c != nil || status != http.StatusTooManyRequests {
		t.Fatalf("the add service is not limited: %d", status)
	}
	assertStillServing(t, s, a, b, "still here")
	b.Conn.Close()
	servertest.WaitConns(t, s, 1)
	if c, status, body, _ := dialStatus(t, s.WS, nil); c == nil {
		t.Fatalf("a freed slot is refused: %d %q", status, body)
	}
	if got := servertest.Scrape(t, s)[`hubbub_connections_refused_total{reason="per_ip"}`]; got != 4 {
		t.Errorf("per-ip refusals counted %v, want 4", got)
	}
}

// One address may open sockets at ConnectRate with bursts of ConnectBurst: past the burst it
// gets 429 with Retry-After; another address (via a trusted proxy) is not affected.
func TestPerIPConnectRate(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{ConnectRate: 0.5, ConnectBurst: 2, TrustProxy: true}})
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {"198.51.100.1, " + ip}} }
	for i := range 2 {
		if c, status, body, _ := dialStatus(t, s.WS, from("192.0.2.1")); c == nil {
			t.Fatalf("connection %d within the burst refused: %d %q", i, status, body)
		}
	}
	c, status, body, h := dialStatus(t, s.WS, from("192.0.2.1"))
	if c != nil || status != http.StatusTooManyRequests || !strings.Contains(body, "192.0.2.1 is connecting too fast") {
		t.Fatalf("connection past the burst: %d %q", status, body)
	}
	if ra := h.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After %q, want 2", ra)
	}
	if c, status, body, _ := dialStatus(t, s.WS, from("192.0.2.2")); c == nil {
		t.Fatalf("another address is refused: %d %q", status, body)
	}
}

// An IPv6 client usually holds a whole /64: behind a trusted proxy the addresses of one /64
// share --max-conns-per-ip and the connect rate, where each address had slots and a bucket
// of its own (2^64 of them); another /64 has its own. An IPv4 client is one client whether
// the proxy writes its address as IPv4 or IPv4-mapped IPv6.
func TestPerIPLimitsCountAnIPv6Network(t *testing.T) {
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {"198.51.100.1, " + ip}} }
	t.Run("max-conns-per-ip", func(t *testing.T) {
		s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnsPerIP: 2, ConnectRate: 1000, ConnectBurst: 1000, TrustProxy: true}})
		for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2"} {
			if c, status, body, _ := dialStatus(t, s.WS, from(ip)); c == nil {
				t.Fatalf("a connection from %s refused: %d %q", ip, status, body)
			}
		}
		c, status, body, _ := dialStatus(t, s.WS, from("2001:db8:1:2:ffff:ffff:ffff:ffff"))
		if c != nil || status != http.StatusTooManyRequests || !strings.Contains(body, "too many connections from 2001:db8:1:2::/64 (at most 2)") {
			t.Fatalf("a third connection from the same /64: %d %q", status, body)
		}
		if c, status, body, _ := dialStatus(t, s.WS, from("2001:db8:1:3::1")); c == nil {
			t.Fatalf("another /64 is refused: %d %q", status, body)
		}
		for _, ip := range []string{"192.0.2.1", "::ffff:192.0.2.1"} {
			if c, status, body, _ := dialStatus(t, s.WS, from(ip)); c == nil {
				t.Fatalf("a connection from %s refused: %d %q", ip, status, body)
			}
		}
		if c, status, body, _ := dialStatus(t, s.WS, from("192.0.2.1")); c != nil || status != http.StatusTooManyRequests {
			t.Fatalf("a third connection of 192.0.2.1, one of them IPv4-mapped: %d %q", status, body)
		}
	})
	t.Run("connect-rate", func(t *testing.T) {
		s := servertest.Start(t, servertest.Options{Server: server.Config{ConnectRate: 0.5, ConnectBurst: 2, TrustProxy: true}})
		for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2"} {
			if c, status, body, _ := dialStatus(t, s.WS, from(ip)); c == nil {
				t.Fatalf("a connection from %s within the burst refused: %d %q", ip, status, body)
			}
		}
		c, status, body, h := dialStatus(t, s.WS, from("2001:db8:1:2::3"))
		if c != nil || status != http.StatusTooManyRequests || !strings.Contains(body, "2001:db8:1:2::/64 is connecting too fast") || h.Get("Retry-After") == "" {
			t.Fatalf("a connection past the /64's burst: %d %q, Retry-After %q", status, body, h.Get("Retry-After"))
		}
		if c, status, body, _ := dialStatus(t, s.WS, from("2001:db8:1:3::1")); c == nil {
			t.Fatalf("another /64 is refused: %d %q", status, body)
		}
	})
}

// Without TrustProxy, X-Forwarded-For is ignored: a client cannot dodge its limit by
// claiming another address.
func TestForwardedForIgnoredUnlessTrusted(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConnsPerIP: 1}})
	if c, status, body, _ := dialStatus(t, s.WS, http.Header{"X-Forwarded-For": {"192.0.2.1"}}); c == nil {
		t.Fatalf("first connection refused: %d %q", status, body)
	}
	c, status, _, _ := dialStatus(t, s.WS, http.Header{"X-Forwarded-For": {"192.0.2.2"}})
	if c != nil || status != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For dodged the per-IP limit: %d", status)
	}
}

// Past MaxConns every upgrade gets 503 with a body, and the server keeps serving those it has.
func TestGlobalConnectionCap(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{MaxConns: 2}})
	a := servertest.DialText(t, s, "a")
	b := servertest.DialText(t, s, "b")
	servertest.WaitConns(t, s, 2)
	c, status, body, _ := dialStatus(t, s.WS, nil)
	if c != nil || status != http.StatusServiceUnavailable || !strings.Contains(body, "connection limit") {
		t.Fatalf("connection past the cap: %d %q", status, body)
	}
	assertStillServing(t, s, a, b, "still up")
}

// A half-sent handshake (slowloris) is cut after the handshake timeout, while a client that
// connected properly stays connected and keeps chatting.
func TestSlowHandshakeIsCut(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{HandshakeTimeout: 500 * time.Millisecond}})
	a := servertest.DialText(t, s, "a")
	b := servertest.DialText(t, s, "b")
	raw, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := io.WriteString(raw, "GET /ws HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = raw.SetReadDeadline(time.Now().Add(servertest.Wait))
	_, err = io.ReadAll(raw) // returns when the server closes the socket
	if err != nil {
		t.Fatalf("the stalled handshake was not closed: %v", err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 5*time.Second {
		t.Fatalf("stalled handshake cut after %v, want about 500ms", d)
	}
	assertStillServing(t, s, a, b, "unbothered")
}

// The longest message fits the default --read-limit however JSON escapes it: a text of
// --max-text bytes of quotes (each written \"), of line breaks (\n) or of U+2028 (three bytes,
// which encoding/json writes as the six \u2028) is acknowledged. With a read limit of
// --max-text + 1024 (8,192 by default) the quotes' frame, 8,239 bytes, closed its sender's
// connection with 1009 instead, and a client resends an unacknowledged message on every
// reconnect.
func TestLongestMessageFitsTheDefaultReadLimit(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	const max = 4096 // --max-text's default
	for i, text := range []string{
		strings.Repeat(`"`, max),
		strings.Repeat(`\`, max),
		"a" + strings.Repeat("\n", max-2) + "a",
		"a" + strings.Repeat("\u2028", (max-2)/3) + "a",
	} {
		id := fmt.Sprint("m", i)
		if f := ann.Say("r", id, text); f.Type() != "ack" {
			t.Errorf("text %d (%d bytes): %v, want its ack", i, len(text), f)
		}
	}
}

// The welcome tells a client the largest frame the server reads (limits.frame, --read-limit),
// and it is that exact bound: a frame of that many bytes is answered, one byte more closes
// the connection with 1009 and no error frame. Without it a client could not know that a
// request past it would close every connection it was resent on.
func TestWelcomeTellsTheFrameLimit(t *testing.T) {
	for _, limit := range []int64{0, 12000} {
		s := servertest.Start(t, servertest.Options{Server: server.Config{ReadLimit: limit}})
		want := limit
		if want == 0 {
			want = server.DefaultReadLimit
		}
		hello := func() *servertest.JSONClient {
			c := servertest.NewJSONClient(t, servertest.Dial(t, s.WS, hubbub.ProtocolJSON, nil))
			c.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-ann"})
			w := c.Await("welcome")
			limits, _ := w["limits"].(map[string]any)
			if got, _ := limits["frame"].(float64); int64(got) != want {
				t.Fatalf("--read-limit %d: welcome's limits %v, want frame %d", limit, limits, want)
			}
			c.Join("r", nil)
			return c
		}
		// A send whose text is past --max-text: a frame the server reads gets too_long.
		frame := func(n int) []byte {
			head, tail := `{"type":"send","room":"r","id":"m1","text":"`, `"}`
			return []byte(head + strings.Repeat("a", n-len(head)-len(tail)) + tail)
		}
		c := hello()
		if err := c.Conn.WriteMessage(websocket.TextMessage, frame(int(want))); err != nil {
			t.Fatal(err)
		}
		if f := c.Await("error"); f.Str("code") != "too_long" {
			t.Errorf("--read-limit %d: a %d-byte frame got %v, want a too_long error", limit, want, f)
		}
		c = hello()
		if err := c.Conn.WriteMessage(websocket.TextMessage, frame(int(want)+1)); err != nil {
			t.Fatal(err)
		}
		if ce := c.Closed(); ce == nil || ce.Code != websocket.CloseMessageTooBig {
			t.Errorf("--read-limit %d: a %d-byte frame closed the connection with %v, want 1009", limit, want+1, ce)
		}
	}
}
