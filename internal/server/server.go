// Package server is hubbub's HTTP face: the WebSocket endpoint /ws with both wire protocols,
// the add service /add, the browser pages, and the health endpoints.
//
// Where a message goes, by file: upgrade.go accepts the socket and picks its transport.
// conn_polled.go serves it on the polled transport (the default on Linux): internal/netpoll
// reports that the socket has bytes, conn_polled_read.go reads them and internal/wsframe cuts
// them into frames, and
// text_session.go or json_session.go speak the two protocols and hand messages to the hub
// (internal/hub), whose rooms push them into each member's outbox; flusher.go's shared
// goroutines write what is queued (conn_polled_write.go), framed once per room and protocol
// (codecs.go). conn.go is what both transports share (closing, logging); conn_goroutine.go is
// the goroutine transport: a read loop and a write pump per socket on gorilla/websocket, for
// TLS, compression and --transport goroutine.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/netpoll"
)

// Server serves hubbub over HTTP. Create it with New; it is an http.Handler.
type Server struct {
	cfg      Config
	hub      *hub.Hub
	store    hubbub.Store
	broker   hubbub.Broker
	log      *slog.Logger
	upgrader websocket.Upgrader
	mux      *http.ServeMux
	origins  originPolicy
	ipLimits *ipLimiter
	poller   *netpoll.Poller // the polled transport's; nil when every socket has a goroutine
	flusher  *flusher        // writes polled connections' queues

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
	// goingAway starts a close with 1001; it must not block.
	goingAway()
	// abort closes the socket at once.
	abort()
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
	s.ipLimits = newIPLimiter(&s.cfg)
	var err error
	if s.origins, err = newOriginPolicy(cfg.AllowedOrigins); err != nil {
		return nil, err
	}
	if s.origins.any {
		s.log.Warn("every origin may open WebSockets (--allowed-origins=*): any web page can act for your users")
	}
	s.upgrader = s.newUpgrader(cfg.Subprotocols)
	switch cfg.Transport {
	case TransportPoll:
		if s.poller, err = netpoll.New(); err != nil {
			s.log.Warn("polled transport unavailable; every socket gets a goroutine", "err", err)
		}
		s.flusher = newFlusher(cfg.Flushers)
	}
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
	s.mountAPI()
	s.mux.HandleFunc("/", s.servePage)
	return s, nil
}

// ServeHTTP implements http.Handler. Over TLS every response carries HSTS, so browsers that
// once reached the server over https never try plain http again.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.TLS != nil {
		w.Header().Set("Strict-Transport-Security", hstsValue)
	}
	s.mux.ServeHTTP(w, r)
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
// full, in which case the caller must not serve it.
func (s *Server) track(c closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	s.active.Add(1) // under mu, so Shutdown's Wait never races a first Add
	return true
}

func (s *Server) untrack(c closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.active.Done()
}

// Shutdown closes every WebSocket connection with 1001 ("going away"), letting each
// connection's writer flush what is queued first, and waits for them until ctx is done; then
// it cuts the rest. New upgrades are refused from the moment it is called.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining.Store(true)
	conns := make([]closer, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.log.Info("shutting down", "connections", len(conns))
	for _, c := range conns {
		c.goingAway()
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
		c.abort()
	}
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
	s.closePoller()
	return fmt.Errorf("server: shutdown: %w", ctx.Err())
}

// Abort cuts every WebSocket connection at once, without close frames, as a crash would. New
// upgrades are refused. Tests use it to kill a node; an operator's second Ctrl-C may too.
func (s *Server) Abort() {
	s.mu.Lock()
	s.draining.Store(true)
	for c := range s.conns {
		c.abort()
	}
	s.mu.Unlock()
	s.active.Wait()
	s.closePoller()
}

// closePoller releases the poller once no connection needs it.
func (s *Server) closePoller() {
	if s.poller != nil {
		_ = s.poller.Close()
	}
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// serveReady answers 200 when the server accepts connections and its store answers.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
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
