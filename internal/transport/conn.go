package transport

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/wsframe"
)

// base is what both transports' connections share: identity, logging, the outbox, and the
// start of a close. Everything the client is sent goes through out. The transport's own type
// (goroutineConn, polledConn) embeds it and tells it, through cutter, how to cut a write short.
type base struct {
	cfg       *Config
	id        uint64
	remote    string
	sub       string // the negotiated subprotocol
	protoName string // the protocol's name in logs
	proto     metrics.Protocol
	out       *hub.Outbox
	cutter    writeCutter
	// born is when it was upgraded (Unix nanoseconds), for the duration its disconnected line
	// says; 8 bytes keep base in its 208-byte size class, where a time.Time would not.
	born int64

	closeOnce   sync.Once
	closeCode   int    // the close frame the writer sends last; 0 = none (peer closed)
	closeReason string // set before out.Close, read by the writer once the outbox says closed
	// discarding drops what is queued instead of flushing it (a slow consumer, an abort). It
	// is atomic because writers look at it before the outbox says closed, and an abort sets it
	// outside closeWith.
	discarding atomic.Bool
	closing    atomic.Bool
	// handling is held while the session handles a message from the client, and goingAway
	// is set by GoingAway: together they let a shutdown finish the message being handled (a
	// send being stored) and queue its answer (the ack) before the 1001 close frame, without
	// GoingAway blocking. See beginHandle.
	handling   sync.Mutex
	goingAway  atomic.Bool
	writerDone doneSignal // fired once the writer has ended: nothing more is written

	codec    hub.Codec // the session's (or its framed form), for the writer
	coalesce bool      // join queued frames into one (text protocol)
}

// doneSignal is a one-time signal whose channel is made only when someone waits for it: every
// connection's writer fires one at its end, but only the end of a connection waits, and a
// channel made up front would cost every idle connection about 100 bytes (docs/benchmarks.md,
// "Idle memory per connection").
type doneSignal struct {
	mu sync.Mutex
	ch chan struct{} // nil until wait or fire; closedChan once fired
}

// closedChan is the channel of every fired doneSignal that nobody waited for before.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// wait returns a channel closed once fire has been called.
func (d *doneSignal) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ch == nil {
		d.ch = make(chan struct{})
	}
	return d.ch
}

// fire releases every wait, past and future; it reports whether this call was the first.
func (d *doneSignal) fire() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ch == closedChan {
		return false
	}
	if d.ch != nil {
		close(d.ch)
	}
	d.ch = closedChan
	return true
}

// writeCutter is the one thing closeWith needs from a transport: cut a write blocked on a
// client that stopped reading.
type writeCutter interface {
	cutWrite()
}

func (t *Transport) newBase(id uint64, remote, subprotocol string) *base {
	c := &base{cfg: &t.cfg, id: id, remote: remote, sub: subprotocol, born: time.Now().UnixNano()}
	c.protoName, c.proto = t.cfg.Label(subprotocol)
	c.out = hub.NewOutbox(t.cfg.SendQueue, func() {
		t.cfg.Metrics.Drop(metrics.DropSlowConsumer)
		c.closeWith(websocket.ClosePolicyViolation, "send queue full: the client reads too slowly", true)
	})
	return c
}

// Subprotocol implements Conn.
func (c *base) Subprotocol() string { return c.sub }

// Outbox implements Conn.
func (c *base) Outbox() *hub.Outbox { return c.out }

// Close implements Conn.
func (c *base) Close(code int, reason string) { c.closeWith(code, reason, false) }

// GoingAway implements Conn. No message the client sends from now on is handled; one the
// session is handling now is finished first, so that a send being stored is acked before the
// close frame (the client would otherwise send it again to another node, and its ack would
// say duplicate). GoingAway never blocks: if a message is being handled, endHandle sends the
// close once it is done.
func (c *base) GoingAway() {
	c.goingAway.Store(true)
	if c.handling.TryLock() {
		c.handling.Unlock()
		c.closeGoingAway()
	}
}

func (c *base) closeGoingAway() {
	c.closeWith(websocket.CloseGoingAway, "server shutting down", false)
}

// beginHandle is called by the reader before the session handles a message; false means the
// server is going away and the message must not be handled. After true, the reader calls
// endHandle once the session is done.
func (c *base) beginHandle() bool {
	c.handling.Lock()
	if c.goingAway.Load() {
		c.endHandle()
		return false
	}
	return true
}

// endHandle ends what beginHandle began, and sends the 1001 close if GoingAway came while the
// message was handled: what the session queued for it (an ack) is then ahead of the close.
// GoingAway sets goingAway before it tries the lock, so either it gets the lock and closes,
// or the handler holding it sees goingAway here and closes.
func (c *base) endHandle() {
	c.handling.Unlock()
	if c.goingAway.Load() {
		c.closeGoingAway()
	}
}

// Debug implements Conn. The attributes are added to records that are written, not bound up
// front with slog's With: that would cost every idle connection a few hundred bytes for
// records that are mostly never written.
func (c *base) Debug(msg string, args ...any) { c.log(slog.LevelDebug, msg, args) }

// Info implements Conn.
func (c *base) Info(msg string, args ...any) { c.log(slog.LevelInfo, msg, args) }

func (c *base) warn(msg string, args ...any) { c.log(slog.LevelWarn, msg, args) }

// peerClosed is the reason a connection ended when the client closed it: "close 1000", or
// "close 1000 bye" with the client's text (without it, a trailing space read as a lost word).
func peerClosed(code int, text string) string {
	if text == "" {
		return "close " + strconv.Itoa(code)
	}
	return "close " + strconv.Itoa(code) + " " + text
}

// logDisconnected writes the connection's last line: why it ended (reason), how long it
// lasted, whom it acted for (name, user: the session's, once it said hello) and the close
// code and reason hubbub sent, if it sent one (code, close_reason). With the connected line
// it is what an operator reads of a connection at info; the lines between (hello, closing)
// are debug. It is called once closeWith has been (so the close code is settled), and with
// name and user read from the session where the session is not handling a message.
func (c *base) logDisconnected(reason, name, user string) {
	if !c.cfg.Logger.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	lasted := time.Duration(time.Now().UnixNano() - c.born).Round(time.Millisecond)
	args := make([]any, 0, 10)
	args = append(args, "reason", reason, "duration", lasted)
	if name != "" {
		args = append(args, "name", name)
	}
	if user != "" {
		args = append(args, "user", user)
	}
	if c.closeCode != 0 {
		args = append(args, "code", c.closeCode, "close_reason", c.closeReason)
	}
	c.Info("disconnected", args...)
}

func (c *base) log(level slog.Level, msg string, args []any) {
	lg := c.cfg.Logger
	if !lg.Enabled(context.Background(), level) {
		return
	}
	attrs := append([]any{"conn", c.id, "remote", c.remote, "proto", c.protoName}, args...)
	lg.Log(context.Background(), level, msg, attrs...)
}

// maxTakeRound is the most queued envelopes one write takes: it bounds what a writer builds
// for one write (256 messages of at most --max-text bytes, about 1 MiB at the default; the
// text protocol joins them into one frame) however deep --send-queue lets a queue grow. The
// rest waits for the next round — at once, not a write interval later: a queue this deep is
// Direct (hub.DirectDepth).
const maxTakeRound = hub.DirectDepth

// takeBatch moves c's next round of queued envelopes into batch (cleared first) and says
// whether to write them: not while a slow consumer's queue is being discarded, which takes
// everything at once. closed reports that the outbox has closed and nothing is left. The
// caller clears batch once done with it.
func (c *base) takeBatch(batch []*hub.Envelope) (_ []*hub.Envelope, write, closed bool) {
	discarding := c.discarding.Load() // set before the outbox closes, and never unset
	round := maxTakeRound
	if discarding {
		round = 0
	}
	batch, depth, closed := c.out.TakeUpTo(batch[:0], round)
	if len(batch) > 0 {
		c.cfg.Metrics.QueueDepth(depth)
	}
	return batch, len(batch) > 0 && !discarding, closed
}

// closeWith starts closing the connection: the writer flushes what is queued (unless
// discard), sends a close frame with code (none if 0) and stops; the reader then waits a
// short grace for the client's close answer. Only the first call counts. It never blocks, so
// rooms may call it (through the outbox's overflow) while fanning out. The reason is trimmed
// here, for both transports, to what a close frame can carry: gorilla refuses a longer one, so
// the goroutine transport would otherwise send no close frame at all.
func (c *base) closeWith(code int, reason string, discard bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, wsframe.TrimCloseReason(reason)
		if discard {
			// Only ever set: an abort may have set it first, and a concurrent closeWith
			// without discard must not undo that.
			c.discarding.Store(true)
		}
		c.closing.Store(true)
		if code != 0 {
			// At debug: the disconnected line (info) says the code and reason too.
			c.Debug("closing", "code", code, "reason", reason)
		}
		switch code {
		case wsframe.CloseProtocolError, wsframe.CloseUnsupportedData, wsframe.CloseInvalidPayload:
			c.cfg.Metrics.Drop(metrics.DropProtocol)
		}
		if discard {
			// A writer may be blocked on a client that stopped reading: cut that write short
			// so the client leaves its rooms now, not after a full write wait.
			c.cutter.cutWrite()
		}
		c.out.Close()
	})
}

// observeWritten counts the frames of a batch written and the batch's delivery latency: from
// the server timestamp of its oldest live message to now, once per write rather than once per
// message (a histogram observation per member and message cost a tenth of the server's CPU
// in a busy room, and the oldest message is the one whose latency matters). A join's replay is
// history, however recent, not a delivery, and is not timed. It runs after the
// writes, and counts a batch that failed part-way as written: the connection is then dropped
// anyway.
func observeWritten(m *metrics.Metrics, batch []*hub.Envelope, codec hub.Codec, coalesce bool) {
	frames, timed := 0, false
	for _, e := range batch {
		// cached: no second encoding; a raw envelope always has a frame, and one in parts
		// would be joined into a copy only to be counted (hub.NewRawParts)
		if e.Raw == nil && e.Frame(codec) == nil {
			continue
		}
		if !timed && e.Raw == nil && !e.Replay {
			if msg := e.Event.AppendedEntry(); msg != nil {
				m.DeliveryLatency(msg.Time, time.Now())
				timed = true
			}
		}
		frames++
	}
	if coalesce {
		frames = min(frames, 1)
	}
	m.FramesOut(frames)
}

// closeGrace is how long the server waits for a client to answer its close frame.
const closeGrace = 2 * time.Second
