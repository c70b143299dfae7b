package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/wsframe"
)

// session is a wire protocol's side of a connection: it handles each frame the client sends and
// cleans up when the connection ends. The transport calls handle from one goroutine at a time,
// and end once, never beside a handle.
type session interface {
	// codec encodes room events for this protocol.
	codec() hub.Codec
	// coalesce reports whether queued frames may be joined into one (text protocol).
	coalesce() bool
	// handle processes one text frame from the client.
	handle(data []byte)
	// end releases the session's rooms; the connection is closing.
	end()
}

// conn owns one WebSocket on either transport: polled (conn_polled*.go) or goroutine
// (conn_goroutine.go). This file holds what they share: closing, logging, counting what was
// written. Everything the client is sent goes through out.
type conn struct {
	srv    *Server
	ws     *websocket.Conn // the goroutine transport's connection; nil when polled
	nc     net.Conn        // the socket under either transport
	polled *polled         // the polled transport's state (conn_polled.go); nil otherwise
	id     uint64
	remote string
	proto  metrics.Protocol
	log    connLog
	out    *hub.Outbox
	batch  *batchConn // the socket under ws, which can send a batch of frames in one write

	closeOnce   sync.Once
	closeCode   int    // the close frame the writer sends last; 0 = none (peer closed)
	closeReason string // set before out.Close, read by the writer once the outbox says closed
	// discarding drops what is queued instead of flushing it (a slow consumer, an abort). It
	// is atomic because writers look at it before the outbox says closed, and finish sets it
	// outside closeWith.
	discarding atomic.Bool
	closing    atomic.Bool
	writerDone chan struct{}
	writerOnce sync.Once

	codec    hub.Codec   // the session's, for the write pump
	coalesce bool        // join queued frames into one (text protocol)
	pumping  atomic.Bool // a write pump is running (or the writer has ended for good)
	ping     *time.Timer // the next ping
}

func (s *Server) newConn(ws *websocket.Conn, r *http.Request) *conn {
	c := &conn{
		srv:        s,
		ws:         ws,
		nc:         ws.NetConn(),
		id:         s.nextID.Add(1),
		remote:     r.RemoteAddr,
		writerDone: make(chan struct{}),
	}
	c.log = connLog{c}
	if ws.Subprotocol() == hubbub.ProtocolJSON { // the one place the protocol is decided
		c.proto = metrics.ProtoJSON
	}
	c.out = hub.NewOutbox(s.cfg.SendQueue, func() {
		s.cfg.Metrics.Drop(metrics.DropSlowConsumer)
		c.closeWith(websocket.ClosePolicyViolation, "send queue full: the client reads too slowly", true)
	})
	return c
}

// connLog logs a connection's records with its id, address and protocol. The attributes are
// added to records that are written, not bound up front with slog's With: that would cost
// every idle connection a few hundred bytes for records that are mostly never written.
type connLog struct{ c *conn }

func (l connLog) Debug(msg string, args ...any) { l.log(slog.LevelDebug, msg, args) }

func (l connLog) Info(msg string, args ...any) { l.log(slog.LevelInfo, msg, args) }

func (l connLog) Warn(msg string, args ...any) { l.log(slog.LevelWarn, msg, args) }

func (l connLog) log(level slog.Level, msg string, args []any) {
	lg := l.c.srv.log
	if !lg.Enabled(context.Background(), level) {
		return
	}
	proto := "text"
	if l.c.speaksJSON() {
		proto = hubbub.ProtocolJSON
	}
	attrs := append([]any{"conn", l.c.id, "remote", l.c.remote, "proto", proto}, args...)
	lg.Log(context.Background(), level, msg, attrs...)
}

// speaksJSON reports whether c speaks hubbub.v1 rather than the original text protocol.
func (c *conn) speaksJSON() bool { return c.proto == metrics.ProtoJSON }

// maxTakeRound is the most queued envelopes one write takes: it bounds what a writer builds
// for one write (256 messages of at most --max-text bytes, about 1 MiB at the default; the
// text protocol joins them into one frame) however deep --send-queue lets a queue grow. The
// rest waits for the next round.
const maxTakeRound = 256

// takeBatch moves c's next round of queued envelopes into batch (cleared first) and says
// whether to write them: not while a slow consumer's queue is being discarded, which takes
// everything at once. closed reports that the outbox has closed and nothing is left. The
// caller clears batch once done with it.
func (c *conn) takeBatch(batch []*hub.Envelope) (_ []*hub.Envelope, write, closed bool) {
	discarding := c.discarding.Load() // set before the outbox closes, and never unset
	round := maxTakeRound
	if discarding {
		round = 0
	}
	batch, depth, closed := c.out.TakeUpTo(batch[:0], round)
	if len(batch) > 0 {
		c.srv.cfg.Metrics.QueueDepth(depth)
	}
	return batch, len(batch) > 0 && !discarding, closed
}

// closeWith starts closing the connection: the writer flushes what is queued (unless
// discard), sends a close frame with code (none if 0) and stops; the read loop then waits a
// short grace for the client's close answer. Only the first call counts. It never blocks, so
// rooms may call it (through the outbox's overflow) while fanning out. The reason is trimmed
// here, for both transports, to what a close frame can carry: gorilla refuses a longer one, so
// the goroutine transport would otherwise send no close frame at all.
func (c *conn) closeWith(code int, reason string, discard bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, wsframe.TrimCloseReason(reason)
		if discard {
			// Only ever set: an abort (finishWith) may have set it first, and a concurrent
			// closeWith without discard must not undo that.
			c.discarding.Store(true)
		}
		c.closing.Store(true)
		if code != 0 {
			c.log.Info("closing", "code", code, "reason", reason)
		}
		switch code {
		case websocket.CloseProtocolError, websocket.CloseUnsupportedData, websocket.CloseInvalidFramePayloadData:
			c.srv.cfg.Metrics.Drop(metrics.DropProtocol)
		}
		if discard {
			// A writer may be blocked on a client that stopped reading: cut that write short
			// so the client leaves its rooms now, not after a full write wait. A polled
			// connection has such a writer only while slowWrite runs; otherwise the deadline
			// would also fail the flusher's close frame if it came later than closeGrace.
			if c.polled == nil || c.polled.writingSlowly() {
				_ = c.nc.SetWriteDeadline(time.Now().Add(closeGrace))
			}
		}
		c.out.Close()
	})
}

// closeNow sends a close frame and closes the socket, for connections never served.
func (c *conn) closeNow(code int, reason string) {
	if c.ws == nil { // prepared for the polled transport: nothing else writes yet
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteWait))
		_, _ = c.nc.Write(wsframe.AppendClose(nil, code, reason))
		c.nc.Close()
		return
	}
	msg := websocket.FormatCloseMessage(code, reason)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.cfg.WriteWait))
	c.ws.Close()
}

func (c *conn) goingAway() { c.closeWith(websocket.CloseGoingAway, "server shutting down", false) }

func (c *conn) abort() {
	if c.polled != nil {
		go c.finishWith("aborted by the server", true)
		return
	}
	c.ws.Close()
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
		if e.Frame(codec) == nil { // cached: no second encoding
			continue
		}
		if !timed && e.Raw == nil && !e.Replay {
			if msg := e.Event.PostedMessage(); msg != nil {
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
