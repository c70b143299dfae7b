package transport_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// The hostile-client suite: raw TCP connections with hand-made frames, each breaking RFC 6455
// or hubbub's limits in one way. Every case must end in the right close code (or HTTP error),
// and two well-behaved clients connected throughout must notice nothing: after each case a
// message one sends still reaches the other.

// WebSocket opcodes and header bits, as RFC 6455 §5.2 numbers them.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	rsv1     = 0x40
	rsv2     = 0x20
	rsv3     = 0x10
)

// rawFrame is one frame as a hostile client might write it.
type rawFrame struct {
	notFin   bool   // FIN bit clear (a fragment)
	rsv      byte   // reserved bits to set
	op       byte   // opcode
	unmasked bool   // leave out the mask a client must use
	payload  []byte // the payload
	// declared, when not 0, is the length written in the header instead of len(payload), in
	// the 64-bit form.
	declared uint64
}

func (f rawFrame) bytes() []byte {
	b0 := f.rsv | f.op
	if !f.notFin {
		b0 |= 0x80
	}
	var maskBit byte = 0x80
	if f.unmasked {
		maskBit = 0
	}
	out := []byte{b0}
	n := len(f.payload)
	switch {
	case f.declared != 0:
		out = append(out, maskBit|127)
		out = binary.BigEndian.AppendUint64(out, f.declared)
	case n <= 125:
		out = append(out, maskBit|byte(n))
	case n <= 0xffff:
		out = append(out, maskBit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, maskBit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if f.unmasked {
		return append(out, f.payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range f.payload {
		out = append(out, c^key[i%4])
	}
	return out
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// rawClient is a WebSocket client made of a TCP socket and hand-written bytes.
type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// rawHandshake opens a TCP connection, sends an upgrade request with extra header lines and
// returns the client and the server's response.
func rawHandshake(t *testing.T, s *servertest.Server, path, extra string) (*rawClient, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(servertest.Wait))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + s.Addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{t: t, c: c, br: bufio.NewReader(c)}
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		t.Fatalf("handshake response: %v", err)
	}
	return rc, resp
}

// dialRaw upgrades /ws (extra header lines may ask for a subprotocol) or fails the test.
func dialRaw(t *testing.T, s *servertest.Server, extra string) *rawClient {
	t.Helper()
	rc, resp := rawHandshake(t, s, "/ws", extra)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return rc
}

func (r *rawClient) write(frames ...rawFrame) {
	r.t.Helper()
	var b []byte
	for _, f := range frames {
		b = append(b, f.bytes()...)
	}
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// closeCode reads server frames until the close frame and returns its code and reason; 0 for
// a close frame without a code, -1 if the socket ended without a close frame.
func (r *rawClient) closeCode() (int, string) {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(servertest.Wait))
	for {
		var h [2]byte
		if _, err := io.ReadFull(r.br, h[:]); err != nil {
			return -1, err.Error()
		}
		if h[1]&0x80 != 0 {
			r.t.Fatal("the server sent a masked frame")
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			if _, err := io.ReadFull(r.br, l[:]); err != nil {
				return -1, err.Error()
			}
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			if _, err := io.ReadFull(r.br, l[:]); err != nil {
				return -1, err.Error()
			}
			n = binary.BigEndian.Uint64(l[:])
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(r.br, p); err != nil {
			return -1, err.Error()
		}
		if h[0]&0x0f == opClose {
			if len(p) == 0 {
				return 0, ""
			}
			if len(p) < 2 {
				r.t.Fatalf("the server sent a close frame with a %d-byte payload", len(p))
			}
			return int(binary.BigEndian.Uint16(p)), string(p[2:])
		}
	}
}

// TestHostileClients runs every hostile case against one server while two well-behaved
// clients chat through all of them.
func TestHostileClients(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{
		// A burst of 100 sends covers the well-behaved sender's few dozen; a refill of one send
		// in 1000 s means nothing refills during the test, so a flood's refusals come in a row
		// however slowly the store appends the burst (at a fast rate the refill could keep up
		// with slow appends under load, reset the count of refusals and never close the flooder).
		Metrics: m, ReadLimit: 1024, HandshakeTimeout: 500 * time.Millisecond, SendRate: 0.001, SendBurst: 100, AbuseLimit: 10,
	}})
	watcher := servertest.DialText(t, s, "watcher")
	sender := servertest.DialText(t, s, "sender")
	servertest.WaitMembers(t, s, "lobby", 2)
	say := func(text string) {
		t.Helper()
		sender.Say(text)
		if got := watcher.Lines(1)[0]; got != "sender: "+text {
			t.Fatalf("the well-behaved client got %q, want %q", got, "sender: "+text)
		}
		sender.Lines(1) // its own echo
	}
	say("before")

	for _, c := range []struct {
		name   string
		extra  string // handshake header lines
		frames []rawFrame
		code   int
		reason string // a part of the close reason, when the server sets one
	}{
		{name: "RSV1 without compression", frames: []rawFrame{{rsv: rsv1, op: opText, payload: []byte("x")}}, code: 1002, reason: "RSV1"},
		{name: "RSV2", frames: []rawFrame{{rsv: rsv2, op: opText, payload: []byte("x")}}, code: 1002, reason: "RSV2"},
		{name: "RSV3 on a ping", frames: []rawFrame{{rsv: rsv3, op: opPing}}, code: 1002, reason: "RSV3"},
		{name: "unknown data opcode", frames: []rawFrame{{op: 0x3, payload: []byte("x")}}, code: 1002, reason: "bad opcode"},
		{name: "unknown control opcode", frames: []rawFrame{{op: 0xB}}, code: 1002, reason: "bad opcode"},
		{name: "unmasked client frame", frames: []rawFrame{{op: opText, unmasked: true, payload: []byte("x")}}, code: 1002, reason: "bad MASK"},
		{name: "invalid UTF-8 in a text frame", frames: []rawFrame{{op: opText, payload: []byte{0xff, 0xfe, 'a'}}}, code: 1007},
		{name: "invalid UTF-8 split over fragments", frames: []rawFrame{
			{notFin: true, op: opText, payload: []byte("ok \xe2\x82")}, {op: opCont, payload: []byte("\x28")}}, code: 1007},
		// gorilla/websocket fails a close frame with a bad reason as a protocol error.
		{name: "invalid UTF-8 in a close reason", frames: []rawFrame{{op: opClose, payload: closePayload(1000, "\xff\xfe")}}, code: 1002, reason: "utf8"},
		{name: "reserved close code", frames: []rawFrame{{op: opClose, payload: closePayload(1005, "")}}, code: 1002, reason: "close code"},
		{name: "ping over 125 bytes", frames: []rawFrame{{op: opPing, payload: make([]byte, 126)}}, code: 1002, reason: "len > 125"},
		{name: "close over 125 bytes", frames: []rawFrame{{op: opClose, payload: closePayload(1000, strings.Repeat("x", 130))}}, code: 1002, reason: "len > 125"},
		{name: "fragmented ping", frames: []rawFrame{{notFin: true, op: opPing}}, code: 1002, reason: "FIN not set"},
		{name: "continuation without a start", frames: []rawFrame{{op: opCont, payload: []byte("x")}}, code: 1002, reason: "continuation"},
		{name: "new message inside a fragmented one", frames: []rawFrame{
			{notFin: true, op: opText, payload: []byte("a")}, {op: opText, payload: []byte("b")}}, code: 1002, reason: "data before FIN"},
		{name: "frame over the read limit", frames: []rawFrame{{op: opText, payload: make([]byte, 2000)}}, code: 1009},
		{name: "fragments over the read limit", frames: []rawFrame{
			{notFin: true, op: opText, payload: make([]byte, 600)}, {op: opCont, payload: make([]byte, 600)}}, code: 1009},
		{name: "64-bit length with the top bit set", frames: []rawFrame{{op: opText, declared: 1 << 63}}, code: 1009},
		{name: "binary frame on hubbub.v1", extra: "Sec-WebSocket-Protocol: hubbub.v1\r\n",
			frames: []rawFrame{{op: opBinary, payload: []byte{1, 2, 3}}}, code: 1003},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := dialRaw(t, s, c.extra)
			rc.write(c.frames...)
			code, reason := rc.closeCode()
			if code != c.code || !strings.Contains(reason, c.reason) {
				t.Errorf("closed with %d %q, want %d %q", code, reason, c.code, c.reason)
			}
		})
		say("after " + c.name)
	}

	// A flood of sends: the burst goes through, the rest is refused, and sustained flooding
	// closes the connection with 1008. The flood is in its own room: the lobby sees nothing.
	t.Run("flood of frames", func(t *testing.T) {
		rc := dialRaw(t, s, "Sec-WebSocket-Protocol: hubbub.v1\r\n")
		frames := []rawFrame{{op: opText, payload: []byte(`{"type":"hello","name":"flood"}`)},
			{op: opText, payload: []byte(`{"type":"join","room":"flood"}`)}}
		for i := range 500 {
			frames = append(frames, rawFrame{op: opText, payload: fmt.Appendf(nil, `{"type":"send","room":"flood","id":"%d","text":"x"}`, i)})
		}
		rc.write(frames...)
		if code, reason := rc.closeCode(); code != 1008 || !strings.Contains(reason, "rate-limit") {
			t.Errorf("flood closed with %d %q, want 1008", code, reason)
		}
	})
	say("after the flood")

	// RFC 6455 7.4.1: 1005 stands for "no code" and must never be sent; a close without a code
	// is answered with a close without a code.
	t.Run("close without a code", func(t *testing.T) {
		rc := dialRaw(t, s, "")
		rc.write(rawFrame{op: opClose})
		if code, reason := rc.closeCode(); code != 0 {
			t.Errorf("a close without a code was answered with %d %q, want an empty close", code, reason)
		}
	})
	say("after the close without a code")

	t.Run("ping flood", func(t *testing.T) {
		rc := dialRaw(t, s, "")
		var frames []rawFrame
		for range 2000 {
			frames = append(frames, rawFrame{op: opPing, payload: []byte("p")})
		}
		frames = append(frames, rawFrame{op: opClose, payload: closePayload(1000, "done")})
		rc.write(frames...) // 2000 pings are ~20 kB: the socket buffers take them while we read
		// Every ping is answered (closeCode skips the pongs), then the close is echoed.
		if code, _ := rc.closeCode(); code != 1000 {
			t.Errorf("ping flood ended with %d, want the client's own 1000 echoed", code)
		}
	})
	say("after the ping flood")

	t.Run("cross-origin upgrade", func(t *testing.T) {
		_, resp := rawHandshake(t, s, "/ws", "Origin: https://evil.example\r\n")
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "origin") {
			t.Errorf("cross-origin upgrade: %s %q", resp.Status, body)
		}
	})
	say("after the cross-origin upgrade")

	t.Run("not an upgrade", func(t *testing.T) {
		if status, body := s.Get("/ws"); status != http.StatusBadRequest || !strings.Contains(body, "is a WebSocket endpoint") {
			t.Errorf("plain GET /ws: %d %q", status, body)
		}
	})
	say("after the bad upgrade")

	t.Run("half-sent handshake", func(t *testing.T) {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\n")
		_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
		start := time.Now()
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("not cut: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("cut after %v", d)
		}
	})
	say("after the half-sent handshake")

	t.Run("half-sent frame", func(t *testing.T) {
		rc := dialRaw(t, s, "")
		b := rawFrame{op: opText, payload: []byte("hello there")}.bytes()
		if _, err := rc.c.Write(b[:6]); err != nil {
			t.Fatal(err)
		}
		// The socket stays open (the pong wait bounds it) and costs the others nothing.
		say("during a half-sent frame")
	})
	say("after the half-sent frame")

	// A well-formed fragmented message whose UTF-8 is split across fragments is fine.
	t.Run("valid fragments", func(t *testing.T) {
		rc := dialRaw(t, s, "")
		rc.write(rawFrame{op: opText, payload: []byte("frag")},
			rawFrame{notFin: true, op: opText, payload: []byte("price: 5 \xe2\x82")},
			rawFrame{op: opCont, payload: []byte("\xac")})
		if got := watcher.Lines(1)[0]; got != "frag: price: 5 €" {
			t.Errorf("watcher got %q", got)
		}
		rc.write(rawFrame{op: opClose, payload: closePayload(1000, "bye")})
		if code, _ := rc.closeCode(); code != 1000 {
			t.Errorf("a clean close was answered with %d", code)
		}
	})
	say("at the end")

	servertest.WaitConns(t, s, 2)
	got := servertest.Scrape(t, s)
	if p := got[`hubbub_drops_total{reason="protocol"}`]; p < 15 {
		t.Errorf("protocol drops counted %v, want at least 15", p)
	}
	if p := got[`hubbub_drops_total{reason="read_limit"}`]; p != 3 {
		t.Errorf("read-limit drops counted %v, want 3", p)
	}
}

// Only whole frames count as signs of life: a client trickling a frame a byte at a time, and
// never answering pings, is cut after the pong wait like a silent one.
func TestTrickledFrameIsCut(t *testing.T) {
	const pongWait = 500 * time.Millisecond
	s := servertest.Start(t, servertest.Options{Server: server.Config{PingPeriod: 200 * time.Millisecond, PongWait: pongWait}})
	rc := dialRaw(t, s, "")
	// 100 payload bytes at one per pongWait/4: trickling the whole frame takes 50 pong waits.
	b := rawFrame{op: opText, payload: []byte(strings.Repeat("x", 100))}.bytes()
	_ = rc.c.SetWriteDeadline(time.Time{}) // the loop is bounded by len(b)
	sent := 0
	for ; sent < len(b)-1; sent++ {
		if _, err := rc.c.Write(b[sent : sent+1]); err != nil {
			break
		}
		time.Sleep(pongWait / 4)
	}
	if sent == len(b)-1 {
		t.Fatalf("the server kept a client trickling one frame for %d pong waits", (len(b)-1)/4)
	}
	if code, _ := rc.closeCode(); code != -1 {
		t.Errorf("the trickling client got a close frame %d, want the socket cut", code)
	}
}

// TestCloseCodesFromClients sends a close frame with each code a client might use and checks
// the answer on the transport under test (HUBBUB_TEST_TRANSPORT): RFC 6455 §7.4 and the IANA
// registry make 1000–1003, 1007–1014 and 3000–4999 valid codes, echoed back; 1004–1006, 1015
// and codes outside those ranges are refused with 1002. Both transports must answer alike.
func TestCloseCodesFromClients(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	valid := []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}
	invalid := []uint16{999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}
	for _, code := range valid {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			rc := dialRaw(t, s, "")
			rc.write(rawFrame{op: opClose, payload: closePayload(code, "bye")})
			if got, reason := rc.closeCode(); got != int(code) {
				t.Errorf("a close with %d was answered with %d %q, want it echoed", code, got, reason)
			}
		})
	}
	for _, code := range invalid {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			rc := dialRaw(t, s, "")
			rc.write(rawFrame{op: opClose, payload: closePayload(code, "bye")})
			if got, reason := rc.closeCode(); got != 1002 {
				t.Errorf("a close with %d was answered with %d %q, want 1002", code, got, reason)
			}
		})
	}
}
