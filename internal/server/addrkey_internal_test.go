package server

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/testwait"
)

// peerListener gives the connections it accepts the peer addresses queued by from, in order
// (the kernel's accept queue keeps the order of the dials, each made after the last was
// answered): a test's connections come from addresses it cannot bind, such as several of one
// IPv6 /64.
type peerListener struct {
	net.Listener
	mu   sync.Mutex
	next []netip.AddrPort
}

// from says that the next connection accepted comes from addr.
func (l *peerListener) from(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next = append(l.next, netip.MustParseAddrPort(addr))
}

func (l *peerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.next) == 0 {
		return c, nil
	}
	peer := l.next[0]
	l.next = l.next[1:]
	return &peerConn{Conn: c, remote: net.TCPAddrFromAddrPort(peer)}, nil
}

// peerConn is a connection with the peer address peerListener gave it.
type peerConn struct {
	net.Conn
	remote net.Addr
}

func (c *peerConn) RemoteAddr() net.Addr { return c.remote }

// refusalLogged returns the attributes of the "connection refused" log line whose attr is
// value (a refusal is logged before it is answered).
func refusalLogged(t *testing.T, logs *lockedBuffer, attr, value string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %v: %s", err, sc.Text())
		}
		if line["msg"] == "connection refused" && line[attr] == value {
			return line
		}
	}
	t.Fatalf("no \"connection refused\" with %s=%s in the log:\n%s", attr, value, logs.String())
	return nil
}

// --max-http-conns-per-ip counts an IPv6 client's /64, the network a client usually holds:
// the addresses of one /64 share its slots, where each had its own (2^64 of them); another /64
// has its own. The answer names the /64 and the log the client's own address.
func TestHTTPConnsPerAddressCountAnIPv6Network(t *testing.T) {
	for _, tr := range []string{TransportPoll, TransportGoroutine} {
		t.Run(tr, func(t *testing.T) {
			logs := &lockedBuffer{}
			log := slog.New(slog.NewJSONHandler(logs, nil))
			var peers *peerListener
			_, addr := startCountedOn(t, Config{Transport: tr, MaxHTTPConnsPerIP: 2}, log, func(ln net.Listener) net.Listener {
				peers = &peerListener{Listener: ln}
				return peers
			})
			// ask sends req on a new connection from from, and reads the answer.
			ask := func(from, req string) (int, string) {
				t.Helper()
				peers.from(from)
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() }) // held open: each keeps its slot
				_ = c.SetDeadline(time.Now().Add(testwait.Timeout))
				if _, err := io.WriteString(c, req); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(body)
			}
			get := func(from string) (int, string) {
				t.Helper()
				return ask(from, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			}
			// The first two stay in a request (a form whose body never comes), their slots busy:
			// an idle one would give its slot to the third.
			for _, from := range []string{"[2001:db8:1:2::1]:40001", "[2001:db8:1:2::2]:40002"} {
				if status, body := ask(from, "POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"); status != http.StatusContinue {
					t.Fatalf("a connection from %s: %d %q", from, status, body)
				}
			}
			const third = "[2001:db8:1:2:ffff:ffff:ffff:ffff]:40003"
			status, body := get(third)
			if status != http.StatusServiceUnavailable || !strings.Contains(body, "too many HTTP connections from 2001:db8:1:2::/64 (at most 2 at once)") {
				t.Fatalf("a third connection from the same /64: %d %q", status, body)
			}
			if line := refusalLogged(t, logs, "remote", third); line["key"] != "2001:db8:1:2::/64" || line["reason"] != "http_per_ip" {
				t.Errorf("the refusal's log line: %v", line)
			}
			if status, body := get("[2001:db8:1:3::1]:40004"); status != http.StatusOK {
				t.Fatalf("another /64: %d %q", status, body)
			}
		})
	}
}

// A WebSocket refused for its /64 (--max-conns-per-ip, behind a trusted proxy) is logged with
// the client's own address, and the /64 it was counted under.
func TestPerIPRefusalLogsTheClientsAddress(t *testing.T) {
	logs, _, base := startLogged(t, Config{MaxConnsPerIP: 1, ConnectRate: 1000, ConnectBurst: 1000, TrustProxy: true})
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	dial := func(ip string) *http.Response {
		t.Helper()
		d := websocket.Dialer{HandshakeTimeout: testwait.Timeout}
		c, resp, err := d.Dial(url, http.Header{"X-Forwarded-For": {ip}})
		if err == nil {
			t.Cleanup(func() { c.Close() })
		} else if resp == nil {
			t.Fatalf("dial as %s: %v", ip, err)
		}
		return resp
	}
	if resp := dial("2001:db8:1:2::1"); resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("the first connection: %d", resp.StatusCode)
	}
	if resp := dial("2001:db8:1:2::2"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a second connection from the /64: %d", resp.StatusCode)
	}
	line := refusalLogged(t, logs, "ip", "2001:db8:1:2::2")
	if line["key"] != "2001:db8:1:2::/64" || line["reason"] != "per_ip" {
		t.Errorf("the refusal's log line: %v", line)
	}
	// An IPv4 client's key is its address: not logged twice.
	if resp := dial("192.0.2.1"); resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("an IPv4 client: %d", resp.StatusCode)
	}
	if resp := dial("192.0.2.1"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the IPv4 client again: %d", resp.StatusCode)
	}
	if line := refusalLogged(t, logs, "ip", "192.0.2.1"); line["key"] != nil {
		t.Errorf("an IPv4 refusal logs a key: %v", line)
	}
}
