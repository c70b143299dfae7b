package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hubbub/internal/metrics"
	"hubbub/internal/netaddr"
)

// ipLimiter holds the per-address limits on WebSocket connections: how many one address may
// hold at once, and how fast it may open them (a token bucket per address). An address is its
// netaddr.Key, which its callers give: an IPv6 client's /64, since a client usually holds a
// whole /64 and would otherwise have 2^64 slots. Its memory is bounded: the connection counts
// hold only addresses with open connections, and the buckets at most maxBuckets addresses,
// idle ones being forgotten first.
type ipLimiter struct {
	maxConns   int
	rate       rate.Limit
	burst      int
	maxBuckets int
	idle       time.Duration // a bucket untouched this long is full again, as good as new

	mu      sync.Mutex
	conns   map[string]int
	buckets map[string]*ipBucket
}

type ipBucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newIPLimiter(cfg *Config) *ipLimiter {
	idle := time.Duration(float64(cfg.ConnectBurst) / cfg.ConnectRate * float64(time.Second))
	return &ipLimiter{
		maxConns: cfg.MaxConnsPerIP, rate: rate.Limit(cfg.ConnectRate), burst: cfg.ConnectBurst,
		maxBuckets: cfg.MaxRateBuckets, idle: max(idle, time.Second),
		conns: make(map[string]int), buckets: make(map[string]*ipBucket),
	}
}

// admit reserves a connection for ip. It refuses, saying why and when to retry, when ip holds
// maxConns connections or connects faster than the rate allows. An admitted ip must be
// released when its connection ends.
func (l *ipLimiter) admit(ip string, now time.Time) (ok bool, why metrics.RefuseReason, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[ip] >= l.maxConns {
		return false, metrics.RefusePerIP, 0
	}
	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= l.maxBuckets {
			l.evict(now)
		}
		b = &ipBucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[ip] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, metrics.RefuseRate, d
	}
	l.conns[ip]++
	return true, 0, 0
}

// release ends a connection admitted for ip.
func (l *ipLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[ip] <= 1 {
		delete(l.conns, ip)
		return
	}
	l.conns[ip]--
}

// evict makes room in a full bucket map: first it forgets every bucket idle long enough to
// be full again (forgetting it changes nothing), then, if the map is still over 90% full (many
// addresses connecting at once), arbitrary ones, which only hands those addresses a fresh
// burst. Called with mu held.
func (l *ipLimiter) evict(now time.Time) {
	for ip, b := range l.buckets {
		if now.Sub(b.last) >= l.idle {
			delete(l.buckets, ip)
		}
	}
	keep := l.maxBuckets * 9 / 10
	for ip := range l.buckets {
		if len(l.buckets) <= keep {
			break
		}
		delete(l.buckets, ip)
	}
}

// sizes reports how many addresses hold connections and how many buckets are kept (tests).
func (l *ipLimiter) sizes() (conns, buckets int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns), len(l.buckets)
}

// clientIP is the address of r's client, which the limits count under its netaddr.Key and the
// logs name: the socket's peer, or, with trustProxy, the last X-Forwarded-For entry when it is
// an IP address.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	return netaddr.Host(r.RemoteAddr)
}

// admit decides, before any upgrade, whether a WebSocket may be opened: not while draining
// (503), not past MaxConns (503), not while MaxConnecting connections are being set up and
// ConnectingWait has passed or ConnectingQueue others wait already (503 with Retry-After;
// only when settle is given: the /ws endpoint), not past the client address's limits (429).
// It answers the refused request itself, with a status and a one-line body; an admitted
// request's caller must call release when the connection ends. The admission slot, when
// taken, is *settle, which the caller releases once the connection has settled
// (admission.go) or when it ends. The wait for a slot ends when the client goes (r's
// context, which net/http ends when the client closes its connection), so that it keeps no
// place in the queue.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, settle **slot) (release func(), ok bool) {
	if !s.admitOpen(w, r) {
		return nil, false
	}
	got := true
	if settle != nil {
		got = s.admission.acquire(r.Context())
	}
	return s.admitGranted(w, r, settle, got)
}

// admitOpen is admit's first step, before any wait for a slot: it refuses (and answers) an
// upgrade while the server drains or holds MaxConns connections.
func (s *Server) admitOpen(w http.ResponseWriter, r *http.Request) bool {
	if s.draining.Load() {
		s.refuseUpgrade(w, r, metrics.RefuseDraining, http.StatusServiceUnavailable, "server is shutting down", 0)
		return false
	}
	if s.Conns() >= s.cfg.MaxConns {
		s.refuseUpgrade(w, r, metrics.RefuseMaxConns, http.StatusServiceUnavailable, errServerFull.Error(), 0, "max", s.cfg.MaxConns)
		return false
	}
	return true
}

// admitGranted is admit's last step, once the wait for an admission slot has ended with one
// (got) or without: with settle (the /ws endpoint) it refuses an upgrade that got none and
// makes the slot of one that did; then the client address's limits. An upgrade the
// WebSocket listener queued (admission's enqueue) comes here from the goroutine its answer
// runs in.
func (s *Server) admitGranted(w http.ResponseWriter, r *http.Request, settle **slot, got bool) (release func(), ok bool) {
	if settle != nil {
		// Before the address's limits, so that a shed upgrade costs the address no token.
		if !got {
			if s.admission.stopped() { // shutdown began while it waited: not a shed, no retry soon
				s.refuseUpgrade(w, r, metrics.RefuseDraining, http.StatusServiceUnavailable, "server is shutting down", 0)
				return nil, false
			}
			s.refuseUpgrade(w, r, metrics.RefuseConnecting, http.StatusServiceUnavailable, errServerBusy.Error(),
				time.Duration(retryAfter())*time.Second, "connecting", s.cfg.MaxConnecting)
			return nil, false
		}
		*settle = s.admission.newSlot()
		// Again: an upgrade that waited for its slot passed the check above when it came,
		// with fewer connections open than now, and a storm's queue holds thousands.
		if s.Conns() >= s.cfg.MaxConns {
			(*settle).release()
			s.refuseUpgrade(w, r, metrics.RefuseMaxConns, http.StatusServiceUnavailable, errServerFull.Error(), 0, "max", s.cfg.MaxConns)
			return nil, false
		}
	}
	ip := clientIP(r, s.cfg.TrustProxy)
	key := netaddr.Key(ip)
	ok, why, retry := s.ipLimits.admit(key, time.Now())
	if !ok {
		if settle != nil {
			(*settle).release()
		}
		// The answer names what is counted (an IPv6 client's /64); the log names the client's
		// own address too.
		msg := fmt.Sprintf("too many connections from %s (at most %d); try again later", key, s.cfg.MaxConnsPerIP)
		if why == metrics.RefuseRate {
			msg = fmt.Sprintf("%s is connecting too fast; try again later", key)
		}
		attrs := []any{"ip", ip}
		if key != ip {
			attrs = append(attrs, "key", key)
		}
		s.refuseUpgrade(w, r, why, http.StatusTooManyRequests, msg, retry, attrs...)
		return nil, false
	}
	return func() { s.ipLimits.release(key) }, true
}

// refuseUpgrade answers r with status and msg (and Retry-After when retry is set), counts
// the refusal and logs it.
func (s *Server) refuseUpgrade(w http.ResponseWriter, r *http.Request, why metrics.RefuseReason, status int, msg string, retry time.Duration, attrs ...any) {
	s.countRefusal(r, why, append([]any{"status", status}, attrs...)...)
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	http.Error(w, msg, status)
}

// levelFor logs refusals for capacity as warnings, those of one client as info, and shed
// upgrades as debug.
func levelFor(why metrics.RefuseReason) slog.Level {
	if why == metrics.RefuseMaxConns {
		return slog.LevelWarn
	}
	if why == metrics.RefuseConnecting {
		// Shedding during a reconnect storm is the bound doing its job, thousands of times a
		// second: the metric counts it, a log line each would only add to the load.
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// countRefusal counts a refused connection of r and logs it, at the level of its reason.
func (s *Server) countRefusal(r *http.Request, why metrics.RefuseReason, attrs ...any) {
	s.cfg.Metrics.Refused(why)
	s.log.Log(r.Context(), levelFor(why), "connection refused", append([]any{"remote", r.RemoteAddr,
		"reason", why.String()}, attrs...)...)
}

// refuseFull counts and logs an upgraded connection that track found past MaxConns.
func (s *Server) refuseFull(r *http.Request) {
	s.countRefusal(r, metrics.RefuseMaxConns, "close", 1013 /* try again later */, "max", s.cfg.MaxConns)
}
