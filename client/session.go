package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"hubbub"
	"hubbub/internal/wire"
)

// Session defaults; each can be changed in SessionOptions.
const (
	defaultBackoffBase     = 250 * time.Millisecond
	defaultBackoffMax      = 10 * time.Second
	defaultRequestTimeout  = 10 * time.Second
	defaultEventBuffer     = 256
	defaultMaxPending      = 256
	defaultUploadTimeout   = 10 * time.Minute
	defaultDownloadTimeout = 10 * time.Minute
	// maxHeld bounds the messages a room holds back while the session pages in the messages a
	// truncated replay left out; beyond it the connection is dropped and the rejoin retried.
	maxHeld = 10000
	// historyPage is the largest page the protocol allows.
	historyPage = 200
	// retryPause is how long sends pause after the server said rate_limited or unavailable
	// without saying how long to wait (retry_after_ms), and maxRetryPause the longest such
	// wait the session honours: a server asking for more is asked again after it.
	retryPause    = time.Second
	maxRetryPause = time.Minute
)

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// retryPauseFor is how long sends pause after the refusal e: its retry_after_ms within
// maxRetryPause, or retryPause when it says none.
func retryPauseFor(e *wire.Error) time.Duration {
	if d := e.RetryAfter(); d > 0 {
		return min(d, maxRetryPause)
	}
	return retryPause
}

// ErrNotConnected is returned by Session requests made while the session is reconnecting.
var ErrNotConnected = errors.New("client: not connected")

// SessionOptions configures a Session. Zero values mean the defaults in the comments.
type SessionOptions struct {
	// URLs are the servers to use, tried in order; after a failure the session tries the
	// next one. At least one is required.
	URLs []string
	// Name is the user name (required unless Token or SessionCookie is set). With a Key it
	// is a guest's: the first key to claim a name owns it, server-wide.
	Name string
	// Key is the guest's secret: the name belongs to whoever holds it, so a bot that keeps its
	// key keeps its name (and its user id) across reconnects and restarts, and a reconnect
	// takes the name back before the server noticed the old connection died (default none:
	// an anonymous user, whose name anyone may take once it is gone).
	Key string
	// Token is a signed token sent in every hello, for servers that require tokens (hubbub
	// serve --token-secret); the server then takes the name from it (default none).
	Token string
	// SessionCookie is the hubbub_session cookie of an account signed in at /signin (SignIn
	// returns it), sent with every handshake; while it names a live session the server takes
	// the user from it and ignores Name, Key and Token (default none).
	SessionCookie string
	// SignInAgain, with a SessionCookie, is called when a reconnect's hello is refused because
	// that session has ended (signed out everywhere, or expired: the server closes a session's
	// connections then): it returns the cookie of a new session (SignIn again, with a stored
	// password) and the session reconnects with it at once. An error from it ends the session
	// with that error, and so does a second refusal with the new cookie. It must return when
	// ctx ends (RequestTimeout, or Close). Nil: the refusal ends the session.
	SignInAgain func(ctx context.Context) (cookie string, err error)
	// Dial configures each connection; its Handler is ignored.
	Dial Options
	// History is how many recent messages the first join of a room replays (0 = the server's
	// default).
	History int
	// Notices asks the first join of a room, and every History page, for the room's notices
	// too — its topic changes, membership changes (invitations, joins, removals, roles) and
	// sanctions, the *TopicChanged, *MemberChanged and *SanctionChanged frames a member sees
	// live — so that the room's past reads as it happened, not as its messages alone (default
	// false: messages only, as before the field). The join's notices arrive on Events among
	// its replayed messages, in the log's order, each once: the live frame of an entry a
	// replay delivered is not delivered again. At most the server's --notice-limit come with
	// one join or page, the newest of its span; Joined.NoticesTruncated and
	// History.NoticesTruncated say when older ones were left out. A server older than
	// notices ignores the request, and the session gets messages only.
	Notices bool
	// SkipHistory makes the first join of a room replay nothing: the session starts at the
	// room's newest entry and delivers only what comes after it (and, after a reconnect,
	// everything missed meanwhile). It suits a bot, which should answer what is said once it
	// is there, not the room's past. History then does not apply.
	SkipHistory bool
	// BackoffBase is the delay before the second round of reconnect attempts; each further
	// round doubles it, up to BackoffMax, with jitter (default 250ms).
	BackoffBase time.Duration
	// BackoffMax caps the delay between rounds (default 10s).
	BackoffMax time.Duration
	// MaxAttempts is how many dials one outage may take before the session gives up
	// (0 = retry until Close).
	MaxAttempts int
	// RequestTimeout bounds each request the session makes on its own while reconnecting:
	// hello, each rejoin, each history page (default 10s).
	RequestTimeout time.Duration
	// EventBuffer is the capacity of the Events channel (default 256). When it is full the
	// session stops reading from the server until there is room.
	EventBuffer int
	// MaxPending is how many sends may await their ack; Send blocks beyond it (default 256).
	MaxPending int
	// UploadTimeout bounds each Upload, from the request to the server's answer (default 10
	// minutes: 25 MB at 40 KB/s).
	UploadTimeout time.Duration
	// DownloadTimeout bounds each Download, from the request to the last byte (default 10
	// minutes, as uploads).
	DownloadTimeout time.Duration
	// Logger receives the session's logs (default slog.Default()).
	Logger *slog.Logger
}

func (o SessionOptions) withDefaults() SessionOptions {
	if o.BackoffBase <= 0 {
		o.BackoffBase = defaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = defaultBackoffMax
	}
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = o.BackoffBase
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = defaultRequestTimeout
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = defaultEventBuffer
	}
	if o.MaxPending <= 0 {
		o.MaxPending = defaultMaxPending
	}
	if o.UploadTimeout <= 0 {
		o.UploadTimeout = defaultUploadTimeout
	}
	if o.DownloadTimeout <= 0 {
		o.DownloadTimeout = defaultDownloadTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Dial.Logger = o.Logger
	return o
}

// Connected is a Session event: the session has connected to URL and said hello. It comes
// before every frame the server sent after its welcome (the user's rooms, then the rejoins'
// Joined frames and replays); should the connection end before the rejoins are done, a
// Disconnected follows. It never appears on the wire.
type Connected struct {
	URL     string
	Welcome *Welcome
}

// Disconnected is a Session event: the connection to URL ended with Err and the session is
// reconnecting. It never appears on the wire.
type Disconnected struct {
	URL string
	Err error
}

// Reconnecting is a Session event: a round of reconnect attempts (a dial of every URL) failed,
// the last attempt with Err, and the session tries again after Wait — its backoff, or longer
// when a server asked for it with Retry-After. Round counts the failed rounds since the
// Disconnected, from 1 (the first round is made at once). It never appears on the wire.
type Reconnecting struct {
	Round int
	Err   error
	Wait  time.Duration
}

// FrameType implements Frame.
func (*Connected) FrameType() string { return "connected" }

// FrameType implements Frame.
func (*Disconnected) FrameType() string { return "disconnected" }

// FrameType implements Frame.
func (*Reconnecting) FrameType() string { return "reconnecting" }

// Session is a conversation that survives lost connections: see the package documentation.
// Its methods are safe for concurrent use. Every server frame and session event arrives on
// Events, which the caller must keep draining; the loop that drains it may queue requests
// (Send, Post, React, …, with a ctx that has a deadline) but must not call the requests
// that wait for an answer (Join, History, …): see "The event loop" in the package
// documentation.
type Session struct {
	opts     SessionOptions
	log      *slog.Logger
	ctx      context.Context // ended by Close or when the session gives up
	cancel   context.CancelFunc
	events   chan wire.Frame
	wake     chan struct{} // pokes the sender; capacity 1
	slots    chan struct{} // one per unacknowledged send; capacity MaxPending
	idPrefix string
	http     *http.Client // for uploads
	// cookie is the session cookie sent with every handshake and request: SessionCookie, or
	// SignInAgain's since. The reconnecting goroutine writes it, uploads read it.
	cookie atomic.Pointer[string]
	done   chan struct{}
	wg     sync.WaitGroup

	// emitMu is held while deciding on and delivering an event, so that events leave in the
	// order their state changes were made. Lock order: emitMu, then mu.
	emitMu sync.Mutex
	// readMu is held while read positions are written (flushReads). Lock order: readMu, then mu.
	readMu sync.Mutex

	mu         sync.Mutex
	conn       *Conn // the ready connection; nil while (re)connecting
	limiter    *rate.Limiter
	limits     wire.Limits // the last welcome's
	urlIdx     int
	rooms      map[string]*roomState
	order      []string // rooms in the order they were joined
	pending    []*Receipt
	byID       map[string]*Receipt
	tooBig     *Receipt // the oldest request unacknowledged when the server last closed with 1009
	nextID     uint64
	pauseUntil time.Time
	user       *wire.UserInfo    // the user the last welcome named
	name       string            // the name the last welcome gave
	uploadsOff bool              // the last welcome's uploads_off (UploadsOff)
	reads      map[string]uint64 // read positions to write (MarkRead), by room
	readSent   map[string]uint64 // the highest read position written, by room
	ended      bool
	err        error
}

// Connect starts a session: it tries each URL once, in order, and returns an error that
// names every failure if none accepted the connection and the name. After that the session
// reconnects on its own until Close. ctx bounds only this first connection.
func Connect(ctx context.Context, opts SessionOptions) (*Session, error) {
	if len(opts.URLs) == 0 {
		return nil, errors.New("client: connect: no server URL")
	}
	if (opts.Token == "" && opts.SessionCookie == "") || opts.Name != "" {
		if err := hubbub.ValidateName(opts.Name); err != nil {
			return nil, fmt.Errorf("client: connect: %w", err)
		}
	}
	opts = opts.withDefaults()
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	s := &Session{
		opts:     opts,
		log:      opts.Logger.With("name", opts.Name),
		events:   make(chan wire.Frame, opts.EventBuffer),
		wake:     make(chan struct{}, 1),
		slots:    make(chan struct{}, opts.MaxPending),
		idPrefix: hex.EncodeToString(idb[:]),
		http:     newHTTPClient(opts.Dial),
		done:     make(chan struct{}),
		rooms:    make(map[string]*roomState),
		byID:     make(map[string]*Receipt),
	}
	s.cookie.Store(&opts.SessionCookie)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, s.cancel) // a cancelled ctx abandons the first connection
	var errs multiError
	for i, u := range opts.URLs {
		c, err := s.connect(u)
		if err == nil {
			if !stop() {
				c.Close()
				s.cancel()
				return nil, fmt.Errorf("client: connect: %w", ctx.Err())
			}
			s.urlIdx = i
			s.wg.Add(2)
			go s.run(c)
			go s.sendLoop()
			return s, nil
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		errs = append(errs, err)
		if fatal(err) {
			break
		}
	}
	stop()
	s.cancel()
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("client: no server could be reached: %w", errs)
}

// multiError joins errors on one line, for people reading a terminal.
type multiError []error

func (m multiError) Error() string {
	msgs := make([]string, len(m))
	for i, err := range m {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (m multiError) Unwrap() []error { return m }

// fatal reports whether err means that trying again cannot help: the server refused the name.
func fatal(err error) bool {
	var se *wire.Error
	return errors.As(err, &se) && se.Request == wire.TypeHello
}

// sessionEnded reports whether err is a hello's refusal of the session cookie sent with it:
// with a cookie, the server answers unauthorized only when that session has ended.
func (s *Session) sessionEnded(err error) bool {
	var se *wire.Error
	return s.sessionCookie() != "" && errors.As(err, &se) && se.Request == wire.TypeHello && se.Code == hubbub.ECodeUnauthorized
}

// sessionCookie is the session cookie to send: SessionCookie, or SignInAgain's since.
func (s *Session) sessionCookie() string {
	if c := s.cookie.Load(); c != nil {
		return *c
	}
	return ""
}

// signInAgain replaces the ended session's cookie with SignInAgain's, within RequestTimeout
// (Close ends it sooner).
func (s *Session) signInAgain() error {
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.RequestTimeout)
	defer cancel()
	cookie, err := s.opts.SignInAgain(ctx)
	if err != nil {
		return err
	}
	if cookie == "" {
		return errors.New("signing in again gave no session cookie")
	}
	s.cookie.Store(&cookie)
	s.log.Info("signed in again: the session had ended")
	return nil
}

// Events delivers the server frames of every connection, with each entry of a room's log
// (message, edited, deleted, reacted) exactly once and in log order per room, plus the
// session's Connected, Disconnected and Reconnecting events. A join without since first
// delivers the room's newest messages in their current state (edited text, tombstones,
// reactions), and with SessionOptions.Notices the room's notices among them, in log order;
// after that every change arrives as its own frame. After a rejoin whose replay the server truncated
// (more was missed than it replays), the messages after since that the replay left out are
// delivered in their current state, paged from history; changes the left-out entries made
// to messages at or below since are not (the caller pages history again to refresh those;
// the Joined frame says Truncated). Welcome is carried by Connected; history, revisions
// and pong frames, which only answer requests, are returned by those requests and not
// delivered. Events is closed when the session ends.
func (s *Session) Events() <-chan Frame { return s.events }

// Done is closed when the session has ended: after Close, or when it gave up reconnecting.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended, or nil while it runs.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session: it closes the connection, fails the sends still awaiting an ack,
// closes Events and waits for the session's goroutines.
func (s *Session) Close() error {
	s.cancel()
	s.wg.Wait()
	return nil
}

// Join enters room and returns the server's answer once the replay that follows it has been
// delivered on Events (with the configured History on a first join, and its notices with
// Notices: but a ban or mute at the replay's end may follow just after Join returns, as the
// server's count of the replay, joined.replay, leaves those out). The session remembers the room and rejoins it after every reconnect. While the session is
// reconnecting Join returns an error wrapping ErrNotConnected, and the room is joined as soon
// as the session is connected again. A refusal by the server (*Error) forgets the room.
//
// Room names are one room whatever their case: when room is another spelling of a room's
// stored name (the server's room_case refusal), Join forgets room and joins the stored name
// instead, which the answer's Room then holds. The session knows the room by that name from
// then on: its events, Leave and Send name it so.
func (s *Session) Join(ctx context.Context, room string) (*Joined, error) {
	j, err := s.join(ctx, room)
	var se *wire.Error
	if errors.As(err, &se) && se.Code == hubbub.ECodeRoomCase && se.StoredRoom != "" && se.StoredRoom != room {
		return s.join(ctx, se.StoredRoom)
	}
	return j, err
}

// join is Join of room as named.
func (s *Session) join(ctx context.Context, room string) (*Joined, error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil, fmt.Errorf("client: join %s: %w", room, ErrClosed)
	}
	if s.rooms[room] == nil {
		s.rooms[room] = &roomState{}
		s.order = append(s.order, room)
	}
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("client: join %s: %w (will join when reconnected)", room, ErrNotConnected)
	}
	return s.joinOn(ctx, c, room)
}

// Leave leaves room and forgets it. It first waits for the sends to room queued before it to
// be acknowledged or refused, so that they are not cut off by the leave.
func (s *Session) Leave(ctx context.Context, room string) error {
	s.mu.Lock()
	var before []*Receipt
	for _, r := range s.pending {
		if r.Room == room {
			before = append(before, r)
		}
	}
	s.mu.Unlock()
	for _, r := range before {
		select {
		case <-r.Done():
		case <-ctx.Done():
			return fmt.Errorf("client: leave %s: waiting for earlier sends: %w", room, ctx.Err())
		}
	}
	s.mu.Lock()
	st := s.rooms[room]
	c := s.conn
	if c == nil && st != nil && st.conn != nil && open(st.conn) {
		// A reconnect rejoined the room on a connection it has not yet made the ready one
		// (other rooms are still rejoining): the server has that connection in the room, so
		// the leave goes there.
		c = st.conn
	}
	if st != nil {
		st.leftOn = c // a join of the room in flight on another connection leaves there (joinOn)
	}
	s.forget(room)
	s.mu.Unlock()
	if c == nil {
		return nil // not joined on any connection, and no longer rejoined
	}
	if err := c.Leave(ctx, room); err != nil && open(c) {
		return err
	}
	return nil // left, or the connection ended meanwhile and took the room with it
}

// open reports whether c has not ended.
func open(c *Conn) bool {
	select {
	case <-c.Done():
		return false
	default:
		return true
	}
}

// History returns a page of room's messages older than before (0 = the newest); with
// SessionOptions.Notices, the page's Notices hold the room's notices of its span too
// (Conn.HistoryWith). Neither the page nor what it holds is delivered on Events.
func (s *Session) History(ctx context.Context, room string, before uint64, limit int) (*History, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: history of %s: %w", room, err)
	}
	return c.HistoryWith(ctx, HistoryRequest{Room: room, Before: before, Limit: limit, Notices: s.opts.Notices})
}

// Thread returns a page of the replies to message parent of room: those with a seq above
// after (0 = from the first), oldest first, up to limit (0 = the server's default); More says
// whether later ones remain. Neither the page nor its messages are delivered on Events.
func (s *Session) Thread(ctx context.Context, room string, parent, after uint64, limit int) (*History, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: thread of %d in %s: %w", parent, room, err)
	}
	return c.Thread(ctx, room, parent, after, limit)
}

// Revisions returns the texts message seq of room has had, oldest first, the current one
// last: for its sender and moderators only.
func (s *Session) Revisions(ctx context.Context, room string, seq uint64) (*Revisions, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: revisions of %d in %s: %w", seq, room, err)
	}
	return c.Revisions(ctx, room, seq)
}

// Who returns the members of room.
func (s *Session) Who(ctx context.Context, room string) ([]string, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: who in %s: %w", room, err)
	}
	return c.Who(ctx, room)
}

// Typing tells room that the user is typing. It is best effort: while disconnected nothing is
// sent, and the server drops notices that come too often.
func (s *Session) Typing(ctx context.Context, room string) error {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Typing(ctx, room)
}

// Command uses slash command name with args in room (Conn.Command), on the current
// connection: a use is not resent after a reconnect (it is not idempotent: the command's
// server acts on it).
func (s *Session) Command(ctx context.Context, room, name, args, id string) error {
	c, err := s.ready()
	if err != nil {
		return fmt.Errorf("client: /%s: %w", name, err)
	}
	return c.Command(ctx, room, name, args, id)
}

// Commands asks the current connection for the registered slash commands (Conn.Commands).
func (s *Session) Commands(ctx context.Context) error {
	c, err := s.ready()
	if err != nil {
		return fmt.Errorf("client: commands: %w", err)
	}
	return c.Commands(ctx)
}

func (s *Session) ready() (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return nil, ErrClosed
	}
	if s.conn == nil {
		return nil, ErrNotConnected
	}
	return s.conn, nil
}

// forget drops room from the rooms the session rejoins. Called with mu held.
func (s *Session) forget(room string) {
	st := s.rooms[room]
	if st == nil {
		return
	}
	st.replayDone() // a join of the room waiting for its replay returns (joinOn)
	delete(s.rooms, room)
	for i, r := range s.order {
		if r == room {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// emit delivers f on Events unless the session is ending. Called with emitMu held.
func (s *Session) emit(f wire.Frame) {
	select {
	case s.events <- f: // while there is room, even a closing session delivers what it received
		return
	default:
	}
	select {
	case s.events <- f:
	case <-s.ctx.Done():
	}
}
