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
	"hubbub/internal/testwait"
)

// The record of plain HTTP connections holds only the connections net/http holds: once every
// client has gone — after keep-alive requests, a refusal, WebSocket upgrades (fresh and on a
// kept-alive connection), a connection that never sent a byte, one reset — it holds nothing,
// and no slot stays taken.
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
				_ = c.SetDeadline(time.Now().Add(testwait.Timeout))
				return c, bufio.NewReader(c)
			}
			get := func(c net.Conn, br *bufio.Reader) int {
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
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
			a, abr := dial()
			b, bbr := dial()
			if get(a, abr) != 200 || get(b, bbr) != 200 {
				t.Fatal("the first two connections were refused")
			}
			if c, cbr := dial(); get(c, cbr) != http.StatusServiceUnavailable {
				t.Fatal("the third connection was not refused")
			}
			dial()                            // sends nothing
			_ = a.(*net.TCPConn).SetLinger(0) // its close resets it
			ws := "ws://" + addr
			for _, path := range []string{"/ws", "/add"} {
				c, _, err := websocket.DefaultDialer.Dial(ws+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
			// b's slot goes with its upgrade.
			d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return b, nil }}
			c, _, err := d.Dial(ws+"/add", nil)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			for _, c := range conns {
				c.Close()
			}
			testwait.Until(t, "every connection forgotten", func() bool {
				s.httpConns.mu.Lock()
				total := s.httpConns.total
				s.httpConns.mu.Unlock()
				conns, addrs := s.httpConns.sizes()
				return conns == 0 && addrs == 0 && total == 0
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
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "h.db"), sqlite.Options{Logger: log})
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
