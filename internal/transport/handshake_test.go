package transport_test

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// handshake sends req (an upgrade request's header lines after the request line and Host,
// without the blank line) with method and the bytes after it, and returns the client and the
// answer, or a nil answer when the server closed the socket without one.
func handshake(t *testing.T, s *servertest.Server, method, lines, after string) (*rawClient, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	if _, err := io.WriteString(c, method+" /ws HTTP/1.1\r\nHost: "+s.Addr+"\r\n"+lines+"\r\n"+after); err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{t: t, c: c, br: bufio.NewReader(c)}
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return rc, nil
	}
	return rc, resp
}

// nextText reads the server's next frame and returns its payload.
func (r *rawClient) nextText() string {
	r.t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		r.t.Fatalf("reading a frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		_, _ = io.ReadFull(r.br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		_, _ = io.ReadFull(r.br, l[:])
		n = int(binary.BigEndian.Uint64(l[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r.br, p); err != nil {
		r.t.Fatalf("reading a frame: %v", err)
	}
	return string(p)
}

// The upgrade's answers, as a client sees them, for the requests the polled transport's own
// handshake takes (handshake.go) and for those it leaves to gorilla's, which refuses them: the
// 101 carries the right accept value and the subprotocol the server prefers among those
// offered, and the socket then speaks it; every refusal has its status.
func TestHandshakeAnswers(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{AllowedOrigins: []string{"https://chat.example"}}})
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	accept := base64.StdEncoding.EncodeToString(sum[:])
	std := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\n"
	hello := rawFrame{op: 1, payload: []byte(`{"type":"hello","name":"ann"}`)}

	for _, tc := range []struct {
		name, method, lines string
		status              int
		sub                 string // the subprotocol chosen, on a 101
	}{
		{"hubbub.v1 among others", "GET", std + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: bogus, hubbub.v1 , other\r\n", 101, "hubbub.v1"},
		{"no subprotocol: text", "GET", std + "Sec-WebSocket-Version: 13\r\n", 101, ""},
		// Refused, saying what is spoken: upgraded with none, a JSON client was a text client
		// that posted its frames to lobby.
		{"only unknown subprotocols", "GET", std + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: Hubbub.v1, hubbub.v2\r\n", http.StatusBadRequest, ""},
		{"allowed origin", "GET", std + "Sec-WebSocket-Version: 13\r\nOrigin: https://chat.example\r\nSec-WebSocket-Protocol: hubbub.v1\r\n", 101, "hubbub.v1"},
		{"two versions, 13 among them (gorilla's)", "GET", std + "Sec-WebSocket-Version: 8, 13\r\nSec-WebSocket-Protocol: hubbub.v1\r\n", 101, "hubbub.v1"},
		{"tokens in other case", "GET", "Upgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n", 101, ""},
		{"origin not allowed", "GET", std + "Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n", http.StatusForbidden, ""},
		{"version 8 only", "GET", std + "Sec-WebSocket-Version: 8\r\n", http.StatusBadRequest, ""},
		{"no version", "GET", std, http.StatusBadRequest, ""},
		{"a key of 15 bytes", "GET", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(make([]byte, 15)) + "\r\nSec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
		{"no key", "GET", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
		{"no upgrade token", "GET", "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n", http.StatusBadRequest, ""},
		{"POST", "POST", std + "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n", http.StatusMethodNotAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, resp := handshake(t, s, tc.method, tc.lines, "")
			if resp == nil {
				t.Fatalf("no answer, want %d", tc.status)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %s, want %d", resp.Status, tc.status)
			}
			if tc.status == http.StatusBadRequest && strings.Contains(tc.name, "version") && resp.Header.Get("Sec-Websocket-Version") != "13" {
				t.Errorf("a refused version is not told 13: %v", resp.Header)
			}
			if strings.Contains(tc.name, "unknown subprotocols") {
				body, _ := io.ReadAll(resp.Body)
				if want := "the client offers Hubbub.v1, hubbub.v2; this server speaks hubbub.v1, or none for the text protocol"; !strings.Contains(string(body), want) {
					t.Errorf("refusal %q, want it to say %q", body, want)
				}
			}
			if tc.status != 101 {
				return
			}
			if got := resp.Header.Get("Sec-WebSocket-Accept"); got != accept {
				t.Errorf("Sec-WebSocket-Accept %q, want %q", got, accept)
			}
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.sub {
				t.Errorf("Sec-WebSocket-Protocol %q, want %q", got, tc.sub)
			}
			if tc.sub != "hubbub.v1" {
				return
			}
			rc.write(hello)
			if got := rc.nextText(); !strings.Contains(got, `"type":"welcome"`) {
				t.Fatalf("after the upgrade, hello answered %s", got)
			}
		})
	}
}

// A client that sends frames before it has the 101 is cut off without one, as gorilla does,
// when net/http read its request. (The server's own WebSocket listener takes such frames: a
// client may send its hello with its request; internal/server's
// TestWSListenerTakesFramesSentWithTheRequest.)
func TestHandshakeRefusesEarlyFrames(t *testing.T) {
	s := servertest.Start(t, servertest.Options{NetHTTPOnly: true})
	lines := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: hubbub.v1\r\n"
	early := rawFrame{op: 1, payload: []byte(`{"type":"hello","name":"ann"}`)}
	rc, resp := handshake(t, s, "GET", lines, string(early.bytes()))
	if resp != nil {
		t.Fatalf("answered %s to a client that did not wait for it", resp.Status)
	}
	if _, err := rc.br.ReadByte(); err == nil {
		t.Fatal("the socket stayed open")
	}
}
