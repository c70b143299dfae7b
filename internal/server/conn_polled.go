//go:build linux

package server

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/netpoll"
	"hubbub/internal/wsframe"
)

// The polled transport serves a WebSocket with no goroutine of its own while it is idle: the
// server's poller (internal/netpoll) reports when the socket has bytes, a short-lived goroutine
// reads and handles every frame they complete and goes away, and the flushers (flusher.go)
// write what rooms queued, already framed (wireCodec), with one non-blocking write per batch.
// Only a client too slow to take a write at once gets a goroutine for writing (slowWrite),
// until it has caught up. An idle connection is then its socket, its outbox, its session and a
// timer for heartbeats: a few hundred bytes where a goroutine per connection costs a stack and
// buffers of several KiB.
//
// The goroutine transport (conn.go, gorilla/websocket) still serves TLS sockets, compressed
// connections and servers started with --transport goroutine.

// polled is a polled connection's transport state.
type polled struct {
	raw    syscall.RawConn
	fd     int
	poller *netpoll.Poller
	sess   session

	reading atomic.Bool // a goroutine is reading (handleReadable); guards in and asm
	in      []byte      // bytes read but not yet handled: part of a frame, nil when none
	need    int         // the size of the frame begun in in, once its header is complete
	asm     wsframe.Assembler

	lastRead      atomic.Int64 // unix nanos of the last bytes read: the pong wait counts from it
	closeDeadline atomic.Int64 // unix nanos by which the client must answer our close; 0 = none

	heartbeatMu sync.Mutex
	heartbeat   *time.Timer
	nextPing    time.Time

	controlMu sync.Mutex
	control   []byte // control frames (pongs, pings) waiting for the writer, written first

	scheduled  atomic.Bool // a flusher or slowWrite owns writing; cleared when idle
	writerGone atomic.Bool // the close frame (or the last frame) is written: nothing more

	// lifeMu orders the start (startPolled) against finish, which may come first (an abort
	// during shutdown): a finished connection is never registered with the poller.
	lifeMu   sync.Mutex
	started  bool
	finished atomic.Bool

	// sessMu serialises the session: the reader calls handle, finish calls end, from
	// different goroutines; end must never run beside a handle that is joining a room.
	sessMu sync.Mutex
	ended  bool

	release func()
}

// maxControl bounds the control frames waiting to be written. A client that pings faster than
// it reads its pongs gets no more answers until it catches up (RFC 6455 lets a server answer
// only the latest ping).
const maxControl = 64 << 10

// readChunk is how much one read takes from a socket. The buffer is pooled: an idle
// connection holds none.
const readChunk = 4 << 10

var readBuffers = sync.Pool{New: func() any { b := make([]byte, 0, readChunk); return &b }}

// preparePolled sets c up for the polled transport without starting it. It returns false,
// having changed nothing, if the socket cannot be polled (the caller then uses the goroutine
// transport).
func (s *Server) preparePolled(c *conn, sess session, release func()) bool {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil || fd < 0 {
		return false
	}
	_ = c.nc.SetDeadline(time.Time{}) // no deadline left from the HTTP server: polled reads check them
	p := &polled{raw: raw, fd: fd, poller: s.poller, sess: sess, release: release}
	p.asm.Limit = s.cfg.ReadLimit
	p.lastRead.Store(time.Now().UnixNano())
	c.polled, c.ws, c.batch = p, nil, nil
	c.codec, c.coalesce = wireCodecs[sess.codec().Slot()], sess.coalesce()
	return true
}

// startPolled starts serving a prepared connection: heartbeats, the poller, the writer.
func (c *conn) startPolled() {
	p, s := c.polled, c.srv
	p.lifeMu.Lock()
	if p.finished.Load() { // aborted before it started; finish has cleaned up
		p.lifeMu.Unlock()
		return
	}
	c.log.Info("connected")
	s.cfg.Metrics.Connected(c.proto)
	p.nextPing = time.Now().Add(s.cfg.PingPeriod)
	p.heartbeat = time.AfterFunc(s.cfg.PingPeriod, c.onHeartbeat)
	c.out.SetWake(c.wakeWriter)
	err := s.poller.Add(p.fd, c.handleReadable)
	p.started = true
	p.lifeMu.Unlock()
	if err != nil {
		c.log.Warn("cannot poll the socket", "err", err)
		c.finish("cannot poll the socket")
		return
	}
	c.wakeWriter() // anything queued before the wake function was set
}

// handleReadable reads and handles everything the socket has, then asks the poller for the
// next readability. It runs in a goroutine of its own, one at a time per connection.
func (c *conn) handleReadable() {
	p := c.polled
	if !p.reading.CompareAndSwap(false, true) {
		return // a stale report; the reader running now rearms when it is done
	}
	for !p.finished.Load() {
		if p.in == nil {
			p.in = (*readBuffers.Get().(*[]byte))[:0]
		}
		if len(p.in) == cap(p.in) {
			p.in = append(p.in, make([]byte, readChunk)...)[:len(p.in)]
		}
		n, err := p.readSome(p.in[len(p.in):cap(p.in)])
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if n == 0 || err != nil {
			reason := "connection closed by the client without a close frame"
			if err != nil {
				reason = err.Error()
			}
			c.finish(reason)
			return
		}
		p.in = p.in[:len(p.in)+n]
		if !c.handleFrames() {
			return
		}
	}
	p.parkBuffer()
	p.reading.Store(false)
	if p.finished.Load() {
		return
	}
	if err := p.poller.Rearm(p.fd); err != nil {
		c.finish(err.Error())
	}
}

// readSome makes one non-blocking read(2).
func (p *polled) readSome(b []byte) (n int, err error) {
	cerr := p.raw.Read(func(fd uintptr) bool {
		for {
			n, err = syscall.Read(int(fd), b)
			if err != syscall.EINTR {
				return true
			}
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	if n < 0 {
		n = 0
	}
	return n, err
}

// parkBuffer gives the pooled read buffer back when nothing is left in it, or moves what is
// left (part of a frame) into a buffer of its own, so an idle connection holds no pooled
// buffer. A buffer of its own (grown for a long frame) is kept as it is until the frame is
// complete: a frame arriving in many small pieces is not copied again for each piece.
func (p *polled) parkBuffer() {
	if p.in == nil || !p.pooled() {
		return
	}
	if len(p.in) == 0 {
		p.recycle()
		p.in = nil
		return
	}
	keep := make([]byte, len(p.in), max(len(p.in), p.need))
	copy(keep, p.in)
	p.recycle()
	p.in = keep
}

// pooled reports whether p.in is a buffer from readBuffers.
func (p *polled) pooled() bool { return cap(p.in) == readChunk }

func (p *polled) recycle() {
	if p.pooled() {
		b := p.in[:0]
		readBuffers.Put(&b)
	}
}

// handleFrames handles every complete frame in p.in and keeps the rest. It returns false once
// the connection is finished.
func (c *conn) handleFrames() bool {
	p := c.polled
	off := 0
	defer func() {
		if off > 0 && !p.finished.Load() {
			p.in = p.in[:copy(p.in, p.in[off:])]
		}
	}()
	for {
		f, n, need, err := wsframe.Parse(p.in[off:], c.srv.cfg.ReadLimit)
		if err != nil {
			c.protocolFailure(err)
			return false
		}
		if n == 0 {
			p.need = need
			if need > cap(p.in)-off {
				grown := make([]byte, len(p.in)-off, need)
				copy(grown, p.in[off:])
				p.recycle()
				p.in, off = grown, 0
			}
			if off == len(p.in) && !p.pooled() {
				p.in, off = nil, 0 // a buffer grown for a frame that is complete now
			}
			return true
		}
		p.need = 0
		off += n
		// Only a whole frame counts as a sign of life: a client trickling a frame a byte at a
		// time is still cut after the pong wait.
		p.lastRead.Store(time.Now().UnixNano())
		if !c.handleFrame(f) {
			return false
		}
	}
}

// handleFrame handles one frame; false means the connection is finished.
func (c *conn) handleFrame(f wsframe.Frame) bool {
	p := c.polled
	switch f.Op {
	case wsframe.OpPing:
		c.queueControl(wsframe.AppendFrame(nil, wsframe.OpPong, f.Payload), false)
		return true
	case wsframe.OpPong:
		return true // lastRead is all a pong is for
	case wsframe.OpClose:
		code, text, err := wsframe.ParseClose(f.Payload)
		if err != nil {
			c.protocolFailure(err)
			return false
		}
		// Answer with the client's code (an empty close if it sent none), unless our own
		// close is out already; then the handshake is complete.
		echo := code
		if echo == 0 {
			echo = wsframe.CloseNoStatus
		}
		c.closeWith(echo, "", false)
		<-c.writerDone
		c.finish(fmt.Sprintf("close %d %s", code, text))
		return false
	}
	op, msg, done, err := p.asm.Add(f)
	if err != nil {
		c.protocolFailure(err)
		return false
	}
	if !done || c.closing.Load() {
		return true // a fragment, or the rest of a stream we are closing: drained, not handled
	}
	if op == wsframe.OpBinary && !p.sess.coalesce() {
		c.closeWith(wsframe.CloseUnsupportedData, "binary frames are not part of hubbub.v1", false)
		return true
	}
	if !utf8.Valid(msg) {
		c.closeWith(wsframe.CloseInvalidPayload, "text frame is not valid UTF-8", false)
		return true
	}
	p.sessMu.Lock()
	defer p.sessMu.Unlock()
	if p.ended {
		return false
	}
	p.sess.handle(msg)
	return true
}

// protocolFailure closes the connection over a frame that breaks the protocol: the client is
// told why, and nothing it sends after is read.
func (c *conn) protocolFailure(err error) {
	code, reason := wsframe.CloseProtocolError, err.Error()
	var fe *wsframe.Error
	if errors.As(err, &fe) {
		code, reason = fe.Code, fe.Reason
	}
	if code == wsframe.CloseMessageTooBig && !c.closing.Load() {
		c.srv.cfg.Metrics.Drop(metrics.DropReadLimit) // closeWith counts protocol errors itself
	}
	c.closeWith(code, reason, false)
	<-c.writerDone
	c.finish(reason)
}

// queueControl queues a control frame ahead of data frames and wakes the writer. Pongs are
// dropped while too many wait (see maxControl); pings are not.
func (c *conn) queueControl(frame []byte, must bool) {
	p := c.polled
	p.controlMu.Lock()
	if !must && len(p.control)+len(frame) > maxControl {
		p.controlMu.Unlock()
		return
	}
	p.control = append(p.control, frame...)
	p.controlMu.Unlock()
	c.wakeWriter()
}

// onHeartbeat runs from the connection's timer: it ends a connection silent for the pong wait
// or one whose client never answered our close, and pings every ping period.
func (c *conn) onHeartbeat() {
	p := c.polled
	p.heartbeatMu.Lock()
	defer p.heartbeatMu.Unlock()
	if p.finished.Load() {
		return
	}
	cfg := &c.srv.cfg
	now := time.Now()
	if dl := p.closeDeadline.Load(); dl != 0 && now.UnixNano() >= dl {
		go c.finish("no answer to our close frame")
		return
	}
	silentUntil := time.Unix(0, p.lastRead.Load()).Add(cfg.PongWait)
	if !now.Before(silentUntil) {
		if !c.closing.Load() {
			cfg.Metrics.Drop(metrics.DropTimeout)
		}
		go c.finish("no pong or frame within the pong wait")
		return
	}
	if !now.Before(p.nextPing) {
		if !c.closing.Load() {
			c.queueControl(wsframe.AppendHeader(nil, wsframe.OpPing, 0), true)
		}
		p.nextPing = now.Add(cfg.PingPeriod)
	}
	next := min(p.nextPing.Sub(now), silentUntil.Sub(now))
	if dl := p.closeDeadline.Load(); dl != 0 {
		next = min(next, time.Duration(dl-now.UnixNano()))
	}
	p.heartbeat.Reset(max(next, time.Millisecond))
}

// finish ends the connection: it leaves the poller and the rooms, stops the writer, closes the
// socket and releases the connection's slot. Only the first call counts; it may block briefly
// for the writer, so it is never called from a flusher.
func (c *conn) finish(reason string) { c.finishWith(reason, false) }

// finishWith is finish; abort drops what is still queued and cuts a write in progress, as a
// crash would, instead of flushing it within closeGrace.
func (c *conn) finishWith(reason string, abort bool) {
	p := c.polled
	p.lifeMu.Lock()
	if p.finished.Load() {
		p.lifeMu.Unlock()
		return
	}
	p.finished.Store(true)
	started := p.started
	p.lifeMu.Unlock()

	p.poller.Remove(p.fd)
	p.heartbeatMu.Lock()
	if p.heartbeat != nil {
		p.heartbeat.Stop()
	}
	p.heartbeatMu.Unlock()
	c.closing.Store(true)
	p.sessMu.Lock()
	p.ended = true
	p.sess.end()
	p.sessMu.Unlock()
	if abort {
		c.discarding.Store(true)
		c.closeWith(0, "", true)
		_ = c.nc.SetWriteDeadline(time.Now()) // fails a write in progress at once
	} else {
		c.closeWith(0, "", false) // the writer ends after what is queued, if nothing else stopped it
		_ = c.nc.SetWriteDeadline(time.Now().Add(closeGrace))
	}
	if started {
		<-c.writerDone
	}
	c.nc.Close()
	if p.reading.CompareAndSwap(false, true) {
		p.recycle() // no reader holds the buffer now, nor will again
		p.in = nil
	}
	if started {
		c.srv.cfg.Metrics.Disconnected(c.proto)
		c.log.Info("disconnected", "reason", reason)
	}
	c.srv.untrack(c)
	p.release()
}

// wakeWriter hands the connection to a flusher unless one (or slowWrite) already has it.
func (c *conn) wakeWriter() {
	p := c.polled
	if p.writerGone.Load() {
		return
	}
	if p.scheduled.CompareAndSwap(false, true) {
		c.srv.flusher.schedule(c)
	}
}

// writePending is called by a flusher that was handed the connection: it writes what is
// queued with one non-blocking write and hands the connection back (or, if the socket cannot
// take it all, to slowWrite).
func (c *conn) writePending(w *flushWorker) {
	p := c.polled
	buf, last := c.appendPending(w.buf[:0], &w.batch)
	w.keep(buf)
	if len(buf) > 0 {
		n, err := p.writeSome(buf)
		if err != nil && !errors.Is(err, syscall.EAGAIN) {
			c.writerFailed(err)
			return
		}
		if n < len(buf) {
			rest := append([]byte(nil), buf[max(n, 0):]...)
			go c.slowWrite(rest, last)
			return
		}
	}
	c.writeDone(last)
}

// slowWrite finishes writing to a client whose socket buffer is full: it blocks (within the
// write wait) until rest is written, then goes on with whatever was queued meanwhile, and ends
// when the connection has caught up.
func (c *conn) slowWrite(rest []byte, last bool) {
	var batch []*hub.Envelope
	for {
		wait := c.srv.cfg.WriteWait
		if c.discarding.Load() || c.polled.finished.Load() {
			wait = closeGrace // the connection is going: do not hold it up for a full write wait
		}
		if c.discarding.Load() && c.polled.finished.Load() {
			wait = 0 // aborted
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(wait))
		if _, err := c.nc.Write(rest); err != nil {
			c.writerFailed(err)
			return
		}
		if last {
			break
		}
		rest, last = c.appendPending(rest[:0], &batch)
		if len(rest) == 0 {
			break
		}
	}
	_ = c.nc.SetWriteDeadline(time.Time{})
	c.writeDone(last)
}

// writeDone hands writing back after a batch: for good if it was the last, else to whoever
// queues next (or at once, if something was queued meanwhile).
func (c *conn) writeDone(last bool) {
	p := c.polled
	if last {
		c.writerFinished()
		return
	}
	p.scheduled.Store(false)
	// A push between our last take and the line above saw scheduled set and relied on us.
	if c.out.Len() > 0 || c.out.Closed() || c.hasControl() {
		c.wakeWriter()
	}
}

func (c *conn) hasControl() bool {
	p := c.polled
	p.controlMu.Lock()
	defer p.controlMu.Unlock()
	return len(p.control) > 0
}

// writerFinished records that the last frame is written. If it was our close frame, the
// client has closeGrace to answer it.
func (c *conn) writerFinished() {
	p := c.polled
	p.writerGone.Store(true)
	if c.closeCode != 0 {
		p.closeDeadline.Store(time.Now().Add(closeGrace).UnixNano())
		p.heartbeatMu.Lock()
		if !p.finished.Load() {
			p.heartbeat.Reset(closeGrace)
		}
		p.heartbeatMu.Unlock()
	}
	c.writerOnce.Do(func() { close(c.writerDone) })
}

// writerFailed ends writing after a failed write; the reader or finish tears the rest down.
func (c *conn) writerFailed(err error) {
	c.log.Debug("write failed", "err", err)
	c.closing.Store(true)
	c.polled.writerGone.Store(true)
	c.writerOnce.Do(func() { close(c.writerDone) })
	go c.finish("write failed: " + err.Error())
}

// writeSome makes one non-blocking write(2).
func (p *polled) writeSome(b []byte) (n int, err error) {
	cerr := p.raw.Write(func(fd uintptr) bool {
		for {
			n, err = syscall.Write(int(fd), b)
			if err != syscall.EINTR {
				return true
			}
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	return max(n, 0), err
}

// appendPending appends to buf, as wire frames, everything waiting to be written: control
// frames, then queued envelopes (unless a slow consumer's queue is being discarded), then our
// close frame once the outbox has closed. last reports that nothing will follow.
func (c *conn) appendPending(buf []byte, batch *[]*hub.Envelope) (_ []byte, last bool) {
	p := c.polled
	p.controlMu.Lock()
	buf = append(buf, p.control...)
	if cap(p.control) > 4<<10 {
		p.control = nil
	} else {
		p.control = p.control[:0]
	}
	p.controlMu.Unlock()

	var closed bool
	*batch, closed = c.out.Take((*batch)[:0])
	if len(*batch) > 0 {
		m := c.srv.cfg.Metrics
		m.QueueDepth(len(*batch))
		if !closed || !c.discard && !c.discarding.Load() {
			buf = appendFrames(buf, *batch, c.codec, c.coalesce)
			if m != nil {
				observeWritten(m, *batch, c.codec, c.coalesce)
			}
		}
		clear(*batch)
	}
	switch {
	case !closed || c.closeCode == 0:
	case c.closeCode == wsframe.CloseNoStatus:
		buf = wsframe.AppendClose(buf, 0, "") // the answer to a close without a code: 1005 is never sent
	default:
		buf = wsframe.AppendClose(buf, c.closeCode, c.closeReason)
	}
	return buf, closed
}

// appendFrames appends one text frame per envelope, already framed by the codec (a room's
// message is framed once for all its members), or, when coalescing, one frame with the
// envelopes' lines joined by '\n' as the original chat did.
func appendFrames(buf []byte, batch []*hub.Envelope, codec hub.Codec, coalesce bool) []byte {
	if !coalesce {
		for _, e := range batch {
			if e.Raw != nil {
				buf = wsframe.AppendFrame(buf, wsframe.OpText, e.Raw)
			} else {
				buf = append(buf, e.Frame(codec)...)
			}
		}
		return buf
	}
	size, lines := 0, 0
	for _, e := range batch {
		if f := payloadOf(e, codec); f != nil {
			size += len(f)
			lines++
		}
	}
	if lines == 0 {
		return buf
	}
	buf = wsframe.AppendHeader(buf, wsframe.OpText, size+lines-1)
	first := true
	for _, e := range batch {
		if f := payloadOf(e, codec); f != nil {
			if !first {
				buf = append(buf, '\n')
			}
			buf = append(buf, f...)
			first = false
		}
	}
	return buf
}

// payloadOf returns an envelope's payload without its frame header.
func payloadOf(e *hub.Envelope, codec hub.Codec) []byte {
	if e.Raw != nil {
		return e.Raw
	}
	return unframe(e.Frame(codec))
}

// unframe strips the header of a frame built by wireCodec.
func unframe(f []byte) []byte {
	if f == nil {
		return nil
	}
	switch f[1] {
	case 126:
		return f[4:]
	case 127:
		return f[10:]
	}
	return f[2:]
}

// wireCodec frames a protocol's payloads as complete WebSocket text frames, cached in the
// envelope like the payload itself, so a room's message is framed once for all its polled
// members.
type wireCodec struct {
	payload hub.Codec
	slot    int
}

// wireCodecs maps a payload codec's slot to its wire codec.
var wireCodecs = func() map[int]hub.Codec {
	m := map[int]hub.Codec{}
	for _, c := range payloadCodecs {
		m[c.Slot()] = wireCodec{payload: c, slot: c.Slot() + len(payloadCodecs)}
	}
	return m
}()

func (w wireCodec) Slot() int { return w.slot }

func (w wireCodec) Encode(e *hub.Envelope) []byte {
	p := e.Frame(w.payload)
	if p == nil {
		return nil
	}
	return wsframe.AppendFrame(make([]byte, 0, len(p)+wsframe.MaxHeader), wsframe.OpText, p)
}
