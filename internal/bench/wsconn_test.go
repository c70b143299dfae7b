package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsTestDial dials srv's URL with the generator's client, offering hubbub.v1.
func wsTestDial(t *testing.T, srv *httptest.Server, readBuf int) (*wsConn, *http.Response, error) {
	t.Helper()
	u, err := url.Parse("ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?x=1")
	if err != nil {
		t.Fatal(err)
	}
	d := &wsDialer{nd: &net.Dialer{Control: loopbackOnly}, readBuf: readBuf, subprotocols: []string{"hubbub.v1"}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return d.dial(ctx, u)
}

// TestWSConnAgainstGorilla holds the generator's client to a general-purpose server
// (gorilla's): frames sent right behind the upgrade, a ping answered with a pong, a message
// in fragments, one larger than the read buffer, masked writes the server accepts, and the
// server's close code in the error (the storm retries on "close 1013").
func TestWSConnAgainstGorilla(t *testing.T) {
	pong := make(chan string, 1)
	echoed := make(chan string, 1)
	big := bytes.Repeat([]byte("0123456789abcdef"), 8<<10) // 128 KiB
	fragmented := bytes.Repeat([]byte("f"), 3000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" || r.URL.RawQuery != "x=1" {
			http.Error(w, "wrong path "+r.URL.String(), http.StatusNotFound)
			return
		}
		up := websocket.Upgrader{WriteBufferSize: 512, Subprotocols: []string{"hubbub.v1"}}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if ws.Subprotocol() != "hubbub.v1" {
			t.Errorf("subprotocol %q, want hubbub.v1", ws.Subprotocol())
		}
		ws.SetPongHandler(func(s string) error { pong <- s; return nil })
		_ = ws.WriteMessage(websocket.TextMessage, []byte("first"))
		_ = ws.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second))
		_ = ws.WriteMessage(websocket.TextMessage, fragmented) // over the 512-byte write buffer: fragments
		_ = ws.WriteMessage(websocket.BinaryMessage, big)
		_, m, err := ws.ReadMessage() // the pong is handled on the way
		if err != nil {
			t.Errorf("server read: %v", err)
			return
		}
		echoed <- string(m)
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1013, "try again later"), time.Now().Add(time.Second))
		_, _, _ = ws.ReadMessage() // the client's answering close
	}))
	defer srv.Close()

	c, resp, err := wsTestDial(t, srv, 1024)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for i, want := range [][]byte{[]byte("first"), fragmented, big} {
		m, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(m, want) {
			t.Fatalf("message %d: %d bytes %.20q…, want %d bytes %.20q…", i, len(m), m, len(want), want)
		}
		if c.ReadAt().IsZero() {
			t.Fatalf("message %d has no read time", i)
		}
	}
	if err := c.WriteMessage([]byte(`{"type":"send","text":"hello"}`), time.Now().Add(time.Second)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if got := <-echoed; got != `{"type":"send","text":"hello"}` {
		t.Fatalf("server read %q", got)
	}
	_, err = c.ReadMessage()
	var ce *wsCloseError
	if !errors.As(err, &ce) || ce.Code != 1013 || !strings.Contains(err.Error(), "close 1013") {
		t.Fatalf("read after the server's close: %v, want close 1013", err)
	}
	if !retryable(err) {
		t.Fatalf("retryable(%v) = false", err)
	}
	select {
	case s := <-pong:
		if s != "are you there" {
			t.Fatalf("pong %q", s)
		}
	default:
		t.Fatal("the ping was not answered")
	}
	if len(c.rbuf) > keepBuf {
		t.Fatalf("read buffer still %d bytes after the large message", len(c.rbuf))
	}
}

// TestWSConnRefused: an upgrade answered with an HTTP status is the dial's error, with the
// answer (the storm honours Retry-After and retries on 503).
func TestWSConnRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, resp, err := wsTestDial(t, srv, 1024)
	if c != nil || !errors.Is(err, errBadHandshake) || resp == nil || resp.StatusCode != 503 ||
		resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("dial = %v, %v, %v; want a refusal with 503 and Retry-After", c, resp, err)
	}
}

// rawUpgrade answers an upgrade by hand and sends frame: what a broken server could send.
func rawUpgrade(t *testing.T, frame []byte) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer nc.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + acceptKey(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
		_, _ = brw.Write(frame)
		_ = brw.Flush()
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = nc.Read(make([]byte, 64)) // until the client gives up
	}))
}

// TestWSConnRefusesBadFrames: a masked frame, reserved bits, a long control frame and a frame
// over the read limit end the read with an error, not a hang or a crash.
func TestWSConnRefusesBadFrames(t *testing.T) {
	for name, tc := range map[string]struct {
		frame []byte
		want  string
	}{
		"masked":         {[]byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}, "masked"},
		"reserved bits":  {[]byte{0xc1, 0x02, 'h', 'i'}, "reserved"},
		"long ping":      {append([]byte{0x89, 126, 0, 200}, make([]byte, 200)...), "control frame"},
		"over the limit": {[]byte{0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0}, "read limit"},
		"stray continue": {[]byte{0x80, 0x02, 'h', 'i'}, "continuation"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := rawUpgrade(t, tc.frame)
			defer srv.Close()
			c, _, err := wsTestDial(t, srv, 1024)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.ReadMessage(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("read = %v, want an error about %q", err, tc.want)
			}
		})
	}
}
