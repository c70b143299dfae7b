// Package servertest starts real hubbub servers for tests: a real HTTP listener on loopback, a
// real SQLite file, the in-process broker and the embedded pages, wired exactly as `hubbub
// serve` wires them. Tests talk to it with real WebSocket clients.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/files"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/nats"
	"hubbub/internal/postgres"
	"hubbub/internal/server"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/storecache"
	"hubbub/web"
)

// Options configures a test server. Zero values take the server's defaults, except where
// noted.
type Options struct {
	// DataPath is the SQLite file (default: hubbub.db in a fresh t.TempDir()).
	DataPath string
	// Addr is the address to listen on (default 127.0.0.1:0, a free port). Restart reuses the
	// address the first server got.
	Addr string
	// Server and Hub are passed to server.New and hub.New; Server.Metrics also goes to the hub
	// unless Hub.Metrics is set, and Server.HandshakeTimeout also bounds reading the request
	// headers, as in hubbub serve.
	Server server.Config
	Hub    hub.Config
	// Retention is passed to the store.
	Retention hubbub.Retention
	// Node names the node (default "local"); give each node of a cluster its own.
	Node string
	// NATS, when set, is the URL of the NATS server the node's broker connects to (default:
	// the in-process broker).
	NATS string
	// Postgres, when set, is the URL of the PostgreSQL database holding the history (default:
	// the SQLite file at DataPath).
	Postgres string
	// Log, when true, sends the server's logs to t.Log (default: discarded, which keeps test
	// output readable).
	Log bool
	// WrapStore, when set, is given the store the node opened and returns the one it uses (a
	// benchmark counts the store's calls with it); closing the one it returns must close the store.
	WrapStore func(hubbub.Store) hubbub.Store
	// NetHTTPOnly, when true, serves every request through net/http, WebSocket upgrades too,
	// without the server's own listener for them (server.Listener), which hubbub serve and
	// every other test server use.
	NetHTTPOnly bool
	// WrapListener, when set, wraps the test server's TCP listener before the server's own
	// listener takes it: a wrapper hides the socket's descriptor, as an embedder's listener
	// that is not plain TCP does, so its connections are net's and not polled.
	WrapListener func(net.Listener) net.Listener
	// IdleTimeout closes a plain HTTP connection that has been idle this long between two
	// requests (default: never; hubbub serve's is two minutes).
	IdleTimeout time.Duration
	// StoreCache tunes the node's store cache (internal/storecache), which every test server
	// has, as hubbub serve does; Server.Store writes through it.
	StoreCache storecache.Config
}

// Server is a running test server.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// WS is the WebSocket endpoint, ws://127.0.0.1:port/ws.
	WS string
	// Addr is the listening address, 127.0.0.1:port.
	Addr string
	// Opts are the options the server was started with (DataPath and Addr filled in).
	Opts Options

	Srv    *server.Server
	Hub    *hub.Hub
	Store  hubbub.Store // the store the node writes through: its writes reach Cache at once
	Cache  *storecache.Cache
	broker hubbub.Broker
	http   *httptest.Server
	tb     testing.TB
	done   bool
}

// Start starts a server and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.DataPath == "" {
		opts.DataPath = filepath.Join(tb.TempDir(), "hubbub.db")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.Log {
		log = slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	store := openStore(tb, opts, log)
	if opts.WrapStore != nil {
		store = opts.WrapStore(store)
	}
	var resync atomic.Pointer[hub.Hub]
	var broker hubbub.Broker = inmem.NewBroker()
	if opts.NATS != "" {
		nb, err := nats.Connect(opts.NATS, nats.Options{Node: opts.Node, Logger: log, ReconnectWait: 50 * time.Millisecond,
			OnReconnect: func() {
				if h := resync.Load(); h != nil {
					h.Resync()
				}
			}})
		if err != nil {
			store.Close()
			tb.Fatalf("servertest: connect to NATS: %v", err)
		}
		broker = nb
	}
	ccfg := opts.StoreCache
	ccfg.Node, ccfg.Logger = opts.Node, log
	cache := storecache.New(store, broker, ccfg)
	store = cache.Store()
	hcfg := opts.Hub
	hcfg.Logger, hcfg.Node = log, opts.Node
	if hcfg.Metrics == nil {
		hcfg.Metrics = opts.Server.Metrics // one set of metrics for the node, as hubbub serve does
	}
	h := hub.New(hcfg, store, broker)
	resync.Store(h)
	scfg := opts.Server
	scfg.Logger, scfg.Node, scfg.StoreCache = log, opts.Node, cache
	// Every test client comes from 127.0.0.1: the per-address limits are as good as off unless
	// a test sets them.
	if scfg.MaxConnsPerIP == 0 {
		scfg.MaxConnsPerIP = 1 << 30
	}
	if scfg.ConnectRate == 0 && scfg.ConnectBurst == 0 {
		scfg.ConnectRate, scfg.ConnectBurst = 1e9, 1<<30
	}
	if scfg.MaxHTTPConnsPerIP == 0 {
		scfg.MaxHTTPConnsPerIP = 1 << 30
	}
	if scfg.Files.Blobs == nil {
		// The files of a test server are a folder beside its SQLite file, as hubbub serve's.
		blobs, err := files.OpenLocalBlobs(files.DefaultDir(opts.DataPath))
		if err != nil {
			cache.Close()
			store.Close()
			tb.Fatalf("servertest: open the files folder: %v", err)
		}
		scfg.Files.Blobs = blobs
	}
	if scfg.Pages == nil {
		scfg.Pages = web.FS()
	}
	if scfg.Transport == "" {
		// HUBBUB_TEST_TRANSPORT=goroutine runs a package's tests on the goroutine transport
		// (CI does, for internal/server); the default is the server's own.
		scfg.Transport = os.Getenv("HUBBUB_TEST_TRANSPORT")
	}
	// The listener comes first: the server's own URL is what slash commands' response URLs
	// begin with.
	var ln net.Listener
	var err error
	for i := 0; ; i++ { // a restarted server may find its old port in TIME_WAIT for a moment
		ln, err = net.Listen("tcp", opts.Addr)
		if err == nil || i == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		cache.Close()
		tb.Fatalf("servertest: listen on %s: %v", opts.Addr, err)
	}
	if scfg.Commands.PublicURL == "" {
		scfg.Commands.PublicURL = "http://" + ln.Addr().String()
	}
	srv, err := server.New(scfg, h, store, broker)
	if err != nil {
		ln.Close()
		cache.Close()
		tb.Fatalf("servertest: new server: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv)
	srv.LimitHTTPConns(hs.Config) // as hubbub serve counts its plain HTTP connections
	if opts.WrapListener != nil {
		ln = opts.WrapListener(ln)
	}
	hs.Listener = ln
	if !opts.NetHTTPOnly {
		hs.Listener = srv.Listener(ln) // as hubbub serve listens
	}
	hs.Config.ReadHeaderTimeout = 5 * time.Second
	hs.Config.MaxHeaderBytes = 16 << 10 // as hubbub serve sets it
	if opts.Server.HandshakeTimeout > 0 {
		hs.Config.ReadHeaderTimeout = opts.Server.HandshakeTimeout // as hubbub serve sets it
	}
	hs.Config.IdleTimeout = opts.IdleTimeout
	hs.Start()
	opts.Addr = ln.Addr().String()
	s := &Server{
		URL: hs.URL, WS: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", Addr: opts.Addr, Opts: opts,
		Srv: srv, Hub: h, Store: store, Cache: cache, broker: broker, http: hs, tb: tb,
	}
	tb.Cleanup(s.Stop)
	return s
}

// Stop shuts the server down gracefully (clients get 1001) and closes its store. It may be
// called more than once.
func (s *Server) Stop() {
	if s.done {
		return
	}
	s.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Srv.Shutdown(ctx); err != nil {
		s.tb.Errorf("servertest: shutdown: %v", err)
	}
	s.http.Close()
	s.Hub.Close()
	s.Cache.Close()
	s.broker.Close()
	if err := s.Store.Close(); err != nil {
		s.tb.Errorf("servertest: close store: %v", err)
	}
}

// Kill stops the node as a crash would: its broker connection drops first (so it can say
// nothing to the other nodes), and its store is closed (so it writes nothing of its end,
// such as when its users were last seen, to a store other nodes share), then every client
// socket is cut without a close frame.
func (s *Server) Kill() {
	if s.done {
		return
	}
	s.done = true
	s.broker.Close()
	s.Store.Close()
	s.http.Listener.Close()
	s.Srv.Abort()
	s.http.Close()
	s.Hub.Close()
	s.Cache.Close()
}

// Restart stops the server and starts a new one on the same address and the same file, as an
// operator restarting the process would.
func (s *Server) Restart() *Server {
	s.tb.Helper()
	s.Stop()
	return Start(s.tb, s.Opts)
}

// Get fetches path from the server and returns the status and body.
func (s *Server) Get(path string) (int, string) {
	s.tb.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		s.tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func openStore(tb testing.TB, opts Options, log *slog.Logger) hubbub.Store {
	tb.Helper()
	if opts.Postgres != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		store, err := postgres.Open(ctx, opts.Postgres, postgres.Options{Retention: opts.Retention, Logger: log})
		if err != nil {
			tb.Fatalf("servertest: open PostgreSQL store: %v", err)
		}
		return store
	}
	sqlitetest.Fresh(tb, opts.DataPath) // a new file is a copy of one migrated once
	store, err := sqlite.Open(opts.DataPath, sqlite.Options{Retention: opts.Retention, Logger: log})
	if err != nil {
		tb.Fatalf("servertest: open store: %v", err)
	}
	return store
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
