package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Frame size limits of the generator's clients.
const (
	// readLimit is the largest frame a client accepts (a hubbub joined frame lists every
	// member's name, so it grows with the room).
	readLimit = 8 << 20
	// keepBuf is the largest read buffer a client keeps between frames; a larger one, grown
	// for a big frame, is dropped so that idle clients stay small.
	keepBuf = 16 << 10
)

// client is one WebSocket connection of the generator. Its reader goroutine is the only one
// that reads; writes (sends from a pacer, pongs from the reader) hold wmu.
type client struct {
	r       *runner
	idx     int    // global index: picks the source address and the histogram shard
	name    string // user name at the target
	room    string // the room's name at the target (the text target ignores it)
	sidx    int    // index among the senders of its room, -1 if it never sends
	counted bool   // its deliveries count toward a step's expectation
	ws      *wsConn

	last []uint64 // highest seq seen per sender of the room (nil: not checked)

	wmu   sync.Mutex
	seq   uint64 // last seq sent
	cmdID uint32 // last Centrifugo command id
	pong  bool   // Centrifugo asked for pongs
	pl    []byte // payload scratch
	out   []byte // frame scratch

	acks  chan ackResult // the ingress scenario's answers to this sender's sends (nil: not wanted)
	tally *ingressTally  // the ingress scenario's account of this sender's messages (nil elsewhere)

	node  atomic.Int32 // the index of the URL (node) it dials: nodeFor its idx, then the next one after each failed reconnect
	peers []*client    // its room's members, senders first (sender index = position); nil if unknown

	storm *stormClient // the storm scenario's state of this client (nil in other scenarios)
	since uint64       // the room seq the next join asks to be replayed after (0: none)

	ready   atomic.Bool // has seen a probe
	closing atomic.Bool // the generator is closing it, so a read error is expected
	dead    atomic.Bool // a write failed or the reader ended
}

// newDialers returns one WebSocket dialer per source address (one with no source address if
// sources is 0). Every dial checks that the resolved remote address is loopback, and calls
// connected once its TCP connection is established.
func newDialers(cfg *Config, subprotocols []string, connected func()) []*wsDialer {
	n := max(cfg.Sources, 1)
	out := make([]*wsDialer, n)
	for i := range out {
		nd := &net.Dialer{Timeout: cfg.HandshakeTimeout, Control: loopbackOnly}
		if cfg.Sources > 0 {
			nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}
		}
		out[i] = &wsDialer{nd: nd, readBuf: cfg.ReadBufferSize, subprotocols: subprotocols, connected: connected}
	}
	return out
}

// loopbackOnly is the dialer's last check, on the resolved address, that a connection stays on
// this machine.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dial %s: %w", address, ErrNotLoopback)
	}
	return nil
}

// maxRetryAfter caps the Retry-After, in seconds, the generator honours: a server asking for
// longer is waited for this long.
const maxRetryAfter = 30

// refusedError is an upgrade the server answered with an HTTP status instead of 101; with a
// Retry-After (seconds) when the answer carried one.
type refusedError struct {
	err           error
	status        int
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// dial opens c's connection, logs in with the target's handshake and starts its reader.
func (r *runner) dial(ctx context.Context, c *client) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.HandshakeTimeout)
	defer cancel()
	d := r.dialers[c.idx%len(r.dialers)]
	node := int(c.node.Load()) % len(r.urls)
	target := r.urls[node]
	ws, resp, err := d.dial(ctx, r.cfg.targets[node])
	if err != nil {
		if resp != nil {
			e := &refusedError{err: fmt.Errorf("dial %s: %s: %w", target, resp.Status, err), status: resp.StatusCode}
			if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs >= 0 {
				e.retryAfter = time.Duration(min(secs, maxRetryAfter)) * time.Second
				e.hasRetryAfter = true
			}
			return e
		}
		return fmt.Errorf("dial %s: %w", target, err)
	}
	ws.SetReadLimit(readLimit)
	c.ws = ws
	deadline, _ := ctx.Deadline()
	if err := r.drv.handshake(c, deadline); err != nil {
		ws.Close()
		return fmt.Errorf("%s handshake: %w", r.cfg.Target, err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	r.track(c)
	r.wg.Add(1)
	go c.readLoop()
	return nil
}

// readFrame reads one whole message (the reader goroutine, or the handshake before it
// starts); it is valid until the next call.
func (c *client) readFrame() ([]byte, error) {
	return c.ws.ReadMessage()
}

// readLoop is the connection's only goroutine: it reads frames until the connection ends.
func (c *client) readLoop() {
	defer c.r.wg.Done()
	handedOff := false
	defer func() {
		if !handedOff { // else the reconnect loop owns the tracking of c now
			c.r.untrack(c)
		}
	}()
	for {
		frame, err := c.readFrame()
		if err != nil {
			c.dead.Store(true)
			if st := c.r.stormRun.Load(); st != nil && c.storm != nil && !c.closing.Load() && !c.r.stopping.Load() {
				c.ws.Close()
				c.r.untrack(c)
				handedOff = true
				st.dropped(c)
				return
			}
			if !c.closing.Load() && !c.r.stopping.Load() {
				c.r.stats.disconnects.Add(1)
				c.r.stats.sample("connection ended: %v", closeReason(err))
			}
			c.ws.Close()
			return
		}
		c.onFrame(frame)
	}
}

// closeReason describes why a read failed.
func closeReason(err error) string {
	var ce *wsCloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("close %d %s", ce.Code, ce.Text)
	}
	return err.Error()
}

// onFrame counts the payloads in one frame and lets the target handle the rest. A delivery's
// time is when the read that brought its frame returned: one clock reading per read, however
// many frames it held.
func (c *client) onFrame(frame []byte) {
	r := c.r
	now := c.ws.ReadAt()
	found, foreign := r.codec.scan(frame, func(p payload) { c.deliver(p, now) })
	if foreign > 0 {
		r.stats.foreign.Add(int64(foreign))
	}
	r.drv.control(c, frame, found)
}

// deliver counts one payload received by c at now.
func (c *client) deliver(p payload, now time.Time) {
	s := c.r.stats
	if !c.counted {
		s.sideRecv.Add(1)
		return
	}
	if c.last != nil && p.sender >= 0 && p.sender < len(c.last) {
		if p.seq <= c.last[p.sender] {
			s.reordered.Add(1)
		} else {
			c.last[p.sender] = p.seq
		}
	}
	if p.step == 1 && p.sender >= 0 && p.sender < len(c.peers) {
		if t := c.peers[p.sender].tally; t != nil {
			t.delivered(p.seq, c.sidx)
		}
	}
	if p.step == 1 && c.storm != nil {
		if st := c.r.stormRun.Load(); st != nil {
			st.deliver(c, p)
		}
	}
	if p.step == 0 { // a probe: this member is in the room
		if c.ready.CompareAndSwap(false, true) {
			s.ready.Add(1)
		}
		return
	}
	if p.step > MaxSteps {
		return
	}
	s.recv[p.step].Add(1)
	s.totalRecv.Add(1)
	lat := now.Sub(time.Unix(0, p.ts))
	s.record(c.idx, p.step, lat)
	if c.r.nodeLat != nil && int(s.cur.Load()) == p.step {
		c.recordNode(p.sender, lat)
	}
}

// send writes one message of step from c; it reports false if c can no longer send.
func (c *client) send(step int) bool {
	if c.dead.Load() {
		return false
	}
	r := c.r
	c.wmu.Lock()
	c.seq++
	c.pl = r.codec.appendPayload(c.pl[:0], payload{step: step, sender: c.sidx, seq: c.seq, ts: time.Now().UnixNano()}, r.cfg.Size)
	c.out = r.drv.appendSend(c.out[:0], c, c.pl)
	err := c.writeLocked(c.out)
	c.wmu.Unlock()
	if err != nil {
		c.dead.Store(true)
		if !r.stopping.Load() && !c.closing.Load() {
			r.stats.writeErrs.Add(1)
			r.stats.sample("write: %v", err)
		}
		c.ws.Close()
		return false
	}
	r.stats.sent[step].Add(1)
	return true
}

// write sends one text frame.
func (c *client) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(frame)
}

func (c *client) writeLocked(frame []byte) error {
	if err := c.ws.WriteMessage(frame, time.Now().Add(c.r.cfg.WriteTimeout)); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// close says goodbye and closes the socket; the reader then ends.
func (c *client) close() {
	if c.closing.Swap(true) {
		return
	}
	_ = c.ws.WriteClose(closeNormal, time.Now().Add(100*time.Millisecond))
	c.ws.Close()
}

// awaitFrame reads frames during a handshake until match accepts one; other frames are handled
// as usual. It fails at deadline.
func (c *client) awaitFrame(deadline time.Time, what string, match func([]byte) (bool, error)) error {
	_ = c.ws.SetReadDeadline(deadline)
	for {
		frame, err := c.readFrame()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		ok, err := match(frame)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		c.onFrame(frame)
	}
}
