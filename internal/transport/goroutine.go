package transport

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/metrics"
)

// goroutineConn is the goroutine transport, as in gorilla/websocket's chat example: a read loop
// in a goroutine per socket (serve) and a write pump started when there is something to write.
// It serves TLS sockets, compressed connections and servers started with --transport
// goroutine; the polled transport (polled.go) serves the rest.
type goroutineConn struct {
	*base
	ws    *websocket.Conn
	batch *batchConn // the socket under ws, which can send a batch of frames in one write
	codes *closeCodeReader

	sess    Session
	onEnd   func()
	pumping atomic.Bool // a write pump is running (or the writer has ended for good)
	ping    *time.Timer // the next ping
}

func (t *Transport) newGoroutine(b *base, ws *websocket.Conn, batch *batchConn, codes *closeCodeReader) *goroutineConn {
	c := &goroutineConn{base: b, ws: ws, batch: batch, codes: codes}
	b.cutter = c
	ws.SetCloseHandler(c.answerClose)
	return c
}

// answerClose echoes a client's close code, as gorilla's own close handler does, but for a
// 1014 that closeCodeReader passed to gorilla as 1013: that is answered with 1014.
func (c *goroutineConn) answerClose(code int, _ string) error {
	code = c.codes.original(code)
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	return nil
}

// cutWrite cuts a write blocked on a client that stopped reading short.
func (c *goroutineConn) cutWrite() { _ = c.ws.NetConn().SetWriteDeadline(time.Now().Add(closeGrace)) }

// Refuse implements Conn.
func (c *goroutineConn) Refuse(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.cfg.WriteWait))
	c.ws.Close()
}

// Abort implements Conn: closing the socket ends the read loop, which ends the rest.
func (c *goroutineConn) Abort() { c.ws.Close() }

// Attach implements Conn.
func (c *goroutineConn) Attach(sess Session, onEnd func()) { c.sess, c.onEnd = sess, onEnd }

// Start implements Conn. It serves the socket from a goroutine of its own and returns:
// net/http's connection goroutine then ends, and with it its deep stack and the 8 KiB of
// bufio buffers it still holds for a hijacked connection — most of what an idle connection
// used to cost.
func (c *goroutineConn) Start() {
	go func() {
		defer c.onEnd()
		c.serve(c.sess)
	}()
}

// serve runs the connection until it ends, then waits for the write pump to finish.
func (c *goroutineConn) serve(sess Session) {
	c.Info("connected")
	c.cfg.Metrics.Connected(c.proto)
	defer c.cfg.Metrics.Disconnected(c.proto)
	c.startWriter(sess.Codec(), sess.Coalesce())
	reason := c.readLoop(sess)
	sess.End()
	c.closeWith(0, "", false) // stop the write pump if nothing else has
	<-c.writerDone.wait()
	c.out.Discard() // anything left is never written (a failed write); give back what it holds
	c.ws.Close()
	name, user := sess.User()
	c.logDisconnected(reason, name, user)
}

// readLoop reads frames until the socket fails or closes, and returns why it stopped.
func (c *goroutineConn) readLoop(sess Session) string {
	cfg := c.cfg
	c.ws.SetReadLimit(cfg.ReadLimit)
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.ws.SetPongHandler(func(string) error {
		if !c.closing.Load() {
			_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
		}
		return nil
	})
	for {
		kind, data, err := c.readMessage()
		if ce := (*websocket.CloseError)(nil); errors.As(err, &ce) && c.codes.original(ce.Code) != ce.Code {
			// A copy: gorilla returns some close errors from shared variables.
			err = &websocket.CloseError{Code: c.codes.original(ce.Code), Text: ce.Text}
		}
		if err != nil {
			if why, ok := dropReason(err); ok && !c.closing.Load() {
				c.cfg.Metrics.Drop(why)
			}
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla sends 1009 for most oversized frames but not for a length it cannot
				// represent (the top bit of a 64-bit length): make sure the client hears why.
				// If gorilla did send it, this second close frame is refused and nothing is sent.
				c.closeWith(websocket.CloseMessageTooBig, "frame over the read limit", false)
			}
			return ReadEndReason(err)
		}
		if !c.closing.Load() {
			_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
		}
		if c.closing.Load() {
			continue // drain until the peer answers our close
		}
		if kind == websocket.BinaryMessage && !sess.Coalesce() {
			c.closeWith(websocket.CloseUnsupportedData, "binary frames are not part of hubbub.v1", false)
			continue
		}
		if kind == websocket.TextMessage && !utf8.Valid(data) {
			// RFC 6455 requires text frames to be UTF-8. A binary frame (the text protocol
			// reads them as text) is the session's to clean: invalid bytes become U+FFFD.
			c.closeWith(websocket.CloseInvalidFramePayloadData, "text frame is not valid UTF-8", false)
			continue
		}
		if c.beginHandle() {
			sess.Handle(data)
			c.endHandle()
		}
	}
}

// readMessage reads the next message as gorilla's ReadMessage does, within the read limit.
// gorilla applies SetReadLimit to the bytes on the wire, so with permessage-deflate a message
// of a few hundred compressed bytes could inflate to megabytes (up to about a thousand times
// the limit) and be decoded whole, however small --read-limit is: with compression on, the
// inflated message is held to the limit too, and one past it fails with
// websocket.ErrReadLimit, closed with 1009 as any frame over the limit is. Without
// compression the wire's size is the message's, and ReadMessage's own check suffices.
func (c *goroutineConn) readMessage() (int, []byte, error) {
	if !c.cfg.Compression || c.cfg.ReadLimit <= 0 {
		return c.ws.ReadMessage()
	}
	kind, r, err := c.ws.NextReader()
	if err != nil {
		return kind, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, c.cfg.ReadLimit+1))
	if err == nil && int64(len(data)) > c.cfg.ReadLimit {
		err = websocket.ErrReadLimit
	}
	return kind, data, err
}

// dropReason tells whether a read error means the server dropped the client, and why: a
// frame over the read limit, a protocol violation gorilla detected (it has sent 1002), or
// silence past the pong wait. A close from the client or a broken socket is no drop.
func dropReason(err error) (metrics.DropReason, bool) {
	var ce *websocket.CloseError
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &ce):
		return 0, false
	case errors.Is(err, websocket.ErrReadLimit):
		return metrics.DropReadLimit, true
	case errors.As(err, &ne) && ne.Timeout():
		return metrics.DropTimeout, true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return 0, false
	}
	var oe *net.OpError
	if !errors.As(err, &oe) && strings.HasPrefix(err.Error(), "websocket: ") {
		return metrics.DropProtocol, true
	}
	return 0, false
}

// ReadEndReason says, for the logs, why reading a gorilla/websocket connection ended.
func ReadEndReason(err error) string {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return peerClosed(ce.Code, ce.Text)
	case errors.Is(err, websocket.ErrReadLimit):
		return "frame over the read limit (1009)"
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "no pong or frame within the pong wait"
	}
	return err.Error()
}

// The write pump runs only while there is something to write: an idle connection parks no
// goroutine for writing, which is most of what an idle connection would otherwise cost. The
// outbox wakes it (wake), it drains the outbox, lingers pumpLinger for more, and ends; pings
// come from a timer instead of a ticker in the pump.

// pumpLinger is how long an idle write pump waits for more before it ends. Long enough that a
// busy room's members keep their pump between messages, short enough to free idle ones.
const pumpLinger = time.Second

// never is the delay of a timer made before it may fire: it is armed with Reset once stored
// where its function finds it.
const never = time.Duration(math.MaxInt64)

// startWriter arranges for the outbox to wake a write pump and starts the ping timer.
func (c *goroutineConn) startWriter(codec hub.Codec, coalesce bool) {
	c.codec, c.coalesce = codec, coalesce
	// The timer first: once the wake function is set, a close or a push from another
	// goroutine can start a pump, and a pump that ends stops the timer. It is made unarmed
	// and armed once stored: sendPing resets it, and a timer armed by AfterFunc may fire (a
	// short --ping-period, a busy machine) before AfterFunc's result is stored.
	c.ping = time.AfterFunc(never, c.sendPing)
	c.ping.Reset(c.cfg.PingPeriod)
	c.out.SetWake(c.wake)
	c.wake() // anything queued before the wake function was set
}

// wake starts a write pump unless one is running.
func (c *goroutineConn) wake() {
	if c.pumping.CompareAndSwap(false, true) {
		go c.writePump()
	}
}

// writePump writes everything queued in the outbox until it is empty for pumpLinger, the
// outbox closes, or a write fails. Only one runs at a time (pumping), so it is the only
// goroutine that writes data frames to the socket.
func (c *goroutineConn) writePump() {
	var batch []*hub.Envelope
	var line bytes.Buffer
	linger := time.NewTimer(pumpLinger)
	defer linger.Stop()
	for {
		var write, closed bool
		batch, write, closed = c.takeBatch(batch)
		if write {
			if err := c.writeBatch(batch, c.codec, c.coalesce, &line); err != nil {
				c.Debug("write failed", "err", err)
				c.closing.Store(true)
				c.ws.Close() // unblocks the read loop
				c.writerEnded()
				return // pumping stays set: nothing more is written
			}
		}
		clear(batch)
		if closed {
			c.sendClose()
			c.writerEnded()
			return
		}
		if len(batch) > 0 {
			continue
		}
		linger.Reset(pumpLinger)
		select {
		case <-c.out.Ready():
			continue
		case <-linger.C:
		}
		c.pumping.Store(false)
		// A push between the last Take and the line above found pumping still set and relied
		// on this pump: look once more before leaving.
		if !c.out.Pending() || !c.pumping.CompareAndSwap(false, true) {
			return
		}
	}
}

// sendPing pings the client every PingPeriod, from a timer rather than a goroutine.
func (c *goroutineConn) sendPing() {
	if c.closing.Load() {
		return
	}
	if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.WriteWait)); err != nil {
		c.closing.Store(true)
		c.ws.Close()
		return
	}
	c.ping.Reset(c.cfg.PingPeriod)
}

// writerEnded reports that no more frames will be written; serve waits for it.
func (c *goroutineConn) writerEnded() {
	c.ping.Stop() // before the signal, as waiters expect; stopping twice does nothing
	c.writerDone.fire()
}

// writeBatch writes one frame per envelope, or, when coalescing, all of them as one frame
// joined by '\n' as the original chat did.
func (c *goroutineConn) writeBatch(batch []*hub.Envelope, codec hub.Codec, coalesce bool, line *bytes.Buffer) error {
	if len(batch) == 0 {
		return nil
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteWait))
	if m := c.cfg.Metrics; m != nil {
		defer observeWritten(m, batch, codec, coalesce)
	}
	if coalesce {
		line.Reset()
		for _, e := range batch {
			f := e.Frame(codec)
			if f == nil {
				continue
			}
			if line.Len() > 0 {
				line.WriteByte('\n')
			}
			line.Write(f)
		}
		if line.Len() == 0 {
			return nil
		}
		err := c.ws.WriteMessage(websocket.TextMessage, line.Bytes())
		if line.Cap() > 64<<10 {
			*line = bytes.Buffer{}
		}
		return err
	}
	// One frame per envelope, but one system call for the lot (see batchConn).
	if c.batch != nil && len(batch) > 1 {
		c.batch.Hold()
	}
	for _, e := range batch {
		if f := e.Frame(codec); f != nil {
			if err := c.ws.WriteMessage(websocket.TextMessage, f); err != nil {
				if c.batch != nil {
					_ = c.batch.Flush()
				}
				return err
			}
		}
	}
	if c.batch != nil {
		return c.batch.Flush()
	}
	return nil
}

// sendClose writes the close frame chosen by closeWith and gives the client a short grace to
// answer before the read loop gives up.
func (c *goroutineConn) sendClose() {
	if c.closeCode == 0 {
		return // the client closed first; gorilla has already answered its close frame
	}
	msg := websocket.FormatCloseMessage(c.closeCode, c.closeReason)
	wait := c.cfg.WriteWait
	if c.discarding.Load() {
		wait = closeGrace
	}
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(wait)); err != nil {
		c.ws.Close()
		return
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
}
