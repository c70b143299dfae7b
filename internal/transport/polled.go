//go:build linux

package transport

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hubbub/internal/metrics"
	"hubbub/internal/netpoll"
	"hubbub/internal/wsframe"
)

// The polled transport serves a WebSocket with no goroutine of its own while it is idle: the
// transport's poller (internal/netpoll) reports when the socket has bytes, a short-lived
// goroutine reads and handles every frame they complete and goes away, and the flushers
// (flusher.go) write what rooms queued, already framed (framed.go), with one non-blocking
// write per batch.
// Only a client too slow to take a write at once gets a goroutine for writing (slowWrite),
// until it has caught up. An idle connection is then its socket, its outbox, its session and a
// timer for heartbeats: a few hundred bytes where a goroutine per connection costs a stack and
// buffers of several KiB.
//
// This file holds the connection's life (start, heartbeats, finish); polled_read.go and
// polled_write.go its two directions. The goroutine transport (goroutine.go,
// gorilla/websocket) still serves TLS sockets, compressed connections and servers started with
// --transport goroutine.

// polledConn is a connection on the polled transport.
type polledConn struct {
	*base
	nc      net.Conn // the raw socket
	flusher *flusher
	polled  *polled
}

// polled is a polled connection's transport state.
type polled struct {
	raw    syscall.RawConn
	fd     int
	poller *netpoll.Poller
	reg    *netpoll.Registration // set by Start under lifeMu
	sess   Session

	reading atomic.Bool // a goroutine is reading (handleReadable); guards in, early and asm
	in      []byte      // bytes read but not yet handled: part of a frame, nil when none
	early   bool        // in holds frames the client sent with its request, not yet handled
	need    int         // the size of the frame begun in in, once its header is complete
	asm     wsframe.Assembler

	lastRead      atomic.Int64 // unix nanos of the last whole frame read: the pong wait counts from it
	closeDeadline atomic.Int64 // unix nanos by which the client must answer our close; 0 = none

	heartbeatMu sync.Mutex // guards heartbeat and nextPing: onHeartbeat takes it first
	heartbeat   *time.Timer
	nextPing    time.Time

	controlMu sync.Mutex
	control   []byte // control frames (pongs, pings) waiting for the writer, written first

	// lastWrite is when a flusher last wrote (paceNow), for the write interval; only the
	// connection's one writer at a time (whoever holds scheduled) touches it.
	lastWrite int64

	scheduled  atomic.Bool // a flusher or slowWrite owns writing; cleared when idle
	pacing     atomic.Bool // writing waits in the flusher's pace list; whoever clears it schedules
	slow       atomic.Bool // slowWrite is running (blocking writes with a deadline)
	writerGone atomic.Bool // the close frame (or the last frame) is written: nothing more

	// lifeMu orders the start (Start) against finish, which may come first (an abort
	// during shutdown): a finished connection is never registered with the poller.
	lifeMu   sync.Mutex
	started  bool
	finished atomic.Bool

	// sessMu serialises the session: the reader calls handle, finish calls end, from
	// different goroutines; end must never run beside a handle that is joining a room.
	sessMu sync.Mutex
	ended  bool

	onEnd func()
}

// maxControl bounds the control frames waiting to be written. A client that pings faster than
// it reads its pongs gets no more answers until it catches up (RFC 6455 lets a server answer
// only the latest ping).
const maxControl = 64 << 10

// newPolled sets a connection up for the polled transport on the raw socket nc, without
// starting it. It returns false if the socket cannot be polled (the caller then uses the
// goroutine transport).
func (t *Transport) newPolled(b *base, nc net.Conn) (Conn, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil || fd < 0 {
		return nil, false
	}
	_ = nc.SetDeadline(time.Time{}) // no deadline left from the HTTP server: polled reads check them
	p := &polled{raw: raw, fd: fd, poller: t.poller}
	p.asm.Limit = t.cfg.ReadLimit
	p.lastRead.Store(time.Now().UnixNano())
	c := &polledConn{base: b, nc: nc, flusher: t.flusher, polled: p}
	b.cutter = c
	return c, true
}

// takeEarly gives the polled connection c, not yet started, the frames its client sent with
// its request: Start handles them (a copy; early is the caller's).
func takeEarly(c Conn, early []byte) {
	p := c.(*polledConn).polled
	p.in = append(make([]byte, 0, len(early)), early...)
	p.early = true
}

// Attach implements Conn.
func (c *polledConn) Attach(sess Session, onEnd func()) {
	c.polled.sess, c.polled.onEnd = sess, onEnd
	// Frames that go out one per message are framed once per room (framed.go); coalesced
	// ones are joined into a frame per write, from the protocol's own payloads.
	c.codec, c.coalesce = sess.Codec(), sess.Coalesce()
	if !c.coalesce {
		c.codec = framed(c.codec)
	}
}

// cutWrite cuts a write blocked on a client that stopped reading short. A polled connection
// has such a writer only while slowWrite runs; otherwise the deadline would also fail the
// flusher's close frame if it came later than closeGrace.
func (c *polledConn) cutWrite() {
	if c.polled.writingSlowly() {
		_ = c.nc.SetWriteDeadline(time.Now().Add(closeGrace))
	}
}

// Refuse implements Conn: nothing else writes to a connection never started.
func (c *polledConn) Refuse(code int, reason string) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.cfg.WriteWait))
	_, _ = c.nc.Write(wsframe.AppendClose(nil, code, reason))
	c.nc.Close()
}

// Abort implements Conn: what is queued is dropped and a write in progress cut, as a crash
// would.
func (c *polledConn) Abort() { go c.finishWith("aborted by the server", true) }

// Start implements Conn: heartbeats, the poller, the writer.
func (c *polledConn) Start() {
	p := c.polled
	p.lifeMu.Lock()
	if p.finished.Load() { // aborted before it started; finish has cleaned up
		p.lifeMu.Unlock()
		return
	}
	c.Info("connected")
	c.cfg.Metrics.Connected(c.proto)
	// Under heartbeatMu, which onHeartbeat takes first: the timer may fire (a short
	// --ping-period, a busy machine) before AfterFunc's result is stored, and onHeartbeat
	// resets it.
	p.heartbeatMu.Lock()
	p.nextPing = time.Now().Add(c.cfg.PingPeriod)
	p.heartbeat = time.AfterFunc(c.cfg.PingPeriod, c.onHeartbeat)
	p.heartbeatMu.Unlock()
	c.out.SetWake(c.wakeWriter)
	// Looked up before the poller has the socket: from then on its reader may be handling
	// the early frames, and clears early as it does.
	early := p.early
	var reg *netpoll.Registration
	var err error
	if pr, ok := c.nc.(PollRegistered); ok {
		reg = pr.TakeRegistration() // the socket's from now on: finish removes it
	}
	if reg != nil {
		err = reg.Rebind(c.handleReadable)
	} else {
		reg, err = p.poller.Add(p.fd, c.handleReadable)
	}
	p.reg, p.started = reg, true
	p.lifeMu.Unlock()
	if err != nil {
		c.warn("cannot poll the socket", "err", err)
		c.finish("cannot poll the socket")
		return
	}
	c.wakeWriter() // anything queued before the wake function was set
	if early {
		// The client's first frames came with its request: the socket may never be readable
		// again until they are answered, so they are handled now, on the starter's goroutine
		// (unless the poller's reader has them already: handleReadable runs one at a time).
		c.handleReadable()
	}
}

// queueControl queues a control frame ahead of data frames and wakes the writer. Pongs are
// dropped while too many wait (see maxControl); pings are not.
func (c *polledConn) queueControl(frame []byte, must bool) {
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
func (c *polledConn) onHeartbeat() {
	p := c.polled
	p.heartbeatMu.Lock()
	defer p.heartbeatMu.Unlock()
	if p.finished.Load() {
		return
	}
	cfg := c.cfg
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
func (c *polledConn) finish(reason string) { c.finishWith(reason, false) }

// finishWith is finish; abort drops what is still queued and cuts a write in progress, as a
// crash would, instead of flushing it within closeGrace.
func (c *polledConn) finishWith(reason string, abort bool) {
	p := c.polled
	p.lifeMu.Lock()
	if p.finished.Load() {
		p.lifeMu.Unlock()
		return
	}
	p.finished.Store(true)
	started, reg := p.started, p.reg
	p.lifeMu.Unlock()

	if reg != nil {
		reg.Remove()
	}
	p.heartbeatMu.Lock()
	if p.heartbeat != nil {
		p.heartbeat.Stop()
	}
	p.heartbeatMu.Unlock()
	c.closing.Store(true)
	p.sessMu.Lock()
	p.ended = true
	p.sess.End()
	name, user := p.sess.User()
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
		<-c.writerDone.wait()
	}
	c.out.Discard() // anything left is never written (a failed write); give back what it holds
	c.nc.Close()
	if p.reading.CompareAndSwap(false, true) {
		p.recycle() // no reader holds the buffer now, nor will again
		p.in = nil
	}
	if started {
		c.cfg.Metrics.Disconnected(c.proto)
		c.logDisconnected(reason, name, user)
	}
	p.onEnd()
}
