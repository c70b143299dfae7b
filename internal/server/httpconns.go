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
// connection's life: ConnContext when it is accepted, ConnState between its requests (below)
// and once when it ends (StateClosed, whatever the cause: the client's close or reset, the
// idle timeout, a refusal, another connection taking its slot, shutdown) or leaves net/http
// (StateHijacked: a WebSocket upgrade). A connection takes its slot at its first request
// that is not a WebSocket upgrade — the first moment it can be answered — or at the answer of
// an upgrade refused, and gives it back at that end. Until then it is bounded by the time its
// request head may take (HandshakeTimeout), as the sockets the WebSocket listener is reading
// are.
//
// The key is the socket's peer address (its netaddr.Key: an IPv6 client's /64, the network a
// client usually holds), the only one there is for a connection: a proxy's
// connection carries the requests of many clients, each with its own X-Forwarded-For. Behind a
// proxy (TrustProxy) every connection is the proxy's, and the proxy holds the clients' own
// connections and bounds them itself: the per-address limit is not applied there, the limit
// in all is.
//
// An idle connection gives its slot up to a new one. Browsers keep up to six connections to a
// host open between requests, for the idle timeout (two minutes in hubbub serve): behind one
// NAT address some twenty browsers that loaded the page held every slot of the address with
// connections serving nothing, and the next person was refused for up to two minutes. So
// ConnState's StateIdle and StateActive are followed too: a connection holding a slot is
// listed, in the order it went idle, while it waits for its next request (kept alive), in the
// server's list and its address's. A first request past a limit closes the oldest idle
// connection that holds a slot of that limit — of its own address for the per-address one, of
// any for the limit in all — and takes the slot; only with none idle is it refused. nginx
// does much the same: its limit_conn counts only connections in a request, and out of
// connections it closes idle keep-alive ones. Closing a kept-alive connection between
// requests is what the idle timeout does anyway, and clients are made for it (RFC 9112,
// 9.3.1). Each event is O(1): a list is linked through its connections, each in at most two.
//
// A connection listed idle may be reading its next request head when it is taken: net/http
// reports StateActive only once the head is read. Its client then sees the connection close
// without an answer, as when the idle timeout ends one as a request is sent, and sends the
// request again on a new one (browsers do; Go's http.Transport and others do for idempotent
// requests). So that no handler runs on a connection given up — a WebSocket upgrade
// hijacking it, which the close would end — a connection reported active after it was taken
// is closed before its handler begins (ConnState is called before it). Hijacked connections
// are never listed: they are hijacked during a request. A connection that has not sent a
// request (StateNew, or an HTTP/2 one that only sent its preface, which net/http reports
// idle) holds no slot, and is not listed.

// httpRetryAfter is the Retry-After of a refusal: the address's (or the server's) connections
// are all serving a request, and a slot frees as soon as one of those ends (the connection
// then idle, for the next one to take), which its client decides, so the answer is "soon",
// not a moment that is known.
const httpRetryAfter = 5 * time.Second

// httpConns counts the plain HTTP connections net/http holds.
type httpConns struct {
	maxPerIP int // 0: the per-address limit is off (TrustProxy)
	max      int
	metrics  *metrics.Metrics

	mu    sync.Mutex
	conns map[net.Conn]*httpConn // every connection net/http holds, with a slot or not
	perIP map[string]*addrConns  // by address key; only keys holding some slots (maxPerIP > 0)
	total int                    // slots held
	idle  idleList               // the idle connections holding a slot, oldest first
}

// addrConns is what one address key holds.
type addrConns struct {
	slots int
	idle  idleList // its idle connections holding a slot, oldest first
}

// httpConn is a connection net/http holds. Its fields but c and key are under httpConns.mu.
type httpConn struct {
	c   net.Conn
	key string // its peer's netaddr.Key, which perIP counts

	slot      bool // holds a slot
	idle      bool // in the idle lists: holds a slot, between two requests
	reclaimed bool // closed to give its slot to another connection

	// links are its places in the server's idle list (inAll) and its address's (inAddr).
	links [2]idleLinks
}

// The two idle lists a connection is in, and the index of its links in each.
const (
	inAll = iota
	inAddr
)

type idleLinks struct{ prev, next *httpConn }

// idleList lists connections in the order they were added, linked through their links[at].
type idleList struct {
	at         int
	head, tail *httpConn
	n          int
}

func (l *idleList) push(hc *httpConn) {
	hc.links[l.at] = idleLinks{prev: l.tail}
	if l.tail != nil {
		l.tail.links[l.at].next = hc
	} else {
		l.head = hc
	}
	l.tail = hc
	l.n++
}

func (l *idleList) remove(hc *httpConn) {
	lk := hc.links[l.at]
	if lk.prev != nil {
		lk.prev.links[l.at].next = lk.next
	} else {
		l.head = lk.next
	}
	if lk.next != nil {
		lk.next.links[l.at].prev = lk.prev
	} else {
		l.tail = lk.prev
	}
	hc.links[l.at] = idleLinks{}
	l.n--
}

// httpConnKey keys a request's *httpConn in its connection's context.
type httpConnKey struct{}

func newHTTPConns(cfg *Config) *httpConns {
	h := &httpConns{max: cfg.MaxHTTPConns, metrics: cfg.Metrics,
		conns: make(map[net.Conn]*httpConn), perIP: make(map[string]*addrConns), idle: idleList{at: inAll}}
	if !cfg.TrustProxy {
		h.maxPerIP = cfg.MaxHTTPConnsPerIP
	}
	return h
}

// accepted records c, a connection net/http has just accepted, and returns its context.
func (h *httpConns) accepted(ctx context.Context, c net.Conn) context.Context {
	hc := &httpConn{c: c, key: netaddr.Key(netaddr.Host(c.RemoteAddr().String()))}
	h.mu.Lock()
	h.conns[c] = hc
	h.mu.Unlock()
	return context.WithValue(ctx, httpConnKey{}, hc)
}

// state follows c's life in net/http: it lists c as idle between two requests if it holds a
// slot, and forgets c once c is closed or hijacked, giving back its slot. A connection
// reported active after it was reclaimed is closed here, before its handler begins.
func (h *httpConns) state(c net.Conn, st http.ConnState) {
	if st == http.StateNew {
		return // nothing known yet, nothing held
	}
	h.mu.Lock()
	hc := h.conns[c]
	if hc == nil {
		h.mu.Unlock()
		return
	}
	if hc.idle {
		h.unlist(hc)
	}
	closeIt := false
	switch st {
	case http.StateIdle:
		if hc.slot {
			h.list(hc)
		}
	case http.StateActive:
		closeIt = hc.reclaimed
	case http.StateClosed, http.StateHijacked:
		delete(h.conns, c)
		if hc.slot {
			h.release(hc)
			h.metrics.HTTPConns(-1)
		}
	}
	h.mu.Unlock()
	if closeIt {
		_ = c.Close()
	}
}

// list adds hc, which holds a slot, to the idle lists, as their newest. Under mu.
func (h *httpConns) list(hc *httpConn) {
	hc.idle = true
	h.idle.push(hc)
	if a := h.perIP[hc.key]; a != nil {
		a.idle.push(hc)
	}
	h.metrics.HTTPIdle(1)
}

// unlist removes hc from the idle lists. Under mu.
func (h *httpConns) unlist(hc *httpConn) {
	hc.idle = false
	h.idle.remove(hc)
	if a := h.perIP[hc.key]; a != nil {
		a.idle.remove(hc)
	}
	h.metrics.HTTPIdle(-1)
}

// release gives back hc's slot; hc is not idle. Under mu.
func (h *httpConns) release(hc *httpConn) {
	hc.slot = false
	h.total--
	if a := h.perIP[hc.key]; a != nil {
		if a.slots--; a.slots == 0 {
			delete(h.perIP, hc.key) // its idle list is empty: idle connections hold slots
		}
	}
}

// take gives hc a slot, unless it holds one already. Past a limit it closes the oldest idle
// connection holding a slot of that limit — the address's for the per-address limit, any for
// the limit in all — and gives hc its slot; with none idle it refuses, saying which limit.
func (h *httpConns) take(hc *httpConn) (ok bool, why metrics.HTTPRefuseReason) {
	h.mu.Lock()
	if hc.slot || hc.reclaimed {
		// A connection reclaimed was closed as its request began (state): its answer goes
		// nowhere, and it is not to take a slot back.
		h.mu.Unlock()
		return true, 0
	}
	var victim *httpConn
	var addr *addrConns
	if h.maxPerIP > 0 {
		addr = h.perIP[hc.key]
	}
	full := true
	switch {
	case addr != nil && addr.slots >= h.maxPerIP:
		// An idle connection of the address frees a slot of both limits.
		why, victim = metrics.HTTPRefusePerIP, addr.idle.head
		if victim == nil && h.total >= h.max && h.idle.head == nil {
			why = metrics.HTTPRefuseMax // every connection of the server is busy: capacity
		}
	case h.total >= h.max:
		why, victim = metrics.HTTPRefuseMax, h.idle.head
	default:
		full = false
	}
	switch {
	case full && victim == nil:
		h.mu.Unlock()
		return false, why
	case full:
		h.unlist(victim)
		h.release(victim)
		victim.reclaimed = true
		h.metrics.HTTPReclaimed(why) // its slot changes hands: the count stays
	default:
		h.metrics.HTTPConns(1)
	}
	hc.slot = true
	h.total++
	if h.maxPerIP > 0 {
		a := h.perIP[hc.key] // anew: the victim's release may have deleted it
		if a == nil {
			a = &addrConns{idle: idleList{at: inAddr}}
			h.perIP[hc.key] = a
		}
		a.slots++
	}
	h.mu.Unlock()
	if victim != nil {
		// Outside mu: a TLS connection's close writes its close_notify (bounded by crypto/tls,
		// 5 s), and that wait is this request's, not every connection's.
		_ = victim.c.Close()
	}
	return true, 0
}

// holds reports whether hc holds a slot.
func (h *httpConns) holds(hc *httpConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return hc.slot
}

// sizes reports how many connections are known, how many addresses hold slots, how many slots
// are held and how many connections are listed idle (tests).
func (h *httpConns) sizes() (conns, addrs, total, idle int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns), len(h.perIP), h.total, h.idle.n
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
