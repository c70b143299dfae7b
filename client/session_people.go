package client

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"hubbub"
	"hubbub/internal/wire"
)

// The conversation requests on a Session (docs/protocol.md, Conversations). The room frames
// the server sends unasked — rooms right after each welcome, room when the user is invited
// or added to a DM, unroom when a room leaves their list, read when another of their
// connections moves a read position — are delivered on Events; an unroom also makes the
// session stop rejoining the room, since the server has taken the user out of it.

// User returns the user the session acts for, as the last welcome named it (the same id on
// every connection and device of the user), or nil from a server older than users.
func (s *Session) User() *UserInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// Name returns the name the server knows the session's user by, as the last welcome gave it:
// the From of the user's own messages, which a bot skips so as not to answer itself. It is
// "" only before the first welcome, which Connect waits for.
func (s *Session) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// Create creates room with its metadata, the user its owner (see Conn.Create). It does not
// join the room: Join does.
func (s *Session) Create(ctx context.Context, room, topic string, private bool) (*Room, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: create %s: %w", room, err)
	}
	return c.Create(ctx, room, topic, private)
}

// DM opens the direct message between the user and the users names (see Conn.DM); Join
// enters it.
func (s *Session) DM(ctx context.Context, names []string) (*Room, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: dm %v: %w", names, err)
	}
	return c.DM(ctx, names)
}

// Invite invites the user name to private room, like Send: queued, resent after a reconnect
// with the same id (the server stores the invitation once), and acknowledged once stored.
func (s *Session) Invite(ctx context.Context, room, name string) (*Receipt, error) {
	if err := hubbub.ValidateName(name); err != nil {
		return nil, fmt.Errorf("client: invite to %s: %w", room, err)
	}
	return s.queue(ctx, room, wire.TypeInvite, func(id string) any {
		return wire.InviteRequest{Type: wire.TypeInvite, Room: room, Name: name, ID: id}
	})
}

// Remove takes the user name out of private room, like Invite.
func (s *Session) Remove(ctx context.Context, room, name string) (*Receipt, error) {
	if err := hubbub.ValidateName(name); err != nil {
		return nil, fmt.Errorf("client: remove from %s: %w", room, err)
	}
	return s.queue(ctx, room, wire.TypeRemove, func(id string) any {
		return wire.RemoveRequest{Type: wire.TypeRemove, Room: room, Name: name, ID: id}
	})
}

// Topic sets the topic of room ("" clears it), like Invite.
func (s *Session) Topic(ctx context.Context, room, topic string) (*Receipt, error) {
	if len(topic) > hubbub.MaxTopicLen {
		return nil, fmt.Errorf("client: topic of %s: %w", room, hubbub.Errorf(hubbub.ECodeTooLong, "the topic is longer than %d bytes", hubbub.MaxTopicLen))
	}
	return s.queue(ctx, room, wire.TypeTopic, func(id string) any {
		return wire.TopicRequest{Type: wire.TypeTopic, Room: room, Topic: topic, ID: id}
	})
}

// Role sets the room role of the member name of room, like Invite.
func (s *Session) Role(ctx context.Context, room, name, role string) (*Receipt, error) {
	return s.queue(ctx, room, wire.TypeRole, func(id string) any {
		return wire.RoleRequest{Type: wire.TypeRole, Room: room, Name: name, Role: role, ID: id}
	})
}

// Part leaves room for good (see Conn.Part): the session forgets it first, so it is not
// rejoined, and returns once the server's unroom arrived.
func (s *Session) Part(ctx context.Context, room string) error {
	c, err := s.ready()
	if err != nil {
		return fmt.Errorf("client: part %s: %w", room, err)
	}
	s.mu.Lock()
	s.forget(room)
	s.mu.Unlock()
	return c.Part(ctx, room, "")
}

// Rooms returns the user's list of rooms with their counts; the frame is delivered on
// Events too, as the one the server sends after each welcome is.
func (s *Session) Rooms(ctx context.Context) (*Rooms, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: rooms: %w", err)
	}
	return c.Rooms(ctx)
}

// Directory returns a page of the public rooms (see Conn.Directory).
func (s *Session) Directory(ctx context.Context, query, after string, limit int) (*Directory, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: directory: %w", err)
	}
	return c.Directory(ctx, query, after, limit)
}

// Members returns a page of the stored members of room (see Conn.Members).
func (s *Session) Members(ctx context.Context, room, after string) (*Members, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: members of %s: %w", room, err)
	}
	return c.Members(ctx, room, after)
}

// MarkRead moves the user's read position in room forward to seq. It does not wait: the
// session writes the highest position asked for each room once the sends queued before it
// are written, and again on the next connection if the connection fails first (the server
// keeps the highest it is told, so a repeat is harmless).
func (s *Session) MarkRead(room string, seq uint64) {
	if seq == 0 {
		return
	}
	s.mu.Lock()
	if s.reads == nil {
		s.reads = make(map[string]uint64)
	}
	if seq > s.reads[room] && seq > s.readSent[room] {
		s.reads[room] = seq
	}
	s.mu.Unlock()
	s.poke()
}

// FlushReads writes the read positions MarkRead recorded that are not written yet, and returns
// once the server has taken them (it answered a ping written after them: a connection's frames
// are handled in order), or when ctx ends. A program that exits right after MarkRead calls it
// before Close, which drops the positions not written yet. While the session reconnects it
// returns an error wrapping ErrNotConnected; the positions are written on the next connection.
func (s *Session) FlushReads(ctx context.Context) error {
	c, err := s.ready()
	if err != nil {
		return fmt.Errorf("client: flush reads: %w", err)
	}
	if err := s.flushReads(ctx, c); err != nil {
		return fmt.Errorf("client: flush reads: %w", err)
	}
	if err := c.Ping(ctx, fmt.Sprintf("reads-%d", flushIDs.Add(1))); err != nil {
		return fmt.Errorf("client: flush reads: %w", err)
	}
	return nil
}

// flushIDs numbers the pings of FlushReads.
var flushIDs atomic.Uint64

// flushReads writes the read positions MarkRead recorded, on c, and returns the error of the
// write that failed, if one did; a failed write puts its position back for the next
// connection. The send loop's writes and FlushReads's take turns (readMu), so that
// FlushReads's ping follows every position taken from reads.
func (s *Session) flushReads(ctx context.Context, c *Conn) error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for {
		s.mu.Lock()
		var room string
		var seq uint64
		for r, v := range s.reads {
			room, seq = r, v
			break
		}
		if room == "" {
			s.mu.Unlock()
			return nil
		}
		delete(s.reads, room)
		s.mu.Unlock()
		if err := c.Read(ctx, room, seq); err != nil {
			s.mu.Lock()
			s.reads[room] = max(s.reads[room], seq)
			s.mu.Unlock()
			return err
		}
		s.mu.Lock()
		if s.readSent == nil {
			s.readSent = make(map[string]uint64)
		}
		s.readSent[room] = max(s.readSent[room], seq)
		s.mu.Unlock()
	}
}

// Sent reports whether id is the idempotency key of a request this session made up (one
// queued without an id of the caller's): an entry the server sends back with that client_id
// (a message, an edit, a topic or membership change) is this session's own, which its
// caller may have confirmed already from the ack. A key the caller chose is not known.
func (s *Session) Sent(id string) bool {
	rest, ok := strings.CutPrefix(id, s.idPrefix+"-")
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}
