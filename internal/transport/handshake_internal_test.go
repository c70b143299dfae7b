package transport

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// recordedConn is a net.Conn that keeps what is written to it.
type recordedConn struct {
	net.Conn // nil: only the methods below are called
	out      bytes.Buffer
	closed   bool
}

func (c *recordedConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *recordedConn) Close() error                     { c.closed = true; return nil }
func (c *recordedConn) SetDeadline(time.Time) error      { return nil }
func (c *recordedConn) SetWriteDeadline(time.Time) error { return nil }

// hijackable is a ResponseWriter whose Hijack hands over a recordedConn.
type hijackable struct {
	*httptest.ResponseRecorder
	conn *recordedConn
}

func (h *hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.conn = &recordedConn{}
	return h.conn, bufio.NewReadWriter(bufio.NewReader(strings.NewReader("")), bufio.NewWriter(h.conn)), nil
}

// FuzzPlainHandshakeIsGorillas holds the polled transport's own handshake to gorilla's: for
// any request it takes (plainHandshake, with the subprotocol chosen by subprotocol), gorilla's
// Upgrader, configured as the transport configures it, accepts the request too and writes the
// very bytes append101 writes (so the subprotocol chosen is the same). A request it does not
// take goes to gorilla, which decides as before; one whose subprotocols subprotocol refuses
// is refused 400 by Upgrade before either.
func FuzzPlainHandshakeIsGorillas(f *testing.F) {
	f.Add("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", "hubbub.v1", "", "")
	f.Add("GET", "WebSocket", "keep-alive, upgrade", " 13 ", "AAAAAAAAAAAAAAAAAAAAAA==", "x, hubbub.v1,y", "https://a.example", "")
	f.Add("GET", "websocket", "Upgrade", "8, 13", "dGhlIHNhbXBsZSBub25jZQ==", "", "", "permessage-deflate")
	f.Add("GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ", "hubbub.v1", "https://evil.example", "")
	f.Add("PUT", "websocket", "Upgrade", "13", "dGhlIHNh\nbXBsZSBub25jZQ==", "text", "", "x")
	f.Fuzz(func(t *testing.T, method, upgrade, connection, version, key, protocols, origin, extensions string) {
		for _, compression := range []bool{false, true} {
			tr := &Transport{cfg: Config{
				HandshakeTimeout: time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024,
				Compression: compression, Subprotocols: []string{"hubbub.v1", "text"},
				CheckOrigin: func(r *http.Request) bool { return !strings.Contains(r.Header.Get("Origin"), "evil") },
				Refused:     func(w http.ResponseWriter, r *http.Request, status int, reason error) { w.WriteHeader(status) },
			}}
			tr.upgrader = tr.newUpgrader()
			r := httptest.NewRequest(http.MethodGet, "/ws", nil)
			r.Method = method
			for k, v := range map[string]string{"Upgrade": upgrade, "Connection": connection, "Sec-Websocket-Version": version,
				"Sec-Websocket-Key": key, "Sec-Websocket-Protocol": protocols, "Origin": origin, "Sec-Websocket-Extensions": extensions} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			sub, err := tr.subprotocol(r)
			k, ok := tr.plainHandshake(r)
			if err != nil || !ok {
				continue // refused by Upgrade, or upgraded by gorilla
			}
			w := &hijackable{ResponseRecorder: httptest.NewRecorder()}
			if _, err := tr.upgrader.Upgrade(w, r, nil); err != nil {
				t.Fatalf("compression %v: plainHandshake took a request gorilla refuses (%v): %v", compression, err, r.Header)
			}
			if got, want := string(append101(nil, k, sub)), w.conn.out.String(); got != want {
				t.Fatalf("compression %v: append101 wrote\n%q\ngorilla wrote\n%q", compression, got, want)
			}
		}
	})
}

// The fuzz test above compares only what plainHandshake takes: it takes a browser's plain
// request, so the comparison is not empty, and leaves a compression offer to gorilla when the
// server compresses.
func TestPlainHandshakeTakesAPlainRequest(t *testing.T) {
	tr := &Transport{cfg: Config{Subprotocols: []string{"hubbub.v1"}, CheckOrigin: func(*http.Request) bool { return true }}}
	r := httptest.NewRequest(http.MethodGet, "/ws", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	r.Header.Set("Sec-WebSocket-Protocol", "hubbub.v1")
	r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
	if sub, err := tr.subprotocol(r); err != nil || sub != "hubbub.v1" {
		t.Fatalf("subprotocol = %q, %v: want hubbub.v1", sub, err)
	}
	if key, ok := tr.plainHandshake(r); !ok || key != "dGhlIHNhbXBsZSBub25jZQ==" {
		t.Fatalf("plainHandshake = %q, %v: want the key, true", key, ok)
	}
	tr.cfg.Compression = true
	if _, ok := tr.plainHandshake(r); ok {
		t.Fatal("plainHandshake took a compression offer the server would accept")
	}
}
