package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// errLeft says that a room was left while the session was joining it.
var errLeft = errors.New("left meanwhile")

// roomState is what the session remembers about a room across connections.
type roomState struct {
	// seen is the highest seq or log_seq applied: every entry of the room's log up to it has
	// been delivered (or skipped on purpose: history not asked for, or state a fresh join
	// replayed). A rejoin sends it as since.
	seen      uint64
	joined    bool    // joined at least once: later joins send since = seen
	conn      *Conn   // the connection the room is joined on
	sentSince *uint64 // since of the join in flight
	// leftOn is the connection Leave sent its leave on (nil: none), set as it forgets the
	// room: a join in flight on another connection then leaves there too.
	leftOn *Conn
	// replayLeft counts the replayed entries of the join in flight still to arrive;
	// replayed is closed when they all have.
	replayLeft int
	replayed   chan struct{}
	// fresh is true while the replay of a join without since arrives: its messages are the
	// room's current state, each with a seq at most the joined frame's last_seq (which seen
	// already holds), so they are delivered without the check against seen.
	fresh bool
	// noticesUpTo is, after a join without since that asked for notices, its last_seq: the
	// notices at or below it that follow are its replay's (or entries the room delivered
	// while the join read its messages), older than what seen holds, delivered once each
	// in their order (noticeSeen, the last delivered). 0 otherwise.
	noticesUpTo, noticeSeen uint64
	holding                 bool // a truncated replay is being completed from history
	held                    []wire.Frame
}

// replayDone wakes the join waiting for the replay. Called with Session.mu held.
func (st *roomState) replayDone() {
	st.fresh = false
	if st.replayed != nil {
		close(st.replayed)
		st.replayed, st.replayLeft = nil, 0
	}
}

// replayArrived counts n replayed entries of the join in flight. Called with Session.mu held.
func (st *roomState) replayArrived(n int) {
	if st.replayLeft > 0 {
		if st.replayLeft -= n; st.replayLeft <= 0 {
			st.replayDone()
		}
	}
}

// admit decides whether an entry frame (message, edited, deleted, reacted, topic_changed,
// member_changed or sanction_changed) is new to the
// caller: it returns the frame to deliver, less the reactions applied before, and raises seen
// to the entry's place in the log; false means everything in it was applied already (a
// replay overlapping what was delivered before a reconnect). Called with Session.mu held.
func (st *roomState) admit(f wire.Frame) (wire.Frame, bool) {
	switch f := f.(type) {
	case *wire.Message:
		if f.Seq <= st.seen {
			return nil, false
		}
		st.seen = f.Seq
	case *wire.Edited:
		if f.LogSeq <= st.seen {
			return nil, false
		}
		st.seen = f.LogSeq
	case *wire.TopicChanged:
		if f.LogSeq <= st.seen {
			return nil, false
		}
		st.seen = f.LogSeq
	case *wire.MemberChanged:
		if f.LogSeq <= st.seen {
			return nil, false
		}
		st.seen = f.LogSeq
	case *wire.Deleted:
		if f.LogSeq == 0 {
			return f, true // from a server before the room log: not an entry, never replayed
		}
		if f.LogSeq <= st.seen {
			return nil, false
		}
		st.seen = f.LogSeq
	case *wire.SanctionChanged:
		if f.LogSeq == 0 {
			return f, true // from a server before sanctions were entries: live only
		}
		if f.LogSeq <= st.seen {
			return nil, false
		}
		st.seen = f.LogSeq
	case *wire.Reacted:
		first := 0
		for first < len(f.Changes) && f.Changes[first].LogSeq <= st.seen {
			first++
		}
		if first == len(f.Changes) && f.LogSeq <= st.seen {
			return nil, false
		}
		if first > 0 {
			cp := *f
			cp.Changes = f.Changes[first:]
			f = &cp
		}
		st.seen = max(st.seen, f.LogSeq)
		if n := len(f.Changes); n > 0 {
			st.seen = max(st.seen, f.Changes[n-1].LogSeq)
		}
		return f, true
	}
	return f, true
}

// entryCount is how many log entries f carries (0 for frames that are not entries).
func entryCount(f wire.Frame) int {
	switch f := f.(type) {
	case *wire.Message, *wire.Edited, *wire.TopicChanged, *wire.MemberChanged:
		return 1
	case *wire.Deleted:
		if f.LogSeq > 0 {
			return 1
		}
	case *wire.SanctionChanged:
		return 0 // an entry, but one joined.replay does not count (docs/protocol.md, Moderation)
	case *wire.Reacted:
		return max(len(f.Changes), 1)
	}
	return 0
}

// firstLogSeq is the place in the log of the first entry f carries.
func firstLogSeq(f wire.Frame) uint64 {
	switch f := f.(type) {
	case *wire.Message:
		return f.Seq
	case *wire.Edited:
		return f.LogSeq
	case *wire.Deleted:
		return f.LogSeq
	case *wire.TopicChanged:
		return f.LogSeq
	case *wire.MemberChanged:
		return f.LogSeq
	case *wire.SanctionChanged:
		return f.LogSeq
	case *wire.Reacted:
		if len(f.Changes) > 0 {
			return f.Changes[0].LogSeq
		}
		return f.LogSeq
	}
	return 0
}

// noticeSeq returns the place in the log of a notice frame (topic_changed, member_changed,
// or sanction_changed with a log_seq), and false for other frames.
func noticeSeq(f wire.Frame) (uint64, bool) {
	switch f := f.(type) {
	case *wire.TopicChanged:
		return f.LogSeq, true
	case *wire.MemberChanged:
		return f.LogSeq, true
	case *wire.SanctionChanged:
		return f.LogSeq, f.LogSeq > 0
	}
	return 0, false
}

// frameRoom returns the room of an entry frame, and false for other frames.
func frameRoom(f wire.Frame) (string, bool) {
	switch f := f.(type) {
	case *wire.Message:
		return f.Room, true
	case *wire.Edited:
		return f.Room, true
	case *wire.Deleted:
		return f.Room, true
	case *wire.Reacted:
		return f.Room, true
	case *wire.TopicChanged:
		return f.Room, true
	case *wire.MemberChanged:
		return f.Room, true
	case *wire.SanctionChanged:
		return f.Room, f.LogSeq > 0 // one without a log_seq is no entry
	}
	return "", false
}

// joinOn joins room on c: with since = the highest seq seen if the room was joined before,
// else with the configured history (none with SkipHistory). A truncated replay is completed from history before the
// held-back entries are released.
func (s *Session) joinOn(ctx context.Context, c *Conn, room string) (*wire.Joined, error) {
	s.mu.Lock()
	st := s.rooms[room]
	if st == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("client: join %s: %w", room, errLeft)
	}
	rejoin := st.conn == c // already in the room on this connection: a refusal changes nothing
	var since *uint64
	switch {
	case st.joined:
		v := st.seen
		since = &v
	case s.opts.SkipHistory:
		// A since above every last_seq replays nothing and is no error (docs/protocol.md);
		// the joined frame's lower last_seq then sets seen, as after a server's reset.
		v := uint64(math.MaxUint64)
		since = &v
	}
	st.sentSince, st.holding, st.held = since, false, nil
	st.replayDone() // a join of the room still in flight waits no longer
	replayed := make(chan struct{})
	st.replayLeft, st.replayed = 0, replayed
	s.mu.Unlock()

	req := JoinRequest{Room: room, Since: since}
	if since == nil {
		req.History, req.Notices = s.opts.History, s.opts.Notices
	}
	j, err := c.JoinWith(ctx, req)
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
	if s.rooms[room] != st {
		// Left while this join was in flight. Its leave went to another connection or to
		// none (a reconnect still rejoining): the server has c in the room, so leave it here.
		leftOn := st.leftOn
		s.mu.Unlock()
		if leftOn != c {
			_ = c.Leave(ctx, room)
		}
		return nil, fmt.Errorf("client: join %s: %w", room, errLeft)
	}
	var from, to uint64
	var ok bool
	st.conn = c
	if st.holding {
		first := uint64(0)
		if len(st.held) > 0 {
			first = firstLogSeq(st.held[0])
		}
		from, to, ok = gap(since, j, first)
	}
	s.mu.Unlock()
	if err := s.fill(ctx, c, room, from, to, ok); err != nil {
		c.fail(err) // the rejoin on the next connection starts over from the seq seen
		return nil, err
	}
	return j, nil
}

// gap returns the seqs [from, to] that a rejoin with since missed and its truncated replay
// left out: from the one after since to the one before the first entry replayed (first; 0 if
// nothing was replayed, when the replay left out everything up to last_seq). The replay's
// length says nothing about where it starts: retention may have removed entries within it.
func gap(since *uint64, j *wire.Joined, first uint64) (from, to uint64, ok bool) {
	if since == nil || !j.Truncated {
		return 0, 0, false
	}
	from, to = *since+1, j.LastSeq
	if first > 0 {
		to = min(to, first-1)
	}
	if from > to {
		return 0, 0, false
	}
	return from, to, true
}

// fill pages the messages [from, to] of room in from history, oldest first, delivers those
// not seen yet (if ok: there is such a gap), then releases the entries held back meanwhile.
// History holds messages in their current state, so a message of the gap comes with the
// edits, deletion and reactions made to it; what the gap's entries changed in messages
// older than from is not in it (docs/protocol.md: a client pages back to refresh those).
func (s *Session) fill(ctx context.Context, c *Conn, room string, from, to uint64, ok bool) error {
	for next := from; ok && next <= to; {
		end := min(next+historyPage, to+1) // this chunk is [next, end)
		empty := true                      // no message in [next, end)
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
				empty = empty && chunk[i].Seq < next
				if m := chunk[i]; m.Seq >= next && m.Seq > st.seen {
					st.seen = m.Seq
					out = append(out, &m)
				}
			}
			// Every entry up to the chunk's end is accounted for, message or not.
			st.seen = max(st.seen, end-1)
		}
		s.mu.Unlock()
		for _, m := range out {
			s.emit(m)
		}
		s.emitMu.Unlock()
		next = end
		if empty && next <= to && to-next >= skipSpan {
			// A stretch with no message: a room's seqs may jump by a million (hubbub
			// restore), which a chunk at a time would cross in thousands of requests.
			first, err := firstMessage(ctx, c, room, next, to)
			if err != nil {
				return err
			}
			s.mu.Lock()
			if st := s.rooms[room]; st != nil {
				st.seen = max(st.seen, first-1)
			}
			s.mu.Unlock()
			next = first
		}
	}
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.mu.Lock()
	var out []wire.Frame
	if st := s.rooms[room]; st != nil {
		for _, f := range st.held {
			if f, ok := st.admit(f); ok {
				out = append(out, f)
			}
		}
		st.holding, st.held = false, nil
	}
	s.mu.Unlock()
	for _, f := range out {
		s.emit(f)
	}
	return nil
}

// skipSpan is the span of seqs from which fill, after a chunk with no message, looks for the
// next message rather than paging on a chunk at a time.
const skipSpan = 4 * historyPage

// firstMessage returns the seq of room's first message in [from, to], to+1 if none, with
// history requests of one message each, about log2(to-from) of them: the newest message
// before x is at or after from for x above that first message, and not for x at or below it.
func firstMessage(ctx context.Context, c *Conn, room string, from, to uint64) (uint64, error) {
	reaches := func(x uint64) (bool, error) { // a message in [from, x)
		h, err := c.History(ctx, room, x, 1)
		if err != nil {
			return false, err
		}
		return len(h.Messages) > 0 && h.Messages[len(h.Messages)-1].Seq >= from, nil
	}
	lo, hi := from, to+1 // none in [from, lo); one in [from, hi)
	if ok, err := reaches(hi); err != nil || !ok {
		return to + 1, err
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := reaches(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo, nil
}

// handle is every connection's Handler: it updates the session's state from f and delivers
// what the caller should see.
func (s *Session) handle(c *Conn, f wire.Frame) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.mu.Lock()
	out := s.apply(c, f)
	s.mu.Unlock()
	if out != nil {
		s.emit(out)
	}
}

// apply updates the session's state from f and returns what to deliver (nil: nothing).
// Called with mu.
func (s *Session) apply(c *Conn, f wire.Frame) wire.Frame {
	if room, entry := frameRoom(f); entry {
		st := s.rooms[room]
		if st == nil {
			return nil // not (or no longer) in the room
		}
		fresh := st.fresh
		st.replayArrived(entryCount(f))
		if st.holding {
			if len(st.held) >= maxHeld && c != nil {
				c.fail(fmt.Errorf("client: %s: more than %d entries arrived while recovering", room, maxHeld))
				return nil
			}
			st.held = append(st.held, f)
			return nil
		}
		if _, isMsg := f.(*wire.Message); isMsg && fresh {
			return f // a fresh join's replay: the current state, below last_seq
		}
		if seq, ok := noticeSeq(f); ok && seq <= st.noticesUpTo {
			// A fresh join's notice, below last_seq (where seen stands): delivered once, in
			// order. Not only while fresh: joined.replay does not count a sanction, so one
			// may end the replay after the count is met.
			if seq <= st.noticeSeen {
				return nil
			}
			st.noticeSeen = seq
			return f
		}
		f, ok := st.admit(f)
		if !ok {
			return nil // applied before this reconnect
		}
		return f
	}
	switch f := f.(type) {
	case *wire.Welcome, *wire.History, *wire.Pong, *wire.Revisions:
		return nil // Connected carries the welcome; the others answer a request
	case *wire.Joined:
		st := s.rooms[f.Room]
		if st == nil {
			break
		}
		st.noticesUpTo, st.noticeSeen = 0, 0
		switch {
		case st.sentSince == nil:
			// A first join replays the newest messages in their current state, with the seqs
			// of the other entries between them: after it the client is up to date with the
			// whole log up to last_seq, and older messages are paged with history.
			st.seen = f.LastSeq
			st.fresh = f.Replay > 0
			if s.opts.Notices {
				st.noticesUpTo = f.LastSeq
			}
		case f.LastSeq < *st.sentSince:
			// The room's history is behind what we saw (the server lost its store): follow it.
			st.seen = f.LastSeq
		default:
			st.holding = f.Truncated
			st.held = nil
		}
		st.joined = true
		if st.replayed != nil {
			if st.replayLeft = f.Replay; f.Replay == 0 {
				st.replayDone()
			}
		} else {
			st.fresh = false // a join this session did not make: nothing to wait for
		}
	case *wire.Unroom:
		s.forget(f.Room) // the server took the user out of it: rejoining would be refused
	case *wire.Renamed:
		// The user goes by f.Name now. A reconnect says it: the old name, from a guest's key,
		// would rename the user back (a token's or account's hello sends no name to change).
		// A name no hello could say (none, or one hubbub refuses) is a faulty server's or
		// proxy's: taken, it would be the user's name here and the next hello's.
		if hubbub.ValidateName(f.Name) != nil {
			return nil
		}
		s.name = f.Name
		if s.user != nil {
			u := *s.user
			u.Name = f.Name
			s.user = &u
		}
		if s.opts.Name != "" {
			s.opts.Name = f.Name
		}
	case *wire.Ack:
		if r := s.byID[f.ID]; r != nil && r.Room == f.Room {
			s.settle(r, f, nil)
		}
	case *wire.Error:
		r := s.byID[f.ID]
		if r == nil || f.Request != r.Request {
			break
		}
		switch f.Code {
		case hubbub.ECodeRateLimited, hubbub.ECodeUnavailable:
			r.sent = false // try again after a pause: the server's, when it says one
			// A later, shorter refusal does not cut short an earlier, longer pause.
			s.pauseUntil = later(s.pauseUntil, time.Now().Add(retryPauseFor(f)))
			s.poke()
		default:
			s.settle(r, nil, f)
		}
	}
	return f
}
