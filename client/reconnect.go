package client

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"hubbub"
	"hubbub/internal/wire"
)

// run watches the current connection and replaces it when it fails, until the session ends.
func (s *Session) run(c *Conn) {
	defer s.wg.Done()
	var err error
	for {
		select {
		case <-c.Done():
		case <-s.ctx.Done():
		}
		if s.ctx.Err() != nil {
			c.Close()
			err = ErrClosed
			break
		}
		s.mu.Lock()
		s.conn, s.limiter = nil, nil
		s.refuseOversized(c.Err())
		s.mu.Unlock()
		s.log.Info("connection lost", "url", c.URL(), "err", c.Err())
		s.emitMu.Lock()
		s.emit(&Disconnected{URL: c.URL(), Err: c.Err()})
		s.emitMu.Unlock()
		if c, err = s.reconnect(); err != nil {
			break
		}
	}
	s.finish(err)
}

// finish ends the session: it fails every unacknowledged send, then closes Events and Done.
func (s *Session) finish(err error) {
	s.mu.Lock()
	s.ended = true
	s.err = err
	pending := s.pending
	s.pending, s.byID, s.conn = nil, nil, nil
	for _, r := range pending {
		r.complete(nil, fmt.Errorf("client: %s not acknowledged: %w", r, err))
	}
	s.mu.Unlock()
	s.cancel()
	close(s.events)
	close(s.done)
}

// reconnect dials the servers, starting with the last one that worked, in rounds separated by
// exponential backoff, until one accepts or the session gives up.
func (s *Session) reconnect() (*Conn, error) {
	urls := s.opts.URLs
	attempts := 0
	var last error
	var asked time.Duration // the longest Retry-After a server answered in the last round
	signedIn := false       // SignInAgain was called in this outage: once is enough
	lostAt := 0             // the round of the last Disconnected: Reconnecting counts from it
	for round := 0; ; round++ {
		if round > 0 {
			wait := s.pause(round-1, asked)
			s.emitMu.Lock()
			s.emit(&Reconnecting{Round: round - lostAt, Err: last, Wait: wait})
			s.emitMu.Unlock()
			if err := sleep(s.ctx, wait); err != nil {
				return nil, ErrClosed
			}
		}
		asked = 0
		for i := range urls {
			if s.opts.MaxAttempts > 0 && attempts >= s.opts.MaxAttempts {
				return nil, fmt.Errorf("client: giving up after %d attempts to reconnect: %w", attempts, last)
			}
			attempts++
			idx := (s.urlIdx + i) % len(urls)
			c, err := s.connect(urls[idx])
			if err == nil {
				s.urlIdx = idx
				return c, nil
			}
			if s.ctx.Err() != nil {
				return nil, ErrClosed
			}
			var lost *lostWhileRejoining
			if errors.As(err, &lost) {
				// The session said it was connected, then the connection ended while its rooms
				// were joined again (a server shutting down, say): say it ended, as for a
				// connection that was ready, and count the rounds said from here. The backoff
				// goes on growing: a server that takes hellos and drops every rejoin is not
				// dialled again at once, round after round.
				s.log.Info("connection lost", "url", urls[idx], "err", lost.err)
				s.emitMu.Lock()
				s.emit(&Disconnected{URL: urls[idx], Err: lost.err})
				s.emitMu.Unlock()
				lostAt, last = round, lost.err
				continue
			}
			if s.opts.SignInAgain != nil && !signedIn && s.sessionEnded(err) {
				signedIn = true
				if serr := s.signInAgain(); serr != nil {
					if s.ctx.Err() != nil {
						return nil, ErrClosed
					}
					return nil, fmt.Errorf("%w; signing in again: %w", err, serr)
				}
				if c, err = s.connect(urls[idx]); err == nil {
					s.urlIdx = idx
					return c, nil
				}
				if s.ctx.Err() != nil {
					return nil, ErrClosed
				}
			}
			if fatal(err) {
				return nil, err
			}
			s.log.Info("reconnect failed", "url", urls[idx], "attempt", attempts, "err", err)
			last = err
			var refused *DialError
			if errors.As(err, &refused) {
				asked = max(asked, refused.RetryAfter)
			}
		}
	}
}

// backoff returns the pause before reconnect round n+1: BackoffBase·2ⁿ capped at BackoffMax,
// of which a random half is jitter, so that clients dropped together do not return together.
func (s *Session) backoff(n int) time.Duration {
	d := s.opts.BackoffMax
	if n < 30 {
		d = min(s.opts.BackoffBase<<n, s.opts.BackoffMax)
	}
	half := d / 2
	return half + mrand.N(half+1)
}

// retryJitter is the most a session adds to a server's Retry-After, which has whole seconds
// only: sessions refused in the same instant come back spread over this much.
const retryJitter = time.Second

// pause is the wait before reconnect round n+1: the backoff, or, when a server answered with
// a Retry-After (asked), at least that plus a random part of retryJitter.
func (s *Session) pause(n int, asked time.Duration) time.Duration {
	d := s.backoff(n)
	if asked > 0 {
		d = max(d, asked+mrand.N(retryJitter))
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connect dials url, says hello, rejoins every room (completing truncated replays) and makes
// the connection the session's ready one, which restarts every unacknowledged send on it.
func (s *Session) connect(url string) (*Conn, error) {
	var cur atomic.Pointer[Conn]
	var welcomed atomic.Bool // Connected was emitted for this connection
	opts := s.opts.Dial
	opts.Handler = func(f wire.Frame) {
		c := cur.Load()
		if w, ok := f.(*wire.Welcome); ok && c != nil && welcomed.CompareAndSwap(false, true) {
			// Emitted by the reader, before the frames that follow the welcome: emitted once
			// HelloToken returned, it raced the reader's next frame (the user's rooms, which
			// the server sends right after), and a chat printed the list before "connected".
			s.welcome(c, w)
		}
		s.handle(c, f)
	}
	if cookie := s.sessionCookie(); cookie != "" {
		opts.Header = opts.Header.Clone()
		if opts.Header == nil {
			opts.Header = http.Header{}
		}
		opts.Header.Add("Cookie", (&http.Cookie{Name: SessionCookieName, Value: cookie}).String())
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.RequestTimeout)
	c, err := Dial(ctx, url, opts)
	cancel()
	if err != nil {
		return nil, err
	}
	cur.Store(c)
	ctx, cancel = context.WithTimeout(s.ctx, s.opts.RequestTimeout)
	s.mu.Lock()
	name := s.opts.Name // a rename changes it (apply)
	s.mu.Unlock()
	w, err := c.HelloToken(ctx, name, s.opts.Key, s.opts.Token)
	cancel()
	if err != nil {
		c.Close()
		err = fmt.Errorf("client: %s: %w", c.URL(), err)
		if welcomed.Load() {
			// The welcome came (and Connected with it) as the wait gave up: say it ended.
			return nil, &lostWhileRejoining{err}
		}
		return nil, err
	}
	if welcomed.CompareAndSwap(false, true) {
		s.welcome(c, w) // the reader had no connection to name yet (a welcome before the hello)
	}
	s.log.Info("connected", "url", c.URL(), "server", w.Server)
	for {
		s.mu.Lock()
		var todo []string
		for _, room := range s.order {
			if s.rooms[room].conn != c {
				todo = append(todo, room)
			}
		}
		if len(todo) == 0 {
			s.conn, s.limiter, s.limits = c, newLimiter(w.Limits), w.Limits
			for _, r := range s.pending {
				r.sent = false
			}
			s.mu.Unlock()
			s.poke()
			return c, nil
		}
		s.mu.Unlock()
		for _, room := range todo {
			ctx, cancel := context.WithTimeout(s.ctx, s.opts.RequestTimeout)
			_, err := s.joinOn(ctx, c, room)
			cancel()
			var se *wire.Error
			// A refusal has made joinOn forget the room, and a room left meanwhile is gone.
			if err != nil && !errors.As(err, &se) && !errors.Is(err, errLeft) {
				c.Close()
				return nil, &lostWhileRejoining{fmt.Errorf("client: %s: %w", c.URL(), err)}
			}
		}
	}
}

// welcome takes the server's welcome on c — the name it gave, the user, whether uploads are
// off — and emits Connected. The reader of c calls it at the welcome frame (connect), so that
// Connected comes before every frame that follows the welcome on the connection.
func (s *Session) welcome(c *Conn, w *wire.Welcome) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.mu.Lock()
	s.name = w.Name
	if w.User != nil {
		s.user = w.User
	}
	s.uploadsOff = w.UploadsOff
	s.mu.Unlock()
	s.emit(&Connected{URL: c.URL(), Welcome: w})
}

// lostWhileRejoining is connect's error for a connection that ended after its Connected event,
// while the session's rooms were joined again on it: the reconnect loop then says it was lost
// (Disconnected), as it would had the rejoins finished, rather than going on with rounds
// that, to the person reading the events, followed a connection that had succeeded.
type lostWhileRejoining struct{ err error }

func (e *lostWhileRejoining) Error() string { return e.err.Error() }
func (e *lostWhileRejoining) Unwrap() error { return e.err }

func newLimiter(l wire.Limits) *rate.Limiter {
	if l.SendRate <= 0 {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return rate.NewLimiter(rate.Limit(l.SendRate), max(l.SendBurst, 1))
}

// refuseOversized settles as refused (too_long) a request whose frame the server will not read:
// one over its --read-limit, which it answers by closing the connection with 1009 rather than
// with an error frame. Resent on every reconnect, such a request closed every connection, for
// good. The server reads a connection's frames in order, so the request it closed over is the
// oldest one written and not acknowledged; but the acks of the requests before it may have
// been lost with the connection, so a request is refused only when two connections in a row
// closed with 1009 while it was the oldest unacknowledged (after the first, the requests
// before it are resent and acknowledged as duplicates). err is why the connection ended.
// Called with mu held.
func (s *Session) refuseOversized(err error) {
	var ce *websocket.CloseError
	var oldest *Receipt
	for _, r := range s.pending {
		if r.sent {
			oldest = r
			break
		}
	}
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig || oldest == nil {
		s.tooBig = nil
		return
	}
	if oldest != s.tooBig {
		s.tooBig = oldest
		return
	}
	s.tooBig = nil
	s.settle(oldest, nil, &wire.Error{Type: wire.TypeError, Code: hubbub.ECodeTooLong, Request: oldest.Request, Room: oldest.Room, ID: oldest.ID,
		Message: "the request is larger than the server reads (its --read-limit): it closed the connection over it twice"})
}
