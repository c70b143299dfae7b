package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
)

// The record of plain HTTP connections holds only the connections net/http holds: once every
// client has gone — after keep-alive requests, an idle connection reclaimed, a refusal,
// WebSocket upgrades (fresh and on a kept-alive connection), a connection that never sent a
// byte, one reset in a request — it holds nothing, lists nothing idle, and no slot stays taken.
func TestHTTPConnsForgetEveryConnection(t *testing.T) {
	for _, tr := range []string{TransportPoll, TransportGoroutine} {
		t.Run(tr, func(t *testing.T) {
			s, addr := startCounted(t, Config{Transport: tr, MaxHTTPConnsPerIP: 2})
			var conns []net.Conn
			dial := func() (net.Conn, *bufio.Reader) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
				t.Cleanup(func() { c.Close() }) // also when the test fails: a request held stalls Close
				_ = c.SetDeadline(time.Now().Add(testwait.Timeout))
				return c, bufio.NewReader(c)
			}
			ask := func(c net.Conn, br *bufio.Reader, req string) int {
				if _, err := io.WriteString(c, req); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			get := func(c net.Conn, br *bufio.Reader) int {
				return ask(c, br, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			}
			// A form whose body never comes keeps its request, and its slot, busy.
			hold := func(c net.Conn, br *bufio.Reader) int {
				return ask(c, br, "POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
			}
			idle := func(n int) {
				testwait.Until(t, "connections idle", func() bool { _, _, _, idle := s.httpConns.sizes(); return idle == n })
			}
			a, abr := dial()
			b, bbr := dial()
			if hold(a, abr) != http.StatusContinue || get(b, bbr) != 200 {
				t.Fatal("the first two connections were refused")
			}
			idle(1)
			c, cbr := dial()
			if get(c, cbr) != 200 { // b's slot
				t.Fatal("the third connection was refused while another was idle")
			}
			if _, err := bbr.ReadByte(); err != io.EOF {
				t.Fatalf("the idle connection reclaimed: %v, want EOF", err)
			}
			if hold(c, cbr) != http.StatusContinue {
				t.Fatal("c's second request")
			}
			if d, dbr := dial(); get(d, dbr) != http.StatusServiceUnavailable {
				t.Fatal("the fourth connection was not refused")
			}
			dial()                            // sends nothing
			_ = a.(*net.TCPConn).SetLinger(0) // its close resets it, in its request
			a.Close()
			e, ebr := dial()
			testwait.Until(t, "a's slot given back", func() bool { _, _, total, _ := s.httpConns.sizes(); return total == 1 })
			if get(e, ebr) != 200 {
				t.Fatal("a connection after a's reset was refused")
			}
			ws := "ws://" + addr
			for _, path := range []string{"/ws", "/add"} {
				c, _, err := websocket.DefaultDialer.Dial(ws+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
			// e's slot goes with its upgrade.
			d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return e, nil }}
			wc, _, err := d.Dial(ws+"/add", nil)
			if err != nil {
				t.Fatal(err)
			}
			wc.Close()
			for _, c := range conns {
				c.Close()
			}
			testwait.Until(t, "every connection forgotten", func() bool {
				conns, addrs, total, idle := s.httpConns.sizes()
				return conns == 0 && addrs == 0 && total == 0 && idle == 0
			})
		})
	}
}

// startCounted starts a server of cfg on an http.Server given to LimitHTTPConns, as hubbub
// serve does, and returns it and its address; cleanup ends them.
func startCounted(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	return startCountedOn(t, cfg, slog.New(slog.DiscardHandler), nil)
}

// startCountedOn is startCounted logging to log, its listener wrapped by wrap when given.
func startCountedOn(t *testing.T, cfg Config, log *slog.Logger, wrap func(net.Listener) net.Listener) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	broker := inmem.NewBroker()
	t.Cleanup(func() { broker.Close() })
	h := hub.New(hub.Config{Logger: log}, store, broker)
	t.Cleanup(h.Close)
	cfg.Logger = log
	s, err := New(cfg, h, store, broker)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(s)
	if wrap != nil {
		hs.Listener = wrap(hs.Listener)
	}
	hs.Listener = s.Listener(hs.Listener)
	s.LimitHTTPConns(hs.Config)
	hs.Start()
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Timeout)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, strings.TrimPrefix(hs.URL, "http://")
}
