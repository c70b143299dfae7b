package client

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"hubbub"
	"hubbub/internal/wire"
)

// Receipt follows one request of Session.Send, Reply, Edit, React or Delete until the server
// acknowledges it or the request fails.
type Receipt struct {
	// ID is the idempotency key the request carries on every connection.
	ID string
	// Room is the room the request changes.
	Room string
	// Request is the request's frame type: send, edit, react or delete.
	Request string

	frame []byte // the request as written, ID included: encoded once, written on each connection
	sent  bool   // written on the current connection; guarded by Session.mu

	done chan struct{}
	ack  *wire.Ack
	err  error
}

// String names the request for errors: "message ID to ROOM", "edit ID in ROOM", ….
func (r *Receipt) String() string {
	if r.Request == wire.TypeSend {
		return fmt.Sprintf("message %s to %s", r.ID, r.Room)
	}
	return fmt.Sprintf("%s %s in %s", r.Request, r.ID, r.Room)
}

// Done is closed when the send has been acknowledged or has failed.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Result returns the ack, or why the send failed. Call it after Done is closed.
func (r *Receipt) Result() (*Ack, error) { return r.ack, r.err }

// Wait waits until Done is closed or ctx ends, and returns Result.
func (r *Receipt) Wait(ctx context.Context) (*Ack, error) {
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

// Send queues text for room and returns a Receipt for it. The session writes queued requests
// in order, as fast as the server's announced send rate allows, and rewrites every one that is
// not acknowledged after a reconnect, with the same id, so the server stores it once. Send
// blocks while MaxPending requests await their ack.
func (s *Session) Send(ctx context.Context, room, text string) (*Receipt, error) {
	return s.Post(ctx, Outgoing{Room: room, Text: text})
}

// Reply is Send of a message that answers message replyTo of room (0: none, as Send). The ack
// arrives once the server stored it; a parent that is not a message of the room is refused
// with not_found.
func (s *Session) Reply(ctx context.Context, room string, replyTo uint64, text string) (*Receipt, error) {
	return s.Post(ctx, Outgoing{Room: room, Text: text, ReplyTo: replyTo})
}

// Outgoing is a message to post: Session.Post takes it, and Send and Reply are its short
// forms.
type Outgoing struct {
	// Room is the room to post to (required).
	Room string
	// Text is the message (at most the welcome's Limits.MaxText bytes; required unless the
	// message carries files).
	Text string
	// ReplyTo is the seq of the message this one answers (0: none).
	ReplyTo uint64
	// ID is the message's idempotency key: at most 64 bytes of printable text
	// (hubbub.ValidateClientID). The server stores one entry per room, user and key, and
	// answers a repeat with the stored one (Ack.Duplicate). Empty: the session picks a key of
	// its own, unique to this Session, which covers its resends after a reconnect. Pick one
	// derived from what the message answers (say "answer-" + the question's room and seq)
	// to make a bot that restarts, and answers the same question again, store its answer
	// only once. It must not repeat a key of a request still awaiting its ack. A key the user
	// already spent in the room on another request (an edit, a reaction, a delete: this
	// Session's own keys are "<prefix>-<n>"), or on a message with another Text, ReplyTo or
	// Attachments (a restarted bot's answer worded otherwise), is refused with conflict, and
	// nothing is posted: the Receipt's error says what the key was spent on.
	ID string
	// Attachments are the ids of files uploaded with Upload that the message carries, in
	// this order (at most the welcome's Limits.MaxAttachments). The server refuses the id of
	// a file that is not the user's own upload, or that another message carries already
	// (not_found).
	Attachments []string
}

// Post queues m like Send: written in order, resent with the same id after a reconnect
// until acknowledged. It refuses a message with neither text nor files, a malformed ID and
// malformed file ids at once, and with too_long a text longer than the welcome's
// Limits.MaxText or a frame larger than its Limits.Frame (the server's --read-limit, which it
// would close the connection over).
func (s *Session) Post(ctx context.Context, m Outgoing) (*Receipt, error) {
	if hubbub.CleanText(m.Text) == "" && len(m.Attachments) == 0 {
		return nil, fmt.Errorf("client: send to %s: %w", m.Room, hubbub.Errorf(hubbub.ECodeEmpty, "nothing to send"))
	}
	if err := hubbub.ValidateClientID(m.ID); err != nil {
		return nil, fmt.Errorf("client: send to %s: %w", m.Room, err)
	}
	if len(m.Attachments) > hubbub.MaxAttachments {
		return nil, fmt.Errorf("client: send to %s: %w", m.Room, hubbub.Errorf(hubbub.ECodeLimit, "a message carries %d files at most", hubbub.MaxAttachments))
	}
	for _, id := range m.Attachments {
		if id == "" || len(id) > hubbub.MaxFileIDLen {
			return nil, fmt.Errorf("client: send to %s: %w", m.Room, hubbub.Errorf(hubbub.ECodeBadField, "%q is not a file id", id))
		}
	}
	if err := s.checkText(m.Text); err != nil {
		return nil, fmt.Errorf("client: send to %s: %w", m.Room, err)
	}
	files := append([]string(nil), m.Attachments...) // the caller may reuse its slice
	return s.queueID(ctx, m.Room, wire.TypeSend, m.ID, func(id string) any {
		return wire.SendRequest{Type: wire.TypeSend, Room: m.Room, ID: id, Text: m.Text, ReplyTo: m.ReplyTo, Attachments: files}
	})
}

// Edit replaces the text of my message seq of room, like Send: queued, resent after a
// reconnect with the same id, and answered by an ack whose Seq is the edit's place in the log
// and Target the message. Only the message's sender may edit it (forbidden).
func (s *Session) Edit(ctx context.Context, room string, seq uint64, text string) (*Receipt, error) {
	if seq == 0 {
		return nil, fmt.Errorf("client: edit in %s: %w", room, hubbub.Errorf(hubbub.ECodeBadField, "seq must be a message's seq (1 or more)"))
	}
	if hubbub.CleanText(text) == "" {
		return nil, fmt.Errorf("client: edit in %s: %w", room, hubbub.Errorf(hubbub.ECodeEmpty, "the new text is empty"))
	}
	if err := s.checkText(text); err != nil {
		return nil, fmt.Errorf("client: edit in %s: %w", room, err)
	}
	return s.queue(ctx, room, wire.TypeEdit, func(id string) any {
		return wire.EditRequest{Type: wire.TypeEdit, Room: room, Seq: seq, Text: text, ID: id}
	})
}

// React toggles my reaction emoji (an emoji or a :short_name:, hubbub.ValidateEmoji) on
// message seq of room, like Send. The ack's Target is the message; the reacted frame that
// follows on Events says whether it was added or removed and the count after it. Several
// emoji side by side (SeveralEmoji) are sent too, for the server to decide: it takes such a
// reaction back from whoever holds it, stored before reactions had to be one emoji, and
// refuses it (bad_field) as a new one.
func (s *Session) React(ctx context.Context, room string, seq uint64, emoji string) (*Receipt, error) {
	if seq == 0 {
		return nil, fmt.Errorf("client: react in %s: %w", room, hubbub.Errorf(hubbub.ECodeBadField, "seq must be a message's seq (1 or more)"))
	}
	if err := hubbub.ValidateEmoji(emoji); err != nil && !SeveralEmoji(emoji) {
		return nil, fmt.Errorf("client: react in %s: %w", room, err)
	}
	return s.queue(ctx, room, wire.TypeReact, func(id string) any {
		return wire.ReactRequest{Type: wire.TypeReact, Room: room, Seq: seq, Emoji: emoji, ID: id}
	})
}

// SeveralEmoji reports whether emoji is several reactions side by side, each valid alone
// ("👍👍"), and no longer than a reaction: what hubbub.ValidateEmoji refuses since reactions
// are one emoji, but a reaction stored before that may be, and its holder can still take it
// back. Only the server knows whether I hold it, so the refusal of a new one is its to make.
func SeveralEmoji(emoji string) bool {
	if emoji == "" || len(emoji) > hubbub.MaxEmojiLen || !utf8.ValidString(emoji) {
		return false
	}
	// Whether emoji[i:] splits into valid reactions, for each rune boundary i, found from the
	// end: at most MaxEmojiLen boundaries, each trying the ones after it.
	var splits [hubbub.MaxEmojiLen + 1]bool
	splits[len(emoji)] = true
	for i := len(emoji) - 1; i >= 0; i-- {
		if !utf8.RuneStart(emoji[i]) {
			continue
		}
		for j := i + 1; j <= len(emoji) && !splits[i]; j++ {
			splits[i] = splits[j] && (j == len(emoji) || utf8.RuneStart(emoji[j])) && hubbub.ValidateEmoji(emoji[i:j]) == nil
		}
	}
	return splits[0] && hubbub.ValidateEmoji(emoji) != nil
}

// Delete turns message seq of room into a tombstone, like Send: its sender may delete it,
// and a moderator anyone's. The server also answers "moderated", delivered on Events.
func (s *Session) Delete(ctx context.Context, room string, seq uint64) (*Receipt, error) {
	if seq == 0 {
		return nil, fmt.Errorf("client: delete in %s: %w", room, hubbub.Errorf(hubbub.ECodeBadField, "seq must be a message's seq (1 or more)"))
	}
	return s.queue(ctx, room, wire.TypeDelete, func(id string) any {
		return wire.DeleteRequest{Type: wire.TypeDelete, Room: room, Seq: seq, ID: id}
	})
}

// queue adds a request that changes room's log to the pending ones, with a new id, and wakes
// the sender. It blocks while MaxPending requests await their ack.
func (s *Session) queue(ctx context.Context, room, request string, frame func(id string) any) (*Receipt, error) {
	return s.queueID(ctx, room, request, "", frame)
}

// queueID is queue with the caller's id, or a new one if id is empty.
func (s *Session) queueID(ctx context.Context, room, request, id string, frame func(id string) any) (*Receipt, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("client: %s in %s: %w", request, room, ctx.Err())
	case <-s.ctx.Done():
		return nil, fmt.Errorf("client: %s in %s: %w", request, room, ErrClosed)
	}
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		<-s.slots
		return nil, fmt.Errorf("client: %s in %s: %w", request, room, ErrClosed)
	}
	if id == "" {
		s.nextID++
		id = fmt.Sprintf("%s-%d", s.idPrefix, s.nextID)
	} else if s.byID[id] != nil {
		s.mu.Unlock()
		<-s.slots
		return nil, fmt.Errorf("client: %s in %s: %w", request, room,
			hubbub.Errorf(hubbub.ECodeBadID, "the id %q is already awaiting its ack", id))
	}
	// A frame past the server's --read-limit would close every connection it is written on.
	b, err := encodeFrame(frame(id))
	if err == nil {
		what := request + " request"
		if request == wire.TypeSend {
			what = "message"
		}
		err = checkFrame(what, len(b), s.limits.Frame)
	}
	if err != nil {
		s.mu.Unlock()
		<-s.slots
		return nil, fmt.Errorf("client: %s in %s: %w", request, room, err)
	}
	r := &Receipt{ID: id, Room: room, Request: request, frame: b, done: make(chan struct{})}
	s.pending = append(s.pending, r)
	s.byID[r.ID] = r
	s.mu.Unlock()
	s.poke()
	return r, nil
}

// checkText refuses a message text longer than the server's welcome said it takes
// (Limits.MaxText, counted after the cleaning the server applies), which the server would
// refuse with too_long — or, past its --read-limit, close the connection over.
func (s *Session) checkText(text string) error {
	s.mu.Lock()
	most := s.limits.MaxText
	s.mu.Unlock()
	if most <= 0 || len(text) <= most {
		return nil
	}
	if n := len(hubbub.CleanMultiline(text)); n > most {
		return hubbub.Errorf(hubbub.ECodeTooLong, "the message is %d bytes, longer than the %d the server takes (its --max-text): not sent", n, most)
	}
	return nil
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
		err = fmt.Errorf("client: %s: %w", r, err)
	}
	r.complete(ack, err)
	<-s.slots
}

// sendLoop writes pending requests in order on the ready connection, paced by the send rate the
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
				if c != nil {
					s.flushReads(s.ctx, c)
				}
				break
			}
			if err := lim.Wait(s.ctx); err != nil {
				return
			}
			if err := c.writeEncoded(s.ctx, r.frame); err != nil {
				var tl frameTooLarge
				if errors.As(err, &tl) {
					// Queued for a server that reads larger frames than this one (another
					// node, reconnected to): refused, as the server would close over it.
					s.mu.Lock()
					if s.byID[r.ID] == r {
						s.settle(r, nil, tl.err)
					}
					s.mu.Unlock()
					continue
				}
				// The connection has failed; the next one rewrites every unacknowledged send.
				break
			}
		}
	}
}
