//go:build linux

package transport

import (
	"errors"
	"syscall"
	"time"
	"unsafe"

	"hubbub/internal/hub"
	"hubbub/internal/wsframe"
)

// The polled transport's writing side: a flusher (flusher.go) writes a connection's queue with
// one non-blocking write; a client too slow for that gets slowWrite until it catches up.

// wakeWriter hands the connection to a flusher unless one (or slowWrite) already has it.
func (c *polledConn) wakeWriter() {
	p := c.polled
	if p.writerGone.Load() {
		return
	}
	if p.scheduled.CompareAndSwap(false, true) {
		c.flusher.schedule(c)
		return
	}
	c.endPaceIfDirect()
}

// endWait ends a wait for the write interval, reporting whether this call ended it (and so
// must schedule the connection): of a reply's endPaceIfDirect and the timer, one wins.
func (c *polledConn) endWait() bool { return c.polled.pacing.CompareAndSwap(true, false) }

// endPaceIfDirect schedules a connection that waits for its write interval at once if what
// is queued is for it alone (a reply: hub.Outbox.Direct; a control frame) or it is closing.
func (c *polledConn) endPaceIfDirect() {
	p := c.polled
	if p.pacing.Load() && c.direct() && c.endWait() {
		c.flusher.schedule(c)
	}
}

// writePending is called by a flusher that was handed the connection: it writes what is
// queued with one non-blocking write and hands the connection back (or, if the socket cannot
// take it all, to slowWrite).
func (c *polledConn) writePending(w *flushWorker) {
	p := c.polled
	var now int64
	if pace := c.flusher.pace; pace > 0 {
		now = paceNow()
		if due := p.lastWrite + int64(pace); now+paceSlack < due && !p.finished.Load() && !c.direct() {
			p.pacing.Store(true)
			c.flusher.waitForPace(c, due)
			c.endPaceIfDirect() // a reply queued since the look above found pacing unset
			return
		}
	}
	buf, last := c.appendPending(w.buf[:0], &w.batch)
	w.keep(buf)
	if len(buf) > 0 {
		p.lastWrite = now
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
func (c *polledConn) slowWrite(rest []byte, last bool) {
	c.polled.slow.Store(true)
	var batch []*hub.Envelope
	for {
		wait := c.cfg.WriteWait
		if c.discarding.Load() || c.polled.finished.Load() {
			wait = closeGrace // the connection is going: do not hold it up for a full write wait
		}
		if c.discarding.Load() && c.polled.finished.Load() {
			wait = 0 // aborted
		}
		_ = c.nc.SetWriteDeadline(time.Now().Add(wait))
		if _, err := c.nc.Write(rest); err != nil {
			c.polled.slow.Store(false)
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
	c.polled.slow.Store(false) // before handing writing back: the next writer may be slow too
	c.writeDone(last)
}

// writingSlowly reports whether slowWrite is running.
func (p *polled) writingSlowly() bool { return p.slow.Load() }

// writeDone hands writing back after a batch: for good if it was the last, else to whoever
// queues next (or at once, if something was queued meanwhile).
func (c *polledConn) writeDone(last bool) {
	p := c.polled
	if last {
		c.writerFinished()
		return
	}
	p.scheduled.Store(false)
	// A push between our last take and the line above saw scheduled set and relied on us.
	if c.out.Pending() || c.hasControl() {
		c.wakeWriter()
	}
}

// direct reports whether what waits to be written must not wait for the write interval: a
// reply or notice for this connection alone, a deep queue, the close (hub.Outbox.Direct), or
// a control frame (a pong).
func (c *polledConn) direct() bool { return c.out.Direct() || c.hasControl() }

func (c *polledConn) hasControl() bool {
	p := c.polled
	p.controlMu.Lock()
	defer p.controlMu.Unlock()
	return len(p.control) > 0
}

// writerFinished records that the last frame is written. If it was our close frame, the
// client has closeGrace to answer it.
func (c *polledConn) writerFinished() {
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
	c.writerDone.fire()
}

// writerFailed ends writing after a failed write; the reader or finish tears the rest down.
func (c *polledConn) writerFailed(err error) {
	c.Debug("write failed", "err", err)
	c.closing.Store(true)
	c.polled.writerGone.Store(true)
	c.writerDone.fire()
	go c.finish("write failed: " + err.Error())
}

// writeSome makes one non-blocking write(2) on the socket's descriptor directly, without
// net's RawConn, whose descriptor lock and poller bookkeeping cost 7 % of the server's CPU at
// 100k deliveries/s. That is safe only because of how a polled connection ends: the socket is
// closed by finish, and finish closes it only after writerDone, that is after the one writer
// (a flusher or slowWrite; scheduled makes sure there is one at a time) has finished for good;
// so the descriptor number cannot have been closed, nor reused by another socket, while a
// write is made here.
func (p *polled) writeSome(b []byte) (n int, err error) {
	for {
		// A raw call: the socket is non-blocking, so the write never blocks, and the
		// scheduler's syscall bookkeeping (and its monitor retaking the P) would be wasted.
		r, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno == 0 {
			return int(r), nil
		}
		if errno != syscall.EINTR {
			return 0, errno
		}
	}
}

// appendPending appends to buf, as wire frames, everything waiting to be written: control
// frames, then queued envelopes (unless a slow consumer's queue is being discarded), then our
// close frame once the outbox has closed. last reports that nothing will follow.
func (c *polledConn) appendPending(buf []byte, batch *[]*hub.Envelope) (_ []byte, last bool) {
	p := c.polled
	p.controlMu.Lock()
	buf = append(buf, p.control...)
	if cap(p.control) > 4<<10 {
		p.control = nil
	} else {
		p.control = p.control[:0]
	}
	p.controlMu.Unlock()

	var write, closed bool
	*batch, write, closed = c.takeBatch(*batch)
	if write {
		buf = appendFrames(buf, *batch, c.codec, c.coalesce)
		if m := c.cfg.Metrics; m != nil {
			observeWritten(m, *batch, c.codec, c.coalesce)
		}
	}
	clear(*batch)
	switch {
	case !closed || c.closeCode == 0:
	case c.closeCode == wsframe.CloseNoStatus:
		buf = wsframe.AppendClose(buf, 0, "") // the answer to a close without a code: 1005 is never sent
	default:
		buf = wsframe.AppendClose(buf, c.closeCode, c.closeReason)
	}
	return buf, closed
}

// appendFrames appends one text frame per envelope, already framed by the wire codec (a room's
// message is framed once for all its members), or, when coalescing, one frame with the
// envelopes' payloads (codec is then the protocol's own) joined by '\n' as the original chat
// did.
func appendFrames(buf []byte, batch []*hub.Envelope, codec hub.Codec, coalesce bool) []byte {
	if !coalesce {
		for _, e := range batch {
			if e.Raw != nil {
				// in parts, if it is (a crowded room's joined frame): copied once, here
				buf = e.AppendRaw(wsframe.AppendHeader(buf, wsframe.OpText, e.RawLen()))
			} else {
				buf = append(buf, e.Frame(codec)...)
			}
		}
		return buf
	}
	size, lines := 0, 0
	for _, e := range batch {
		if f := e.Frame(codec); f != nil {
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
		if f := e.Frame(codec); f != nil {
			if !first {
				buf = append(buf, '\n')
			}
			buf = append(buf, f...)
			first = false
		}
	}
	return buf
}
