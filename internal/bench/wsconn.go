package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	randv2 "math/rand/v2"

	"hubbub/internal/wsframe"
)

// The generator's own WebSocket client (RFC 6455, no extensions): a fan-out's receivers spend
// most of the generator's CPU, and a general-purpose client costs them per frame what a
// generator can pay per read — a reader allocated per message, a copy out of a buffered
// reader, the clock read once per frame. This one parses every frame a read brought in place,
// stamps them all with that read's time and allocates nothing on the way.

// closeNormal is the close code the generator ends a connection with (RFC 6455 section 7.4.1);
// the opcodes and the other codes are wsframe's, the server's own.
const closeNormal = 1000

// errBadHandshake is an upgrade the server did not accept; the dial error wraps it with the
// HTTP status (the storm's retryable test reads "503 " and "429 " in that text).
var errBadHandshake = errors.New("websocket: bad handshake")

// errReadLimit is a frame or message longer than the connection's read limit.
var errReadLimit = errors.New("websocket: read limit exceeded")

// wsCloseError is the close frame a server sent: the read that met it fails with it.
type wsCloseError struct {
	Code int
	Text string
}

func (e *wsCloseError) Error() string {
	return fmt.Sprintf("websocket: close %d %s", e.Code, e.Text)
}

// wsProtocolError is a frame this client cannot accept (masked, reserved bits, a control frame
// too long or fragmented, a continuation with nothing to continue).
type wsProtocolError string

func (e wsProtocolError) Error() string { return "websocket: protocol error: " + string(e) }

// wsGUID is RFC 6455's key suffix for Sec-WebSocket-Accept.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsDialer opens connections from one source address.
type wsDialer struct {
	nd           *net.Dialer
	readBuf      int      // the read buffer's size in bytes (grown for a larger frame, then given back)
	subprotocols []string // offered in Sec-WebSocket-Protocol
	connected    func()   // called once a TCP connection is established (nil: nothing)
}

// wsConn is one client connection. One goroutine reads; writes may come from any goroutine
// (they hold wmu), including the reader's answers to pings and to a close.
type wsConn struct {
	nc    net.Conn
	limit int // largest message accepted, in bytes

	// The reader's state: rbuf[r:w] is read but not yet parsed.
	rbuf   []byte
	r, w   int
	base   int       // rbuf's size when not grown for a large frame
	msg    []byte    // a fragmented message being put together
	inMsg  bool      // a fragmented message is open
	readAt time.Time // when the last read that brought data returned

	wmu       sync.Mutex
	wbuf      []byte
	closeSent bool
}

// dial connects to u (ws or wss), asks for the upgrade and returns the connection, or the
// server's answer with an error wrapping errBadHandshake if it refused. ctx bounds it all.
func (d *wsDialer) dial(ctx context.Context, u *url.URL) (*wsConn, *http.Response, error) {
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" || u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	nc, err := d.nd.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, err
	}
	if d.connected != nil {
		d.connected()
	}
	// Abandon the exchange when ctx ends: every read and write below then fails at once.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(deadline)
	}
	if u.Scheme == "wss" || u.Scheme == "https" {
		tc := tls.Client(nc, &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}})
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("tls: %w", err)
		}
		nc = tc
	}
	var k [16]byte
	_, _ = rand.Read(k[:]) // never fails on Linux
	key := base64.StdEncoding.EncodeToString(k[:])
	path := u.RequestURI()
	var req strings.Builder
	req.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	req.WriteString("Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n")
	if len(d.subprotocols) > 0 {
		req.WriteString("Sec-WebSocket-Protocol: " + strings.Join(d.subprotocols, ", ") + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(nc, req.String()); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("upgrade request: %w", err)
	}
	base := max(d.readBuf, 256)
	br := bufio.NewReaderSize(nc, base)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("upgrade response: %w", err)
	}
	readAt := time.Now()
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Connection")), "upgrade") ||
		resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
		// Keep a little of the body for whoever reads the answer, as a browser would show it.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		nc.Close()
		return nil, resp, errBadHandshake
	}
	resp.Body = http.NoBody
	c := &wsConn{nc: nc, limit: readLimit, base: base, rbuf: make([]byte, base), readAt: readAt}
	// Frames the server sent right behind its answer are already in br.
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		if n > len(c.rbuf) {
			c.rbuf = make([]byte, n)
		}
		c.w = copy(c.rbuf, b)
	}
	_ = nc.SetDeadline(time.Time{})
	return c, resp, nil
}

// acceptKey is the Sec-WebSocket-Accept that answers key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// SetReadLimit sets the largest message accepted.
func (c *wsConn) SetReadLimit(n int) { c.limit = n }

// SetReadDeadline bounds the reads to come.
func (c *wsConn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// Close closes the socket without a close frame.
func (c *wsConn) Close() error { return c.nc.Close() }

// WriteMessage writes one text message, within deadline.
func (c *wsConn) WriteMessage(payload []byte, deadline time.Time) error {
	return c.writeFrame(wsframe.OpText, payload, deadline)
}

// WriteClose sends a close frame with code (and nothing more after it).
func (c *wsConn) WriteClose(code int, deadline time.Time) error {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], uint16(code))
	return c.writeFrame(wsframe.OpClose, b[:], deadline)
}

// writeFrame writes one masked frame as a single write.
func (c *wsConn) writeFrame(op byte, payload []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return errors.New("websocket: close sent")
	}
	b := c.wbuf[:0]
	b = append(b, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	// The masking key only has to be unknown to whatever sits between client and server; a
	// fast generator serves (clients are thousands, the key is per frame).
	key := randv2.Uint32()
	b = binary.LittleEndian.AppendUint32(b, key)
	start := len(b)
	b = append(b, payload...)
	mask := [4]byte{byte(key), byte(key >> 8), byte(key >> 16), byte(key >> 24)}
	for i := range b[start:] {
		b[start+i] ^= mask[i&3]
	}
	if op == wsframe.OpClose {
		c.closeSent = true
	}
	_ = c.nc.SetWriteDeadline(deadline)
	_, err := c.nc.Write(b)
	if cap(b) <= 4<<10 {
		c.wbuf = b
	}
	return err
}

// ReadMessage returns the next text or binary message's payload, answering pings and a close
// on the way. The payload is valid until the next call; ReadAt tells when the read that
// completed it returned.
func (c *wsConn) ReadMessage() ([]byte, error) {
	for {
		fin, op, payload, err := c.nextFrame()
		if err != nil {
			return nil, err
		}
		switch op {
		case wsframe.OpText, wsframe.OpBinary:
			if c.inMsg {
				return nil, wsProtocolError("a new message inside a fragmented one")
			}
			if fin {
				return payload, nil
			}
			c.inMsg = true
			c.msg = append(c.msg[:0], payload...)
		case wsframe.OpContinuation:
			if !c.inMsg {
				return nil, wsProtocolError("a continuation with no message")
			}
			if len(c.msg)+len(payload) > c.limit {
				return nil, errReadLimit
			}
			c.msg = append(c.msg, payload...)
			if fin {
				c.inMsg = false
				m := c.msg
				if cap(c.msg) > keepBuf {
					c.msg = nil
				}
				return m, nil
			}
		case wsframe.OpPing:
			if err := c.writeFrame(wsframe.OpPong, payload, time.Now().Add(time.Second)); err != nil {
				return nil, fmt.Errorf("pong: %w", err)
			}
		case wsframe.OpPong:
		case wsframe.OpClose:
			ce := &wsCloseError{Code: wsframe.CloseNoStatus}
			if len(payload) >= 2 {
				ce.Code = int(binary.BigEndian.Uint16(payload))
				ce.Text = string(payload[2:])
			}
			if ce.Code != wsframe.CloseNoStatus {
				_ = c.WriteClose(ce.Code, time.Now().Add(100*time.Millisecond))
			}
			return nil, ce
		default:
			return nil, wsProtocolError(fmt.Sprintf("opcode %d", op))
		}
	}
}

// ReadAt is when the read that brought the last frame returned.
func (c *wsConn) ReadAt() time.Time { return c.readAt }

// nextFrame parses the next frame, reading from the socket only when the buffer holds no
// whole one. The payload points into the buffer.
func (c *wsConn) nextFrame() (fin bool, op byte, payload []byte, err error) {
	for {
		b := c.rbuf[c.r:c.w]
		if len(b) >= 2 {
			if b[0]&0x70 != 0 {
				return false, 0, nil, wsProtocolError("reserved bits set")
			}
			if b[1]&0x80 != 0 {
				return false, 0, nil, wsProtocolError("a masked frame from the server")
			}
			fin, op = b[0]&0x80 != 0, b[0]&0x0f
			hdr, n := 2, uint64(b[1]&0x7f)
			switch n {
			case 126:
				hdr = 4
			case 127:
				hdr = 10
			}
			if len(b) >= hdr {
				switch hdr {
				case 4:
					n = uint64(binary.BigEndian.Uint16(b[2:]))
				case 10:
					n = binary.BigEndian.Uint64(b[2:])
				}
				if wsframe.IsControl(op) && (n > 125 || !fin) {
					return false, 0, nil, wsProtocolError("a control frame fragmented or over 125 bytes")
				}
				if n > uint64(c.limit) {
					return false, 0, nil, errReadLimit
				}
				if uint64(len(b)-hdr) >= n {
					c.r += hdr + int(n)
					return fin, op, b[hdr : hdr+int(n)], nil
				}
				if need := hdr + int(n); need > len(c.rbuf) {
					c.grow(need)
				}
			}
		}
		if err := c.fill(); err != nil {
			return false, 0, nil, err
		}
	}
}

// grow makes the buffer hold at least need bytes, keeping what is unread.
func (c *wsConn) grow(need int) {
	nb := make([]byte, max(need, 2*len(c.rbuf)))
	c.w = copy(nb, c.rbuf[c.r:c.w])
	c.r = 0
	c.rbuf = nb
}

// fill reads once into the free end of the buffer, first moving what is unread to its start
// (and giving back a buffer grown for a large frame once that frame is gone).
func (c *wsConn) fill() error {
	if c.r == c.w {
		c.r, c.w = 0, 0
		if len(c.rbuf) > max(c.base, keepBuf) {
			c.rbuf = make([]byte, c.base)
		}
	} else if c.r > 0 {
		c.w = copy(c.rbuf, c.rbuf[c.r:c.w])
		c.r = 0
	}
	n, err := c.nc.Read(c.rbuf[c.w:])
	if n > 0 {
		c.w += n
		c.readAt = time.Now()
		return nil
	}
	if err == nil {
		err = io.EOF
	}
	return err
}
