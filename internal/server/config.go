package server

import (
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"time"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/api"
	"hubbub/internal/auth"
	"hubbub/internal/commands"
	"hubbub/internal/files"
	"hubbub/internal/httpbody"
	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/netpoll"
	"hubbub/internal/session"
	"hubbub/internal/storecache"
	"hubbub/internal/webhooks"
)

// Config tunes a Server. The zero value of each field means the default in its comment; the
// command line sets them from flags and HUBBUB_* variables (cmd/hubbub/serve.go).
type Config struct {
	// Node names this server in welcome frames and events (default "local").
	Node string

	// HandshakeTimeout bounds the WebSocket upgrade (default 5s), and the reading of every
	// HTTP request's head (http.Server.ReadHeaderTimeout in hubbub serve).
	HandshakeTimeout time.Duration
	// BodyTimeout bounds the reading of a plain HTTP request's body, from the end of its head
	// (default DefaultBodyTimeout): a client that declares a body and stalls gets 408 and its
	// connection is closed, instead of holding it open for ever. /upload extends it to its
	// own Files.UploadTimeout; requests without a body and WebSocket upgrades are not bound
	// by it (bodytimeout.go).
	BodyTimeout time.Duration
	// BodyLinger bounds how long a request answered before its body was read (a refusal) goes
	// on reading and dropping that body after the answer, before its connection is closed
	// (default httpbody.DefaultLinger): closing on a body still arriving resets the
	// connection, which can fail the client's write and lose the answer it has not read.
	BodyLinger time.Duration
	// ReadBufferSize and WriteBufferSize size each connection's I/O buffers in bytes
	// (default 1024 each).
	ReadBufferSize, WriteBufferSize int
	// NoWriteBufferPool gives every connection its own write buffer instead of sharing a pool
	// (the pool is on by default: idle connections then hold no write buffer).
	NoWriteBufferPool bool
	// Compression negotiates permessage-deflate (RFC 7692) when the client offers it
	// (default off: it costs CPU and memory per connection for short chat lines).
	Compression bool
	// Subprotocols lists the subprotocols /ws accepts, in order of preference
	// (default ["hubbub.v1"]). Only "hubbub.v1" is known; a client asking for none speaks the
	// text protocol.
	Subprotocols []string
	// AllowedOrigins lists the browser origins allowed besides the server's own, as
	// "https://example.com" or "example.com:8080"; "*" allows every origin (logged as a
	// warning at start). Default: same origin only.
	AllowedOrigins []string

	// Transport chooses how sockets are served: TransportPoll (the default) watches idle
	// sockets from one poller and writes from shared flushers, with no goroutine per idle
	// connection (Linux; TLS and compressed connections still get a goroutine);
	// TransportGoroutine gives every connection a reading goroutine, as gorilla/websocket's
	// examples do.
	Transport string
	// Flushers is how many goroutines at most write polled connections' queues (default:
	// half the CPUs, at least one). Fewer flushers leave more CPU to reading, storing and
	// fanning out, and make each write carry more messages under load: on 2 CPUs one flusher
	// sustained 2.5 M deliveries/s at p99 88 ms where two reached p99 960 ms
	// (docs/benchmarks.md).
	Flushers int
	// WriteInterval is the least time between two writes to one polled connection: what a
	// member of a busy room is sent meanwhile waits for it and goes in one write, which saves
	// a system call (and the client's wake-up) per message at a latency of at most this. A
	// reply, a control frame or the close is written at once, with what waited. Default (0):
	// DefaultWriteInterval; negative: none; the flag takes up to MaxWriteInterval.
	WriteInterval time.Duration
	// PollIdleReaders is how many reader goroutines of the polled transport, at most, wait
	// for the next readable socket once they have read one, instead of ending (a new
	// goroutine grows its stack again: netpoll.DefaultIdleReaders). Default (0)
	// netpoll.DefaultIdleReaders; negative: none, a new goroutine every time; at most
	// netpoll.MaxIdleReaders.
	PollIdleReaders int

	// PingPeriod is how often the server pings each connection (default 54s).
	PingPeriod time.Duration
	// PongWait is how long a connection may stay silent (no pong, no frame) before it is
	// closed (default 60s). It must exceed PingPeriod.
	PongWait time.Duration
	// WriteWait bounds each write to a connection (default 10s).
	WriteWait time.Duration
	// ReadLimit is the largest frame a client may send, in bytes; a larger one closes the
	// connection with 1009 (default DefaultReadLimit, at most MaxReadLimit). Keep it at
	// SendFrameLimit(MaxText) or more, or the longest messages close their senders'
	// connections instead of being sent.
	ReadLimit int64
	// SendQueue is how many frames may wait for a slow connection before it is dropped with
	// 1008 (default hub.DefaultOutboxLimit, 4096). The queue holds pointers to messages shared
	// by every member (8 bytes a slot, nothing while idle) and a writer takes at most
	// maxTakeRound of them per write, so a deep queue is cheap, while a shallow one drops
	// readers that keep up on average (docs/benchmarks.md, change log). A stuck client is
	// still dropped after WriteWait.
	SendQueue int

	// MaxText is the longest message text, in bytes after cleaning (default 4096).
	MaxText int
	// SendRate and SendBurst limit each connection's sends: a token bucket refilled at
	// SendRate per second holding SendBurst (defaults 10 and 20).
	SendRate  float64
	SendBurst int
	// AbuseLimit is how many rate-limited frames in a row close the connection with 1008
	// (default 50).
	AbuseLimit int
	// TypingInterval is the shortest time between two typing notices a connection relays;
	// faster ones are dropped (default 1s).
	TypingInterval time.Duration
	// MaxRoomsPerConn is how many rooms one connection may be in (default 32).
	MaxRoomsPerConn int
	// MaxConns caps the WebSocket connections the server holds; past it upgrades get 503, and
	// one admitted together with others past it is closed with 1013 (default 20000).
	MaxConns int
	// MaxConnecting caps the WebSocket connections being set up at once: upgraded, not yet
	// settled (hubbub.v1: hello and the frame after it, normally the first join, handled; text:
	// the name line). Past it upgrades get 503 with Retry-After (1 or 2 seconds), so that after
	// a restart the server completes a few hundred clients at a time instead of making every
	// one of them wait for all the others (default DefaultMaxConnecting). A connection stops
	// counting when it settles, ends, or HandshakeTimeout after its upgrade.
	MaxConnecting int
	// ConnectingWait is how long an upgrade past MaxConnecting waits for a slot, in arrival
	// order, before it is answered 503 with Retry-After: a waiting upgrade costs the server the
	// request it has read already, a 503 costs the client a new connection after seconds of
	// backoff (default DefaultConnectingWait; negative: no wait, 503 at once).
	ConnectingWait time.Duration
	// ConnectingQueue is the most upgrades waiting for a slot at once; past it they are
	// answered 503 at once (default DefaultConnectingQueue). While it is full, the WebSocket
	// listener (paced accepts, AcceptPause) leaves the next connections in the kernel's accept
	// queue, up to ConnectingWait, instead of reading their upgrades only to refuse them. Each
	// waiting upgrade holds its socket, its handler goroutine and its read request, some 10 KiB.
	ConnectingQueue int
	// AcceptPause is the longest the WebSocket listener (Listener, polled transport) holds
	// off its next accept while the connections being set up — requests being read, upgrades
	// waiting for or holding an admission slot — already fill MaxConnecting: a connection
	// left in the kernel's queue costs the server nothing, where accepting it takes the CPU
	// the admitted clients' hellos and joins need (after a restart, the accepts of thousands
	// came first and no join completed for a second). A pause that runs out is followed by
	// as long without one, so connections that never send a request slow accepting by half
	// at most (default DefaultAcceptPause; negative: never hold off).
	AcceptPause time.Duration
	// DeferAccept has the kernel hand the WebSocket listener (Listener, polled transport, on
	// Linux) a connection only once its client has sent something, or after DeferAccept, in
	// whole seconds, if it has not (TCP_DEFER_ACCEPT on the listening socket): its request is
	// read as it is accepted, without the socket first joining the poller to wait for it, and
	// a socket that connects and stays silent costs the server nothing until then (default
	// DefaultDeferAccept; negative: accept every connection as soon as it is made).
	DeferAccept time.Duration
	// HistoryPageMax is the largest history page a client may ask for (default 200), and the
	// largest page of the directory and of a room's members.
	HistoryPageMax int
	// MaxDMMembers is the most people a direct message may have, its starter included
	// (default hubbub.MaxDMMembers).
	MaxDMMembers int
	// SanctionsLimit is the most bans and mutes the first page of a room's members lists to
	// one who may moderate the room (default session.DefaultSanctionsLimit, 100); past it the
	// page says sanctions_more.
	SanctionsLimit int
	// SearchTimeout bounds the time of one search, over WebSocket or the REST API (default
	// session.DefaultSearchTimeout, 2s): past it the search is answered unavailable.
	SearchTimeout time.Duration
	// SearchOff refuses every search (WebSocket and REST) with hubbub.ECodeDisabled: the
	// store was opened without its search index (the --search-index=false of hubbub serve).
	// Default false.
	SearchOff bool
	// SearchRate and SearchBurst limit each connection's searches: a token bucket refilled at
	// SearchRate per second holding SearchBurst (defaults session.DefaultSearchRate and
	// DefaultSearchBurst, 2 and 10).
	SearchRate  float64
	SearchBurst int
	// MaxAttachments is the most files one message may carry (default and most
	// hubbub.MaxAttachments).
	MaxAttachments int
	// FilesURL is the base of attachments' URLs in messages ("" for this server's origin, which
	// serves /files/): another origin that serves /files/ for this server (--files-url).
	FilesURL string
	// RoomsPageMax is the largest page of GET /api/rooms (default api.DefaultRoomsPageMax);
	// a page holds api.DefaultRoomsPage rooms unless the request asks for fewer or more.
	RoomsPageMax int

	// AddIdleTimeout closes an add-service connection that asks nothing for this long
	// (default 30s, as in the original).
	AddIdleTimeout time.Duration
	// AddReadLimit is the largest add request, in bytes (default 1024).
	AddReadLimit int64
	// AddRate and AddBurst bound the add requests one connection is answered: AddRate a
	// second (1 to 1,000,000; default DefaultAddRate) after a first AddBurst (default
	// DefaultAddBurst). Faster requests are answered later, not refused.
	AddRate  float64
	AddBurst int

	// MaxConnsPerIP caps the WebSocket connections one client address holds (an IPv6
	// client's /64, netaddr.Key, as for every per-address limit here); past it upgrades get
	// 429 (default 100).
	MaxConnsPerIP int
	// ConnectRate and ConnectBurst limit how fast one client address may open WebSockets: a
	// token bucket per address refilled at ConnectRate per second holding ConnectBurst; past it
	// upgrades get 429 (defaults 5 and 20). Buckets of idle addresses are forgotten, and at
	// most MaxRateBuckets are kept (default 100000), so memory stays bounded.
	ConnectRate    float64
	ConnectBurst   int
	MaxRateBuckets int
	// MaxHTTPConnsPerIP caps the plain HTTP connections (the page, /api/, /signin, /upload,
	// /files/, /healthz, /metrics…; not WebSockets) one client address (an IPv6 client's /64)
	// holds: a request on one more closes the address's connection idle longest (kept alive
	// between requests) and takes its slot, or, with every one of them in a request, gets 503
	// with Retry-After, and that connection is closed (default DefaultMaxHTTPConnsPerIP). The
	// address is the socket's peer, even with TrustProxy, which turns this limit off: every
	// connection is then the proxy's (httpconns.go). Counted only on an http.Server given to
	// LimitHTTPConns.
	MaxHTTPConnsPerIP int
	// MaxHTTPConns caps the plain HTTP connections the server holds, whatever their address;
	// past it, as past MaxHTTPConnsPerIP, the connection of any address idle longest gives
	// way (default DefaultMaxHTTPConns). With MaxConns, which bounds the WebSockets, it
	// bounds the server's sockets (but those whose first request is still being read, which
	// HandshakeTimeout bounds in time).
	MaxHTTPConns int
	// NewRoomRate and NewRoomBurst limit the rooms one user, and one client address, may
	// bring into being — a join of a name nobody used (or that opens a room nobody wrote in),
	// a creation, a new direct message — a token bucket each (defaults session.DefaultNewRoomRate and
	// DefaultNewRoomBurst; MaxRateBuckets users and addresses remembered). Past it the write
	// gets rate_limited. Server moderators and admins, bots and the API are not limited.
	NewRoomRate  float64
	NewRoomBurst int
	// NewGuestRate and NewGuestBurst limit the new guest names one client address may store
	// (a hello with a key and a name no stored user holds), a token bucket (defaults
	// session.DefaultNewGuestRate and DefaultNewGuestBurst); past it the hello gets
	// rate_limited.
	NewGuestRate  float64
	NewGuestBurst int
	// TrustProxy takes the client address from the last X-Forwarded-For entry (the one the
	// proxy in front of the server added) instead of the socket's peer, and believes the
	// proxy's X-Forwarded-Proto: https when it marks the accounts' cookies Secure. Set it only
	// behind a proxy that sets the headers, or clients can choose their own address.
	TrustProxy bool
	// Metrics, when set, counts connections, frames, drops and latencies and is served at
	// /metrics (default nil: no metrics and no /metrics).
	Metrics *metrics.Metrics
	// Pprof mounts net/http/pprof under /debug/pprof/; it answers only requests from a loopback
	// address that carry no X-Forwarded-For (default off).
	Pprof bool

	// Auth is who may connect (docs/protocol.md, Identity): "guest" (anyone: a guest's name is
	// held by its key, a keyless connection may use a name no user holds; signed-in users and
	// tokens are accepted too), "accounts" (a session cookie from /signin, or a token) or
	// "token" (a token). Default: "token" when Tokens is set, else "guest".
	Auth string
	// Tokens, when set, verifies the tokens of a host application's users
	// (docs/protocol.md, Tokens): names, user ids, roles and room grants then come from the
	// token. Default nil: no tokens.
	Tokens auth.Verifier

	// APIKey, when set, turns on the server API under /api/ (docs/api.md): requests must carry
	// "Authorization: Bearer <APIKey>". Default "": the API is off and /api/ answers 404.
	APIKey string
	// Webhooks, when set, manages the server's webhooks under /api/webhooks (with APIKey).
	// Default nil: those endpoints answer 404.
	Webhooks *webhooks.Admin
	// Hooks configures the incoming webhooks at /hooks/ (docs/integrations.md): each request's
	// body limit and each hook's rate (defaults api.DefaultHookMaxBody, DefaultHookRate,
	// DefaultHookBurst). They are on whether or not the API is: an admin makes them with
	// hubbub hook create, or POST /api/hooks.
	Hooks api.HooksConfig
	// BotCacheSize is how many bots' tokens a node caches, and BotCacheAge how long it believes
	// one (defaults session.DefaultBotCacheSize, DefaultBotCacheAge). A change through the API
	// empties every node's cache at once; one made without it (hubbub bot on the store) moves
	// the store's users' generation, and StoreCache's poll empties the cache when it reads the
	// move. The age bounds how late such a change takes effect while the generations cannot be
	// read (or without a StoreCache).
	BotCacheSize int
	BotCacheAge  time.Duration
	// StoreCache, when set, is the node's cache of users' names, slash commands and public
	// rooms (internal/storecache), which the sessions read at hello, welcome and join; its
	// Store must be the store the server is given.
	StoreCache *storecache.Cache
	// RoleFor, when set, gives a user who did not come with a token a role ("admin",
	// "moderator" or "member") from their name and user id instead of their stored one, when
	// it returns one; tests use it to make moderators. Token users' roles come from the tokens
	// only. Default nil: the stored roles.
	RoleFor func(name, userID string) string

	// Accounts tunes the built-in accounts (internal/accounts): the sign-in pages, session
	// cookies, password hashing and the login rate limit.
	// Users, ClientAddr, Secure and Logger are the server's own (the client address and
	// whether the browser used TLS honour TrustProxy); the other fields' zero values are the
	// defaults their comments give.
	Accounts accounts.Config

	// Files turns on uploads and downloads (POST /upload, GET /files/…, POST /files/session)
	// and their collector when Files.Blobs is set. Store, Users, Sessions, CheckOrigin (the origin policy above),
	// BaseURL (FilesURL), Secure, Metrics and Logger are the server's own; the other fields' zero values are the defaults their
	// comments give. Default: no Blobs, and /upload and /files/ answer 404.
	Files files.Config

	// Commands tunes slash commands (internal/commands). Logger and MaxText are the server's
	// own; a nil Client is egress's default (private addresses refused); PublicURL, this
	// server's base URL as commands' servers reach it, is what their response URLs begin with
	// (hubbub serve fills it from --public-url, else from its address). The other fields'
	// zero values are the defaults their comments give.
	Commands commands.Config

	// Pages holds the browser pages (default: none; / then answers 404).
	Pages fs.FS
	// Logger receives the server's logs (default slog.Default()).
	Logger *slog.Logger
}

// DefaultReadLimit is Config.ReadLimit's default: the send frame of a text of the default
// MaxText (4096 bytes), SendFrameLimit(4096).
const DefaultReadLimit = 9216

// SendFrameLimit is the largest send frame a text of maxText bytes makes. JSON writes a
// quote, a backslash or a line break of the text as two bytes (JSON.stringify and
// encoding/json alike; encoding/json U+2028 and U+2029 too, three bytes as six), so the text
// may take twice its length; the frame's other fields (its type, a room, an id, a reply_to,
// ten attachment ids: about 600 bytes) take up to 1024 more.
func SendFrameLimit(maxText int) int64 { return 2*int64(maxText) + 1024 }

// MaxReadLimit bounds Config.ReadLimit (16 MiB): a chat frame is a few KiB, a reader sizes
// its buffer by the length a frame declares, and a limit near MaxInt64 made the frame length
// arithmetic overflow.
const MaxReadLimit = 16 << 20

// DefaultMaxConnecting is Config.MaxConnecting's default: enough that a burst of ordinary
// arrivals is never shed, few enough that after a restart the first clients are joined within
// the first 100 ms instead of after every upgrade (docs/benchmarks.md, "Admission control and
// shutdown").
const DefaultMaxConnecting = 256

// maxConnectingQueue bounds Config.ConnectingQueue: more waiting upgrades than one process
// can hold sockets (notes: 20,000 descriptors) would never be reached.
const maxConnectingQueue = 1 << 16

// maxConnectingWait bounds Config.ConnectingWait: a waiting upgrade holds a socket and a
// goroutine, and a client whose upgrade waits a minute has long given up on it.
const maxConnectingWait = time.Minute

// DefaultConnectingWait and DefaultConnectingQueue are Config.ConnectingWait's and
// Config.ConnectingQueue's defaults: after a restart of a server holding 10,000 clients, most
// of those that come back while the first few hundred are set up wait instead of coming back
// seconds later (docs/benchmarks.md, "A wait queue for admission"). The wait stays below the
// default HandshakeTimeout, which bounds the client's whole upgrade in most clients.
const (
	DefaultConnectingWait  = 3 * time.Second
	DefaultConnectingQueue = 8192
)

// DefaultAddRate and DefaultAddBurst are Config.AddRate's and Config.AddBurst's defaults:
// the original's client asks once a second; a hundred a second is far beyond any use and
// bounds what one connection costs. maxAddRate bounds both; a rate under 1 would hold a
// connection's goroutine past shutdown's grace, waiting for its turn.
const (
	DefaultAddRate  = 100
	DefaultAddBurst = 100
	maxAddRate      = 1_000_000
)

// DefaultAcceptPause is Config.AcceptPause's default, and maxAcceptPause its bound: longer
// than an admitted client takes to settle on a busy server, short enough that silent
// sockets (whose requests stop counting after it) hold accepting off only briefly. A health
// check that arrives during a storm waits its turn in the kernel's accept queue with the
// clients ahead of it, paced or not: probe with a timeout of seconds, not milliseconds.
const (
	DefaultAcceptPause = 100 * time.Millisecond
	maxAcceptPause     = 5 * time.Second
)

// DefaultDeferAccept is Config.DeferAccept's default, and maxDeferAccept its bound. Every
// HTTP client writes its request as soon as it has connected; the kernel's smallest step is a
// second (one resend of its SYN-ACK, whose answer then completes the connection), after which a
// silent socket is accepted and HandshakeTimeout cuts it as before.
const (
	DefaultDeferAccept = time.Second
	maxDeferAccept     = time.Minute
)

// DefaultWriteInterval is Config.WriteInterval's default. One room of 1,010 members at 100
// messages a second (a message every 10 ms) on one CPU: 20 ms halves the writes and takes
// 0.48–0.57× the original chat's server CPU per delivery, with hubbub's p99 about what it is
// without the interval (docs/benchmarks.md, "The write interval, measured again"). A member
// sent less than a message per 20 ms is not slowed at all.
const DefaultWriteInterval = 20 * time.Millisecond

// MaxWriteInterval is the longest WriteInterval the server's flag takes: a member of a busy
// room may wait up to this for each message, so it stays a latency no reader notices.
const MaxWriteInterval = time.Second

// DefaultBodyTimeout is Config.BodyTimeout's default: a form or a JSON body of the API (64
// KiB at most) arrives within it over the slowest link a person uses, while a client that
// stalls holds its connection and goroutine for no longer.
const DefaultBodyTimeout = 30 * time.Second

// DefaultMaxHTTPConnsPerIP is Config.MaxHTTPConnsPerIP's default. A browser opens at most
// six connections to a host (Chromium, Firefox and Safari alike), and the page, a dozen files
// fetched at once, takes all six, which it then keeps open idle until the server's idle
// timeout (two minutes in hubbub serve); over TLS a browser speaks HTTP/2, one connection for
// everything. Idle connections give their slots to new ones (httpconns.go), so behind one NAT
// address any number of browsers take turns: 128 lets some twenty load the page at the same
// moment, or a browser and a hundred connections of scripts in requests at once, while one
// address holds at most 128 of a process's descriptors (20,000 here: under 1%).
const DefaultMaxHTTPConnsPerIP = 128

// DefaultMaxHTTPConns is Config.MaxHTTPConns' default: the connections of some 680 browsers
// loading the page over plain HTTP at once (six each; idle ones give way), each connection a
// descriptor, a goroutine and net/http's read and write buffers (4 KiB each), leaving most of
// a process's descriptors to WebSockets (MaxConns).
const DefaultMaxHTTPConns = 4096

// DefaultFlushers is Config.Flushers' default: half the CPUs Go may use, at least one.
func DefaultFlushers() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// The transports Config.Transport names.
const (
	TransportPoll      = "poll"
	TransportGoroutine = "goroutine"
)

// Validate reports the first setting of c that New would refuse, so that a command can check
// its flags before it opens a store or a broker.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.PongWait <= c.PingPeriod {
		return fmt.Errorf("server: pong wait (%v) must be longer than the ping period (%v)", c.PongWait, c.PingPeriod)
	}
	for _, p := range c.Subprotocols {
		if p != hubbub.ProtocolJSON {
			return fmt.Errorf("server: unknown subprotocol %q (known: %s)", p, hubbub.ProtocolJSON)
		}
	}
	if c.ReadLimit > MaxReadLimit {
		return fmt.Errorf("server: read limit %d is over the maximum %d (16 MiB)", c.ReadLimit, MaxReadLimit)
	}
	if c.Transport != TransportPoll && c.Transport != TransportGoroutine {
		return fmt.Errorf("server: unknown transport %q (poll or goroutine)", c.Transport)
	}
	// Zero means the default for these; a negative value is a mistake worth saying, and a
	// bot cache past what the server may hold (hubbub.MaxBots, each with one token) holds nothing more.
	if c.MaxConnecting < 0 {
		return fmt.Errorf("server: --max-connecting %d: want 0 (the default, %d) or more", c.MaxConnecting, DefaultMaxConnecting)
	}
	if c.PollIdleReaders > netpoll.MaxIdleReaders {
		return fmt.Errorf("server: --poll-idle-readers %d: want 0 to %d", c.PollIdleReaders, netpoll.MaxIdleReaders)
	}
	if c.ConnectingQueue < 0 || c.ConnectingQueue > maxConnectingQueue {
		return fmt.Errorf("server: --connecting-queue %d: want 0 (the default, %d) to %d", c.ConnectingQueue, DefaultConnectingQueue, maxConnectingQueue)
	}
	if c.AcceptPause > maxAcceptPause {
		return fmt.Errorf("server: --accept-pause %v: want at most %v", c.AcceptPause, maxAcceptPause)
	}
	if c.DeferAccept > maxDeferAccept {
		return fmt.Errorf("server: --defer-accept %v: want at most %v", c.DeferAccept, maxDeferAccept)
	}
	if c.AddRate != 0 && (c.AddRate < 1 || c.AddRate > maxAddRate) {
		return fmt.Errorf("server: --add-rate %v: want 1 to %v requests a second", c.AddRate, maxAddRate)
	}
	if c.AddBurst < 0 || c.AddBurst > maxAddRate {
		return fmt.Errorf("server: --add-burst %d: want 0 (the default, %d) to %d", c.AddBurst, DefaultAddBurst, maxAddRate)
	}
	if c.ConnectingWait > maxConnectingWait {
		return fmt.Errorf("server: --connecting-wait %v: want at most %v", c.ConnectingWait, maxConnectingWait)
	}
	if c.BotCacheSize < 0 || c.BotCacheSize > 100*hubbub.MaxBots {
		return fmt.Errorf("server: --bot-cache-size %d: want 0 (the default) to %d", c.BotCacheSize, 100*hubbub.MaxBots)
	}
	if c.BotCacheAge < 0 {
		return fmt.Errorf("server: --bot-cache-age %v: want 0 (the default) or more", c.BotCacheAge)
	}
	if c.MaxDMMembers == 1 {
		// A DM has two people at least, its starter included: 1 would refuse every DM.
		return fmt.Errorf("server: --max-dm-members 1: want 0 (the default, %d) or 2 or more", hubbub.MaxDMMembers)
	}
	if c.MaxAttachments > hubbub.MaxAttachments {
		return fmt.Errorf("server: --max-attachments %d is over the maximum %d", c.MaxAttachments, hubbub.MaxAttachments)
	}
	if err := c.Accounts.Hash.Validate(); err != nil {
		return err
	}
	if err := session.ValidAuth(c.Auth); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if c.Auth == session.AuthToken && c.Tokens == nil {
		return fmt.Errorf("server: --auth token needs a way to verify tokens: --token-secret")
	}
	if err := files.ValidBaseURL(c.FilesURL); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	_, err := newOriginPolicy(c.AllowedOrigins)
	return err
}

func (c Config) withDefaults() Config {
	if c.Auth == "" {
		// Tokens alone ask for tokens, as they did before users existed.
		c.Auth = session.AuthGuest
		if c.Tokens != nil {
			c.Auth = session.AuthToken
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	num := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Node == "" {
		c.Node = "local"
	}
	dur(&c.HandshakeTimeout, 5*time.Second)
	dur(&c.BodyTimeout, DefaultBodyTimeout)
	dur(&c.BodyLinger, httpbody.DefaultLinger)
	if c.Transport == "" {
		c.Transport = TransportPoll
	}
	num(&c.Flushers, DefaultFlushers())
	if c.WriteInterval == 0 {
		c.WriteInterval = DefaultWriteInterval
	}
	if c.PollIdleReaders == 0 {
		c.PollIdleReaders = netpoll.DefaultIdleReaders
	}
	num(&c.ReadBufferSize, 1024)
	num(&c.WriteBufferSize, 1024)
	if c.Subprotocols == nil {
		c.Subprotocols = []string{hubbub.ProtocolJSON}
	}
	dur(&c.PingPeriod, 54*time.Second)
	dur(&c.PongWait, 60*time.Second)
	dur(&c.WriteWait, 10*time.Second)
	if c.ReadLimit <= 0 {
		c.ReadLimit = DefaultReadLimit
	}
	num(&c.SendQueue, hub.DefaultOutboxLimit)
	num(&c.MaxText, 4096)
	if c.SendRate <= 0 {
		c.SendRate = 10
	}
	num(&c.SendBurst, 20)
	num(&c.AbuseLimit, 50)
	dur(&c.TypingInterval, time.Second)
	num(&c.MaxRoomsPerConn, 32)
	num(&c.MaxConns, 20000)
	num(&c.MaxConnecting, DefaultMaxConnecting)
	if c.ConnectingWait == 0 {
		c.ConnectingWait = DefaultConnectingWait
	}
	if c.AcceptPause == 0 {
		c.AcceptPause = DefaultAcceptPause
	}
	if c.DeferAccept == 0 {
		c.DeferAccept = DefaultDeferAccept
	}
	num(&c.ConnectingQueue, DefaultConnectingQueue)
	num(&c.HistoryPageMax, 200)
	num(&c.MaxDMMembers, hubbub.MaxDMMembers)
	num(&c.SanctionsLimit, session.DefaultSanctionsLimit)
	num(&c.MaxAttachments, hubbub.MaxAttachments)
	num(&c.RoomsPageMax, api.DefaultRoomsPageMax)
	dur(&c.SearchTimeout, session.DefaultSearchTimeout)
	if c.SearchRate <= 0 {
		c.SearchRate = session.DefaultSearchRate
	}
	num(&c.SearchBurst, session.DefaultSearchBurst)
	num(&c.MaxConnsPerIP, 100)
	if c.ConnectRate <= 0 {
		c.ConnectRate = 5
	}
	num(&c.ConnectBurst, 20)
	num(&c.MaxRateBuckets, 100000)
	num(&c.MaxHTTPConnsPerIP, DefaultMaxHTTPConnsPerIP)
	num(&c.MaxHTTPConns, DefaultMaxHTTPConns)
	if c.NewRoomRate <= 0 {
		c.NewRoomRate = session.DefaultNewRoomRate
	}
	num(&c.NewRoomBurst, session.DefaultNewRoomBurst)
	if c.NewGuestRate <= 0 {
		c.NewGuestRate = session.DefaultNewGuestRate
	}
	num(&c.NewGuestBurst, session.DefaultNewGuestBurst)
	dur(&c.AddIdleTimeout, 30*time.Second)
	if c.AddReadLimit <= 0 {
		c.AddReadLimit = 1024
	}
	if c.AddRate == 0 {
		c.AddRate = DefaultAddRate
	}
	num(&c.AddBurst, DefaultAddBurst)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
