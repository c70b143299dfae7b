package client

import (
	"context"
	"fmt"
	"math"
	"time"

	"hubbub/internal/wire"
)

// Moderation on one connection (docs/protocol.md, Moderation): a server moderator or admin,
// or a room's owner or moderators there, kicks, bans and mutes a user by name in a room, and
// lifts a ban or a mute. Each request waits for the server's "moderated" (returned) or its
// error (a *wire.Error: forbidden for a member, or for a moderator naming a moderator or an
// admin). Unlike sends they are not queued across reconnects: a moderator sees at once
// whether it happened.

// Kick removes every connection of the user name from room, with reason ("" for none); the
// user may join again.
func (c *Conn) Kick(ctx context.Context, room, name, reason string) (*Moderated, error) {
	return c.moderate(ctx, wire.KickRequest{Type: wire.TypeKick, Room: room, Name: name, Reason: reason}, wire.TypeKick, room, name)
}

// UntilLifted is the d of a Ban or Mute with no end: it holds until a moderator lifts it (the
// wire's duration "forever"; the answer's Until is then 9999-12-31, hubbub.UntilLifted). A
// server older than it refuses it with bad_duration.
const UntilLifted time.Duration = math.MinInt64

// sanctionDuration is d as a ban or mute request gives it.
func sanctionDuration(d time.Duration) string {
	if d == UntilLifted {
		return "forever"
	}
	return d.String()
}

// Ban kicks the user name from room and refuses their joins and sends there for d (at most
// 366 days, or UntilLifted); the answer's Until says when it ends.
func (c *Conn) Ban(ctx context.Context, room, name string, d time.Duration, reason string) (*Moderated, error) {
	return c.moderate(ctx, wire.BanRequest{Type: wire.TypeBan, Room: room, Name: name, Duration: sanctionDuration(d), Reason: reason}, wire.TypeBan, room, name)
}

// Unban lifts the ban of the user name in room.
func (c *Conn) Unban(ctx context.Context, room, name string) (*Moderated, error) {
	return c.moderate(ctx, wire.UnbanRequest{Type: wire.TypeUnban, Room: room, Name: name}, wire.TypeUnban, room, name)
}

// Mute refuses the sends of the user name in room for d, or until lifted (UntilLifted); they
// may still read.
func (c *Conn) Mute(ctx context.Context, room, name string, d time.Duration, reason string) (*Moderated, error) {
	return c.moderate(ctx, wire.MuteRequest{Type: wire.TypeMute, Room: room, Name: name, Duration: sanctionDuration(d), Reason: reason}, wire.TypeMute, room, name)
}

// Unmute lifts the mute of the user name in room.
func (c *Conn) Unmute(ctx context.Context, room, name string) (*Moderated, error) {
	return c.moderate(ctx, wire.UnmuteRequest{Type: wire.TypeUnmute, Room: room, Name: name}, wire.TypeUnmute, room, name)
}

// moderate sends req, a moderation request of action in room, and waits for its answer:
// "moderated" carries the action and the room, an error names the request and the room.
func (c *Conn) moderate(ctx context.Context, req any, action, room, name string) (*Moderated, error) {
	f, err := c.request(ctx, reqKey(action, room, ""), req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s in %s: %w", action, name, room, err)
	}
	return f.(*wire.Moderated), nil
}

// Kick removes the user name from room (see Conn.Kick).
func (s *Session) Kick(ctx context.Context, room, name, reason string) (*Moderated, error) {
	return s.moderate(wire.TypeKick, room, name, func(c *Conn) (*Moderated, error) { return c.Kick(ctx, room, name, reason) })
}

// Ban bans the user name from room for d (see Conn.Ban).
func (s *Session) Ban(ctx context.Context, room, name string, d time.Duration, reason string) (*Moderated, error) {
	return s.moderate(wire.TypeBan, room, name, func(c *Conn) (*Moderated, error) { return c.Ban(ctx, room, name, d, reason) })
}

// Unban lifts the ban of the user name in room (see Conn.Unban).
func (s *Session) Unban(ctx context.Context, room, name string) (*Moderated, error) {
	return s.moderate(wire.TypeUnban, room, name, func(c *Conn) (*Moderated, error) { return c.Unban(ctx, room, name) })
}

// Mute mutes the user name in room for d (see Conn.Mute).
func (s *Session) Mute(ctx context.Context, room, name string, d time.Duration, reason string) (*Moderated, error) {
	return s.moderate(wire.TypeMute, room, name, func(c *Conn) (*Moderated, error) { return c.Mute(ctx, room, name, d, reason) })
}

// Unmute lifts the mute of the user name in room (see Conn.Unmute).
func (s *Session) Unmute(ctx context.Context, room, name string) (*Moderated, error) {
	return s.moderate(wire.TypeUnmute, room, name, func(c *Conn) (*Moderated, error) { return c.Unmute(ctx, room, name) })
}

// moderate runs a moderation request of action on the connection, if there is one now
// (moderation is not queued across reconnects).
func (s *Session) moderate(action, room, name string, on func(*Conn) (*Moderated, error)) (*Moderated, error) {
	c, err := s.ready()
	if err != nil {
		return nil, fmt.Errorf("client: %s %s in %s: %w", action, name, room, err)
	}
	return on(c)
}
