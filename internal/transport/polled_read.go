//go:build linux

package transport

import (
	"errors"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
	"unsafe"

	"hubbub/internal/metrics"
	"hubbub/internal/wsframe"
)

// The polled transport's reading side: a goroutine started by the poller reads what the socket
// has, cuts it into frames and hands each message to the session.

// readChunk is how much one read takes from a socket. The buffer is pooled: an idle
// connection holds none.
const readChunk = 4 << 10

// readBuffers holds the buffers as arrays: a slice of one converts back to its array pointer
// with no allocation, where putting a *[]byte allocated a slice header each time (five per
// connect + join).
var readBuffers = sync.Pool{New: func() any { return new([readChunk]byte) }}

// handleReadable reads and handles everything the socket has, then asks the poller for the
// next readability. It runs in a goroutine of its own, one at a time per connection.
func (c *polledConn) handleReadable() {
	p := c.polled
	if !p.reading.CompareAndSwap(false, true) {
		return // a stale report; the reader running now rearms when it is done
	}
	if p.early {
		p.early = false
		if !c.handleFrames() {
			return
		}
	}
	for !p.finished.Load() {
		if p.in == nil {
			p.in = readBuffers.Get().(*[readChunk]byte)[:0]
		}
		if len(p.in) == cap(p.in) {
			p.grow()
		}
		room := cap(p.in) - len(p.in)
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
		if n < room {
			// The socket had less than asked for: it is drained, so the read that would
			// only say EAGAIN is left out (one system call of the three a connect + join
			// made). Bytes arriving from now on are not missed: the rearm below is
			// level-triggered and reports a socket that is readable already at once.
			break
		}
	}
	p.parkBuffer()
	p.reading.Store(false)
	if p.finished.Load() {
		return
	}
	p.lifeMu.Lock() // startPolled may still be storing the registration this reader came from
	reg := p.reg
	p.lifeMu.Unlock()
	if err := reg.Rearm(); err != nil {
		c.finish(err.Error())
	}
}

// readSome makes one non-blocking read(2).
func (p *polled) readSome(b []byte) (n int, err error) {
	cerr := p.raw.Read(func(fd uintptr) bool {
		for {
			// A raw call, as for writes: the socket is non-blocking.
			r, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
			if errno == syscall.EINTR {
				continue
			}
			if errno != 0 {
				n, err = 0, errno
			} else {
				n, err = int(r), nil
			}
			return true
		}
	})
	if cerr != nil {
		return 0, cerr
	}
	return n, err
}

// grow makes room in the full read buffer p.in for more of the frame begun in it. The buffer
// grows with the bytes that arrived, doubling (by a read chunk at least), and never past the
// frame's declared length (need, which Parse has checked against the read limit): memory
// follows what a client sends, not what its header declares, so a client that declares a
// frame of the read limit and sends a few bytes of it holds a few KiB, not the limit. A long
// frame is copied a few times as it grows, at most twice its length in all.
func (p *polled) grow() {
	size := len(p.in) + readChunk
	if p.need > len(p.in) {
		size = min(max(2*len(p.in), size), p.need)
	}
	grown := make([]byte, len(p.in), size)
	copy(grown, p.in)
	p.recycle()
	p.in = grown
}

// parkBuffer gives the pooled read buffer back when nothing is left in it, or moves what is
// left (part of a frame) into a buffer of its own, just as long, so an idle connection holds
// no pooled buffer and no more than it was sent. A buffer of its own (grown for a long frame)
// is kept as it is until the frame is complete: a frame arriving in many small pieces is not
// copied again for each piece.
func (p *polled) parkBuffer() {
	if p.in == nil || !p.pooled() {
		return
	}
	if len(p.in) == 0 {
		p.recycle()
		p.in = nil
		return
	}
	keep := make([]byte, len(p.in))
	copy(keep, p.in)
	p.recycle()
	p.in = keep
}

// pooled reports whether p.in is a buffer from readBuffers.
func (p *polled) pooled() bool { return cap(p.in) == readChunk }

func (p *polled) recycle() {
	if p.pooled() {
		readBuffers.Put((*[readChunk]byte)(p.in[:readChunk]))
	}
}

// handleFrames handles every complete frame in p.in and keeps the rest. It returns false once
// the connection is finished.
func (c *polledConn) handleFrames() bool {
	p := c.polled
	off := 0
	defer func() {
		if off > 0 && !p.finished.Load() {
			p.in = p.in[:copy(p.in, p.in[off:])]
		}
	}()
	for {
		f, n, need, err := wsframe.Parse(p.in[off:], c.cfg.ReadLimit)
		if err != nil {
			c.protocolFailure(err)
			return false
		}
		if n == 0 {
			// The rest of the frame is read into p.in as it comes; grow makes room for it
			// as the bytes arrive, not now for all the header declares.
			p.need = need
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
func (c *polledConn) handleFrame(f wsframe.Frame) bool {
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
		<-c.writerDone.wait()
		c.finish(peerClosed(code, text))
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
	if op == wsframe.OpBinary && !p.sess.Coalesce() {
		c.closeWith(wsframe.CloseUnsupportedData, "binary frames are not part of hubbub.v1", false)
		return true
	}
	if op == wsframe.OpText && !utf8.Valid(msg) {
		// RFC 6455 requires text frames to be UTF-8. A binary frame (the text protocol reads
		// them as text) is the session's to clean: invalid bytes become U+FFFD.
		c.closeWith(wsframe.CloseInvalidPayload, "text frame is not valid UTF-8", false)
		return true
	}
	if !c.beginHandle() {
		return true // the server is going away: GoingAway or endHandle sends the close
	}
	defer c.endHandle()
	p.sessMu.Lock()
	defer p.sessMu.Unlock()
	if p.ended {
		return false
	}
	p.sess.Handle(msg)
	return true
}

// protocolFailure closes the connection over a frame that breaks the protocol: the client is
// told why, and nothing it sends after is read.
func (c *polledConn) protocolFailure(err error) {
	code, reason := wsframe.CloseProtocolError, err.Error()
	var fe *wsframe.Error
	if errors.As(err, &fe) {
		code, reason = fe.Code, fe.Reason
	}
	if code == wsframe.CloseMessageTooBig && !c.closing.Load() {
		c.cfg.Metrics.Drop(metrics.DropReadLimit) // closeWith counts protocol errors itself
	}
	c.closeWith(code, reason, false)
	<-c.writerDone.wait()
	c.finish(reason)
}
