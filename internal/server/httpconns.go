package server

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/metrics"
	"hubbub/internal/netaddr"
)

// Plain HTTP connections — the page, /api/, /signin, /upload, /files/, /healthz, /metrics… —
// are bounded in number here, per client address (MaxHTTPConnsPerIP) and in all
// (MaxHTTPConns), as WebSockets are by MaxConnsPerIP and MaxConns (iplimit.go). Before, they
// were bounded in time only (the head's, the body's and the idle timeout), so one address
// could hold any number of idle keep-alive or slow connections open, each a descriptor and a
// goroutine.
//
// net/http holds every such connection, whatever the path: TLS and the goroutine transport
// serve all of theirs through it, and the WebSocket listener (wsaccept.go) hands it every
// connection whose first request is not a plain upgrade of /ws. Its two hooks mark each
// connection's life: ConnContext when it is accepted, ConnState once when it ends
// (StateClosed, whatever the cause: the client's close or reset, the idle timeout, a refusal,
// shutdown) or leaves net/http (StateHijacked: a WebSocket upgrade). A connection takes its
// slot at its first request that is not a WebSocket upgrade — the first moment it can be
// answered — or at the answer of an upgrade refused, and gives it back at that end. Until
// then it is bounded by the time its request head may take (HandshakeTimeout), as the
// sockets the WebSocket listener is reading are.
//
// The key is the socket's peer address (its netaddr.Key: an IPv6 client's /64, the network a
// client usually holds), the only one there is for a connection: a proxy's
// connection carries the requests of many clients, each with its own X-Forwarded-For. Behind a
// proxy (TrustProxy) every connection is the proxy's, and the proxy holds the clients' own
// connections and bounds them itself: the per-address limit is not applied there, the limit
// in all is.

// httpRetryAfter is the Retry-After of a refusal: a slot frees when one of the address's
// connections closes, which its client decides (or the idle timeout, minutes later), so the
// answer is "soon", not a moment that is known.
const httpRetryAfter = 5 * time.Second

// httpConns counts the plain HTTP connections net/http holds.
type httpConns struct {
	maxPerIP int // 0: the per-address limit is off (TrustProxy)
	max      int
	metrics  *metrics.Metrics

	mu    sync.Mutex
	conns map[net.Conn]*httpConn // every connection net/http holds, with a slot or not
	perIP map[string]int         // slots held, by address key; only keys holding some
	total int                    // slots held
}

// httpConn is a connection net/http holds.
type httpConn struct {
	key  string // its peer's netaddr.Key, which perIP counts
	slot bool   // holds a slot; under httpConns.mu
}

// httpConnKey keys a request's *httpConn in its connection's context.
type httpConnKey struct{}

func newHTTPConns(cfg *Config) *httpConns {
	h := &httpConns{max: cfg.MaxHTTPConns, metrics: cfg.Metrics,
		conns: make(map[net.Conn]*httpConn), perIP: make(map[string]int)}
	if !cfg.TrustProxy {
		h.maxPerIP = cfg.MaxHTTPConnsPerIP
	}
	return h
}

// accepted records c, a connection net/http has just accepted, and returns its context.
func (h *httpConns) accepted(ctx context.Context, c net.Conn) context.Context {
	hc := &httpConn{key: netaddr.Key(netaddr.Host(c.RemoteAddr().String()))}
	h.mu.Lock()
	h.conns[c] = hc
	h.mu.Unlock()
	return context.WithValue(ctx, httpConnKey{}, hc)
}

// state follows c's life in net/http: it forgets c once c is closed or hijacked, giving back
// its slot.
func (h *httpConns) state(c net.Conn, st http.ConnState) {
	if st != http.StateClosed && st != http.StateHijacked {
		return
	}
	h.mu.Lock()
	hc := h.conns[c]
	delete(h.conns, c)
	freed := hc != nil && hc.slot
	if freed {
		hc.slot = false
		h.total--
		if h.perIP[hc.key] <= 1 {
			delete(h.perIP, hc.key)
		} else {
			h.perIP[hc.key]--
		}
	}
	h.mu.Unlock()
	if freed {
		h.metrics.HTTPConns(-1)
	}
}

// take gives hc a slot, unless it holds one already; it refuses, saying why, while the
// server or hc's address holds all theirs.
func (h *httpConns) take(hc *httpConn) (ok bool, why metrics.HTTPRefuseReason) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case hc.slot:
		return true, 0
	case h.total >= h.max:
		return false, metrics.HTTPRefuseMax
	case h.maxPerIP > 0 && h.perIP[hc.key] >= h.maxPerIP:
		return false, metrics.HTTPRefusePerIP
	}
	hc.slot = true
	h.total++
	if h.maxPerIP > 0 {
		h.perIP[hc.key]++
	}
	h.metrics.HTTPConns(1)
	return true, 0
}

// holds reports whether hc holds a slot.
func (h *httpConns) holds(hc *httpConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return hc.slot
}

// sizes reports how many connections are known, and how many addresses hold slots (tests).
func (h *httpConns) sizes() (conns, addrs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns), len(h.perIP)
}

// LimitHTTPConns has hs count the plain HTTP connections it holds against MaxHTTPConnsPerIP
// and MaxHTTPConns, through its ConnContext and ConnState (those it has already are still
// called). hubbub serve calls it, as the test servers do; without it, plain HTTP connections
// are not counted.
func (s *Server) LimitHTTPConns(hs *http.Server) {
	connContext, connState := hs.ConnContext, hs.ConnState
	hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if connContext != nil {
			ctx = connContext(ctx, c)
		}
		return s.httpConns.accepted(ctx, c)
	}
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		s.httpConns.state(c, st)
		if connState != nil {
			connState(c, st)
		}
	}
}

// admitHTTP gives r's connection its slot (httpConns.take), or refuses r: 503 with
// Retry-After and a one-line body, after which net/http closes the connection. It returns
// the ResponseWriter r's handler is to answer through.
//
// A WebSocket upgrade takes no slot: once upgraded it leaves net/http, and MaxConnsPerIP and
// MaxConns count it (iplimit.go), so that an address whose plain connections are all held can
// still open WebSockets, and none is counted twice, even while an upgrade waits for its
// admission slot. An upgrade answered instead (refused) leaves the connection a plain one,
// kept alive for the client's next request: it takes its slot as the answer begins
// (upgradeWriter), or, with none free, is closed after the answer rather than left open
// uncounted.
func (s *Server) admitHTTP(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, bool) {
	hc, _ := r.Context().Value(httpConnKey{}).(*httpConn)
	if hc == nil {
		return w, true // the http.Server was not given to LimitHTTPConns
	}
	if websocket.IsWebSocketUpgrade(r) && (r.URL.Path == "/ws" || r.URL.Path == "/add") {
		if s.httpConns.holds(hc) {
			return w, true // a kept-alive connection: its slot goes when it is hijacked
		}
		return &upgradeWriter{ResponseWriter: w, conns: s.httpConns, hc: hc}, true
	}
	ok, why := s.httpConns.take(hc)
	if ok {
		return w, true
	}
	s.cfg.Metrics.HTTPRefused(why)
	msg := fmt.Sprintf("too many HTTP connections from %s (at most %d at once); use the ones open, or try again later", hc.key, s.cfg.MaxHTTPConnsPerIP)
	level := slog.LevelInfo // one client's doing
	if why == metrics.HTTPRefuseMax {
		msg = "server is at its HTTP connection limit; try again later"
		level = slog.LevelWarn // capacity
	}
	attrs := []any{"remote", r.RemoteAddr, "reason", "http_" + why.String(),
		"status", http.StatusServiceUnavailable, "path", r.URL.Path}
	if why == metrics.HTTPRefusePerIP && hc.key != netaddr.Host(r.RemoteAddr) {
		attrs = append(attrs, "key", hc.key) // what was counted: an IPv6 client's /64
	}
	s.log.Log(r.Context(), level, "connection refused", attrs...)
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(httpRetryAfter/time.Second)))
	h.Set("Connection", "close") // HTTP/2: a GOAWAY, the connection's other streams finished first
	http.Error(w, msg, http.StatusServiceUnavailable)
	return w, false
}

// upgradeWriter is the ResponseWriter of a WebSocket upgrade on a connection that holds no
// slot. Hijacked, the connection leaves net/http uncounted; answered (a refusal), it takes a
// slot as the answer begins, or the answer says Connection: close.
type upgradeWriter struct {
	http.ResponseWriter
	conns    *httpConns
	hc       *httpConn
	answered bool
}

// Unwrap gives http.ResponseController the connection's own writer.
func (w *upgradeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over (the upgraders look for http.Hijacker).
func (w *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// WriteHeader begins the answer, once the connection has a slot or is to be closed after it.
func (w *upgradeWriter) WriteHeader(code int) {
	if !w.answered && code >= 200 { // a 1xx is not the answer
		w.answered = true
		if ok, _ := w.conns.take(w.hc); !ok {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *upgradeWriter) Write(p []byte) (int, error) {
	if !w.answered {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}
