// Package server wires hubbub's parts into its HTTP face and holds the edge: the routes, the
// limits on who may connect (iplimit.go), the WebSocket endpoint /ws handing each upgraded
// socket to its transport and protocol session (upgrade.go), the add service /add, the REST
// API /api/, the browser pages, health, metrics and pprof. It holds no socket I/O and no
// protocol logic.
//
// Where a message goes, by folder: internal/transport reads it from the socket,
// internal/session decodes it and acts for the client, the hub (internal/hub) stores it
// (internal/sqlite, internal/postgres) and broadcasts it (internal/inmem, internal/nats) to
// its rooms, which queue it in each member's outbox, and internal/transport writes it out.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/addservice"
	"hubbub/internal/api"
	"hubbub/internal/commands"
	"hubbub/internal/egress"
	"hubbub/internal/files"
	"hubbub/internal/httpbody"
	"hubbub/internal/hub"
	"hubbub/internal/session"
	"hubbub/internal/transport"
)

// Server serves hubbub over HTTP. Create it with New; it is an http.Handler.
type Server struct {
	cfg     Config
	hub     *hub.Hub
	store   hubbub.Store
	broker  hubbub.Broker
	log     *slog.Logger
	mux     *http.ServeMux
	origins originPolicy
	// pagePolicy is the pages' Content-Security-Policy (pages.go).
	pagePolicy string
	ipLimits   *ipLimiter
	// httpConns counts the plain HTTP connections (httpconns.go).
	httpConns *httpConns
	// admission bounds the connections being set up (admission.go).
	admission *admission
	sockets   *transport.Transport
	sessions  *session.Service
	adder     addservice.Config
	accounts  *accounts.Service
	files     *files.Service // nil without blobs
	// stopCollector ends the files collector and waits for it (a no-op without files).
	stopCollector func()
	// commands runs slash commands; Shutdown and Abort stop its uses in flight.
	commands *commands.Runner
	// recheck ends the connections of users whose account changed (accountchange.go).
	recheck accountRecheck

	draining atomic.Bool
	nextID   atomic.Uint64
	mu       sync.Mutex
	conns    map[closer]struct{}
	// active counts tracked connections, from track to untrack, for Shutdown and Abort to wait
	// on. It does not count handlers: serveWS returns as soon as the connection is handed to
	// its own goroutine or to the poller.
	active sync.WaitGroup
}

// closer is a live WebSocket connection of either endpoint, as shutdown sees it.
type closer interface {
	// GoingAway starts a close with 1001; it must not block.
	GoingAway()
	// Abort closes the socket at once.
	Abort()
}

// New returns a server for the given hub. The store and broker are the hub's; the server asks
// them for readiness (/readyz).
func New(cfg Config, h *hub.Hub, store hubbub.Store, broker hubbub.Broker) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:    cfg,
		hub:    h,
		store:  store,
		broker: broker,
		log:    cfg.Logger.With("component", "server"),
		conns:  make(map[closer]struct{}),
	}
	s.pagePolicy = pagePolicy(originOf(cfg.FilesURL))
	s.ipLimits = newIPLimiter(&s.cfg)
	s.httpConns = newHTTPConns(&s.cfg)
	s.admission = &admission{max: int64(cfg.MaxConnecting), timeout: cfg.HandshakeTimeout,
		wait: max(cfg.ConnectingWait, 0), queue: cfg.ConnectingQueue, metrics: cfg.Metrics,
		freed: make(chan struct{}, 1)}
	var err error
	if s.origins, err = newOriginPolicy(cfg.AllowedOrigins); err != nil {
		return nil, err
	}
	if s.origins.any {
		s.log.Warn("every origin may open WebSockets (--allowed-origins=*): any web page can act for your users")
	}
	s.sockets = transport.New(s.transportConfig())
	ccfg := cfg.Commands
	// The parts with a component of their own get the server's logger without its "server":
	// a second component key in one JSON line is refused by strict log stores.
	ccfg.Logger, ccfg.MaxText = cfg.Logger, cfg.MaxText
	if ccfg.Client == nil {
		ccfg.Client = egress.New(egress.Config{})
	}
	s.commands = commands.New(ccfg, h)
	s.sessions = session.New(session.Config{Node: cfg.Node, MaxText: cfg.MaxText, SendRate: cfg.SendRate,
		SendBurst: cfg.SendBurst, NewRoomRate: cfg.NewRoomRate, NewRoomBurst: cfg.NewRoomBurst, RateTracked: cfg.MaxRateBuckets,
		NewGuestRate: cfg.NewGuestRate, NewGuestBurst: cfg.NewGuestBurst,
		AbuseLimit: cfg.AbuseLimit, TypingInterval: cfg.TypingInterval,
		MaxRoomsPerConn: cfg.MaxRoomsPerConn, HistoryPageMax: cfg.HistoryPageMax, MaxDMMembers: cfg.MaxDMMembers, SanctionsLimit: cfg.SanctionsLimit,
		Auth: cfg.Auth, Users: store,
		MaxAttachments: cfg.MaxAttachments, FilesURL: cfg.FilesURL, ReadLimit: cfg.ReadLimit,
		Tokens: cfg.Tokens, RoleFor: cfg.RoleFor, Metrics: cfg.Metrics,
		SearchTimeout: cfg.SearchTimeout, SearchRate: cfg.SearchRate, SearchBurst: cfg.SearchBurst, SearchOff: cfg.SearchOff, Commands: s.commands,
		UploadsOff: cfg.Files.UploadsOff || cfg.Files.Blobs == nil, BotCacheSize: cfg.BotCacheSize, BotCacheAge: cfg.BotCacheAge, Cache: cfg.StoreCache}, h)
	if cfg.StoreCache != nil {
		cfg.StoreCache.OnUsersChanged(s.usersChanged)
	}
	s.adder = addservice.Config{IdleTimeout: cfg.AddIdleTimeout, ReadLimit: cfg.AddReadLimit, Rate: cfg.AddRate, Burst: cfg.AddBurst,
		WriteWait: cfg.WriteWait, Metrics: cfg.Metrics, Logger: s.log}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/ws", s.serveWS)
	s.mux.HandleFunc("/add", s.serveAdd)
	s.mux.HandleFunc("/healthz", s.serveHealth)
	s.mux.HandleFunc("/readyz", s.serveReady)
	if cfg.Metrics != nil {
		s.mux.Handle("/metrics", cfg.Metrics.Handler())
	}
	if cfg.Pprof {
		s.mux.Handle("/debug/pprof/", loopbackOnly(pprofHandler()))
	}
	s.mux.Handle("/api/", api.New(api.Config{Key: cfg.APIKey, Node: cfg.Node, MaxText: cfg.MaxText,
		RoomsPageMax: cfg.RoomsPageMax, HistoryPageMax: cfg.HistoryPageMax, MaxDMMembers: cfg.MaxDMMembers, Webhooks: cfg.Webhooks, Logger: s.log,
		Commands: s.commands}, h, s.sessions))
	s.mux.Handle(commands.RespondPath+"{token}", s.commands.RespondHandler())
	hooks := cfg.Hooks
	hooks.Logger = s.log
	s.mux.Handle("/hooks/", api.NewHooks(hooks, h, s.sessions))
	acfg := cfg.Accounts
	acfg.Users, acfg.Logger = store, cfg.Logger
	acfg.ClientAddr = func(r *http.Request) string { return clientIP(r, s.cfg.TrustProxy) }
	acfg.Secure = s.secure
	acfg.Auth = cfg.Auth // told to the page by /api/me
	if s.accounts, err = accounts.New(acfg); err != nil {
		return nil, err
	}
	s.accounts.Mount(s.mux) // /signin, /signout, /invite, /account, /account/…, /api/me
	if err := s.mountFiles(store); err != nil {
		return nil, err
	}
	s.mux.HandleFunc("/", s.servePage)
	return s, nil
}

// ServeHTTP implements http.Handler. Over TLS every response carries HSTS, so browsers that
// once reached the server over https never try plain http again. A request on a connection
// past the limits on plain HTTP connections is refused (admitHTTP). A request's body must
// arrive within BodyTimeout (limitBody), and a refusal given before it is read — this one
// too — is answered at once, without waiting for it (httpbody.Guard).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.TLS != nil {
		w.Header().Set("Strict-Transport-Security", hstsValue)
	}
	r = s.limitBody(w, r)
	if !websocket.IsWebSocketUpgrade(r) { // an upgrade's writer must stay an http.Hijacker
		w, r = httpbody.Guard(w, r, s.cfg.BodyLinger)
	}
	w, ok := s.admitHTTP(w, r)
	if !ok {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// secure reports whether the browser reached the server over TLS (directly, or through a
// trusted proxy that says so), so that cookies are marked Secure.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// hstsValue is the Strict-Transport-Security header sent over TLS: one year.
const hstsValue = "max-age=31536000"

// Conns reports how many WebSocket connections are open.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// track registers a connection for shutdown; it returns false if the server is draining or
// full, in which case the caller must not serve it (full tells which). Admission checks
// MaxConns before the upgrade, but upgrades admitted at once all passed that check with
// the same count: this one, under the lock that counts, is what holds the bound.
func (s *Server) track(c closer) (ok, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false, false
	}
	if len(s.conns) >= s.cfg.MaxConns {
		return false, true
	}
	s.conns[c] = struct{}{}
	s.active.Add(1) // under mu, so Shutdown's Wait never races a first Add
	return true, false
}

func (s *Server) untrack(c closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.active.Done()
}

// Shutdown closes every WebSocket connection with 1001 ("going away") and waits for them until
// ctx is done; then it cuts the rest. New upgrades are refused from the moment it is called.
// A connection handles no message from its client after Shutdown begins, but one it is
// handling is finished first: a send being stored is acked before the close frame, and the
// connection's writer flushes what is queued before it.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopRecheck()
	s.stopCollector()
	s.commands.Close()
	s.mu.Lock()
	s.draining.Store(true)
	s.admission.close() // the upgrades waiting for a slot are answered 503 now
	conns := make([]closer, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.log.Info("shutting down", "connections", len(conns))
	s.hub.Drain() // every connection leaves its rooms now: no presence for the members here
	for _, c := range conns {
		c.GoingAway()
	}
	done := make(chan struct{})
	go func() {
		s.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.closePoller()
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Abort()
	}
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	s.closePoller()
	return fmt.Errorf("server: shutdown: %w", ctx.Err())
}

// StopAdmitting answers 503 to the upgrades waiting for an admission slot, and to every later
// one of /ws, at once. Shutdown does it too; an http.Server's Shutdown, which waits for the
// handlers of those upgrades, should call it first (http.Server.RegisterOnShutdown).
func (s *Server) StopAdmitting() { s.admission.close() }

// Abort cuts every WebSocket connection at once, without close frames, as a crash would. New
// upgrades are refused. Tests use it to kill a node; an operator's second Ctrl-C may too.
func (s *Server) Abort() {
	s.stopRecheck()
	s.stopCollector()
	s.commands.Close()
	s.mu.Lock()
	s.draining.Store(true)
	s.admission.close()
	for c := range s.conns {
		c.Abort()
	}
	s.mu.Unlock()
	s.active.Wait()
	s.closePoller()
}

// closePoller releases the transport's poller once no connection needs it.
func (s *Server) closePoller() { s.sockets.Close() }

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// serveReady answers 200 when the server accepts connections and its store, its files' blobs
// and its broker answer.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if storeErr := s.store.Check(ctx); storeErr != nil {
		s.log.Warn("readiness: store unavailable", "err", storeErr)
		http.Error(w, "store unavailable: "+storeErr.Error(), http.StatusServiceUnavailable)
		return
	}
	if s.files != nil {
		if err := s.cfg.Files.Blobs.Check(ctx); err != nil {
			s.log.Warn("readiness: files unavailable", "err", err)
			http.Error(w, "files unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	if hc, ok := s.broker.(hubbub.HealthChecker); ok {
		if err := hc.Check(ctx); err != nil {
			s.log.Warn("readiness: broker unavailable", "err", err)
			http.Error(w, "broker unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// errServerFull is what a client past MaxConns is told.
var errServerFull = errors.New("server is at its connection limit; try again later")

// errServerBusy is what a client shed by MaxConnecting is told (with Retry-After).
var errServerBusy = errors.New("server is busy setting up other connections; try again after Retry-After seconds")
