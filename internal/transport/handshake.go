package transport

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The polled transport's own answer to a WebSocket handshake. gorilla's Upgrader builds a
// websocket.Conn (a read buffer, a struct, its state) for every upgrade, which the polled
// transport throws away at once: it reads and frames the raw socket itself. For a request
// that gorilla would plainly accept, upgradePolled checks what gorilla checks, hijacks, and
// writes the same 101 itself (docs/benchmarks/reconnect-storm.md, "Connect + join: less
// garbage per client"). Anything else (a refusal, a doubtful header, a
// compression offer the server would take) goes through gorilla's Upgrader as before, so
// every refusal is still answered by it and the transport's Refused function.

// acceptGUID is RFC 6455's magic string for Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// plainHandshake reports whether r is a WebSocket handshake gorilla's Upgrader would accept
// as it is configured here (no response header of ours, no compression negotiated), and
// returns its key. It is stricter than gorilla where that is simpler (one version header,
// exactly "13"): a request it turns down is not refused, only upgraded by gorilla. It does not
// read the subprotocols offered: its callers have (subprotocol), once, and answer with the
// one chosen or refuse an offer of none the server speaks.
func (t *Transport) plainHandshake(r *http.Request) (key string, ok bool) {
	if r.Method != http.MethodGet || !websocket.IsWebSocketUpgrade(r) || t.cfg.CheckOrigin == nil {
		return "", false
	}
	if v := r.Header.Values("Sec-Websocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return "", false
	}
	if t.cfg.Compression && strings.Contains(strings.ToLower(strings.Join(r.Header.Values("Sec-Websocket-Extensions"), ",")), "permessage-deflate") {
		return "", false // gorilla negotiates it (and pollable says no anyway)
	}
	key = r.Header.Get("Sec-Websocket-Key")
	if !validKey(key) || !t.cfg.CheckOrigin(r) {
		return "", false // Upgrade refuses it
	}
	return key, true
}

// validKey is gorilla's test of a Sec-WebSocket-Key: base64 of 16 bytes.
func validKey(key string) bool {
	if base64.StdEncoding.DecodedLen(len(key)) < 16 || len(key) > 64 {
		return false
	}
	var b [48]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(key))
	return err == nil && n == 16
}

// appendAccept appends the Sec-WebSocket-Accept value of key.
func appendAccept(b []byte, key string) []byte {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(b, h.Sum(sum[:0]))
}

// append101 appends the answer gorilla writes to an accepted handshake without compression.
func append101(b []byte, key, subprotocol string) []byte {
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = appendAccept(b, key)
	b = append(b, "\r\n"...)
	if subprotocol != "" {
		b = append(b, "Sec-WebSocket-Protocol: "...)
		b = append(b, subprotocol...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// errEarlyData is gorilla's refusal of a client that sent frames before the 101.
var errEarlyData = errors.New("websocket: client sent data before handshake is complete")

// upgradePolled answers the plain handshake of r (plainHandshake said ok) and returns the
// connection on the polled transport; a socket the poller cannot watch goes to the goroutine
// transport through gorilla, on the connection already hijacked. On failure it has answered
// w, or closed the connection where nothing can be answered (as gorilla does).
func (t *Transport) upgradePolled(w http.ResponseWriter, r *http.Request, id uint64, key, subprotocol string) (Conn, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return t.upgradeGorilla(w, r, id)
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		t.cfg.Refused(w, r, http.StatusInternalServerError, err) // what gorilla answers
		return nil, err
	}
	if brw.Reader.Buffered() > 0 {
		_ = nc.Close()
		return nil, errEarlyData
	}
	c, ok := t.newPolled(t.newBase(id, r.RemoteAddr, subprotocol), nc)
	if !ok {
		return t.upgradeGorilla(&batchHijacker{ResponseWriter: w, hijacked: nc, rw: brw}, r, id)
	}
	// newPolled cleared the HTTP server's deadlines; the 101 is bounded like gorilla's.
	if t.cfg.HandshakeTimeout > 0 {
		_ = nc.SetWriteDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	}
	// the hijacked writer's empty buffer: net/http's, now ours, so the answer allocates nothing
	if _, err := nc.Write(append101(brw.Writer.AvailableBuffer(), key, subprotocol)); err != nil {
		_ = nc.Close()
		return nil, err
	}
	if t.cfg.HandshakeTimeout > 0 {
		_ = nc.SetWriteDeadline(time.Time{})
	}
	return c, nil
}

// answerBuffer holds UpgradeConn's 101: 155 bytes and the subprotocol's name (a longer one
// grows a slice of its own).
const answerBuffer = 256

// answerBuffers lends UpgradeConn its 101's buffer: an array on the stack escaped to the heap
// (the socket's Write is a call through an interface), an allocation of every upgrade.
var answerBuffers = sync.Pool{New: func() any { return new([answerBuffer]byte) }}

// Handshake is a plain WebSocket handshake (see PlainHandshake) that UpgradeConn answers.
type Handshake struct {
	key, subprotocol string
}

// PlainHandshake reports whether r, read by the caller from a raw socket, is a handshake the
// polled transport answers itself (one gorilla would accept as configured here, on a socket
// the poller can watch). A request it turns down is not refused: the caller hands it to the
// HTTP server, whose route answers it as before.
func (t *Transport) PlainHandshake(r *http.Request) (Handshake, bool) {
	if !t.pollable(r) {
		return Handshake{}, false
	}
	sub, err := t.subprotocol(r)
	if err != nil {
		return Handshake{}, false // Upgrade refuses it
	}
	key, ok := t.plainHandshake(r)
	return Handshake{key: key, subprotocol: sub}, ok
}

// ErrNotPollable is UpgradeConn's answer for a socket the poller cannot watch; nothing has
// been written to it.
var ErrNotPollable = errors.New("transport: the socket cannot be polled")

// UpgradeConn answers hs, read by the caller from the raw socket nc as r, with the 101 and
// returns the connection on the polled transport, not yet started. early holds the bytes the
// client sent after its request (its first frames, sent without waiting for the 101); they
// are handled when the connection starts, as if read then. It returns ErrNotPollable, having
// written nothing, for a socket the poller cannot watch; on any other failure it has closed nc.
func (t *Transport) UpgradeConn(nc net.Conn, r *http.Request, hs Handshake, early []byte, id uint64) (Conn, error) {
	c, ok := t.newPolled(t.newBase(id, r.RemoteAddr, hs.subprotocol), nc)
	if !ok {
		return nil, ErrNotPollable
	}
	if len(early) > 0 {
		takeEarly(c, early)
	}
	if t.cfg.HandshakeTimeout > 0 {
		_ = nc.SetWriteDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	}
	buf := answerBuffers.Get().(*[answerBuffer]byte)
	_, err := nc.Write(append101(buf[:0], hs.key, hs.subprotocol))
	answerBuffers.Put(buf)
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("transport: writing the 101: %w", err)
	}
	if t.cfg.HandshakeTimeout > 0 {
		_ = nc.SetWriteDeadline(time.Time{})
	}
	return c, nil
}
