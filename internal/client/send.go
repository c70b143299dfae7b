package client

import (
	"context"
	"fmt"
	"time"

	"hubbub"
	"hubbub/internal/wire"
)

// Receipt follows one Session.Send until the server acknowledges it or the send fails.
type Receipt struct {
	// ID is the idempotency key the send carries on every connection.
	ID string
	// Room is where the message goes.
	Room string

	text string
	sent bool // written on the current connection; guarded by Session.mu

	done chan struct{}
	ack  *wire.Ack
	err  error
}

// Done is closed when the send has been acknowledged or has failed.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Result returns the ack, or why the send failed. Call it after Done is closed.
func (r *Receipt) Result() (*wire.Ack, error) { return r.ack, r.err }

// Wait waits until Done is closed or ctx ends, and returns Result.
func (r *Receipt) Wait(ctx context.Context) (*wire.Ack, error) {
	select {
	case <-r.done:
		return r.ack, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("client: waiting for ack of %s: %w", r.ID, ctx.Err())
	}
}

func (r *Receipt) complete(ack *wire.Ack, err error) {
	r.ack, r.err = ack, err
	close(r.done)
}

// Send queues text for room and returns a Receipt for it. The session writes queued sends in
// order, as fast as the server's announced send rate allows, and rewrites every one that is
// not acknowledged after a reconnect, with the same id, so the server stores it once. Send
// blocks while MaxPending sends await their ack.
func (s *Session) Send(ctx context.Context, room, text string) (*Receipt, error) {
	if hubbub.CleanText(text) == "" {
		return nil, fmt.Errorf("client: send to %s: %w", room, hubbub.Errorf(hubbub.ECodeEmpty, "nothing to send"))
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("client: send to %s: %w", room, ctx.Err())
	case <-s.ctx.Done():
		return nil, fmt.Errorf("client: send to %s: %w", room, ErrClosed)
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		<-s.slots
		return nil, fmt.Errorf("client: send to %s: %w", room, ErrClosed)
	}
	s.nextID++
	r := &Receipt{
		ID:   fmt.Sprintf("%s-%d", s.idPrefix, s.nextID),
		Room: room,
		text: text,
		done: make(chan struct{}),
	}
	s.pending = append(s.pending, r)
	s.byID[r.ID] = r
	s.mu.Unlock()
	s.poke()
	return r, nil
}

// Pending returns how many sends await their ack.
func (s *Session) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func (s *Session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// settle completes r and removes it from the pending sends. Called with mu held.
func (s *Session) settle(r *Receipt, ack *wire.Ack, err error) {
	delete(s.byID, r.ID)
	for i, p := range s.pending {
		if p == r {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			break
		}
	}
	if err != nil {
		err = fmt.Errorf("client: message %s to %s: %w", r.ID, r.Room, err)
	}
	r.complete(ack, err)
	<-s.slots
}

// sendLoop writes pending sends in order on the ready connection, paced by the send rate the
// server announced. After a reconnect it starts again from the first unacknowledged send.
func (s *Session) sendLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.wake:
		case <-s.ctx.Done():
			return
		}
		for {
			s.mu.Lock()
			c, lim, pause := s.conn, s.limiter, time.Until(s.pauseUntil)
			var r *Receipt
			if c != nil && pause <= 0 {
				for _, p := range s.pending {
					if !p.sent {
						r = p
						break
					}
				}
			}
			if r != nil {
				r.sent = true
			}
			s.mu.Unlock()
			if c != nil && pause > 0 {
				if sleep(s.ctx, pause) != nil {
					return
				}
				continue
			}
			if r == nil {
				break
			}
			if err := lim.Wait(s.ctx); err != nil {
				return
			}
			if err := c.Send(s.ctx, r.Room, r.ID, r.text); err != nil {
				// The connection has failed; the next one rewrites every unacknowledged send.
				break
			}
		}
	}
}
