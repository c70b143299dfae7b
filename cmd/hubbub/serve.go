package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/activation"
	"hubbub/internal/api"
	"hubbub/internal/auth"
	"hubbub/internal/httpbody"
	"hubbub/internal/hub"
	"hubbub/internal/lograte"
	"hubbub/internal/memrelease"
	"hubbub/internal/nats"
	"hubbub/internal/netpoll"
	"hubbub/internal/nodecheck"
	"hubbub/internal/postgres"
	"hubbub/internal/server"
	"hubbub/internal/session"
	"hubbub/internal/sqlite"
	"hubbub/internal/storecache"
	"hubbub/web"
)

func init() { subcommands["serve"] = runServe }

// defaultHost is where the server listens unless --host says otherwise: loopback, so that a
// `go run` on a laptop does not share an open chat with its network. 127.0.0.1 rather than
// ::1, because every browser reaches "localhost" over IPv4 when IPv6 does not answer, and
// not "localhost", which would listen on whichever one address the resolver lists first.
const defaultHost = "127.0.0.1"

// onListen, when set (by tests), is told the address the server listens on.
var onListen func(net.Addr)

// serveFlags binds every server setting to a flag; applyEnv adds the HUBBUB_* variables.
type serveFlags struct {
	host, data, logFormat, logLevel, node string
	postgres                              string
	tokenSecret                           string
	jwks                                  auth.JWKSConfig // --jwks-*, --token-issuer, --token-audience
	nats                                  natsFlags
	port, sqliteWALPages, logRepeatBurst  int
	sqliteMaxBatch                        int
	sqliteSkipCheck                       bool
	logRepeatWindow, sqliteBusyTimeout    time.Duration
	shutdownTimeout, pruneEvery           time.Duration
	tcpKeepAlive                          time.Duration
	connectingWait, acceptPause           time.Duration
	deferAccept                           time.Duration
	sqliteCheckTimeout                    time.Duration
	sqliteSearchLag                       int
	pollIdleReaders                       int
	sqliteSearchDelay                     time.Duration
	sqliteBatchWindow                     time.Duration
	httpIdleTimeout                       time.Duration // --http-idle-timeout: net/http's IdleTimeout
	sqliteSearchSlice                     int
	sqliteSyncAhead                       int
	postgresSearchLag                     int
	postgresSearchDelay                   time.Duration
	postgresWriters                       int
	postgresMaxBatch                      int
	postgresBatchWindow                   time.Duration
	postgresTxTimeout                     time.Duration
	searchIndex                           bool
	retention                             hubbub.Retention
	origins                               listFlag
	subprotocols                          defaultList
	srv                                   server.Config
	writeInterval                         time.Duration // --write-interval: 0 is off, where srv's 0 is the default
	ops                                   opsFlags      // serve_ops.go
	files                                 filesFlags    // serve_files.go
	s3                                    s3Flags       // serve_s3.go
	notify                                notifyFlags   // serve_notify.go
	configPath                            string        // config.go
	printConfig                           bool
	hub                                   hub.Config
	hash                                  hashFlags    // user.go
	webhooks                              webhookFlags // serve_webhooks.go
	commands                              commandFlags // serve_commands.go
	storeCache                            storecache.Config
	storePreload                          int           // --store-cache-preload; 0 = none (storeCache.Preload < 0)
	nodeCheck                             time.Duration // --node-check-interval (serve_nats.go)

	// serving is set by serve alone: its store takes --data's lock (sqlite.Options.Lock), so
	// that a second serve on the file is refused while user, bot and webhook commands, which
	// open the same file to change the running server's data, are not.
	serving bool
	// exclusive is set by hubbub restore, which must run alone on --data: its store takes
	// the lock serve takes, and so is refused while a server runs on the file.
	exclusive bool
}

func newServeFlags(fs *flag.FlagSet) *serveFlags {
	f := &serveFlags{subprotocols: defaultList{listFlag: listFlag{hubbub.ProtocolJSON}}}
	s, h := &f.srv, &f.hub
	fs.StringVar(&f.host, "host", defaultHost, "address to listen on: the loopback interface by default; 0.0.0.0 (IPv4) or \"\" (every interface, IPv4 and IPv6) to serve other machines")
	fs.IntVar(&f.port, "port", 3434, "TCP port to listen on (0 = any free port, which the log line \"hubbub serving\" names)")
	fs.StringVar(&f.data, "data", "hubbub.db", "SQLite file that keeps the history (one node)")
	fs.IntVar(&f.sqliteMaxBatch, "sqlite-max-batch", sqlite.DefaultMaxBatch, fmt.Sprintf("most appends committed to --data in one transaction, and the capacity of its writer's queue (1 to %d)", sqlite.MaxMaxBatch))
	fs.IntVar(&f.sqliteWALPages, "sqlite-wal-pages", sqlite.DefaultWALPages, fmt.Sprintf("pages (4 KiB) the SQLite write-ahead log holds before they are copied into --data (1 to %d)", sqlite.MaxWALPages))
	fs.DurationVar(&f.sqliteBusyTimeout, "sqlite-busy-timeout", sqlite.DefaultBusyTimeout, "how long a write to --data waits for a lock another process holds on the file before it fails")
	fs.BoolVar(&f.sqliteSkipCheck, "sqlite-skip-check", false, "open --data without the integrity check (PRAGMA quick_check) that refuses a damaged file at start")
	fs.DurationVar(&f.sqliteCheckTimeout, "sqlite-check-timeout", sqlite.DefaultCheckTimeout, "longest the integrity check of --data may take at start; a file not checked by then is used unchecked, with a warning")
	fs.IntVar(&f.sqliteSearchLag, "sqlite-search-lag", sqlite.DefaultSearchLag, fmt.Sprintf("messages the search index of --data may lag behind the appends before they are indexed together (0 = in each append's transaction; at most %d); a search never misses them", sqlite.MaxSearchLag))
	fs.DurationVar(&f.sqliteSearchDelay, "sqlite-search-delay", sqlite.DefaultSearchDelay, "longest a message waits to be indexed for search when fewer than --sqlite-search-lag wait (0 = until then, or until a search)")
	fs.IntVar(&f.sqliteSyncAhead, "sqlite-sync-ahead", sqlite.DefaultSyncAhead, fmt.Sprintf("how many committed batches of --data may wait for the write-ahead log's fsync in progress while the next ones commit; one fsync then covers them all (1 to %d)", sqlite.MaxSyncAhead))
	fs.DurationVar(&f.sqliteBatchWindow, "sqlite-batch-window", sqlite.DefaultBatchWindow, fmt.Sprintf("longest the writer of --data waits for more appends to share a commit, while it expects them (0 = never wait; at most %v)", sqlite.MaxBatchWindow))
	fs.IntVar(&f.sqliteSearchSlice, "sqlite-search-slice", sqlite.DefaultSearchSlice, fmt.Sprintf("about how many messages the search index of --data indexes in one transaction when it catches up, before the appends queued meanwhile commit (1 to %d)", sqlite.MaxSearchSlice))
	fs.StringVar(&f.postgres, "postgres", "", "PostgreSQL URL for history shared by several nodes, e.g. postgres://user:pass@host/db (replaces --data)")
	fs.IntVar(&f.postgresSearchLag, "postgres-search-lag", postgres.DefaultSearchLag, fmt.Sprintf("entries of one room this node lets the search index of --postgres lag behind its appends before it indexes them together (1 to %d); a search never misses them", postgres.MaxSearchLag))
	fs.DurationVar(&f.postgresSearchDelay, "postgres-search-delay", postgres.DefaultSearchDelay, "longest an entry waits to be indexed for search when fewer than --postgres-search-lag of its room wait (0 = until then, or until a search)")
	fs.IntVar(&f.postgresWriters, "postgres-writers", postgres.DefaultWriters, fmt.Sprintf("transactions of appends this node runs on --postgres at once (1 to %d; at most the pool's connections less one, which reads keep: the URL's pool_max_conns, default %d; more is refused, and the default is lowered to fit)", postgres.MaxWriters, postgres.DefaultMaxConns))
	fs.IntVar(&f.postgresMaxBatch, "postgres-max-batch", postgres.DefaultMaxBatch, fmt.Sprintf("most appends committed to --postgres in one transaction (1 to %d)", postgres.MaxMaxBatch))
	fs.DurationVar(&f.postgresBatchWindow, "postgres-batch-window", postgres.DefaultBatchWindow, fmt.Sprintf("longest a writer of --postgres waits for more appends to share a commit, while it expects them (0 = never wait; at most %v)", postgres.MaxBatchWindow))
	fs.DurationVar(&f.postgresTxTimeout, "postgres-tx-timeout", postgres.DefaultTxTimeout, "longest one transaction of appends on --postgres may take, retries included, before its appends fail; also the sessions' idle_in_transaction_session_timeout, which frees the room locks of a node that vanished mid-transaction")
	f.nats.bind(fs)
	fs.IntVar(&h.PresenceLimit, "presence-limit", 500, "rooms with more connections on this node stop announcing joins and leaves, and joined lists this many names")
	fs.DurationVar(&h.PresenceWindow, "presence-window", hub.DefaultPresenceWindow, "how long a room holds the presence notices (joins, leaves, away) it announces, to queue them to each member together and have them written at once (0 = each at once)")
	fs.DurationVar(&h.PresenceWindowMax, "presence-window-max", hub.DefaultPresenceWindowMax, fmt.Sprintf("how long a room busy with joins holds its presence notices: a window that held %d or more makes the room's next one this long, until one holds fewer or the room is quiet this long (0 = never longer than --presence-window, as any value at or below it)", hub.PresenceBusy))
	fs.IntVar(&h.PresenceBatch, "presence-batch", hub.DefaultWindowBatch, fmt.Sprintf("most presence notices a room holds for --presence-window; reaching it sends them at once (0 = %d; at most half of --send-queue)", hub.DefaultWindowBatch))
	fs.DurationVar(&h.PresenceWait, "presence-wait", hub.DefaultPresenceWait, "with --nats, how long a room first opened on this node holds its first joins for the other nodes to say who is in it, so that joined lists everyone (ends when they have answered; 0 = never wait; no wait without --nats)")
	fs.DurationVar(&h.PresenceInterval, "presence-interval", 5*time.Second, "how often a node restates its members to the others (members of a dead node vanish after 3×)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.IntVar(&f.logRepeatBurst, "log-repeat-burst", lograte.DefaultBurst, "warnings and errors with the same message logged per --log-repeat-window at most; the rest are counted (suppressed=N) (0 = no limit)")
	fs.DurationVar(&f.logRepeatWindow, "log-repeat-window", lograte.DefaultWindow, "the window --log-repeat-burst counts in")
	fs.StringVar(&f.node, "node", "", "this node's name in logs and frames (default: host:port)")
	fs.DurationVar(&f.nodeCheck, "node-check-interval", nodecheck.DefaultInterval, fmt.Sprintf("with --postgres, how often this node records in the database that it serves from it, and reads which other nodes do: one that does not share this node's broker (run without --nats, or on another --nats-prefix) is warned of at start and within this; a record lasts 3× (%v to %v)", nodecheck.MinInterval, nodecheck.MaxInterval))
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for clients to take their last frames (0 = cut them at once)")
	fs.IntVar(&f.retention.MaxPerRoom, "retention-messages", 0, "keep only this many newest messages per room (0 = all)")
	fs.DurationVar(&f.retention.MaxAge, "retention-age", 0, "forget messages older than this (0 = never)")
	fs.DurationVar(&f.pruneEvery, "prune-every", time.Minute, "how often retention is applied")

	fs.DurationVar(&s.HandshakeTimeout, "handshake-timeout", 5*time.Second, "time allowed for the HTTP request and WebSocket upgrade")
	fs.DurationVar(&f.httpIdleTimeout, "http-idle-timeout", 2*time.Minute, "close a plain HTTP keep-alive connection after this long without a request (a WebSocket has its heartbeat instead)")
	fs.DurationVar(&s.BodyTimeout, "body-timeout", server.DefaultBodyTimeout, "time allowed for a plain HTTP request's body to arrive after its head (past it: 408, the connection closed); /upload allows --upload-timeout")
	fs.DurationVar(&s.BodyLinger, "body-linger", httpbody.DefaultLinger, "after an answer given before a request's body was read (a refusal), time to go on reading that body before the connection is closed (closing on it resets the connection)")
	fs.DurationVar(&f.tcpKeepAlive, "tcp-keepalive", 0, "TCP keep-alive probes on accepted connections every this long (0 = off: WebSocket pings and the HTTP idle timeout find dead peers, and each accept saves four setsockopt calls)")
	fs.StringVar(&s.Transport, "transport", "poll", "how sockets are served: poll (no goroutine per idle connection; Linux, plain TCP) or goroutine (one per connection, as gorilla/websocket's examples)")
	fs.IntVar(&f.pollIdleReaders, "poll-idle-readers", netpoll.DefaultIdleReaders, fmt.Sprintf("with --transport poll, reader goroutines that wait for the next readable socket instead of ending, at most; those not needed for a second end (0 = a new goroutine every time; at most %d)", netpoll.MaxIdleReaders))
	fs.IntVar(&s.Flushers, "flushers", server.DefaultFlushers(), "goroutines that write polled connections' queues, at most (half the CPUs, at least 1)")
	fs.DurationVar(&f.writeInterval, "write-interval", server.DefaultWriteInterval, "with --transport poll, the least time between two writes to one connection: a busy room's messages within it go in one write, replies never wait (0 = every message at once; at most 1s)")
	fs.IntVar(&s.ReadBufferSize, "read-buffer", 1024, "per-connection read buffer of the goroutine transport, bytes")
	fs.IntVar(&s.WriteBufferSize, "write-buffer", 1024, "per-connection write buffer of the goroutine transport, bytes")
	fs.BoolVar(&s.NoWriteBufferPool, "no-write-buffer-pool", false, "give each connection its own write buffer instead of a shared pool")
	fs.BoolVar(&s.Compression, "compression", false, "negotiate permessage-deflate when clients offer it")
	fs.Var(&f.subprotocols, "subprotocols", "WebSocket subprotocols /ws accepts, comma-separated")
	fs.Var(&f.origins, "allowed-origins", "browser origins allowed besides the server's own, comma-separated (* = any, with a warning)")
	fs.DurationVar(&s.PingPeriod, "ping-period", 54*time.Second, "how often the server pings each client")
	fs.DurationVar(&s.PongWait, "pong-wait", 60*time.Second, "how long a silent client is kept (must exceed --ping-period)")
	fs.DurationVar(&s.WriteWait, "write-wait", 10*time.Second, "time allowed for each write to a client")
	fs.Int64Var(&s.ReadLimit, "read-limit", server.DefaultReadLimit, fmt.Sprintf("largest frame a client may send, bytes (larger closes with 1009; at most %d; at least twice --max-text + 1024)", server.MaxReadLimit))
	fs.IntVar(&s.SendQueue, "send-queue", hub.DefaultOutboxLimit, "frames queued for a client before it is dropped as too slow")
	fs.IntVar(&s.MaxText, "max-text", 4096, "longest message text, bytes")
	fs.Float64Var(&s.SendRate, "send-rate", 10, "messages per second a connection may send (token bucket rate)")
	fs.IntVar(&s.SendBurst, "send-burst", 20, "messages a connection may send in a burst (token bucket size)")
	fs.IntVar(&s.AbuseLimit, "abuse-limit", 50, "rate-limited frames in a row before the connection is closed with 1008")
	fs.DurationVar(&s.TypingInterval, "typing-interval", time.Second, "shortest time between relayed typing notices per connection and room")
	fs.IntVar(&s.MaxRoomsPerConn, "max-rooms-per-conn", 32, "rooms one connection may be in")
	fs.IntVar(&s.MaxDMMembers, "max-dm-members", hubbub.MaxDMMembers, fmt.Sprintf("most people in a direct message, its starter included (0 = the default, %d; 1 is refused)", hubbub.MaxDMMembers))
	fs.IntVar(&s.MaxAttachments, "max-attachments", hubbub.MaxAttachments, fmt.Sprintf("most files one message may carry (at most %d)", hubbub.MaxAttachments))
	fs.IntVar(&s.MaxConns, "max-conns", 20000, "WebSocket connections the server holds (past it: 503); left unset, it is lowered, with --connecting-queue and --max-http-conns left unset, to fit the file descriptors the process may open (ulimit -n), which the log then says")
	fs.IntVar(&s.MaxHTTPConns, "max-http-conns", server.DefaultMaxHTTPConns, "plain HTTP connections (the page, /api/, /upload, /metrics…; not WebSockets) the server holds; a request on one more closes the one idle longest and takes its slot, or, with none idle, gets 503 with Retry-After and its connection is closed")
	fs.IntVar(&s.MaxConnecting, "max-connecting", server.DefaultMaxConnecting, fmt.Sprintf("WebSocket connections being set up at once (upgraded, hello and first join not yet handled); past it upgrades get 503 with Retry-After, which clients honour as backoff (0 = the default, %d)", server.DefaultMaxConnecting))
	fs.DurationVar(&f.connectingWait, "connecting-wait", server.DefaultConnectingWait, "how long an upgrade past --max-connecting waits for a slot, in arrival order, before it gets 503 with Retry-After (0 = 503 at once; at most 1m)")
	fs.DurationVar(&f.acceptPause, "accept-pause", server.DefaultAcceptPause, "while the connections being set up fill --max-connecting, how long the listener may leave the next one in the kernel's queue before accepting it anyway (0 = never wait; at most 5s): after a restart the admitted clients' hellos and joins go first")
	fs.DurationVar(&f.deferAccept, "defer-accept", server.DefaultDeferAccept, "have the kernel hand the listener a connection only once its client has sent its request, or after this long (whole seconds) if it has not (TCP_DEFER_ACCEPT, Linux): the request is read as it is accepted, and a silent socket costs nothing until then (0 = accept at once; at most 1m)")
	fs.IntVar(&s.ConnectingQueue, "connecting-queue", server.DefaultConnectingQueue, fmt.Sprintf("upgrades waiting for a --max-connecting slot at once, at most; while it is full the next connections wait in the kernel's accept queue (up to --connecting-wait), and past that they get 503 with Retry-After at once (0 = the default, %d)", server.DefaultConnectingQueue))
	fs.IntVar(&s.HistoryPageMax, "history-page-max", 200, "largest history page a client may ask for")
	fs.IntVar(&s.SanctionsLimit, "sanctions-limit", session.DefaultSanctionsLimit, "most bans and mutes a moderator's first page of a room's members lists, those of the members on the page first (past it: sanctions_more)")
	fs.BoolVar(&f.searchIndex, "search-index", true, "keep the search index of the history (--data or --postgres); false: nothing is indexed, appends cost less, and every search is answered disabled; turned on again, the first start indexes what was appended meanwhile before it serves")
	fs.DurationVar(&s.SearchTimeout, "search-timeout", session.DefaultSearchTimeout, "longest one search may take (WebSocket or GET /api/search); past it the search is answered unavailable")
	fs.Float64Var(&s.SearchRate, "search-rate", session.DefaultSearchRate, "searches per second a connection may make (token bucket rate)")
	fs.IntVar(&s.SearchBurst, "search-burst", session.DefaultSearchBurst, "searches a connection may make in a burst (token bucket size)")
	fs.IntVar(&s.RoomsPageMax, "rooms-page-max", api.DefaultRoomsPageMax, fmt.Sprintf("largest page (limit) of GET /api/rooms and of the API's users, directory, stored members and sanctions; a page holds %d unless asked otherwise", api.DefaultRoomsPage))
	fs.DurationVar(&s.AddIdleTimeout, "add-idle-timeout", 30*time.Second, "add service: close a connection idle this long")
	fs.Float64Var(&s.AddRate, "add-rate", server.DefaultAddRate, "add service: requests a second one connection is answered, after --add-burst (1 to 1000000); faster ones are answered later")
	fs.IntVar(&s.AddBurst, "add-burst", server.DefaultAddBurst, fmt.Sprintf("add service: requests one connection is answered at once before --add-rate applies (0 = the default, %d)", server.DefaultAddBurst))
	fs.StringVar(&s.APIKey, "api-key", "", "turn on the server API under /api/ (docs/api.md), for requests bearing this key (default: API off)")
	fs.Int64Var(&s.Hooks.MaxBody, "hook-max-body", api.DefaultHookMaxBody, "largest body a post to an incoming webhook (/hooks/…) may have, bytes (past it: 413)")
	fs.Float64Var(&s.Hooks.Rate, "hook-rate", api.DefaultHookRate, "posts per second each incoming webhook may make (token bucket rate; past it: 429)")
	fs.IntVar(&s.Hooks.Burst, "hook-burst", api.DefaultHookBurst, "posts each incoming webhook may make in a burst (token bucket size)")
	fs.IntVar(&s.BotCacheSize, "bot-cache-size", session.DefaultBotCacheSize, fmt.Sprintf("bots' API tokens each node caches (a bot's writes and REST requests check its token there; 0 = the default, %d)", session.DefaultBotCacheSize))
	fs.DurationVar(&s.BotCacheAge, "bot-cache-age", session.DefaultBotCacheAge, fmt.Sprintf("longest a node believes a cached bot; a change made through the API reaches every node at once, one made with hubbub bot within --store-cache-poll, this age being the bound only while a node cannot read the store's generations (0 = the default, %v)", session.DefaultBotCacheAge))
	sc := &f.storeCache
	fs.DurationVar(&sc.Poll, "store-cache-poll", storecache.DefaultPoll, "how often a node re-reads the store's generations, which say whether its cache of users' names, slash commands and public rooms still holds: a change made elsewhere (hubbub user add, another node) reaches every node's cache within twice this (at most 1m)")
	fs.IntVar(&sc.MaxEntries, "store-cache-size", storecache.DefaultMaxEntries, "names, and rooms, each node's store cache keeps at most")
	fs.DurationVar(&sc.MaxAge, "store-cache-age", storecache.DefaultMaxAge, "longest a node keeps one answer of its store cache, however still its generation")
	fs.IntVar(&f.storePreload, "store-cache-preload", storecache.DefaultPreload, fmt.Sprintf("at start each node reads every stored user's name if there are at most this many users, so that keyless hellos (a restart's reconnecting guests) are answered from memory with no store read; 0 = none (at most %d)", storecache.MaxPreload))
	a := &s.Accounts
	fs.DurationVar(&a.SessionTTL, "session-ttl", accounts.DefaultSessionTTL, "how long a sign-in (the hubbub_session cookie) lasts")
	fs.Float64Var(&a.LoginRate, "login-rate", accounts.DefaultLoginRate, "sign-in attempts per second per account and per client address, after --login-burst (token bucket rate; past it: 429)")
	fs.IntVar(&a.LoginBurst, "login-burst", accounts.DefaultLoginBurst, "sign-in attempts per account and per client address in a burst (token bucket size)")
	fs.IntVar(&a.LoginTracked, "login-tracked", accounts.DefaultLoginTracked, "accounts, and client addresses, whose sign-in attempts (and, apart, whose renames) are remembered (least recently used forgotten first)")
	fs.Float64Var(&a.RenameRate, "rename-rate", accounts.DefaultRenameRate, "name changes per second an account may make of itself (the account page, POST /api/me/name) after --rename-burst, and a client address ten times that over its accounts (token bucket rate; past it: 429)")
	fs.IntVar(&a.RenameBurst, "rename-burst", accounts.DefaultRenameBurst, "name changes an account may make of itself in a burst, and a client address ten times that over its accounts (token bucket size)")
	f.hash.bind(fs)
	fs.StringVar(&f.tokenSecret, "token-secret", "", "accept signed tokens (HS256 JWT, see hubbub token) verified with this secret of at least 32 bytes, and require them unless --auth says otherwise")
	j := &f.jwks
	fs.StringVar(&j.URL, "jwks-url", "", "accept signed tokens (RS256, ES256 or EdDSA JWT) verified with the keys an identity provider publishes at this URL (its JWKS), and require them unless --auth says otherwise; with --token-secret, HS256 tokens are taken too")
	fs.DurationVar(&j.Refresh, "jwks-refresh", auth.DefaultJWKSRefresh, "how often the keys of --jwks-url are fetched again")
	fs.DurationVar(&j.MinRefresh, "jwks-min-refresh", auth.DefaultJWKSMinRefresh, "shortest time between two fetches of --jwks-url caused by tokens naming a key it does not hold (a rotated key)")
	fs.DurationVar(&j.Timeout, "jwks-timeout", auth.DefaultJWKSTimeout, "longest a fetch of --jwks-url may take")
	fs.IntVar(&j.MaxKeys, "jwks-max-keys", auth.DefaultJWKSMaxKeys, "most keys the set at --jwks-url may hold")
	fs.Int64Var(&j.MaxBytes, "jwks-max-bytes", auth.DefaultJWKSMaxBytes, "largest answer read from --jwks-url, bytes")
	fs.StringVar(&j.Issuer, "token-issuer", "", "when set, a token's issuer (iss) must be this (JWKS and HS256 tokens)")
	fs.StringVar(&j.Audience, "token-audience", "", "when set, a token's audience (aud) must include this (JWKS and HS256 tokens); set it with a JWKS shared by other applications")
	fs.StringVar(&s.Auth, "auth", "", "who may connect: guest (anyone: a name held by the device's key, or keyless under a free name; signed-in users too), accounts (signed in at /signin, or a token) or token (a token) (default guest, or token when --token-secret or --jwks-url is set)")
	fs.DurationVar(&h.AwayAfter, "away-after", 5*time.Minute, "a connected user who sends nothing for this long shows as away")

	fs.IntVar(&h.History, "history", 50, "messages replayed, in their current state, when a client joins a room without since")
	fs.IntVar(&h.NoticeLimit, "notice-limit", 100, "most room notices (topic, member and ban or mute lines) one join or history page carries when its client asks for them; the newest are kept")
	fs.IntVar(&h.RoomBuffer, "room-buffer", 256, "recent entries of the room log (messages, edits, deletes, reactions) kept in memory per room, for reconnects")
	fs.IntVar(&h.MaxReplay, "max-replay", 10000, "most entries replayed to a reconnecting client")
	fs.IntVar(&h.ReplayBudget, "replay-budget", 50000, "replayed messages read from the store that all joins together may hold until written (at least --max-replay); a join past it waits, then gets unavailable")
	fs.IntVar(&h.MaxRooms, "max-rooms", 10000, "rooms the server holds at once")
	fs.IntVar(&h.MaxStoredRooms, "max-stored-rooms", hub.DefaultMaxStoredRooms, "rooms the store keeps, DMs included; past it a room that does not exist yet is refused (limit), and rooms are never deleted")
	fs.IntVar(&h.MaxMembers, "max-members", 10000, "members one room may have")
	fs.DurationVar(&h.ReactionWindow, "reaction-window", hub.DefaultReactionWindow, "how long a room holds live reactions to send a burst of them as one frame (0 = each at once)")
	fs.IntVar(&h.ReactionBatch, "reaction-batch", hub.DefaultWindowBatch, "most reactions one such frame carries")
	f.ops.bind(fs, s)
	f.files.bind(fs, s)
	f.s3.bind(fs)
	f.webhooks.bind(fs)
	f.notify.bind(fs)
	f.commands.bind(fs)
	fs.StringVar(&f.configPath, configFlag, "", "file of key = value lines setting any of these flags (flags and HUBBUB_* win over it)")
	fs.BoolVar(&f.printConfig, "print-config", false, "print the effective configuration (each setting, its value and source; secrets masked) and exit")
	return f
}

// runServe runs the server until ctx is cancelled (SIGINT/SIGTERM), then shuts down
// gracefully: no new connections, close 1001 to every client after its queue is flushed, then
// the store is closed. It returns nil after a clean shutdown.
func runServe(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	fs.SetOutput(io.err)
	f := newServeFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("serve takes no arguments, got %q", fs.Args()))
	}
	sources, err := applySources(fs)
	if err != nil {
		return err
	}
	if err := refuseNegative(fs, sources); err != nil {
		return err
	}
	if err := refuseZero(fs, sources, zeroMeans); err != nil { // serve_zero.go
		return err
	}
	log, err := newLogger(f.logFormat, f.logLevel, io.err, f.logRepeatBurst, f.logRepeatWindow)
	if err != nil {
		return err
	}
	if f.port > 65535 {
		return usageError(fmt.Sprintf("invalid --port %d%s", f.port, sources.from("port")))
	}
	// A longest message must fit in a frame the server reads: past --read-limit its sender's
	// connection is closed (1009) rather than told too_long, and a client resends what was not
	// acknowledged on each reconnect. The frame holds the text, escaped, and the send's other
	// fields (server.SendFrameLimit).
	if need := server.SendFrameLimit(f.srv.MaxText); f.srv.ReadLimit > 0 && f.srv.ReadLimit < need {
		return usageError(fmt.Sprintf("--max-text %d needs --read-limit %d or more: a send frame carries the text, which JSON writes at up to twice its length (quotes, backslashes, line breaks), and up to 1024 bytes of other fields; --read-limit is %d%s",
			f.srv.MaxText, need, f.srv.ReadLimit, sources.outsideCommandLine(fs)))
	}
	if iv := f.writeInterval; iv > server.MaxWriteInterval { // a negative one is refused with the other durations
		return usageError(fmt.Sprintf("invalid --write-interval %s: want 0 (off) to %s: a member of a busy room waits up to this for each message%s",
			iv, server.MaxWriteInterval, sources.from("write-interval")))
	}
	if f.hub.MaxStoredRooms < 1 {
		return usageError(fmt.Sprintf("invalid --max-stored-rooms %d: want 1 or more (rooms are never deleted: size it for every room and DM to come)%s",
			f.hub.MaxStoredRooms, sources.from("max-stored-rooms")))
	}
	if err := checkRanges(fs, sources, serveRanges); err != nil { // serve_ranges.go
		return err
	}
	if err := f.checkPostgresWriters(sources); err != nil {
		return err
	}
	if f.postgresTxTimeout < time.Millisecond {
		return usageError(fmt.Sprintf("invalid --postgres-tx-timeout %v: want 1ms or more%s", f.postgresTxTimeout, sources.from("postgres-tx-timeout")))
	}
	if f.nats.maxEvent != 0 && f.nats.maxEvent < nats.MinMaxEvent {
		return usageError(fmt.Sprintf("invalid --nats-max-event %d: want 0 (the NATS server's max_payload) or %d and up%s", f.nats.maxEvent, nats.MinMaxEvent, sources.from("nats-max-event")))
	}
	f.storeCache.Preload = f.storePreload
	if f.storePreload == 0 {
		f.storeCache.Preload = -1 // the flag's 0 is none; the Config's zero is the default
	}
	if err := f.storeCache.Check(); err != nil {
		return usageError(fmt.Sprintf("--store-cache-*: %v%s", err, sources.outsideCommandLine(fs)))
	}
	var hmac *auth.HMAC
	if f.tokenSecret != "" {
		hmac, err = auth.NewHMACWith([]byte(f.tokenSecret), f.jwks.Options)
		if err != nil {
			return usageError("--token-secret: " + trimAuthPrefix(err.Error()) + sources.from("token-secret"))
		}
		f.srv.Tokens = hmac
	}
	if f.jwks.URL != "" {
		if err := f.jwks.Validate(); err != nil {
			return usageError("--jwks-url: " + trimAuthPrefix(err.Error()) + sources.from("jwks-url"))
		}
	} else if (f.jwks.Issuer != "" || f.jwks.Audience != "") && hmac == nil {
		return usageError("--token-issuer and --token-audience need tokens: set --token-secret or --jwks-url" + sources.outsideCommandLine(fs))
	}
	f.srv.AllowedOrigins, f.srv.Subprotocols = f.origins, f.subprotocols.listFlag
	f.srv.ConnectingWait = f.connectingWait
	f.srv.SearchOff = !f.searchIndex
	f.srv.Files.UploadsOff = f.srv.Files.UploadMax == 0 // the flag's 0 is "no uploads", the Config's the default
	if f.connectingWait <= 0 {
		f.srv.ConnectingWait = -1 // the flag's 0 is "no wait", the Config's is "the default"
	}
	f.srv.AcceptPause = f.acceptPause
	f.srv.PollIdleReaders = orNone(f.pollIdleReaders) // the flag's 0 is "none", the Config's the default
	f.srv.WriteInterval = orNone(f.writeInterval)     // the flag's 0 is "off", the Config's the default
	if f.acceptPause <= 0 {
		f.srv.AcceptPause = -1 // as --connecting-wait: 0 is "never wait"
	}
	f.srv.DeferAccept = f.deferAccept
	if f.deferAccept <= 0 {
		f.srv.DeferAccept = -1 // 0 is "accept at once", the Config's the default
	}
	if f.srv.Accounts.Hash, err = f.hash.params(); err != nil {
		return usageError(err.Error() + sources.outsideCommandLine(fs))
	}
	f.srv.Accounts.MaxHashes = f.hash.concurrency
	if err := f.srv.Validate(); err != nil { // before the store is opened or created
		return usageError(strings.TrimPrefix(err.Error(), "server: ") + sources.outsideCommandLine(fs))
	}
	if err := f.ops.check(); err != nil {
		return err
	}
	if err := f.webhooks.check(sources); err != nil {
		return err
	}
	if err := f.notify.check(sources); err != nil {
		return err
	}
	if err := f.commands.check(); err != nil {
		return err
	}
	if err := f.s3.check(f.files.dir, sources); err != nil {
		return err
	}
	if f.printConfig { // after the checks of values, so a printed configuration is one serve
		// accepts; before the TLS files are read, which may live on another machine
		showFitted(fs, &f.srv, sources) // descriptors.go: the limits serve would lower, lowered
		printConfig(io.out, fs, sources)
		return nil
	}
	tlsCfg, err := f.ops.tlsConfig()
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(f.host, strconv.Itoa(f.port))
	// A socket passed by a launcher (systemd's socket activation) is taken first: it is the
	// address served, the node's default name, and no port of the flags is probed.
	activated, err := activation.Listener()
	if err != nil {
		return fmt.Errorf("socket activation: %w", err)
	}
	if activated != nil {
		defer activated.Close() // on the paths that return before serving; else a second close
		addr = activated.Addr().String()
	}
	if f.node == "" {
		f.node = addr
	}

	if f.port != 0 && activated == nil {
		// A taken port is found before the store is opened: a second server given another
		// --data would otherwise create and migrate a file it then never serves. (The port is
		// bound again, for good, once the node is built; a program taking it in between still
		// gets the error below.)
		probe, err := listen(ctx, addr, f.tcpKeepAlive)
		if err != nil {
			return listenError(err, addr)
		}
		probe.Close()
	}

	f.serving = true
	store, err := openStore(ctx, f, log)
	if err != nil {
		return err
	}
	defer store.Close()
	servingAttrs := restoredAttrs(ctx, store, log)
	// The broker calls back into the hub on reconnect, and the hub needs the broker: resync
	// goes through a variable set once both exist.
	var resync atomic.Pointer[hub.Hub]
	broker, err := f.nats.open(f.node, log, hub.PresenceExpiryOf(f.hub.PresenceInterval), func() {
		if h := resync.Load(); h != nil {
			h.Resync()
		}
	})
	if err != nil {
		return err
	}
	defer broker.Close()
	f.hub.Node, f.hub.Logger = f.node, log
	f.hub.Metrics = f.ops.apply(&f.srv)
	if f.jwks.URL != "" {
		// Fetching starts now, not when the first token comes, and goes on in the background
		// until the server ends: a provider that is down is retried, and tokens wait for it.
		f.jwks.Logger, f.jwks.Fetched = log, f.hub.Metrics.JWKSFetched
		jwks, err := auth.NewJWKS(ctx, f.jwks)
		if err != nil {
			return usageError("--jwks-url: " + trimAuthPrefix(err.Error()))
		}
		defer jwks.Close()
		f.srv.Tokens = jwks
		if hmac != nil {
			f.srv.Tokens = auth.Either{HMAC: hmac, JWKS: jwks}
		}
	}

	// Every part of the node writes through the cache's store, so that a change made here
	// reaches this node's cache at once and the other nodes' through the broker.
	f.storeCache.Node, f.storeCache.Logger = f.node, log
	cache := storecache.New(store, broker, f.storeCache)
	defer cache.Close()
	store = cache.Store()
	f.srv.StoreCache = cache

	hooks := f.webhooks.newWebhooks(store, f.node, f.srv.FilesURL, log, f.hub.Metrics)
	f.hub.Appended = hooks.dispatcher.Nudge
	f.srv.Webhooks = hooks.admin
	// A member gets a room's held presence notices in one push, which must fit its send queue
	// with room to spare, or a member that reads at once would be dropped as too slow.
	queue, batch := f.srv.SendQueue, f.hub.PresenceBatch
	if queue <= 0 {
		queue = hub.DefaultOutboxLimit
	}
	if batch <= 0 {
		batch = hub.DefaultWindowBatch
	}
	f.hub.PresenceBatch = max(min(batch, queue/2), 1)
	if f.nats.url == "" {
		f.hub.PresenceWait = 0 // one node: no other to wait for
	}
	h := hub.New(f.hub, store, broker)
	defer h.Close()
	resync.Store(h)

	if f.srv.Files.Blobs, err = f.openBlobs(ctx, log); err != nil {
		return err
	}
	defer closeBlobs(f.srv.Files.Blobs)
	f.warnUnshared(log)
	f.srv.Node, f.srv.Logger, f.srv.Pages = f.node, log, web.FS()
	// The listener comes before the server: slash commands' response URLs name its port.
	ln, err := listenOrActivated(ctx, activated, addr, f.tcpKeepAlive, log)
	if err != nil {
		return err
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	local, err := listenBaseURL(scheme, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	if err := f.commands.apply(&f.srv, local); err != nil {
		ln.Close()
		return err
	}
	// Before the server takes its limits: those left at their defaults fit the descriptors.
	checkDescriptors(log, &f.srv, sources) // descriptors.go
	srv, err := server.New(f.srv, h, store, broker)
	if err != nil {
		ln.Close()
		return usageError(err.Error())
	}
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: f.srv.HandshakeTimeout,
		IdleTimeout:       f.httpIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelInfo), // TLS handshake errors and the like
	}
	// http.Server.Shutdown waits for every handler, those of upgrades waiting for an
	// admission slot among them: they are answered 503 as it begins.
	httpSrv.RegisterOnShutdown(srv.StopAdmitting)
	srv.LimitHTTPConns(httpSrv) // --max-http-conns, --max-http-conns-per-ip
	served := make(chan error, 1)
	if tlsCfg != nil {
		httpSrv.TLSConfig = tlsCfg
		go func() { served <- httpSrv.ServeTLS(ln, "", "") }()
	} else {
		// The polled transport's WebSocket upgrades are read off the listener before
		// net/http sees them (internal/server/wsaccept.go); TLS connections are net/http's.
		go func() { served <- httpSrv.Serve(srv.Listener(ln)) }()
	}
	log.Info("hubbub serving", append([]any{"addr", ln.Addr().String(), "url", local, "scheme", scheme, "store", storeName(f), "broker", f.nats.name(), "node", f.node, "version", hubbub.Version}, servingAttrs...)...)
	if onListen != nil {
		onListen(ln.Addr())
	}

	hooks.start()
	defer hooks.close() // before the store closes

	pruneDone := make(chan struct{})
	pruneCtx, stopPrune := context.WithCancel(context.Background())
	go func() {
		defer close(pruneDone)
		prune(pruneCtx, store, f.retention, f.pruneEvery, log)
	}()
	defer func() { stopPrune(); <-pruneDone }()
	releaseDone := make(chan struct{})
	releaseCtx, stopRelease := context.WithCancel(context.Background())
	go func() {
		defer close(releaseDone)
		memrelease.Run(releaseCtx, f.ops.memoryRelease, log)
	}()
	defer func() { stopRelease(); <-releaseDone }()
	stopNotifier, err := f.notify.startNotifier(store, broker, f.node, log, hooks.dispatcher.Nudge)
	if err != nil {
		return err
	}
	defer stopNotifier()
	defer f.startNodeCheck(store, f.hub.Metrics, log)() // serve_nats.go

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutting down", "timeout", f.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("websocket shutdown incomplete", "err", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("serve", "err", err)
	}
	log.Info("stopped")
	return nil
}

// checkPostgresWriters refuses a --postgres-writers the operator set past what the pool of
// --postgres lets it run (its connections less one, which reads keep): the store would run
// fewer without a word. The default is capped as its help says. A URL that does not parse is
// left to openStore, which says so.
func (f *serveFlags) checkPostgresWriters(src settingSources) error {
	if f.postgres == "" || src["postgres-writers"] == "default" {
		return nil
	}
	most, pool, err := postgres.MostWriters(f.postgres)
	if err != nil || f.postgresWriters <= most {
		return nil
	}
	return usageError(fmt.Sprintf("invalid --postgres-writers %d: want 1 to %d with this --postgres, whose pool holds %d connections (the URL's pool_max_conns, default %d) of which reads keep one: add pool_max_conns=%d to the URL, or lower --postgres-writers%s",
		f.postgresWriters, most, pool, postgres.DefaultMaxConns, f.postgresWriters+1, src.from("postgres-writers")))
}

// openStore opens PostgreSQL when --postgres is set, else the SQLite file.
func openStore(ctx context.Context, f *serveFlags, log *slog.Logger) (hubbub.Store, error) {
	if f.postgres != "" {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, f.postgres, postgres.Options{Retention: f.retention, Logger: log,
			SearchLag: f.postgresSearchLag, SearchDelay: orNone(f.postgresSearchDelay), NoSearchIndex: !f.searchIndex,
			Writers: f.postgresWriters, MaxBatch: f.postgresMaxBatch, BatchWindow: orNone(f.postgresBatchWindow), TxTimeout: f.postgresTxTimeout})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return s, nil
	}
	s, err := sqlite.Open(f.data, sqlite.Options{Retention: f.retention, Logger: log, WALPages: f.sqliteWALPages,
		MaxBatch: f.sqliteMaxBatch, SkipCheck: f.sqliteSkipCheck, CheckTimeout: f.sqliteCheckTimeout, BusyTimeout: f.sqliteBusyTimeout,
		SearchLag: orNone(f.sqliteSearchLag), SearchDelay: orNone(f.sqliteSearchDelay),
		SearchSlice: f.sqliteSearchSlice, SyncAhead: f.sqliteSyncAhead, BatchWindow: orNone(f.sqliteBatchWindow),
		NoSearchIndex: !f.searchIndex, SkipSearchCatchUp: !f.serving, Lock: f.serving || f.exclusive})
	var inUse *sqlite.InUseError
	if errors.As(err, &inUse) {
		// Both would serve, each delivering live only to its own clients: refused.
		return nil, fmt.Errorf("--data %s is in use by another hubbub serve (%s): stop it, or pass another --data", f.data, inUse.Holder())
	}
	if errors.Is(err, sqlite.ErrDamaged) {
		return nil, fmt.Errorf("open store: %w; or start on the damaged file with --sqlite-skip-check (reads of its damaged part will fail)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if procs := spareProcessor(runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS")); procs != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(procs)
		log.Info("one CPU: two Go processors, so that SQLite's fsync does not stop the server", "gomaxprocs", procs)
	}
	return s, nil
}

// spareProcessor returns how many Go processors (Ps) a server keeping its history in SQLite
// runs with: two where the runtime would run one (a one-CPU machine, or a process pinned to
// one CPU), unless the GOMAXPROCS environment variable (env) asks for a number itself.
//
// Every SQLite commit ends in an fsync: an ordinary blocking system call, during which the
// calling goroutine keeps its P. The runtime takes a P back from a system call only when its
// monitor (sysmon) sees the same call on two of its wake-ups, and a monitor that has had
// nothing to take back for a while wakes only every 10 ms, so a 1-3 ms fsync keeps the P to
// its end. With one P nothing else runs meanwhile: no frame is read and no delivery written.
// A runtime trace of 1,000 rooms × 10 members at 0.2 msgs/s each, pinned to one CPU, showed
// 973 fsyncs in 4 s, 962 of them keeping the only P, which was held idle half of the time;
// messages arrived 0.5-3 s late. A second P runs everything else while the writer waits for
// the disk, and the two share the CPU the rest of the time (docs/benchmarks.md, "One CPU").
// Since the writer syncs the log itself without holding its P (internal/diskflush), one P
// measures the same; the second stays for the blocking calls left, the checkpoint's fsyncs.
func spareProcessor(procs int, env string) int {
	if procs == 1 && env == "" {
		return 2
	}
	return procs
}

// restoredAttrs are the attributes the "hubbub serving" line adds for a store that hubbub
// restore prepared (hubbub.Store.LastRestore): when the latest restore ran, its gap, and the
// seq floor new rooms number from, so that an operator reading the log of any node learns
// that the numbering jumped, and why a new room's first seq is not 1. None for a store never
// restored; a failed read is a warning, as the server serves without it (nothing else reads
// the floor: the store numbers from it, and tells the hub which entry began a room).
func restoredAttrs(ctx context.Context, store hubbub.Store, log *slog.Logger) []any {
	r, found, err := store.LastRestore(ctx)
	if err != nil {
		log.Warn("could not read the store's last restore", "err", err)
		return nil
	}
	if !found {
		return nil
	}
	return []any{"restored", r.At.Format(time.RFC3339), "seq_gap", r.Gap, "seq_floor", r.Floor}
}

func storeName(f *serveFlags) string {
	if f.postgres != "" {
		return "postgres"
	}
	return "sqlite:" + f.data
}

// orNone maps a flag's 0 ("none") to the -1 that says so to an Options field whose 0 is
// its default.
func orNone[T int | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// listenError says why the server could not listen on addr, and what to do about a taken port.
func listenError(err error, addr string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen: %w (another program, perhaps another hubbub, listens on %s: stop it, or pass another --port)", err, addr)
	}
	return fmt.Errorf("listen: %w", err)
}

// listenOrActivated returns activated, the listening socket a launcher passed by socket
// activation (systemd's LISTEN_FDS: internal/activation), which outlives this process so that
// clients reconnecting during a restart queue instead of being refused; or, when it is nil,
// listens on addr.
func listenOrActivated(ctx context.Context, activated net.Listener, addr string, keepAlive time.Duration, log *slog.Logger) (net.Listener, error) {
	if activated == nil {
		ln, err := listen(ctx, addr, keepAlive)
		if err != nil {
			return nil, listenError(err, addr)
		}
		return ln, nil
	}
	tl := activated.(*net.TCPListener) // internal/activation passes no other
	// Set either way, as listen sets them for the sockets accept4 takes: the socket keeps
	// what the last process on it set, probes included after a restart told --tcp-keepalive 0.
	rc, err := tl.SyscallConn()
	if err == nil {
		err = keepAliveListener(rc, keepAlive)
	}
	if err != nil {
		tl.Close()
		return nil, fmt.Errorf("socket activation: --tcp-keepalive on the socket passed: %w", err)
	}
	log.Info("listening on the socket the launcher passed (LISTEN_FDS), not --host and --port", "addr", tl.Addr().String())
	return activatedListener{TCPListener: tl, keepAlive: keepAlive}, nil
}

// activatedListener is a socket a launcher passed, whose Accept gives each connection the
// keep-alive probes --tcp-keepalive asks for, as listen's ListenConfig does: net's Accept on a
// listener made from a descriptor, which no ListenConfig made, turns on Go's default (a probe
// every 15 s) whatever the flag says. It embeds the *net.TCPListener, whose SyscallConn the
// server's own accept4 takes (internal/server's rawListener), so that path stays: there the
// listening socket's options (keepAliveListener) are copied to each socket.
type activatedListener struct {
	*net.TCPListener
	keepAlive time.Duration
}

// Accept accepts with net's Accept (TLS, --transport goroutine, systems other than Linux) and
// sets the connection's probes as --tcp-keepalive says.
func (l activatedListener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	// An error here is a connection already reset, which its first read reports.
	if l.keepAlive <= 0 {
		_ = c.SetKeepAlive(false)
	} else {
		_ = c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: l.keepAlive, Interval: keepAliveInterval, Count: keepAliveCount})
	}
	return c, nil
}

// keepAliveInterval and keepAliveCount are the probes after the first idle, Go's defaults
// (every 15 s, 9 of them): one setting for every socket serve accepts, by net's Accept
// (listen, activatedListener) or by the server's accept4 from the listening socket
// (keepAliveListener), which may not drift apart.
const (
	keepAliveInterval = 15 * time.Second
	keepAliveCount    = 9
)

// listen listens on addr. Accepted connections get TCP keep-alive probes every keepAlive, none
// when it is 0: Go's default (probes every 15 s) costs four setsockopt calls per accept — a
// few per cent of a reconnect storm's CPU (docs/benchmarks.md, "Less work per reconnect") —
// for what WebSocket pings (--ping-period, --pong-wait) and the HTTP server's idle timeout
// already do.
//
// The probes are also set on the listening socket (keepAliveListener), where the system copies
// them to each socket it accepts: the server's WebSocket listener accepts with accept4 itself
// on Linux (internal/server, rawsock_linux.go), without net's Accept that sets them.
func listen(ctx context.Context, addr string, keepAlive time.Duration) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	if keepAlive > 0 {
		lc.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: keepAlive, Interval: keepAliveInterval, Count: keepAliveCount}
		lc.Control = func(_, _ string, c syscall.RawConn) error { return keepAliveListener(c, keepAlive) }
	}
	return lc.Listen(ctx, "tcp", addr)
}
