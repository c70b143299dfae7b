package session

import (
	"time"

	"golang.org/x/time/rate"

	"hubbub/internal/metrics"
)

// sendLimiter is a connection's token bucket for sends, with a count of refusals in a row so
// that sustained abuse closes the connection while a burst only earns error frames. It is a
// field of its session, not a pointer, and takes the session's Config at each call: an idle
// connection pays for neither another allocation nor a copy of the pointer
// (docs/benchmarks.md, "Idle memory per connection").
type sendLimiter struct {
	bucket  *rate.Limiter // nil until the first send
	strikes int
}

// allow reports whether a send may go ahead, and abusive when the client has kept on sending
// past the limit for cfg.AbuseLimit frames in a row.
func (l *sendLimiter) allow(cfg *Config) (ok, abusive bool) {
	return l.allowAt(cfg, cfg.SendRate, cfg.SendBurst)
}

// allowAt is allow for a bucket of perSecond and burst (made with them at its first use).
func (l *sendLimiter) allowAt(cfg *Config, perSecond float64, burst int) (ok, abusive bool) {
	if l.bucket == nil {
		// Made on the first send: most connections of a big room only listen.
		l.bucket = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	if l.bucket.Allow() {
		l.strikes = 0
		return true, false
	}
	l.strikes++
	if l.strikes >= cfg.AbuseLimit {
		cfg.Metrics.Drop(metrics.DropAbuse)
		return false, true
	}
	cfg.Metrics.Drop(metrics.DropRateLimit)
	return false, false
}

// untilToken is how long until b holds a whole token, at its rate (0 for a nil bucket or one
// with a token; a bucket that never refills says 0 too, having nothing better to say).
func untilToken(b *rate.Limiter, now time.Time) time.Duration {
	if b == nil {
		return 0
	}
	missing, perSecond := 1-b.TokensAt(now), float64(b.Limit())
	if missing <= 0 || perSecond <= 0 || b.Limit() == rate.Inf {
		return 0
	}
	// At most a day: an absurdly slow rate must not overflow a Duration.
	return time.Duration(min(missing/perSecond, 86400) * float64(time.Second))
}

// typingGate lets one typing notice through per interval and drops the rest silently: typing
// notices are hints, and a client that sends them too often loses nothing by being thinned.
// It remembers at most one time per room the connection is in: a room's entry goes when the
// connection leaves it, and entries older than the interval go once there are more than
// maxRooms (a connection that joins and leaves room after room cannot grow the map).
type typingGate struct {
	interval time.Duration
	maxRooms int
	last     map[string]time.Time
}

func (g *typingGate) allow(room string, now time.Time) bool {
	if g.last == nil {
		g.last = make(map[string]time.Time)
	}
	if t, ok := g.last[room]; ok && now.Sub(t) < g.interval {
		return false
	}
	if len(g.last) >= max(1, g.maxRooms) {
		for r, t := range g.last {
			if now.Sub(t) >= g.interval {
				delete(g.last, r)
			}
		}
	}
	g.last[room] = now
	return true
}

// forget drops what the gate remembers of room (the connection left it). A session makes its
// gate at the first typing notice, so g may be nil: there is nothing to forget.
func (g *typingGate) forget(room string) {
	if g != nil {
		delete(g.last, room)
	}
}
