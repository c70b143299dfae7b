package client

import (
	"context"
	"fmt"

	"hubbub/internal/wire"
)

// NotifyLevel sets the user's notification level for room to level — "all", "mention" or
// "nothing" (hubbub.NotifyAll, NotifyMention, NotifyNothing): what notifies them of the room
// while they have no connection (docs/protocol.md, Notifications) — or, with level "", asks
// it, and returns the level now. A refused request returns the server's *Error (bad_field,
// forbidden, rate_limited or unavailable).
func (c *Conn) NotifyLevel(ctx context.Context, room, level string) (string, error) {
	f, err := c.request(ctx, reqKey(wire.TypeNotify, room, ""), wire.NotifyRequest{Type: wire.TypeNotify, Room: room, Level: level})
	if err != nil {
		return "", fmt.Errorf("client: notify: %w", err)
	}
	return f.(*wire.Notify).Level, nil
}

// NotifyLevel sets or asks on the session's current connection (see Conn.NotifyLevel).
func (s *Session) NotifyLevel(ctx context.Context, room, level string) (string, error) {
	c, err := s.ready()
	if err != nil {
		return "", fmt.Errorf("client: notify: %w", err)
	}
	return c.NotifyLevel(ctx, room, level)
}
