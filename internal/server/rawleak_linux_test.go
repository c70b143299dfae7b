//go:build linux

package server_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// openSockets returns the process's open socket descriptors, as "fd->socket:[inode]": a
// socket accepted raw has no finalizer to close it, so one a path forgot stays here.
func openSockets(t *testing.T) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	socks := make(map[string]bool)
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			socks[e.Name()+"->"+l] = true
		}
	}
	return socks
}

// waitNoNewSockets waits until every socket opened since before is closed again.
func waitNoNewSockets(t *testing.T, before map[string]bool) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(servertest.Wait); ; {
		left = left[:0]
		for s := range openSockets(t) {
			if !before[s] {
				left = append(left, s)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("%d sockets left open: %v", len(left), left)
	}
}

// dialAfter makes a WebSocket on a connection that carried the HTTP request first (read to
// its end) and then waited: net/http's kept-alive connection is upgraded through the mux,
// the socket already registered with the poller by the reads that waited.
func dialAfter(t *testing.T, addr, wsURL string, compress bool, first string) *websocket.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, first); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 64<<10)
	for { // the whole answer: until the server has said nothing for a while
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 200 ") {
		t.Fatalf("%q: answer %.100q, want 200", first, got)
	}
	_ = c.SetDeadline(time.Time{})
	d := websocket.Dialer{HandshakeTimeout: servertest.Wait, EnableCompression: compress,
		NetDialContext: func(context.Context, string, string) (net.Conn, error) { return c, nil }}
	ws, _, err := d.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("upgrade after %q: %v", first, err)
	}
	return ws
}

// Every path of a socket accepted raw ends with its descriptor closed: closed by the client
// before a byte or after a wait, a request head that never completes, HTTP kept alive, an
// upgrade on a connection net/http served first (plain: the registration handed over from
// the socket net/http read; compressed: the goroutine transport; after a static file, whose
// sendfile made the socket net's connection), a plain upgrade read by the listener.
func TestRawAcceptLeavesNoSocketOpen(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		Compression: true, HandshakeTimeout: 300 * time.Millisecond}})
	before := openSockets(t)
	for _, wait := range []time.Duration{0, 50 * time.Millisecond} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(wait)
		c.Close()
	}
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(c, healthz[:10])
	_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
	if b, err := io.ReadAll(c); err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 400 ") {
		t.Errorf("half a request head: %q %v, want 400 and the connection closed at the handshake timeout", b, err)
	}
	c.Close()
	wss := []*websocket.Conn{
		dialAfter(t, s.Addr, s.WS, false, healthz),
		dialAfter(t, s.Addr, s.WS, true, healthz),
		dialAfter(t, s.Addr, s.WS, false, "GET /app.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
		servertest.Dial(t, s.WS, "", nil),
	}
	chatOnce(t, s, wss...)
	for _, w := range wss {
		w.Close()
	}
	waitNoNewSockets(t, before)
}

// Many clients at once on every path while the listener closes under them: no descriptor
// is left open, none closed twice (the race detector and the paths' own errors would tell),
// no goroutine left (goleak).
func TestRawAcceptUnderTheListenerClosing(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll,
		Compression: true, HandshakeTimeout: 200 * time.Millisecond}})
	before := openSockets(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := s.Srv.Listener(ln)
	hs := &http.Server{Handler: s.Srv, ReadHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 500 * time.Millisecond}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(wl) }()
	addr := ln.Addr().String()
	var wg sync.WaitGroup
	for i := range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return // the listener has closed
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(servertest.Wait))
			switch i % 6 {
			case 0: // closed before a byte
				time.Sleep(time.Duration(r.IntN(50)) * time.Millisecond)
			case 1: // part of a head
				_, _ = io.WriteString(c, healthz[:r.IntN(len(healthz))])
				time.Sleep(time.Duration(r.IntN(400)) * time.Millisecond)
			case 2: // kept alive
				_, _ = io.WriteString(c, healthz)
				time.Sleep(time.Duration(r.IntN(50)) * time.Millisecond)
				_, _ = io.WriteString(c, healthz)
				_, _ = io.Copy(io.Discard, c)
			case 3, 4: // plain and compressed WebSockets
				d := websocket.Dialer{HandshakeTimeout: servertest.Wait, EnableCompression: i%6 == 4,
					NetDialContext: func(context.Context, string, string) (net.Conn, error) { return c, nil }}
				ws, _, err := d.Dial("ws://"+addr+"/ws", nil)
				if err != nil {
					return
				}
				_ = ws.WriteMessage(websocket.TextMessage, []byte("u"))
				time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
				ws.Close()
			case 5: // a handshake in two pieces, then gone
				up := upgradeRequest()
				k := r.IntN(len(up))
				_, _ = io.WriteString(c, up[:k])
				time.Sleep(time.Duration(r.IntN(100)) * time.Millisecond)
				_, _ = io.WriteString(c, up[k:])
				time.Sleep(time.Duration(r.IntN(100)) * time.Millisecond)
			}
		}()
		if i == 80 {
			go wl.Close()
		}
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
	defer cancel()
	_ = hs.Shutdown(ctx)
	<-served
	waitNoNewSockets(t, before)
}
