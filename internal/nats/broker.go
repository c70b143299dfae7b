// Package nats provides a hubbub.Broker over NATS core publish/subscribe, so that several
// nodes can serve the same rooms. Every node holds one connection; a room's events travel on
// one subject, and a node's own subscribers receive its events back from the server like
// everyone else's, so all nodes see one node's events in the same order.
//
// # Subjects
//
// A room's subject is "<prefix>.room.<token>", where the token is the room name with every
// byte outside [A-Za-z0-9_-] written as '~' and two upper-case hex digits: room "lobby" is
// "hubbub.room.lobby", room "team.dev" is "hubbub.room.team~2Edev". Room names may contain '.',
// which would otherwise split the name into several NATS tokens; the escape keeps each room one
// token, keeps distinct rooms on distinct subjects (since '~' itself is escaped), and leaves
// common names readable in `nats sub 'hubbub.room.>'`.
//
// # Wire format
//
// An event travels as JSON: a numeric tag for its kind, Room, Node (the id of the node that
// published it) and the fields of its body, flat (event.go). Receivers ignore fields they do not
// know and drop, with a debug log, an event whose kind they do not know, so nodes of neighbouring
// versions can share a bus.
// The common events are read by a hand-written scanner that gives what encoding/json gives
// and leaves anything else to it (fastdecode.go): the bytes on the bus are the same either way.
//
// # Large events
//
// A NATS server refuses a message larger than its max_payload (1 MB by default), which the
// client learns when it connects. Every kind of event is bounded by hubbub's limits but one: a
// node's statement of its members of a room (PresenceReported) lists every name, and a room of
// thousands of long names outgrows it. Such a statement goes in parts, each under the limit
// (Options.MaxEvent), which each subscription puts back together before its handler sees it;
// a node of the version before drops the parts as a kind it does not know (parts.go).
//
// # Delivery
//
// Publish returns nil only once the server has confirmed that it holds the event (a flush
// round trip), and an error when the connection is down or the confirmation does not arrive
// within Options.PublishTimeout: the connection never buffers events while reconnecting, so
// an event is either confirmed or reported as failed, never silently queued and lost. Events
// that other nodes publish while this node is disconnected are not delivered to it; its
// subscriptions resume when the connection is back (nats.go re-subscribes automatically).
//
// Publishes that wait at the same time share one round trip (confirm.go): a node that
// appends a batch of messages in one store transaction publishes them together, and one PING
// after the last of them confirms them all, instead of one PING and PONG each.
//
// # Dispatch
//
// A node subscribes once per room it serves, so a node holds thousands of subscriptions.
// They do not each get a goroutine (nats.go's asynchronous subscription does): every
// subscription feeds one of a few queues, one per processor, chosen by the room's name, and
// one goroutine per queue calls the handlers (dispatch.go). The events of one read from the
// server are then handled in one wake-up, not one goroutine switch each, and a room's events
// stay in order, on one goroutine.
package nats

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"hubbub"
)

var (
	_ hubbub.Broker         = (*Broker)(nil)
	_ hubbub.InterestProber = (*Broker)(nil)
)

// Defaults for the zero values of Options.
const (
	// DefaultSubjectPrefix is the first token of every subject the broker uses.
	DefaultSubjectPrefix = "hubbub"
	// DefaultReconnectWait is the pause between attempts to reach a server again.
	DefaultReconnectWait = 2 * time.Second
	// DefaultPublishTimeout bounds how long Publish, Subscribe and Check wait for the server.
	DefaultPublishTimeout = 2 * time.Second
)

// Connection tuning that is not worth an option.
const (
	// pingInterval and maxPingsOut decide how soon a silently dead connection (a server host
	// that vanished without closing the socket) is noticed: after about 3 × 10 s, instead of
	// the nats.go default of 2 × 2 min.
	pingInterval = 10 * time.Second
	maxPingsOut  = 3
	// DefaultDispatchQueue is Options.DispatchQueue's default: 65,536 events, over half a
	// minute of 2,000 messages a second.
	DefaultDispatchQueue = 1 << 16
	// MaxDispatchQueue bounds Options.DispatchQueue: each queue's buffer is allocated whole.
	MaxDispatchQueue = 1 << 24
	// drainTimeout bounds how long Close waits for the connection to drain.
	drainTimeout = 10 * time.Second
)

// Errors the broker returns, wrapped with the operation ("nats broker: check: closed"). Test
// with errors.Is. Their text has no "nats broker:" of its own: every error the broker returns
// begins with it once, and a readiness answer read "nats broker: check: nats broker: not
// connected to the server".
var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("closed")
	// ErrNotConnected is returned while the connection to the server is down (reconnecting).
	ErrNotConnected = errors.New("not connected to the server")
)

// Options configures Connect. The zero value connects without authentication or TLS and uses
// the defaults each field names.
type Options struct {
	// Name is the connection name the server shows in its monitoring (default "hubbub" or,
	// if Node is set, "hubbub-<Node>").
	Name string
	// Node is this node's id. Publish stamps it on events whose Node is empty (default: leave
	// Node as the caller set it).
	Node string

	// CredentialsFile is a NATS .creds file holding a user JWT and NKey seed (default none).
	CredentialsFile string
	// NKeySeedFile is a file holding an NKey user seed (default none).
	NKeySeedFile string
	// User and Password authenticate with a user name and password (default none). They may
	// also be given in the URL.
	User, Password string
	// Token authenticates with a token (default none).
	Token string

	// TLSConfig, if set, is used for the connection (cloned; CAFile and CertFile are applied
	// on top). Default: TLS only if the URL says tls:// or the server requires it.
	TLSConfig *tls.Config
	// CAFile is a PEM file of CAs to verify the server with, instead of the system roots.
	// Setting it turns TLS on.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key, for servers that verify
	// clients. Setting them turns TLS on.
	CertFile, KeyFile string

	// SubjectPrefix is the first token(s) of every subject (default DefaultSubjectPrefix), so
	// that several deployments can share a NATS server. It must be a valid subject without
	// wildcards.
	SubjectPrefix string
	// Logger receives connection state changes and errors (default slog.Default()).
	Logger *slog.Logger

	// ReconnectWait is the pause between attempts to reach a server again (default
	// DefaultReconnectWait).
	ReconnectWait time.Duration
	// MaxReconnects is how many attempts in a row to make before the connection gives up for
	// good and the broker fails every call; 0 or -1 means never give up (the default, since a
	// node without its broker cannot serve shared rooms).
	MaxReconnects int
	// PublishTimeout bounds how long Publish waits for the server to confirm an event, and
	// how long Subscribe and Check wait for the server (default DefaultPublishTimeout). A
	// context deadline that comes sooner wins.
	PublishTimeout time.Duration
	// DispatchQueue bounds the events one dispatch queue (dispatch.go; one per processor) holds
	// that its handlers have not taken yet (default DefaultDispatchQueue, at most 16,777,216).
	// Handlers must not block, so reaching it means stuck handlers; the excess is dropped and
	// reported as a slow consumer in the log (a room fills a dropped entry from the store).
	DispatchQueue int
	// MaxEvent is the largest event, in bytes as encoded, that Publish sends in one message
	// (default 0: the server's max_payload, less 1/64; at least MinMaxEvent). A room's
	// presence statement larger than it goes in parts, which each subscriber puts back
	// together (parts.go); any other event larger than the server's max_payload fails. Set it
	// below the server's for a NATS cluster whose servers' max_payload differ: a client
	// learns only the limit of the server it is connected to.
	MaxEvent int
	// PartsTimeout is how long a subscription keeps a presence statement in parts whose last
	// part has not come, from its first (default DefaultPartsTimeout). Its parts are sent
	// back to back, so one that takes longer lost its node in the middle; that node sends no
	// next statement to end it, and it would be kept, up to 64 MB, until the subscription
	// ends (parts.go). Hubbub sets it to the presence expiry, 3 × --presence-interval.
	PartsTimeout time.Duration
	// OnReconnect, if set, is called (in its own goroutine) each time the connection comes
	// back after a loss, once the subscriptions are live again. Events published while the
	// node was cut off never reach it, so the hub uses this to catch up from the store.
	OnReconnect func()
}

// Broker is a hubbub.Broker over one NATS connection. Create it with Connect; it is safe for
// concurrent use.
type Broker struct {
	onReconnected func()
	nc            *natsgo.Conn
	prefix        string // "<SubjectPrefix>.room."
	probes        string // "<SubjectPrefix>.probe.<random>.", the reply subjects of Subscribed
	probeSeq      atomic.Uint64
	node          string
	timeout       time.Duration
	log           *slog.Logger
	maxEvent      int           // Options.MaxEvent
	partsTimeout  time.Duration // Options.PartsTimeout

	// statements numbers the presence statements published in parts; partsMu keeps each
	// one's parts together on the connection (parts.go).
	statements atomic.Uint64
	partsMu    sync.Mutex

	closing   atomic.Bool   // set by Close: no handler call starts after it
	connDone  chan struct{} // closed when the connection reaches CLOSED
	closeOnce sync.Once

	confirms confirmer  // shared round trips (confirm.go)
	dispatch dispatcher // the handlers' goroutines (dispatch.go)
}

// Connect connects to the NATS server(s) at url (comma-separated for several, e.g.
// "nats://a:4222,nats://b:4222") and returns a Broker. It fails if no server can be reached
// now; once connected, the broker reconnects on its own.
func Connect(url string, opts Options) (*Broker, error) {
	prefix := opts.SubjectPrefix
	if prefix == "" {
		prefix = DefaultSubjectPrefix
	}
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	queue := opts.DispatchQueue
	switch {
	case queue == 0:
		queue = DefaultDispatchQueue
	case queue < 0 || queue > MaxDispatchQueue:
		return nil, fmt.Errorf("nats broker: dispatch queue %d: must be 1 to %d", queue, MaxDispatchQueue)
	}
	if opts.MaxEvent != 0 && opts.MaxEvent < MinMaxEvent {
		return nil, fmt.Errorf("nats broker: max event %d bytes: must be 0 (the server's max_payload) or at least %d", opts.MaxEvent, MinMaxEvent)
	}
	parts := opts.PartsTimeout
	switch {
	case parts == 0:
		parts = DefaultPartsTimeout
	case parts < 0:
		return nil, fmt.Errorf("nats broker: parts timeout %v: must be 0 (the default, %v) or more", parts, DefaultPartsTimeout)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "nats")
	probes, err := probeSubjects(prefix)
	if err != nil {
		return nil, err
	}
	b := &Broker{
		onReconnected: opts.OnReconnect,
		prefix:        prefix + ".room.",
		probes:        probes,
		node:          opts.Node,
		timeout:       opts.PublishTimeout,
		log:           log,
		maxEvent:      opts.MaxEvent,
		partsTimeout:  parts,
		connDone:      make(chan struct{}),
	}
	if b.timeout <= 0 {
		b.timeout = DefaultPublishTimeout
	}

	natsOpts, err := b.natsOptions(opts)
	if err != nil {
		return nil, err
	}
	nc, err := natsgo.Connect(url, natsOpts...)
	if err != nil {
		return nil, fmt.Errorf("nats broker: connect to %s: %w", redact(url), err)
	}
	b.nc = nc
	b.confirms.start(b)
	b.dispatch.start(b, queue)
	log.Info("nats connected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
	return b, nil
}

// natsOptions translates opts into nats.go options, with the connection state handlers.
func (b *Broker) natsOptions(opts Options) ([]natsgo.Option, error) {
	name := opts.Name
	if name == "" {
		name = "hubbub"
		if opts.Node != "" {
			name += "-" + opts.Node
		}
	}
	wait := opts.ReconnectWait
	if wait <= 0 {
		wait = DefaultReconnectWait
	}
	maxReconnects := opts.MaxReconnects
	if maxReconnects == 0 {
		maxReconnects = -1
	}
	no := []natsgo.Option{
		natsgo.Name(name),
		natsgo.ReconnectWait(wait),
		natsgo.MaxReconnects(maxReconnects),
		natsgo.ReconnectBufSize(-1), // fail publishes while reconnecting instead of queueing them
		natsgo.PingInterval(pingInterval),
		natsgo.MaxPingsOutstanding(maxPingsOut),
		natsgo.Timeout(b.timeout),
		natsgo.DrainTimeout(drainTimeout),
		natsgo.DisconnectErrHandler(b.onDisconnect),
		natsgo.ReconnectHandler(b.onReconnect),
		natsgo.ReconnectErrHandler(b.onReconnectErr),
		natsgo.ClosedHandler(b.onClosed),
		natsgo.ErrorHandler(b.onAsyncError),
		natsgo.LameDuckModeHandler(b.onLameDuck),
	}
	if opts.TLSConfig != nil {
		no = append(no, natsgo.Secure(opts.TLSConfig.Clone()))
	}
	if opts.CAFile != "" {
		no = append(no, natsgo.RootCAs(opts.CAFile))
	}
	if opts.CertFile != "" || opts.KeyFile != "" {
		no = append(no, natsgo.ClientCert(opts.CertFile, opts.KeyFile))
	}
	if opts.CredentialsFile != "" {
		no = append(no, natsgo.UserCredentials(opts.CredentialsFile))
	}
	if opts.NKeySeedFile != "" {
		o, err := natsgo.NkeyOptionFromSeed(opts.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats broker: nkey seed file: %w", err)
		}
		no = append(no, o)
	}
	if opts.User != "" || opts.Password != "" {
		no = append(no, natsgo.UserInfo(opts.User, opts.Password))
	}
	if opts.Token != "" {
		no = append(no, natsgo.Token(opts.Token))
	}
	return no, nil
}

// Publish sends ev to every subscriber of ev.Room on every node, and returns once the server
// has confirmed it holds the event. It fails at once with ErrNotConnected while the
// connection is down and with ErrClosed after Close; otherwise it waits at most
// Options.PublishTimeout (or until ctx is done). Events published from one goroutine reach
// every subscriber in order. If ev.Node is empty, it is set to Options.Node. A
// PresenceReported too large for one message (Options.MaxEvent) goes in parts, which each
// subscriber puts back together.
func (b *Broker) Publish(ctx context.Context, ev hubbub.Event) error {
	if b.closing.Load() {
		return fmt.Errorf("nats broker: publish to room %q: %w", ev.Room, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("nats broker: publish to room %q: %w", ev.Room, err)
	}
	subject, err := b.subject(ev.Room)
	if err != nil {
		return err
	}
	if ev.Node == "" {
		ev.Node = b.node
	}
	data, err := encodeEvent(ev)
	if err != nil {
		return fmt.Errorf("nats broker: publish to room %q: encode: %w", ev.Room, err)
	}
	if err := b.connected(); err != nil {
		return fmt.Errorf("nats broker: publish to room %q: %w", ev.Room, err)
	}
	// Only a presence statement is split, at the server's limit whatever its size (a
	// max_payload of 2 KiB splits one of 3 KiB); any other event over it fails. The limit is
	// read for statements alone: every other event, most of them a few hundred bytes, need
	// not take the connection's lock for it.
	if st, ok := ev.Body.(hubbub.PresenceReported); ok {
		if limit := b.eventLimit(); len(data) > limit {
			return b.publishParts(ctx, subject, ev, st, limit)
		}
	}
	if err := b.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("nats broker: publish to room %q: %w", ev.Room, b.connErr(err))
	}
	if err := b.confirm(ctx); err != nil {
		return fmt.Errorf("nats broker: publish to room %q: not confirmed by the server: %w", ev.Room, err)
	}
	return nil
}

// roomNow returns room's subject while the broker is open and connected, or why it cannot
// act on room now, saying what it was to do (op): Subscribe's and Subscribed's checks.
func (b *Broker) roomNow(op, room string) (string, error) {
	if b.closing.Load() {
		return "", fmt.Errorf("nats broker: %s room %q: %w", op, room, ErrClosed)
	}
	subject, err := b.subject(room)
	if err != nil {
		return "", err
	}
	if err := b.connected(); err != nil {
		return "", fmt.Errorf("nats broker: %s room %q: %w", op, room, err)
	}
	return subject, nil
}

// Subscribe calls handler for every event published to room, on any node, after Subscribe
// returns, until cancel is called or the broker is closed. It returns only once the server has
// registered the subscription (with a single server; in a NATS cluster, interest reaches the
// other servers a moment later). It fails with ErrNotConnected while the connection is down.
//
// The handler runs on a goroutine the subscription shares with other rooms' (see Dispatch in
// the package doc), one call at a time, in the order the server delivered the events; it must
// not block. Events that arrive while it is busy wait in that goroutine's queue; if that
// overflows, events are dropped and a slow-consumer error is logged. cancel may be called more than once and from the handler; no event published after
// cancel returns reaches the handler (a call already under way finishes).
func (b *Broker) Subscribe(room string, handler func(hubbub.Event)) (func(), error) {
	subject, err := b.roomNow("subscribe to", room)
	if err != nil {
		return nil, err
	}
	s := &subscription{broker: b, room: room, handler: handler}
	sub, err := b.dispatch.subscribe(subject, s)
	if err != nil {
		return nil, fmt.Errorf("nats broker: subscribe to room %q: %w", room, b.connErr(err))
	}
	unsubscribe := func() {
		s.cancelled.Store(true)
		err := sub.Unsubscribe()
		if err != nil && !errors.Is(err, natsgo.ErrConnectionClosed) && !errors.Is(err, natsgo.ErrBadSubscription) {
			b.log.Warn("nats unsubscribe failed", "room", room, "err", err)
		}
		b.dispatch.forget(sub)
	}
	if err := b.confirm(context.Background()); err != nil {
		unsubscribe()
		return nil, fmt.Errorf("nats broker: subscribe to room %q: not confirmed by the server: %w", room, err)
	}
	var once sync.Once
	return func() { once.Do(unsubscribe) }, nil
}

// Check reports whether the broker can carry events now: nil when the connection is up and
// the server answers a round trip within ctx's deadline (or Options.PublishTimeout if ctx
// has none), ErrNotConnected while reconnecting, ErrClosed after Close or once reconnecting
// has given up. It suits a readiness probe. After a reconnect, nats.go sends the subscriptions
// again before anything else, so once Check returns nil they are live on the server again.
func (b *Broker) Check(ctx context.Context) error {
	if b.closing.Load() {
		return fmt.Errorf("nats broker: check: %w", ErrClosed)
	}
	if err := b.connected(); err != nil {
		return fmt.Errorf("nats broker: check: %w", err)
	}
	if err := b.confirm(ctx); err != nil {
		return fmt.Errorf("nats broker: check: %w", err)
	}
	return nil
}

// Close stops delivering events (handlers see nothing that had not reached them when Close was
// called), sends what was published before it, and closes the connection. It waits until the
// connection is closed (a handler call under way may still be finishing). It returns nil, also
// when called again.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.closing.Store(true)
		// Drain unsubscribes, lets in-flight handler calls finish, flushes what was published
		// and then closes. It closes at once if the connection is down.
		if err := b.nc.Drain(); err != nil && !errors.Is(err, natsgo.ErrConnectionReconnecting) &&
			!errors.Is(err, natsgo.ErrConnectionClosed) {
			b.log.Warn("nats drain failed; closing", "err", err)
			b.nc.Close()
		}
		<-b.connDone
		b.confirms.stop()
		b.dispatch.stop()
	})
	return nil
}

// connected returns nil if the connection is up, else ErrNotConnected or ErrClosed.
func (b *Broker) connected() error {
	switch st := b.nc.Status(); st {
	case natsgo.CONNECTED:
		return nil
	case natsgo.CLOSED, natsgo.DRAINING_SUBS, natsgo.DRAINING_PUBS:
		return ErrClosed
	default:
		return fmt.Errorf("%w (%s)", ErrNotConnected, st)
	}
}

// connErr explains err from nats.go with the broker's sentinels where one applies, keeping
// nats.go's error in the chain. The connection's state decides: nats.go reports a flush cut
// short by a disconnect as ErrConnectionClosed although the connection is reconnecting.
func (b *Broker) connErr(err error) error {
	if b.closing.Load() {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	switch b.nc.Status() {
	case natsgo.CLOSED:
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case natsgo.CONNECTED:
		if errors.Is(err, natsgo.ErrConnectionClosed) || errors.Is(err, natsgo.ErrReconnectBufExceeded) ||
			errors.Is(err, natsgo.ErrDisconnected) || errors.Is(err, natsgo.ErrConnectionReconnecting) {
			return fmt.Errorf("%w: %w", ErrNotConnected, err) // lost and regained meanwhile
		}
		return err
	default:
		return fmt.Errorf("%w: %w", ErrNotConnected, err)
	}
}

// subject returns the subject of room; see the package doc.
func (b *Broker) subject(room string) (string, error) {
	if room == "" {
		return "", errors.New("nats broker: empty room name")
	}
	var sb strings.Builder
	sb.Grow(len(b.prefix) + len(room))
	sb.WriteString(b.prefix)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(room); i++ {
		c := room[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('~')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&0xF])
	}
	return sb.String(), nil
}

// validatePrefix accepts one or more non-empty tokens of printable, non-space ASCII without
// wildcards.
func validatePrefix(prefix string) error {
	for tok := range strings.SplitSeq(prefix, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return fmt.Errorf("nats broker: invalid subject prefix %q: empty or wildcard token", prefix)
		}
		for _, c := range []byte(tok) {
			if c <= ' ' || c >= 0x7f || c == '*' || c == '>' {
				return fmt.Errorf("nats broker: invalid subject prefix %q: character %q", prefix, c)
			}
		}
	}
	return nil
}

// redact hides passwords and tokens in a comma-separated server list.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = url.User("xxxxx")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// subscription is one Subscribe call: it decodes the room's messages for its handler.
type subscription struct {
	broker    *Broker
	room      string
	handler   func(hubbub.Event)
	cancelled atomic.Bool
	// statements are the presence statements coming in parts, by node (parts.go); only the
	// subscription's dispatch goroutine touches them.
	statements map[string]*statement
}

// onMsg runs on the dispatch goroutine of this subscription's room, one message at a time.
func (s *subscription) onMsg(m *natsgo.Msg) {
	if s.cancelled.Load() || s.broker.closing.Load() {
		return
	}
	var w wireEvent
	if err := decodeWire(m.Data, &w); err != nil {
		s.broker.log.Warn("dropping an undecodable event", "room", s.room, "bytes", len(m.Data), "err", err)
		return
	}
	if w.Room != s.room {
		s.broker.log.Warn("dropping an event for another room", "room", s.room, "event_room", w.Room, "node", w.Node)
		return
	}
	if w.Kind == tagProbe {
		return // another node asking the server whether anyone subscribes here (probe.go)
	}
	if w.Kind == tagPresencePart {
		if ev, whole := s.assemble(&w, len(m.Data)); whole {
			s.handler(ev)
		}
		return
	}
	ev, err := w.event()
	if err != nil {
		if unknown, ok := err.(errUnknownKind); ok {
			// A newer node's kind of event: nothing here would act on it.
			s.broker.log.Debug("dropping an event of a kind this node does not know", "room", s.room, "kind", uint8(unknown))
			return
		}
		s.broker.log.Warn("dropping an undecodable event", "room", s.room, "bytes", len(m.Data), "err", err)
		return
	}
	s.handler(ev)
}

// Connection state handlers. nats.go calls them one at a time from its callback goroutine.

func (b *Broker) onDisconnect(nc *natsgo.Conn, err error) {
	if b.closing.Load() {
		return // Close is on its way; onClosed says so
	}
	b.log.Warn("nats disconnected; publishing fails until reconnected", "err", err)
}

func (b *Broker) onReconnect(nc *natsgo.Conn) {
	b.log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
	if b.onReconnected != nil {
		go b.onReconnected()
	}
}

func (b *Broker) onReconnectErr(nc *natsgo.Conn, err error) {
	b.log.Debug("nats reconnect attempt failed", "err", err)
}

func (b *Broker) onClosed(nc *natsgo.Conn) {
	if b.closing.Load() {
		b.log.Info("nats connection closed")
	} else {
		b.log.Error("nats connection closed for good: gave up reconnecting; the broker fails every call", "err", nc.LastError())
	}
	close(b.connDone)
}

func (b *Broker) onAsyncError(nc *natsgo.Conn, sub *natsgo.Subscription, err error) {
	args := []any{"err", err}
	if sub != nil {
		args = append(args, "subject", sub.Subject)
		if dropped, derr := sub.Dropped(); derr == nil {
			args = append(args, "dropped_total", dropped)
		}
	}
	if errors.Is(err, natsgo.ErrSlowConsumer) {
		b.log.Error("nats slow consumer: a handler is not keeping up; events were dropped", args...)
		return
	}
	b.log.Error("nats error", args...)
}

func (b *Broker) onLameDuck(nc *natsgo.Conn) {
	b.log.Warn("nats server entered lame duck mode; will move to another server", "url", nc.ConnectedUrlRedacted())
}
