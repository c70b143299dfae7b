package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// errLeft says that a room was left while the session was joining it.
var errLeft = errors.New("left meanwhile")

// roomState is what the session remembers about a room across connections.
type roomState struct {
	seen      uint64  // highest seq surfaced (or skipped on purpose: history not asked for)
	joined    bool    // joined at least once: later joins send since = seen
	conn      *Conn   // the connection the room is joined on
	sentSince *uint64 // since of the join in flight
	// replayLeft counts the replayed messages of the join in flight still to arrive;
	// replayed is closed when they all have.
	replayLeft int
	replayed   chan struct{}
	holding    bool // a truncated replay is being completed from history
	held       []*wire.Message
}

// replayDone wakes the join waiting for the replay. Called with Session.mu held.
func (st *roomState) replayDone() {
	if st.replayed != nil {
		close(st.replayed)
		st.replayed, st.replayLeft = nil, 0
	}
}

// joinOn joins room on c: with since = the highest seq seen if the room was joined before,
// else with the configured history. A truncated replay is completed from history before the
// held-back live messages are released.
func (s *Session) joinOn(ctx context.Context, c *Conn, room string) (*wire.Joined, error) {
	s.mu.Lock()
	st := s.rooms[room]
	if st == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("client: join %s: %w", room, errLeft)
	}
	rejoin := st.conn == c // already in the room on this connection: a refusal changes nothing
	var since *uint64
	if st.joined {
		v := st.seen
		since = &v
	}
	st.sentSince, st.holding, st.held = since, false, nil
	st.replayDone() // a join of the room still in flight waits no longer
	replayed := make(chan struct{})
	st.replayLeft, st.replayed = 0, replayed
	s.mu.Unlock()

	j, err := c.Join(ctx, room, since, s.opts.History)
	if err == nil {
		// Return once the replay has been delivered, so that a caller who stops right after
		// joining still gets the room's history.
		select {
		case <-replayed:
		case <-c.Done():
			err = c.Err()
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			err = fmt.Errorf("client: join %s: waiting for the replay: %w", room, err)
		}
	}
	if err != nil {
		var se *wire.Error
		if errors.As(err, &se) {
			s.mu.Lock()
			if s.rooms[room] == st && !rejoin {
				s.forget(room)
			}
			s.mu.Unlock()
		}
		return nil, err
	}
	s.mu.Lock()
	if s.rooms[room] == st {
		st.conn = c
	}
	s.mu.Unlock()
	if from, to, ok := gap(since, j); ok {
		if err := s.fill(ctx, c, room, from, to); err != nil {
			c.fail(err) // the rejoin on the next connection starts over from the seq seen
			return nil, err
		}
	}
	return j, nil
}

// gap returns the seqs [from, to] that a rejoin with since missed and its replay left out.
func gap(since *uint64, j *wire.Joined) (from, to uint64, ok bool) {
	if since == nil || !j.Truncated || j.LastSeq < uint64(j.Replay) {
		return 0, 0, false
	}
	from, to = *since+1, j.LastSeq-uint64(j.Replay)
	if from > to {
		return 0, 0, false
	}
	return from, to, true
}

// fill pages the messages [from, to] of room in from history, oldest first, delivers those
// not seen yet, then releases the messages held back meanwhile.
func (s *Session) fill(ctx context.Context, c *Conn, room string, from, to uint64) error {
	for next := from; next <= to; {
		end := min(next+historyPage, to+1) // this chunk is [next, end)
		var chunk []wire.Message
		for before := end; before > next; {
			h, err := c.History(ctx, room, before, int(before-next))
			if err != nil {
				return err
			}
			chunk = append(h.Messages, chunk...)
			if len(h.Messages) == 0 || !h.More || h.Messages[0].Seq <= next {
				break
			}
			before = h.Messages[0].Seq
		}
		s.emitMu.Lock()
		s.mu.Lock()
		var out []*wire.Message
		if st := s.rooms[room]; st != nil {
			for i := range chunk {
				if m := chunk[i]; m.Seq >= next && m.Seq > st.seen {
					st.seen = m.Seq
					out = append(out, &m)
				}
			}
		}
		s.mu.Unlock()
		for _, m := range out {
			s.emit(m)
		}
		s.emitMu.Unlock()
		next = end
	}
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.mu.Lock()
	var out []*wire.Message
	if st := s.rooms[room]; st != nil {
		for _, m := range st.held {
			if m.Seq > st.seen {
				st.seen = m.Seq
				out = append(out, m)
			}
		}
		st.holding, st.held = false, nil
	}
	s.mu.Unlock()
	for _, m := range out {
		s.emit(m)
	}
	return nil
}

// handle is every connection's Handler: it updates the session's state from f and delivers
// what the caller should see.
func (s *Session) handle(c *Conn, f wire.Frame) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.mu.Lock()
	deliver := s.apply(c, f)
	s.mu.Unlock()
	if deliver {
		s.emit(f)
	}
}

// apply updates the session's state from f and reports whether to deliver f. Called with mu.
func (s *Session) apply(c *Conn, f wire.Frame) bool {
	switch f := f.(type) {
	case *wire.Welcome, *wire.History, *wire.Pong:
		return false // Connected carries the welcome; the others answer a request
	case *wire.Message:
		st := s.rooms[f.Room]
		if st == nil {
			return false // not (or no longer) in the room
		}
		if st.replayLeft > 0 {
			if st.replayLeft--; st.replayLeft == 0 {
				st.replayDone()
			}
		}
		if st.holding {
			if len(st.held) >= maxHeld && c != nil {
				c.fail(fmt.Errorf("client: %s: more than %d messages arrived while recovering", f.Room, maxHeld))
				return false
			}
			st.held = append(st.held, f)
			return false
		}
		if f.Seq <= st.seen {
			return false // seen before this reconnect
		}
		st.seen = f.Seq
	case *wire.Joined:
		st := s.rooms[f.Room]
		if st == nil {
			break
		}
		switch {
		case st.sentSince == nil:
			// A first join: the replay covers the last Replay messages; older ones were not
			// asked for, so a later rejoin must not fetch them.
			if f.LastSeq >= uint64(f.Replay) {
				st.seen = max(st.seen, f.LastSeq-uint64(f.Replay))
			}
		case f.LastSeq < *st.sentSince:
			// The room's history is behind what we saw (the server lost its store): follow it.
			st.seen = f.LastSeq
		default:
			_, _, st.holding = gap(st.sentSince, f)
			st.held = nil
		}
		st.joined = true
		if st.replayed != nil {
			if st.replayLeft = f.Replay; f.Replay == 0 {
				st.replayDone()
			}
		}
	case *wire.Ack:
		if r := s.byID[f.ID]; r != nil && r.Room == f.Room {
			s.settle(r, f, nil)
		}
	case *wire.Error:
		if f.Request != wire.TypeSend || s.byID[f.ID] == nil {
			break
		}
		r := s.byID[f.ID]
		switch f.Code {
		case hubbub.ECodeRateLimited, hubbub.ECodeUnavailable:
			r.sent = false // try again after a pause
			s.pauseUntil = time.Now().Add(retryPause)
			s.poke()
		default:
			s.settle(r, nil, f)
		}
	}
	return true
}
