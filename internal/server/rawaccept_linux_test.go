//go:build linux

package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// The polled transport's listener accepts with accept4 itself on Linux (rawsock_linux.go);
// these tests drive such sockets end to end. (Every other test server listens the same way.)

// A connection accepted raw whose request is not an upgrade is net/http's, kept alive, even
// when its heads come in pieces (reads that wait in the poller) and after it was idle.
func TestRawAcceptServesHTTPInPieces(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll}})
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	br := bufio.NewReader(c)
	for i := range 3 {
		half := len(healthz) / 2
		for _, piece := range []string{healthz[:half], healthz[half:]} {
			if _, err := io.WriteString(c, piece); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // the server reads the first piece alone, most often
		}
		if got := readResponse(t, br); !strings.HasPrefix(got, "HTTP/1.1 200 ") {
			t.Fatalf("request %d: answer %q, want 200", i+1, got)
		}
	}
}

// chatOnce has every client of conns (text protocol, on s) say its name and, once all are in
// the room, the first one a line, and waits until every client read that line. (The text
// protocol replays nothing: a client whose name line was handled after the line was sent
// never heard it — a failure of CI once, on a busy machine.)
func chatOnce(t *testing.T, s *servertest.Server, conns ...*websocket.Conn) {
	t.Helper()
	for i, c := range conns {
		_ = c.SetWriteDeadline(time.Now().Add(servertest.Wait))
		if err := c.WriteMessage(websocket.TextMessage, []byte("user"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	servertest.WaitMembers(t, s, hubbub.DefaultRoom, len(conns))
	if err := conns[0].WriteMessage(websocket.TextMessage, []byte("hello all")); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		deadline := time.Now().Add(servertest.Wait)
		for heard := false; !heard; {
			_ = c.SetReadDeadline(deadline)
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("client %d: waiting for the line: %v", i, err)
			}
			for l := range strings.SplitSeq(string(data), "\n") {
				heard = heard || l == "usera: hello all"
			}
		}
	}
}

// WebSockets accepted raw are served by either transport: a plain one by the polled
// transport (the socket's registration handed over), a compressed one by the goroutine
// transport, reading and writing through the socket's own Read and Write.
func TestRawAcceptWebSocketBothTransports(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll, Compression: true}})
	polled := servertest.Dial(t, s.WS, "", nil)
	d := websocket.Dialer{HandshakeTimeout: servertest.Wait, EnableCompression: true}
	compressed, resp, err := d.Dial(s.WS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer compressed.Close()
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extensions %q: the server did not compress, so this is not the goroutine transport", ext)
	}
	chatOnce(t, s, polled, compressed)
	for _, c := range []*websocket.Conn{polled, compressed} {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(servertest.Wait))
		_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if !errors.As(err, &ce) {
					t.Errorf("closing: %v, want the server's close frame", err)
				}
				break
			}
		}
	}
}

// Connections accepted raw outlive their listener: once it closes, new connections are
// refused, and those upgraded before go on and close cleanly.
func TestRawAcceptSurvivesTheListenerClosing(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll, Compression: true}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := s.Srv.Listener(ln)
	hs := &http.Server{Handler: s.Srv, ReadHeaderTimeout: servertest.Wait}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(wl) }()
	url := "ws://" + ln.Addr().String() + "/ws"
	polled := servertest.Dial(t, url, "", nil)
	d := websocket.Dialer{HandshakeTimeout: servertest.Wait, EnableCompression: true}
	compressed, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer compressed.Close()
	chatOnce(t, s, polled, compressed)

	if err := wl.Close(); err != nil {
		t.Fatalf("closing the listener: %v", err)
	}
	if err := <-served; err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v, want the closed listener's error", err)
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), servertest.Wait); err == nil {
		c.Close()
		t.Error("a connection to the closed listener was accepted")
	}
	for _, c := range []*websocket.Conn{polled, compressed} {
		_ = c.SetWriteDeadline(time.Now().Add(servertest.Wait))
		if err := c.WriteMessage(websocket.TextMessage, []byte("still here")); err != nil {
			t.Fatalf("writing after the listener closed: %v", err)
		}
	}
	for i, c := range []*websocket.Conn{polled, compressed} {
		deadline := time.Now().Add(servertest.Wait)
		for heard := 0; heard < 2; {
			_ = c.SetReadDeadline(deadline)
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("client %d after the listener closed: %v", i, err)
			}
			for l := range strings.SplitSeq(string(data), "\n") {
				if strings.HasSuffix(l, ": still here") {
					heard++
				}
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
	defer cancel()
	_ = hs.Shutdown(ctx)
}

// A request whose body is still coming when the server shuts its poller down (Shutdown once
// the WebSockets are gone, while net/http still serves an upload) goes on being read: its
// next bytes, and its client's close, reach the handler. A read left waiting in the closed
// poller heard neither, so the handler and the server's close waited for the read deadline.
func TestRawAcceptReadOutlivesThePoller(t *testing.T) {
	for _, clientCloses := range []bool{false, true} {
		got := readAcrossPollerClose(t, clientCloses)
		want := "hello world"
		if clientCloses {
			want = "hello, then unexpected EOF"
		}
		if got != want {
			t.Errorf("client closes %v: the handler read %q, want %q", clientCloses, got, want)
		}
	}
}

// readAcrossPollerClose sends a chunked request's first chunk to a server accepting raw,
// shuts the server's poller down while the handler waits for the next, then sends the rest
// (or closes the connection) and returns what the handler read.
func readAcrossPollerClose(t *testing.T, clientCloses bool) string {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	body := make(chan string, 1)
	hs := &http.Server{ReadHeaderTimeout: servertest.Wait, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, first); err != nil {
			body <- "first chunk: " + err.Error()
			return
		}
		close(started)
		rest, err := io.ReadAll(r.Body)
		if err != nil {
			body <- string(first) + string(rest) + ", then " + err.Error()
			return
		}
		body <- string(first) + string(rest)
	})}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(s.Srv.Listener(ln)) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
		defer cancel()
		_ = hs.Shutdown(ctx)
		<-served
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	if _, err := io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case got := <-body:
		t.Fatalf("the handler ended early: %s", got)
	case <-time.After(servertest.Wait):
		t.Fatal("the handler never read the first chunk")
	}
	// The handler's next read waits in the poller when the server shuts down (most often;
	// either way, the body must go on being read).
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
	defer cancel()
	if err := s.Srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if clientCloses {
		c.Close()
	} else if _, err := io.WriteString(c, "6\r\n world\r\n0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-body:
		return got
	case <-time.After(servertest.Wait):
		t.Fatalf("the handler's read still waits %v after the poller closed", servertest.Wait)
		return ""
	}
}

// The WebSocket listener has the kernel defer its accepts until a client has sent something
// (TCP_DEFER_ACCEPT on the listening socket), unless DeferAccept is negative: then it clears
// what a socket passed to it holds. systemd's socket outlives the process, and one that ran
// with --defer-accept 1s left it set, so that --defer-accept 0 went on deferring.
func TestListenerDefersAccepts(t *testing.T) {
	for _, c := range []struct {
		deferAccept time.Duration
		want        bool
	}{{0, true}, {3 * time.Second, true}, {-1, false}} {
		var ln net.Listener
		servertest.Start(t, servertest.Options{Server: server.Config{Transport: server.TransportPoll, DeferAccept: c.deferAccept},
			WrapListener: func(l net.Listener) net.Listener {
				ln = l
				// As the process before left systemd's socket.
				rc, err := l.(*net.TCPListener).SyscallConn()
				if err != nil {
					t.Fatal(err)
				}
				var serr error
				if err := rc.Control(func(fd uintptr) {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, 5)
				}); err != nil || serr != nil {
					t.Fatal(err, serr)
				}
				return l
			}})
		rc, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		got, serr := -1, error(nil)
		_ = rc.Control(func(fd uintptr) {
			got, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT)
		})
		if serr != nil {
			t.Fatal(serr)
		}
		if (got > 0) != c.want {
			t.Errorf("DeferAccept %v: TCP_DEFER_ACCEPT = %d, want it set: %v", c.deferAccept, got, c.want)
		}
	}
}
