package transport

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// batchConn wraps a hijacked connection so that the frames of one write-pump batch leave in one
// system call. gorilla/websocket writes every frame straight to the connection; for a member
// that is sent twenty frames at once, that is twenty writes where one would do, and on a busy
// room the server spends most of its time in write(2). Between Hold and Flush, writes collect in
// a buffer; outside them they pass straight through, so pings and close frames written by other
// goroutines are never delayed by more than one batch.
type batchConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	buf     []byte
	// limit is where a held buffer is written out early, bounding the memory one batch takes.
	limit int
}

// maxHeld bounds the bytes a batch collects before they are written out.
const maxHeld = 64 << 10

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.holding {
		return c.Conn.Write(p)
	}
	if len(c.buf)+len(p) > c.limit && len(c.buf) > 0 {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > c.limit {
		return c.Conn.Write(p)
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// heldBuffers recycles batch buffers between connections, so a batch costs no allocation and an
// idle connection holds no buffer.
var heldBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// Hold starts collecting writes.
func (c *batchConn) Hold() {
	c.mu.Lock()
	c.holding = true
	if c.buf == nil {
		c.buf = (*heldBuffers.Get().(*[]byte))[:0]
	}
	c.mu.Unlock()
}

// Flush writes what was collected since Hold and lets writes pass through again. The buffer is
// released, so an idle connection holds none.
func (c *batchConn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	err := c.flushLocked()
	if c.buf != nil && cap(c.buf) <= 2*maxHeld {
		b := c.buf[:0]
		heldBuffers.Put(&b)
	}
	c.buf = nil
	return err
}

func (c *batchConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// batchHijacker hands the upgrader a batchConn, reading through a closeCodeReader, instead of
// the raw connection, and keeps the raw one for the polled transport.
type batchHijacker struct {
	http.ResponseWriter
	// hijacked and rw, when set, are the connection upgradePolled hijacked already: Hijack
	// hands them on instead of asking net/http again.
	hijacked net.Conn
	rw       *bufio.ReadWriter
	raw      net.Conn
	codes    *closeCodeReader
	conn     *batchConn
}

func (h *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, rw := h.hijacked, h.rw
	if nc == nil {
		var err error
		if nc, rw, err = h.ResponseWriter.(http.Hijacker).Hijack(); err != nil {
			return nil, nil, err
		}
	}
	h.raw = nc
	h.codes = &closeCodeReader{Conn: nc}
	h.conn = &batchConn{Conn: h.codes, limit: maxHeld}
	return h.conn, rw, nil
}
