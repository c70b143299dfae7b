package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/netpoll"
)

// Config tunes the transports. Every field must be set (internal/server fills it from its own
// configuration, defaults applied); the comments of server.Config explain each.
type Config struct {
	// HandshakeTimeout bounds the WebSocket upgrade.
	HandshakeTimeout time.Duration
	// ReadBufferSize and WriteBufferSize size the goroutine transport's I/O buffers.
	ReadBufferSize, WriteBufferSize int
	// NoWriteBufferPool gives every goroutine-transport connection its own write buffer.
	NoWriteBufferPool bool
	// Compression negotiates permessage-deflate when the client offers it.
	Compression bool
	// Subprotocols lists the subprotocols the upgrade accepts, in order of preference.
	Subprotocols []string
	// CheckOrigin decides whether a browser page may open a WebSocket.
	CheckOrigin func(r *http.Request) bool
	// Refused answers an upgrade the WebSocket handshake refuses (a bad request, an origin).
	Refused func(w http.ResponseWriter, r *http.Request, status int, reason error)
	// Poll serves plain sockets on the polled transport where the system has a poller.
	Poll bool
	// Flushers is how many goroutines at most write polled connections' queues.
	Flushers int
	// WriteInterval is the least time between two writes to one polled connection: what it
	// is sent meanwhile waits and goes in one write (0: every release is written at once).
	WriteInterval time.Duration
	// PollIdleReaders is how many of the poller's reader goroutines may wait for the next
	// readable socket (netpoll.New); negative: none.
	PollIdleReaders int
	// PingPeriod is how often a connection is pinged.
	PingPeriod time.Duration
	// PongWait is how long a connection may stay silent before it is closed.
	PongWait time.Duration
	// WriteWait bounds each write.
	WriteWait time.Duration
	// ReadLimit is the largest message a client may send, in bytes.
	ReadLimit int64
	// SendQueue is how many frames may wait for a connection before it is dropped as slow.
	SendQueue int
	// Label names a connection's protocol in logs and metrics, from the negotiated
	// subprotocol ("" when the client asked for none).
	Label func(subprotocol string) (name string, metric metrics.Protocol)
	// Metrics counts connections, frames, drops and latencies; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives the connections' logs.
	Logger *slog.Logger
}

// Session is a protocol's side of a connection: the transport hands it each complete text
// message the client sends and tells it once when the connection ends. Handle is called from
// one goroutine at a time, and End once, never beside a Handle.
type Session interface {
	// Codec encodes room events for this protocol.
	Codec() hub.Codec
	// Coalesce reports whether queued frames may be joined into one, '\n'-separated (the
	// text protocol); otherwise every frame goes out on its own and binary frames are refused.
	Coalesce() bool
	// Handle processes one message from the client: valid UTF-8, within the read limit.
	Handle(data []byte)
	// End releases the session's rooms; the connection is closing.
	End()
	// User names whom the connection acts for, for its disconnected log line: the name and
	// user id of its last hello (a text client's name), "" before one. It is called beside
	// Handle and End, never at once with them.
	User() (name, id string)
}

// Conn is one upgraded WebSocket, on either transport, as the server and its session see it.
type Conn interface {
	// Subprotocol is the subprotocol the upgrade negotiated, "" for none.
	Subprotocol() string
	// Outbox is the connection's send queue: what is pushed there is written in order.
	Outbox() *hub.Outbox
	// Close starts closing with a close frame carrying code and reason, after what is queued.
	// It never blocks, and only the first close counts.
	Close(code int, reason string)
	// Debug and Info log about the connection with its id, address and protocol.
	Debug(msg string, args ...any)
	// Info logs at level info; see Debug.
	Info(msg string, args ...any)
	// Attach gives the connection its session, and onEnd, which runs once when the
	// connection has ended and its socket is closed. It is called once, before Start or Abort.
	Attach(s Session, onEnd func())
	// Start serves the attached connection from now on (from a goroutine of its own, or the
	// poller's) and returns at once.
	Start()
	// Refuse sends a close frame and closes the socket of a connection never started; onEnd
	// does not run.
	Refuse(code int, reason string)
	// GoingAway starts a close with 1001: no message the client sends from now on is
	// handled, one being handled is finished (a send stored and acked), and what is queued is
	// flushed before the close frame. It never blocks.
	GoingAway()
	// Abort cuts the connection at once, dropping what is queued.
	Abort()
}

// Transport upgrades WebSockets and serves them on the polled or the goroutine transport.
type Transport struct {
	cfg      Config
	upgrader websocket.Upgrader
	poller   *netpoll.Poller // the polled transport's; nil when every socket gets a goroutine
	flusher  *flusher        // writes polled connections' queues
}

// New returns a transport for cfg. When Poll is set but the system has no poller, every
// socket gets the goroutine transport and a warning is logged.
func New(cfg Config) *Transport {
	t := &Transport{cfg: cfg}
	t.upgrader = t.newUpgrader()
	if cfg.Poll {
		var err error
		if t.poller, err = netpoll.New(max(cfg.PollIdleReaders, 0)); err != nil {
			cfg.Logger.Warn("polled transport unavailable; every socket gets a goroutine", "err", err)
		}
		t.flusher = newFlusher(cfg.Flushers, cfg.WriteInterval)
	}
	return t
}

// Close releases the poller; call it once no connection is left.
func (t *Transport) Close() {
	if t.poller != nil {
		_ = t.poller.Close()
	}
	if t.flusher != nil {
		t.flusher.stop()
	}
}

// Go runs f in one of the poller's reader goroutines, one that waits for work and whose
// stack has grown already, or in a new one that joins them when f returns (netpoll's
// Poller.Go); f may block. Without a poller it starts a goroutine.
func (t *Transport) Go(f func()) {
	if t.poller == nil {
		go f()
		return
	}
	t.poller.Go(f)
}

// PollRegistered is a socket that may be registered with the transport's poller already (the
// server's listener registers a socket while it waits for its request head). The polled
// transport takes the registration over (TakeRegistration: nil when there is none, and the
// socket forgets it) rather than adding the socket again; it removes it when the connection
// ends, before closing the socket.
type PollRegistered interface {
	TakeRegistration() *netpoll.Registration
}

// Poller returns the polled transport's poller, nil when every socket gets a goroutine: the
// server's listener waits there for the request heads of the sockets it accepts itself.
func (t *Transport) Poller() *netpoll.Poller { return t.poller }

// newUpgrader builds the WebSocket upgrader from the configuration: every option of
// gorilla's Upgrader is a setting, and a refused upgrade answers with a real status and body.
func (t *Transport) newUpgrader() websocket.Upgrader {
	u := websocket.Upgrader{
		HandshakeTimeout:  t.cfg.HandshakeTimeout,
		ReadBufferSize:    t.cfg.ReadBufferSize,
		WriteBufferSize:   t.cfg.WriteBufferSize,
		Subprotocols:      t.cfg.Subprotocols,
		EnableCompression: t.cfg.Compression,
		CheckOrigin:       t.cfg.CheckOrigin,
		Error:             t.cfg.Refused,
	}
	if !t.cfg.NoWriteBufferPool {
		u.WriteBufferPool = &sync.Pool{}
	}
	return u
}

// UpgradePlain upgrades r with no subprotocol for a service that reads and writes through
// gorilla/websocket itself (the add service). On failure it has answered w.
func (t *Transport) UpgradePlain(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	up := t.upgrader
	up.Subprotocols = nil
	return up.Upgrade(w, r, nil)
}

// pollable reports whether the socket of r can be served by the polled transport: a plain
// TCP socket (TLS records need a goroutine of their own) without permessage-deflate (the
// polled transport frames text itself).
func (t *Transport) pollable(r *http.Request) bool {
	if t.poller == nil || r.TLS != nil {
		return false
	}
	offers := strings.ToLower(strings.Join(r.Header.Values("Sec-Websocket-Extensions"), ","))
	return !t.cfg.Compression || !strings.Contains(offers, "permessage-deflate")
}

// Upgrade answers the WebSocket handshake of r and returns the connection, with id in its
// logs, not yet served: the caller gives it a Session with Serve, or refuses it. The
// transport is chosen here, so the connection is whole before anyone else sees it. On
// failure Upgrade has answered w.
func (t *Transport) Upgrade(w http.ResponseWriter, r *http.Request, id uint64) (Conn, error) {
	sub, err := t.subprotocol(r)
	if err != nil {
		t.cfg.Refused(w, r, http.StatusBadRequest, err)
		return nil, err
	}
	if t.pollable(r) {
		if key, ok := t.plainHandshake(r); ok {
			return t.upgradePolled(w, r, id, key, sub) // without gorilla's Conn (handshake.go)
		}
	}
	return t.upgradeGorilla(w, r, id) // gorilla chooses as subprotocol did
}

// ErrSubprotocol is the refusal of a handshake offering subprotocols none of which the server
// speaks.
var ErrSubprotocol = errors.New("no subprotocol offered is spoken here")

// subprotocol reads the subprotocols r's handshake offers, once, and returns the one it is
// answered with: gorilla's choice, the first of the server's subprotocols that the client
// offers; "" for a client that offers none, the text client it always was.
//
// A handshake that offers subprotocols, none of them the server's, is refused (ErrSubprotocol).
// Upgraded without one, as RFC 6455 allows, it would be a text client (the original chat's
// protocol, which offers none): a JSON client offering a misspelt or later protocol had its
// hello taken for its name and each later frame posted to lobby as a line, in everyone's view,
// and was never told (found by a developer writing a client from the docs).
func (t *Transport) subprotocol(r *http.Request) (string, error) {
	offered := websocket.Subprotocols(r)
	for _, s := range t.cfg.Subprotocols {
		if slices.Contains(offered, s) {
			return s, nil
		}
	}
	if len(offered) == 0 {
		return "", nil
	}
	speaks := "no subprotocol"
	if len(t.cfg.Subprotocols) > 0 {
		speaks = strings.Join(t.cfg.Subprotocols, ", ") + ", or none for the text protocol"
	}
	return "", fmt.Errorf("%w: the client offers %s; this server speaks %s", ErrSubprotocol, strings.Join(offered, ", "), speaks)
}

// upgradeGorilla is Upgrade through gorilla's Upgrader, which answers every refusal.
func (t *Transport) upgradeGorilla(w http.ResponseWriter, r *http.Request, id uint64) (Conn, error) {
	bh, ok := w.(*batchHijacker)
	if !ok {
		bh = &batchHijacker{ResponseWriter: w}
	}
	ws, err := t.upgrader.Upgrade(bh, r, nil)
	if err != nil {
		return nil, err // the upgrader's Error function has answered
	}
	b := t.newBase(id, r.RemoteAddr, ws.Subprotocol())
	if t.pollable(r) {
		if c, ok := t.newPolled(b, bh.raw); ok { // the raw socket: it reads and frames itself
			return c, nil
		}
	}
	return t.newGoroutine(b, ws, bh.conn, bh.codes), nil
}
