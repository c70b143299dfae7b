package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/wire"
)

// Timing defaults; each can be changed in Options.
const (
	// defaultHandshakeTimeout bounds the WebSocket handshake, so an unreachable or silent server
	// fails the dial instead of hanging it.
	defaultHandshakeTimeout = 10 * time.Second
	// defaultWriteTimeout bounds each write; a server that does not read for this long is dead.
	defaultWriteTimeout = 10 * time.Second
	// defaultPingInterval is how often the client pings the server. The server pings too
	// (every 54 s), but a client that pings on its own notices a dead server without waiting
	// for the server's schedule.
	defaultPingInterval = 30 * time.Second
	// defaultReadLimit is the largest frame accepted from the server: a history page of 200
	// messages of the longest text fits many times over.
	defaultReadLimit = 4 << 20
	// closeWait is how long Close waits for the server to answer the close frame.
	closeWait = time.Second
)

// ErrClosed is returned by the methods of a Conn or Session that has been closed.
var ErrClosed = errors.New("client: closed")

// Options configures Dial. The zero value works.
type Options struct {
	// Header holds extra HTTP headers sent with the handshake (default none).
	Header http.Header
	// Origin, if not empty, is sent as the Origin header (default none, as non-browser
	// clients do).
	Origin string
	// Handler, if not nil, receives every frame the server sends, in order, on the connection's
	// read goroutine, before the frame answers a waiting request. It must not block for long
	// and must not call Conn methods that wait for an answer (or Close), or it would stall the
	// connection.
	Handler func(Frame)
	// HandshakeTimeout bounds the WebSocket handshake (default 10s).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each write (default 10s).
	WriteTimeout time.Duration
	// PingInterval is how often the client pings the server (default 30s). A connection on
	// which nothing arrives for twice this long is considered dead.
	PingInterval time.Duration
	// ReadLimit is the largest frame accepted from the server, in bytes (default 4 MiB).
	ReadLimit int64
	// TLSConfig, if not nil, configures wss:// connections, e.g. RootCAs that trust a
	// self-signed server certificate (default: the system's roots).
	TLSConfig *tls.Config
	// Logger receives the connection's logs (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = defaultHandshakeTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = defaultWriteTimeout
	}
	if o.PingInterval <= 0 {
		o.PingInterval = defaultPingInterval
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = defaultReadLimit
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Conn is one hubbub.v1 connection. Its methods are safe for concurrent use. It runs two
// goroutines, a reader and a pinger, which end when the connection fails or is closed.
type Conn struct {
	ws   *websocket.Conn
	url  string
	opts Options
	log  *slog.Logger

	wmu sync.Mutex // serialises data writes: the WebSocket allows one writer at a time

	mu      sync.Mutex
	waiters map[string][]chan wire.Frame // requests waiting for their answer, FIFO per key
	welcome *wire.Welcome
	err     error // why the connection ended; set once
	closing bool

	stopOnce sync.Once
	stop     chan struct{} // closed when the connection fails or closes; stops the pinger
	done     chan struct{} // closed when the reader has returned: no more Handler calls
	pingDone chan struct{} // closed when the pinger has returned
}

// DialError is an upgrade the server refused with an HTTP status: 503 with a RetryAfter when
// the server is setting up too many connections at once (a reconnect storm) or is full, 429
// when this address connects too often, 403 for a foreign origin. A Session waits at least
// RetryAfter, plus a jitter of its own, before it tries again.
type DialError struct {
	// URL is the WebSocket URL dialled; Status the HTTP status of the answer.
	URL    string
	Status int
	// RetryAfter is the answer's Retry-After (whole seconds; 0 when it had none).
	RetryAfter time.Duration
	err        error
}

// Error implements error.
func (e *DialError) Error() string { return e.err.Error() }

// Unwrap returns websocket.ErrBadHandshake, gorilla's error for a refused upgrade.
func (e *DialError) Unwrap() error { return errors.Unwrap(e.err) }

// ProtocolError is an endpoint that took the WebSocket upgrade without choosing hubbub.v1, the
// only subprotocol Dial offers: it speaks something else — on a hubbub server, the add service
// (/add), which chooses none. Dial returns it.
type ProtocolError struct {
	// URL is the WebSocket URL dialled; Chose the subprotocol the endpoint chose ("" for none).
	URL   string
	Chose string
}

// Error implements error.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("client: dial %s: server does not speak %s (it chose %q)", e.URL, hubbub.ProtocolJSON, e.Chose)
}

// maxRetryAfter caps the Retry-After a client honours: a server asking for longer is waited
// for this long.
const maxRetryAfter = 5 * time.Minute

// retryAfter reads a Retry-After header given in seconds (the form hubbub sends); an HTTP date
// or a malformed value is 0.
func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || secs <= 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, maxRetryAfter)
}

// Dial opens a hubbub.v1 connection to rawURL: a ws:// or wss:// URL, or an http:// or
// https:// one, which is dialled as ws:// or wss://. A URL without a path gets "/ws". The
// next step is Hello.
func Dial(ctx context.Context, rawURL string, opts Options) (*Conn, error) {
	opts = opts.withDefaults()
	u, err := WebSocketURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: dial: %w", err)
	}
	header := opts.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if opts.Origin != "" {
		header.Set("Origin", opts.Origin)
	}
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: opts.HandshakeTimeout,
		Subprotocols:     []string{hubbub.ProtocolJSON},
		TLSClientConfig:  opts.TLSConfig,
	}
	ws, resp, err := d.DialContext(ctx, u, header)
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
			resp.Body.Close()
			reason := strings.Join(strings.Fields(string(body)), " ")
			if reason != "" {
				reason = ": " + reason
			}
			return nil, &DialError{URL: u, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header),
				err: fmt.Errorf("client: dial %s: server answered %s%s: %w", u, resp.Status, reason, err)}
		}
		return nil, fmt.Errorf("client: dial %s: %w", u, err)
	}
	if p := ws.Subprotocol(); p != hubbub.ProtocolJSON {
		ws.Close()
		return nil, &ProtocolError{URL: u, Chose: p}
	}
	c := &Conn{
		ws:       ws,
		url:      u,
		opts:     opts,
		log:      opts.Logger.With("url", u),
		waiters:  make(map[string][]chan wire.Frame),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		pingDone: make(chan struct{}),
	}
	ws.SetReadLimit(opts.ReadLimit)
	c.extendReadDeadline()
	ws.SetPongHandler(func(string) error { c.extendReadDeadline(); return nil })
	ws.SetPingHandler(func(data string) error {
		c.extendReadDeadline()
		// Like gorilla's default handler: a failed pong shows up as a failed read soon enough.
		_ = ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(opts.WriteTimeout))
		return nil
	})
	go c.readLoop()
	go c.pingLoop()
	return c, nil
}

// WebSocketURL checks rawURL and returns the WebSocket URL Dial connects to: http and https
// become ws and wss, and an empty path becomes /ws.
func WebSocketURL(rawURL string) (string, error) {
	u, err := ParseURL(rawURL, "/ws")
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// ParseURL checks a hubbub server's URL as every command takes it: ws:// or wss://, or
// http:// or https:// meaning ws:// or wss:// (the address a browser shows), with a host; an
// empty path (or "/") becomes defaultPath unless that is empty.
func ParseURL(rawURL, defaultPath string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("bad URL %q: want ws://, wss://, http:// or https://", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: no host", rawURL)
	}
	if defaultPath != "" && (u.Path == "" || u.Path == "/") {
		u.Path = defaultPath
	}
	return u, nil
}

// URL returns the WebSocket URL the connection was dialled with.
func (c *Conn) URL() string { return c.url }

// Welcome returns the server's answer to Hello, or nil before it arrived.
func (c *Conn) Welcome() *Welcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcome
}

// User returns the user the connection acts for, as the server's welcome named it: nil before
// the welcome, or from a server older than users.
func (c *Conn) User() *UserInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.welcome == nil {
		return nil
	}
	return c.welcome.User
}

// Done is closed when the connection has ended and its Handler will not be called again.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (ErrClosed after Close), or nil while it is open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Hello introduces the client with its name and key (the key may be empty) and returns the
// server's welcome. A refused name is returned as a *Error with code bad_name.
func (c *Conn) Hello(ctx context.Context, name, key string) (*Welcome, error) {
	return c.HelloToken(ctx, name, key, "")
}

// HelloToken is Hello with a signed token, for servers that require tokens: the server then
// takes the name from the token (the welcome says which) and ignores name and key, which may
// be empty. A refused token is returned as a *Error with code unauthorized.
func (c *Conn) HelloToken(ctx context.Context, name, key, token string) (*Welcome, error) {
	f, err := c.request(ctx, reqKey(wire.TypeHello, "", ""), wire.HelloRequest{Type: wire.TypeHello, Name: name, Key: key, Token: token})
	if err != nil {
		return nil, fmt.Errorf("client: hello: %w", err)
	}
	return f.(*wire.Welcome), nil
}

// Join enters room. With since not nil the server replays every message after *since;
// otherwise it replays the last history messages (history <= 0 means the server's default).
// The replayed messages reach the Handler after the Joined frame. A room named in another
// case than its stored name is refused with an *Error of code room_case whose StoredRoom is
// the name to join (Session.Join follows it).
func (c *Conn) Join(ctx context.Context, room string, since *uint64, history int) (*Joined, error) {
	req := JoinRequest{Room: room, Since: since}
	if since == nil && history > 0 {
		req.History = history
	}
	return c.JoinWith(ctx, req)
}

// JoinWith is Join of the request req, for what Join's arguments do not say: with Notices
// and no Since, the replay holds the room's notices (*TopicChanged, *MemberChanged and
// *SanctionChanged frames) among its messages, in the log's order, and Joined's
// NoticesTruncated says when the server left older ones of that span out (its
// --notice-limit). A server older than notices ignores the field and replays messages only.
// req.Type is set for the caller.
func (c *Conn) JoinWith(ctx context.Context, req JoinRequest) (*Joined, error) {
	req.Type = wire.TypeJoin
	req.History = max(req.History, 0)
	f, err := c.request(ctx, reqKey(wire.TypeJoin, req.Room, ""), req)
	if err != nil {
		return nil, fmt.Errorf("client: join %s: %w", req.Room, err)
	}
	return f.(*wire.Joined), nil
}

// Leave leaves room and waits for the server to confirm.
func (c *Conn) Leave(ctx context.Context, room string) error {
	if _, err := c.request(ctx, reqKey(wire.TypeLeave, room, ""), wire.LeaveRequest{Type: wire.TypeLeave, Room: room}); err != nil {
		return fmt.Errorf("client: leave %s: %w", room, err)
	}
	return nil
}

// Send sends text to room with the idempotency key id (which may be empty). It returns once
// the frame is written; the ack, or an error frame naming id, reaches the Handler.
func (c *Conn) Send(ctx context.Context, room, id, text string) error {
	if err := c.WriteFrame(ctx, wire.SendRequest{Type: wire.TypeSend, Room: room, ID: id, Text: text}); err != nil {
		return fmt.Errorf("client: send to %s: %w", room, err)
	}
	return nil
}

// History returns up to limit messages of room older than before (0 = the newest), oldest
// first. limit <= 0 means the server's default.
func (c *Conn) History(ctx context.Context, room string, before uint64, limit int) (*History, error) {
	return c.HistoryWith(ctx, HistoryRequest{Room: room, Before: before, Limit: limit})
}

// HistoryWith is History of the request req, for what History's arguments do not say: with
// Notices, the page's Notices hold the room's notices of its span, each decoded as the frame
// it is (*TopicChanged, *MemberChanged, *SanctionChanged; an *Unknown of a kind a newer
// server adds), oldest first, to be placed among its Messages by their LogSeq;
// NoticesTruncated says when the server left older ones of the span out. A server older than
// notices ignores the field: Notices stays empty. req.Type is set for the caller.
func (c *Conn) HistoryWith(ctx context.Context, req HistoryRequest) (*History, error) {
	req.Type = wire.TypeHistory
	req.Limit = max(req.Limit, 0)
	f, err := c.request(ctx, reqKey(wire.TypeHistory, req.Room, ""), req)
	if err != nil {
		return nil, fmt.Errorf("client: history of %s: %w", req.Room, err)
	}
	return f.(*wire.History), nil
}

// Thread returns up to limit replies to message parent of room with a seq above after (0 =
// from the first), oldest first; More says whether later ones remain. limit <= 0 means the
// server's default.
func (c *Conn) Thread(ctx context.Context, room string, parent, after uint64, limit int) (*History, error) {
	req := wire.HistoryRequest{Type: wire.TypeHistory, Room: room, Thread: parent, After: after, Limit: max(limit, 0)}
	f, err := c.request(ctx, reqKey(wire.TypeHistory, room, ""), req)
	if err != nil {
		return nil, fmt.Errorf("client: thread of %d in %s: %w", parent, room, err)
	}
	return f.(*wire.History), nil
}

// Revisions returns the texts message seq of room has had, oldest first, the current one
// last. Only its sender and moderators may ask (forbidden).
func (c *Conn) Revisions(ctx context.Context, room string, seq uint64) (*Revisions, error) {
	f, err := c.request(ctx, reqKey(wire.TypeRevisions, room, ""), wire.RevisionsRequest{Type: wire.TypeRevisions, Room: room, Seq: seq})
	if err != nil {
		return nil, fmt.Errorf("client: revisions of %d in %s: %w", seq, room, err)
	}
	return f.(*wire.Revisions), nil
}

// Typing tells the other members of room that the user is typing. Nothing is answered.
func (c *Conn) Typing(ctx context.Context, room string) error {
	if err := c.WriteFrame(ctx, wire.TypingRequest{Type: wire.TypeTyping, Room: room}); err != nil {
		return fmt.Errorf("client: typing in %s: %w", room, err)
	}
	return nil
}

// Command uses slash command name (without its slash) with args in room, a room the
// connection has joined; id, when not empty, comes back in the notices about this use. It
// waits for nothing: the answer arrives as a Message of the command's bot user or a *Notice,
// a refusal as an *Error naming the id.
func (c *Conn) Command(ctx context.Context, room, name, args, id string) error {
	if err := c.WriteFrame(ctx, wire.CommandRequest{Type: wire.TypeCommand, Room: room, Name: name, Args: args, ID: id}); err != nil {
		return fmt.Errorf("client: /%s in %s: %w", name, room, err)
	}
	return nil
}

// Commands asks for the registered slash commands; the answer arrives as a *Commands frame.
func (c *Conn) Commands(ctx context.Context) error {
	if err := c.WriteFrame(ctx, wire.CommandsRequest{Type: wire.TypeCommands}); err != nil {
		return fmt.Errorf("client: commands: %w", err)
	}
	return nil
}

// Who returns the members of room, sorted.
func (c *Conn) Who(ctx context.Context, room string) ([]string, error) {
	f, err := c.request(ctx, reqKey(wire.TypeWho, room, ""), wire.WhoRequest{Type: wire.TypeWho, Room: room})
	if err != nil {
		return nil, fmt.Errorf("client: who in %s: %w", room, err)
	}
	return f.(*wire.Members).Names(), nil
}

// Ping sends an application-level ping carrying id and waits for the pong.
func (c *Conn) Ping(ctx context.Context, id string) error {
	if _, err := c.request(ctx, reqKey(wire.TypePing, "", id), wire.PingRequest{Type: wire.TypePing, ID: id}); err != nil {
		return fmt.Errorf("client: ping: %w", err)
	}
	return nil
}

// encodeFrame marshals v as the browser's JSON.stringify does: "<", ">" and "&" as themselves,
// where encoding/json writes each as six bytes (\u003c) for HTML pages a frame never enters, so
// that a message of markup within --max-text would exceed the server's --read-limit (and, its
// connection closed with 1009, be resent on every reconnect).
func encodeFrame(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// frameTooLarge refuses a request whose frame is larger than the server reads (the welcome's
// Limits.Frame, its --read-limit): the server would close the connection over it with 1009
// and no error frame. It unwraps to a too_long *hubbub.Error.
type frameTooLarge struct{ err *hubbub.Error }

func (e frameTooLarge) Error() string { return e.err.Error() }
func (e frameTooLarge) Unwrap() error { return e.err }

// checkFrame refuses the frame of what, n bytes, when it is larger than limit (0: the server
// did not say, as servers older than limits.frame do not).
func checkFrame(what string, n, limit int) error {
	if limit <= 0 || n <= limit {
		return nil
	}
	return frameTooLarge{hubbub.Errorf(hubbub.ECodeTooLong,
		"the %s is a %d-byte frame, larger than the %d bytes the server reads (its --read-limit): not sent", what, n, limit)}
}

// frameLimit is the largest frame the server said it reads, 0 before its welcome or if it
// did not say.
func (c *Conn) frameLimit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.welcome == nil {
		return 0
	}
	return c.welcome.Limits.Frame
}

// WriteFrame writes v, marshalled as JSON, as one text frame. The methods above use it; it is
// exported for callers (tests) that build their own frames. A failed write
// ends the connection; a frame larger than the server's welcome says it reads
// (Limits.Frame) is not written and returns a too_long *hubbub.Error, the connection open.
func (c *Conn) WriteFrame(ctx context.Context, v any) error {
	b, err := encodeFrame(v)
	if err != nil {
		return fmt.Errorf("client: encode frame: %w", err)
	}
	return c.writeEncoded(ctx, b)
}

// writeEncoded is WriteFrame for a frame encoded already (a Session's queued request, encoded
// once when queued and written again on each connection until acknowledged).
func (c *Conn) writeEncoded(ctx context.Context, b []byte) error {
	if err := checkFrame("request", len(b), c.frameLimit()); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Err(); err != nil {
		return err
	}
	deadline := time.Now().Add(c.opts.WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.ws.SetWriteDeadline(deadline)
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		err = fmt.Errorf("client: write: %w", err)
		c.fail(err)
		return err
	}
	return nil
}

// Close sends a normal close frame, waits briefly for the server's answer, closes the
// connection and waits for its goroutines. It must not be called from the Handler.
func (c *Conn) Close() error {
	c.mu.Lock()
	first := !c.closing
	c.closing = true
	if c.err == nil {
		c.err = ErrClosed
	}
	c.mu.Unlock()
	if first {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		if c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait)) == nil {
			t := time.NewTimer(closeWait)
			select {
			case <-c.done:
			case <-t.C:
			}
			t.Stop()
		}
	}
	c.shutdown()
	<-c.done
	<-c.pingDone
	return nil
}

// fail ends the connection because of err without waiting for its goroutines, so it may be
// called from the Handler and the pumps.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	c.shutdown()
}

func (c *Conn) shutdown() {
	c.stopOnce.Do(func() {
		close(c.stop)
		c.ws.Close()
	})
}

func (c *Conn) extendReadDeadline() {
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * c.opts.PingInterval))
}

// readLoop is the connection's only reader: it hands every frame to the Handler and then to
// the request waiting for it.
func (c *Conn) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.fail(fmt.Errorf("client: read: %w", err))
			return
		}
		c.extendReadDeadline()
		f, err := wire.DecodeFrame(data)
		if err != nil {
			c.log.Warn("ignoring a frame from the server", "err", err)
			continue
		}
		if w, ok := f.(*wire.Welcome); ok {
			c.mu.Lock()
			c.welcome = w
			c.mu.Unlock()
		}
		if c.opts.Handler != nil {
			c.opts.Handler(f)
		}
		c.answer(f)
	}
}

func (c *Conn) pingLoop() {
	defer close(c.pingDone)
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.opts.WriteTimeout))
			if err != nil {
				c.fail(fmt.Errorf("client: ping: %w", err))
				return
			}
		}
	}
}

// request writes req and waits for the frame that answers it, identified by key.
func (c *Conn) request(ctx context.Context, key string, req any) (wire.Frame, error) {
	ch := make(chan wire.Frame, 1) // buffered: the reader never waits for a requester that gave up
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.waiters[key] = append(c.waiters[key], ch)
	c.mu.Unlock()
	if err := c.WriteFrame(ctx, req); err != nil {
		// Nothing will answer; a failed write has ended the connection, and a cancelled ctx
		// stopped before writing, so remove the waiter to keep the queue in step.
		c.dropWaiter(key, ch)
		return nil, err
	}
	// If ctx ends first the waiter stays queued, so the late answer is consumed by it and not
	// by the next request with the same key.
	select {
	case f := <-ch:
		return answerOrError(f)
	case <-c.done:
		select {
		case f := <-ch:
			return answerOrError(f)
		default:
		}
		return nil, c.Err()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func answerOrError(f wire.Frame) (wire.Frame, error) {
	if se, ok := f.(*wire.Error); ok {
		return nil, se
	}
	return f, nil
}

func (c *Conn) dropWaiter(key string, ch chan wire.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.waiters[key]
	for i := range q {
		if q[i] == ch {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(c.waiters, key)
	} else {
		c.waiters[key] = q
	}
}

// answer gives f to the oldest request it answers, if any.
func (c *Conn) answer(f wire.Frame) {
	var key string
	switch f := f.(type) {
	case *wire.Welcome:
		key = reqKey(wire.TypeHello, "", "")
	case *wire.Joined:
		key = reqKey(wire.TypeJoin, f.Room, "")
	case *wire.Left:
		key = reqKey(wire.TypeLeave, f.Room, "")
	case *wire.History:
		key = reqKey(wire.TypeHistory, f.Room, "")
	case *wire.Revisions:
		key = reqKey(wire.TypeRevisions, f.Room, "")
	case *wire.SearchResults:
		key = reqKey(wire.TypeSearch, f.Room, f.ID)
	case *wire.Pong:
		key = reqKey(wire.TypePing, "", f.ID)
	case *wire.Notify:
		key = reqKey(wire.TypeNotify, f.Room, "")
	case *wire.Moderated:
		if f.Action == wire.TypeDelete {
			return // a delete is queued and answered by its ack; this goes to the Handler only
		}
		key = reqKey(f.Action, f.Room, "")
	case *wire.Error:
		if f.Request == "" {
			return
		}
		key = reqKey(f.Request, f.Room, f.ID)
	}
	c.mu.Lock()
	if key == "" {
		var ok bool
		if key, ok = c.conversationKey(f); !ok {
			c.mu.Unlock()
			return
		}
	} else if se, ok := f.(*wire.Error); ok && se.Request == wire.TypeDM {
		key = c.dmWaiter() // a dm's error names no room: it answers a dm request waiting
	}
	q := c.waiters[key]
	if len(q) == 0 {
		c.mu.Unlock()
		return
	}
	ch := q[0]
	if len(q) == 1 {
		delete(c.waiters, key)
	} else {
		c.waiters[key] = q[1:]
	}
	c.mu.Unlock()
	ch <- f
}

// reqKey identifies a request by what its answer carries: the room for most, the id for
// ping and search, nothing for hello (one per connection). The room and id are cut as an
// error frame echoes them (wire.EchoRoom, wire.EchoID), so that the refusal of a request with
// an over-long one still finds it; answers' keys are cut too, which leaves them as they are.
func reqKey(typ, room, id string) string {
	switch typ {
	case wire.TypeHello:
		return typ
	case wire.TypePing, wire.TypeSearch:
		return typ + "\x00" + wire.EchoID(id)
	}
	return typ + "\x00" + wire.EchoRoom(room)
}
