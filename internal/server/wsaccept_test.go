package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
	"hubbub/internal/wsframe"
)

// upgradeRequest is a plain handshake for /ws; extra lines go before the blank line.
func upgradeRequest(extra ...string) string {
	return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		strings.Join(append(extra, ""), "\r\n") + "\r\n"
}

const healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

var (
	dateLine = regexp.MustCompile(`(?m)^Date: .*\r$`)
	// A shed upgrade's Retry-After is 1 or 2 at random, to spread the retries.
	shedRetry = regexp.MustCompile(`(?m)^Retry-After: [12]\r$`)
)

// readResponse reads one response from br: its head and its body (Content-Length's, or up to
// the end for one that closes), with its Date blanked.
func readResponse(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var head strings.Builder
	length := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the response head: %v (so far %q)", err, head.String()+line)
		}
		head.WriteString(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	var body []byte
	var err error
	switch {
	case length >= 0:
		body = make([]byte, length)
		_, err = io.ReadFull(br, body)
	case strings.Contains(head.String(), "Connection: close"):
		body, err = io.ReadAll(br)
	}
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	h := dateLine.ReplaceAllString(head.String(), "Date: (date)\r")
	return shedRetry.ReplaceAllString(h, "Retry-After: (1 or 2)\r") + string(body)
}

// rawAnswers sends each request on one connection to s, waiting for the answer to each, and
// returns the answers.
func rawAnswers(t *testing.T, s *servertest.Server, reqs ...string) []string {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	br := bufio.NewReader(c)
	var out []string
	for _, req := range reqs {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		out = append(out, readResponse(t, br))
	}
	return out
}

// holdUpgrade opens a WebSocket that says nothing, keeping its admission slot and its
// address's connection.
func holdUpgrade(t *testing.T, s *servertest.Server) {
	servertest.Dial(t, s.WS, hubbub.ProtocolJSON, nil)
	servertest.WaitConns(t, s, 1)
}

// TestWSListenerAnswersAsNetHTTP sends the same requests to a server with its own WebSocket
// listener and to one serving every request through net/http: each accepted and each refused
// upgrade, and every request the listener hands on, gets the same bytes (but the date), and
// a connection whose upgrade was refused serves its next request alike.
func TestWSListenerAnswersAsNetHTTP(t *testing.T) {
	cases := []struct {
		name   string
		cfg    server.Config
		setup  func(*testing.T, *servertest.Server)
		reqs   []string
		status string
	}{
		{name: "accepted", reqs: []string{upgradeRequest()}, status: "101"},
		{name: "accepted with a subprotocol", reqs: []string{upgradeRequest("Sec-WebSocket-Protocol: x, " + hubbub.ProtocolJSON)}, status: "101"},
		{name: "accepted with a token and cookies", reqs: []string{strings.Replace(upgradeRequest("Cookie: a=b; hubbub_token=x"), "/ws", "/ws?token=abc", 1)}, status: "101"},
		{name: "origin allowed", reqs: []string{upgradeRequest("Origin: http://127.0.0.1")}, status: "101"},
		{name: "origin refused", reqs: []string{upgradeRequest("Origin: http://evil.example"), healthz}, status: "403"},
		{name: "bad key", reqs: []string{strings.Replace(upgradeRequest(), "dGhlIHNhbXBsZSBub25jZQ==", "abc", 1), healthz}, status: "400"},
		{name: "version 8", reqs: []string{strings.Replace(upgradeRequest(), "Version: 13", "Version: 8", 1), healthz}, status: "400"},
		{name: "no upgrade", reqs: []string{"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", healthz}, status: "400"},
		{name: "POST", reqs: []string{strings.Replace(upgradeRequest("Content-Length: 0"), "GET", "POST", 1), healthz}, status: "405"},
		{name: "HTTP/1.0", reqs: []string{strings.Replace(upgradeRequest(), "HTTP/1.1", "HTTP/1.0", 1)}, status: "101"},
		{name: "no Host", reqs: []string{strings.Replace(upgradeRequest(), "Host: 127.0.0.1\r\n", "", 1)}, status: "400"},
		{name: "two Hosts", reqs: []string{upgradeRequest("Host: example.com")}, status: "400"},
		// net/http ends a line at a bare LF too: a head whose blank line is "\n" is complete,
		// and answered at once, not after the handshake timeout (an hour here).
		{name: "bare LF ends the head", cfg: server.Config{HandshakeTimeout: time.Hour},
			reqs: []string{strings.TrimSuffix(upgradeRequest(), "\r\n") + "\n"}, status: "101"},
		{name: "LF-only head", cfg: server.Config{HandshakeTimeout: time.Hour},
			reqs: []string{strings.ReplaceAll(upgradeRequest(), "\r\n", "\n")}, status: "101"},
		{name: "folded header", reqs: []string{upgradeRequest("X-A: a", " b")}, status: "101"},
		{name: "space before colon", reqs: []string{upgradeRequest("X-A : a")}, status: "400"},
		{name: "control byte in a value", reqs: []string{upgradeRequest("X-A: a\x01b")}, status: "400"},
		{name: "other path", reqs: []string{strings.Replace(upgradeRequest(), "/ws", "/wsx", 1), healthz}, status: "404"},
		{name: "unclean path", reqs: []string{strings.Replace(upgradeRequest(), "/ws", "//ws", 1), healthz}, status: "307"},
		{name: "keep-alive before the upgrade", reqs: []string{healthz, healthz, upgradeRequest()}, status: "200"},
		{name: "draining", setup: func(t *testing.T, s *servertest.Server) { s.Srv.StopAdmitting() },
			reqs: []string{upgradeRequest(), healthz}, status: "503"},
		{name: "shed", cfg: server.Config{MaxConnecting: 1, ConnectingWait: -1}, setup: holdUpgrade,
			reqs: []string{upgradeRequest(), healthz}, status: "503"},
		{name: "server full", cfg: server.Config{MaxConns: 1}, setup: holdUpgrade,
			reqs: []string{upgradeRequest(), healthz}, status: "503"},
		{name: "address full", cfg: server.Config{MaxConnsPerIP: 1}, setup: holdUpgrade,
			reqs: []string{upgradeRequest(), healthz}, status: "429"},
		{name: "address too fast", cfg: server.Config{ConnectRate: 0.01, ConnectBurst: 1}, setup: holdUpgrade,
			reqs: []string{upgradeRequest(), healthz}, status: "429"},
		{name: "forwarded address too fast", cfg: server.Config{ConnectRate: 0.01, ConnectBurst: 1, TrustProxy: true},
			setup: func(t *testing.T, s *servertest.Server) {
				rawAnswers(t, s, upgradeRequest("X-Forwarded-For: 10.0.0.1, 192.0.2.7"))
			},
			reqs: []string{upgradeRequest("X-Forwarded-For: 192.0.2.7"), upgradeRequest("X-Forwarded-For: 192.0.2.8")}, status: "429"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got [2][]string
			for i, netHTTPOnly := range []bool{true, false} {
				s := servertest.Start(t, servertest.Options{Server: tc.cfg, NetHTTPOnly: netHTTPOnly})
				if tc.setup != nil {
					tc.setup(t, s)
				}
				got[i] = rawAnswers(t, s, tc.reqs...)
			}
			if want := "HTTP/1.1 " + tc.status + " "; !strings.HasPrefix(got[1][0], want) &&
				!strings.HasPrefix(got[1][0], strings.Replace(want, "1.1", "1.0", 1)) {
				t.Errorf("first answer %q, want %s", got[1][0], want)
			}
			for i := range got[0] {
				if got[0][i] != got[1][i] {
					t.Errorf("answer %d:\nnet/http: %q\nlistener: %q", i, got[0][i], got[1][i])
				}
			}
		})
	}
}

// TestWSListenerGorillaClients dials both kinds of server with gorilla's Dialer: the same
// status, headers (but the date) and body, accepted or refused.
func TestWSListenerGorillaClients(t *testing.T) {
	type answer struct {
		status int
		header http.Header
		body   string
		sub    string
	}
	dial := func(s *servertest.Server, header http.Header) answer {
		d := websocket.Dialer{HandshakeTimeout: servertest.Wait, Subprotocols: []string{hubbub.ProtocolJSON}}
		c, resp, err := d.Dial(s.WS, header)
		if c != nil {
			defer c.Close()
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Header.Del("Date")
		if k := resp.Header.Get("Sec-Websocket-Accept"); k != "" {
			resp.Header.Set("Sec-Websocket-Accept", "(the key's)") // the Dialer's key is random; it checked the answer
		}
		if v := resp.Header.Get("Retry-After"); v == "1" || v == "2" {
			resp.Header.Set("Retry-After", "(1 or 2)")
		}
		a := answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
		if c != nil {
			a.sub = c.Subprotocol()
		}
		return a
	}
	for _, tc := range []struct {
		name   string
		cfg    server.Config
		header http.Header
	}{
		{name: "accepted"},
		{name: "bad origin", header: http.Header{"Origin": {"http://evil.example"}}},
		{name: "shed", cfg: server.Config{MaxConnecting: 1, ConnectingWait: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]answer
			for i, netHTTPOnly := range []bool{true, false} {
				s := servertest.Start(t, servertest.Options{Server: tc.cfg, NetHTTPOnly: netHTTPOnly})
				if tc.cfg.MaxConnecting == 1 {
					holdUpgrade(t, s)
				}
				got[i] = dial(s, tc.header)
			}
			if got[0].status != got[1].status || got[0].body != got[1].body || got[0].sub != got[1].sub ||
				!equalHeaders(got[0].header, got[1].header) {
				t.Errorf("net/http %+v\nlistener %+v", got[0], got[1])
			}
		})
	}
}

func equalHeaders(a, b http.Header) bool {
	var x, y bytes.Buffer
	_ = a.Write(&x)
	_ = b.Write(&y)
	return x.String() == y.String()
}

// TestWSListenerTakesFramesSentWithTheRequest: a client that sends its first frames with its
// request, without waiting for the 101, has them answered.
func TestWSListenerTakesFramesSentWithTheRequest(t *testing.T) {
	// The listener is the polled transport's: under CI's goroutine pass too (through net/http
	// and gorilla, such frames close the connection: TestHandshakeRefusesEarlyFrames).
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll}})
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	ping := maskedFrame(wsframe.OpPing, []byte("early"))
	if _, err := io.WriteString(c, upgradeRequest()+string(ping)); err != nil {
		t.Fatal(err)
	}
	expectUpgradedThenPong(t, c, "early")
}

// TestWSListenerServesRequestsSentBeforeTheAccept: clients that connect and write before the
// listener accepts them — the usual case while accepts are paced — are read at once: one whose
// request and first frame are both there is answered, and one of which only half the head is
// there is read on when the rest comes.
func TestWSListenerServesRequestsSentBeforeTheAccept(t *testing.T) {
	var whole, half net.Conn
	ping := maskedFrame(wsframe.OpPing, []byte("early"))
	req := upgradeRequest()
	servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll},
		WrapListener: func(ln net.Listener) net.Listener {
			// Listening, not yet accepting: the kernel completes these connections and keeps
			// what they send until the listener accepts them.
			dial := func(first string) net.Conn {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				_ = c.SetDeadline(time.Now().Add(servertest.Wait))
				if _, err := io.WriteString(c, first); err != nil {
					t.Fatal(err)
				}
				return c
			}
			whole = dial(req + string(ping))
			half = dial(req[:len(req)/2])
			return ln // unwrapped: the listener accepts from its socket
		}})
	defer whole.Close() // before the server's shutdown, which waits for its clients' close replies
	defer half.Close()
	expectUpgradedThenPong(t, whole, "early")
	if _, err := io.WriteString(half, req[len(req)/2:]+string(ping)); err != nil {
		t.Fatal(err)
	}
	expectUpgradedThenPong(t, half, "early")
}

// expectUpgradedThenPong reads, on c, a 101 and then a pong of payload: the answer to a
// ping the client sent before the 101 came.
func expectUpgradedThenPong(t *testing.T, c net.Conn, want string) {
	t.Helper()
	br := bufio.NewReader(c)
	if got := readResponse(t, br); !strings.HasPrefix(got, "HTTP/1.1 101 ") {
		t.Fatalf("answer %q, want 101", got)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		t.Fatalf("reading the pong: %v", err)
	}
	payload := make([]byte, hdr[1]&0x7f)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	if op := hdr[0] & 0x0f; op != wsframe.OpPong || string(payload) != want {
		t.Errorf("got opcode %d payload %q, want a pong of %q", op, payload, want)
	}
}

// maskedFrame is a client's final frame of op with payload (short).
func maskedFrame(op byte, payload []byte) []byte {
	key := [4]byte{1, 2, 3, 4}
	b := []byte{0x80 | op, 0x80 | byte(len(payload))}
	b = append(b, key[:]...)
	for i, p := range payload {
		b = append(b, p^key[i%4])
	}
	return b
}

// TestWSListenerCutsSlowHeads: a request head that does not come whole within the handshake
// timeout is cut, with nothing answered, as net/http's ReadHeaderTimeout does, whether the
// listener or net/http (a head longer than the listener reads) was reading it.
func TestWSListenerCutsSlowHeads(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{HandshakeTimeout: 300 * time.Millisecond}})
	for _, sent := range []string{
		"", // not a byte: the listener waits for it without a goroutine (TestWSListenerWaitsWithoutGoroutines)
		"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n",
		"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + strings.Repeat("a", 6000) + "\r\n",
		"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
	} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(servertest.Wait))
		if _, err := io.WriteString(c, sent); err != nil {
			t.Fatal(err)
		}
		// Then nothing more: the server must close.
		b, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%.30q…: not cut within %v", sent, servertest.Wait)
		}
		if len(b) > 0 {
			t.Errorf("%.30q…: answered %q", sent, b)
		}
		c.Close()
	}
}

// TestWSListenerRefusesOversizedHeads: a head past the server's header limit is refused with
// 431, as net/http refuses it.
func TestWSListenerRefusesOversizedHeads(t *testing.T) {
	var got [2]string
	for i, netHTTPOnly := range []bool{true, false} {
		s := servertest.Start(t, servertest.Options{NetHTTPOnly: netHTTPOnly})
		got[i] = rawAnswers(t, s, upgradeRequest("X-Long: "+strings.Repeat("a", 40<<10)))[0]
	}
	if !strings.HasPrefix(got[1], "HTTP/1.1 431 ") || got[0] != got[1] {
		t.Errorf("net/http %q\nlistener %q", got[0], got[1])
	}
}

// BenchmarkUpgrade opens and closes a hubbub.v1 WebSocket per op with a raw client (the
// request, the 101, a close), through the server's own listener and through net/http, for
// their cost per upgrade (client included, the same in both). Run, interleaved:
//
//	go test -run XXX -bench Upgrade -benchtime 2000x -count 6 ./internal/server/
func BenchmarkUpgrade(b *testing.B) {
	for _, bc := range []struct {
		name        string
		netHTTPOnly bool
	}{{"net/http", true}, {"listener", false}} {
		b.Run(bc.name, func(b *testing.B) {
			s := servertest.Start(b, servertest.Options{NetHTTPOnly: bc.netHTTPOnly})
			req := []byte(upgradeRequest("Sec-WebSocket-Protocol: " + hubbub.ProtocolJSON))
			buf := make([]byte, 512)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c, err := net.Dial("tcp", s.Addr)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				n, err := c.Read(buf)
				if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 101 ")) {
					b.Fatalf("answer %q, %v", buf[:n], err)
				}
				c.Close()
			}
			b.StopTimer()
			servertest.WaitConns(b, s, 0)
		})
	}
}

// An upgrade waiting for an admission slot whose client gives up and closes leaves the queue
// at once, as through net/http (which ends the request's context when the client closes):
// it keeps no place in the queue for the whole wait, and is not upgraded when its turn comes.
func TestWSListenerForgetsAWaiterThatLeft(t *testing.T) {
	// A listener that is not plain TCP hides its sockets from the poller: the listener watches
	// them by reading instead.
	wrapped := func(ln net.Listener) net.Listener { return struct{ net.Listener }{ln} }
	for _, c := range []struct {
		name        string
		netHTTPOnly bool
		wrap        func(net.Listener) net.Listener
	}{{"net-http", true, nil}, {"listener", false, nil}, {"listener-not-polled", false, wrapped}} {
		t.Run(c.name, func(t *testing.T) {
			s := servertest.Start(t, servertest.Options{NetHTTPOnly: c.netHTTPOnly, WrapListener: c.wrap, Server: server.Config{
				MaxConnecting: 1, ConnectingWait: time.Minute, HandshakeTimeout: time.Hour,
				AcceptPause: -1, Metrics: metrics.New()}})
			servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the only slot
			c, err := net.Dial("tcp", s.Addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(c, upgradeRequest()); err != nil {
				t.Fatal(err)
			}
			waiting := func() float64 { return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] }
			testwait.Until(t, "the upgrade waits for the slot", func() bool { return waiting() == 1 })
			c.Close()
			testwait.Until(t, "the upgrade whose client left stops waiting", func() bool { return waiting() == 0 })
		})
	}
}

// A frame the client sends while its upgrade waits for a slot is handled once it is
// upgraded, though the listener watched the socket for the client leaving meanwhile.
func TestWSListenerKeepsFramesSentWhileWaiting(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		MaxConnecting: 1, ConnectingWait: time.Minute, HandshakeTimeout: time.Hour,
		AcceptPause: -1, Metrics: metrics.New()}})
	first := servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the only slot
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	if _, err := io.WriteString(c, upgradeRequest()); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the upgrade waits for the slot", func() bool {
		return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] == 1
	})
	if _, err := c.Write(maskedFrame(wsframe.OpPing, []byte("early"))); err != nil {
		t.Fatal(err)
	}
	first.Send(servertest.Frame{"type": "hello", "name": "ann", "key": "key-ann"})
	first.Await("welcome")
	first.Join("lobby", nil) // settles ann: her slot goes to the waiting upgrade
	expectUpgradedThenPong(t, c, "early")
}

// Sockets waiting for their request, and upgrades waiting for an admission slot, are records
// the poller calls back, not goroutines: after a restart thousands of each wait at once, and
// a goroutine each (with the stack a request's parse grew, and for an upgrade a second one
// watching its socket) was a third of the new process's memory. A client that leaves while
// its upgrade waits still gives its place up, through the poller's watch.
func TestWSListenerWaitsWithoutGoroutines(t *testing.T) {
	const waiters = 100
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		MaxConnecting: 1, ConnectingWait: time.Minute, HandshakeTimeout: time.Hour,
		AcceptPause: -1, PollIdleReaders: 4, Metrics: metrics.New()}})
	servertest.NewJSONClient(t, dialAdmitted(t, s, hubbub.ProtocolJSON)) // holds the only slot
	waiting := func() float64 { return servertest.Scrape(t, s)["hubbub_connections_waiting_admission"] }
	before := runtime.NumGoroutine()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	for range waiters {
		dial() // silent
	}
	upgrades := make([]net.Conn, 0, waiters)
	for range waiters {
		c := dial()
		upgrades = append(upgrades, c)
		if _, err := io.WriteString(c, upgradeRequest()); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, "every upgrade waits for the slot", func() bool { return waiting() == waiters })
	// The listener accepts in order: the silent sockets were accepted before the upgrades.
	// The readers that read the requests went back to the poller, which keeps at most 4.
	if grew := runtime.NumGoroutine() - before; grew >= waiters/4 {
		t.Errorf("%d silent sockets and %d upgrades waiting took %d more goroutines; want none but the poller's few readers",
			waiters, waiters, grew)
	}
	for _, c := range upgrades {
		c.Close()
	}
	testwait.Until(t, "the upgrades whose clients left stop waiting", func() bool { return waiting() == 0 })
}
