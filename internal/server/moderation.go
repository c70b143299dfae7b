package server

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// Moderation as the two wire protocols see it. hubbub.v1 clients whose role allows it send
// kick, ban, unban, mute, unmute and delete frames (docs/protocol.md, Moderation); the hub
// applies them on every node and logs them. Clients of either protocol are subject to them:
// a kicked or banned hubbub.v1 connection gets an error "kicked" and "left" for the room, a
// kicked text connection an "error: …" line and a close with 1008; joins and sends of banned
// or muted names are refused with "banned" or "muted".

// MaxSanction is the longest ban or mute a moderator may impose.
const MaxSanction = 366 * 24 * time.Hour

// maxReason is the longest moderator's reason, in bytes.
const maxReason = 256

// roleOf returns the role of m: the token's, or with tokens off, what Config.RoleFor says.
func (s *Server) roleOf(m *hub.Member) string {
	if m.Role != "" || s.tokensOn() || s.cfg.RoleFor == nil {
		return m.Role
	}
	return s.cfg.RoleFor(m.Name, m.Key)
}

// parseDuration reads a ban or mute duration such as "10m" or "24h".
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, hubbub.Errorf(hubbub.ECodeBadDuration, "duration must be a positive Go duration such as \"10m\" or \"24h\"")
	}
	if d > MaxSanction {
		return 0, hubbub.Errorf(hubbub.ECodeBadDuration, "duration may be at most %v", MaxSanction)
	}
	return d, nil
}

// cleanReason cleans a moderator's reason and checks its length.
func cleanReason(s string) (string, error) {
	s = hubbub.CleanText(s)
	if len(s) > maxReason {
		return "", hubbub.Errorf(hubbub.ECodeTooLong, "the reason is longer than %d bytes", maxReason)
	}
	return s, nil
}

// moderation is what a moderation request asks for, from a frame or an API call.
type moderation struct {
	action   string // kick, ban, unban, mute, unmute or delete
	room     string
	name     string
	reason   string
	duration string
	seq      uint64
}

// moderate carries out m for actor and returns the confirmation; the caller checked the role.
func (s *Server) moderate(ctx context.Context, actor string, m moderation) (wire.Moderated, error) {
	done := wire.Moderated{Type: wire.TypeModerated, Action: m.action, Room: m.room, Name: m.name}
	reason, err := cleanReason(m.reason)
	if err != nil {
		return done, err
	}
	switch m.action {
	case wire.TypeKick:
		err = s.hub.Kick(ctx, actor, m.room, m.name, reason)
	case wire.TypeBan, wire.TypeMute:
		var d time.Duration
		if d, err = parseDuration(m.duration); err != nil {
			return done, err
		}
		until := time.Now().Add(d).UTC().Truncate(time.Millisecond)
		done.Until = wire.FormatTime(until)
		err = s.hub.Sanction(ctx, actor, hubbub.Sanction{Room: m.room, Name: m.name, Kind: sanctionKind(m.action),
			Until: until, Reason: reason})
	case wire.TypeUnban, wire.TypeUnmute:
		err = s.hub.Sanction(ctx, actor, hubbub.Sanction{Room: m.room, Name: m.name, Kind: sanctionKind(m.action)})
	case wire.TypeDelete:
		done.Name, done.Seq = "", m.seq
		err = s.hub.DeleteMessage(ctx, actor, m.room, m.seq)
	default:
		err = hubbub.Errorf(hubbub.ECodeUnknownType, "unknown moderation %q", m.action)
	}
	return done, err
}

func sanctionKind(action string) hubbub.SanctionKind {
	if action == wire.TypeBan || action == wire.TypeUnban {
		return hubbub.SanctionBan
	}
	return hubbub.SanctionMute
}

// isModeration reports whether a frame type is a moderation request. Moderators may moderate
// rooms they have not joined.
func isModeration(typ string) bool {
	switch typ {
	case wire.TypeKick, wire.TypeBan, wire.TypeUnban, wire.TypeMute, wire.TypeUnmute, wire.TypeDelete:
		return true
	}
	return false
}

// moderate answers a moderation frame: "moderated", or an error ("forbidden" for members).
func (j *jsonSession) moderate(ctx context.Context, f *wire.ClientFrame) {
	if !hubbub.CanModerate(j.srv.roleOf(j.member)) {
		j.c.log.Info("moderation refused", "action", f.Type, "room", f.Room, "target", f.Name)
		j.fail(hubbub.Errorf(hubbub.ECodeForbidden, "only moderators and admins may %s", f.Type), f)
		return
	}
	actor := j.member.Name
	if j.member.UserID != "" {
		actor += " (" + j.member.UserID + ")"
	}
	done, err := j.srv.moderate(ctx, actor, moderation{action: f.Type, room: f.Room, name: f.Name,
		reason: f.Reason, duration: f.Duration, seq: f.Seq})
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(done)
}

// kickedRooms collects the rooms a moderator removed a session from. The rooms call add (with
// their lock held, from broker goroutines); the session's read loop drains it before each
// frame, so its own record of its rooms stays its own.
type kickedRooms struct {
	mu    sync.Mutex
	rooms []string
}

func (k *kickedRooms) add(room string) {
	k.mu.Lock()
	k.rooms = append(k.rooms, room)
	k.mu.Unlock()
}

// drain forgets every kicked room in joined.
func (k *kickedRooms) drain(joined map[string]bool) {
	k.mu.Lock()
	for _, r := range k.rooms {
		delete(joined, r)
	}
	k.rooms = k.rooms[:0]
	k.mu.Unlock()
}

// watchRemovals makes the hub tell this session when a moderator removes it from a room: it
// gets "left" after the "kicked" error, and forgets the room. Called before each join; the
// hook is set once, before the member is in any room.
func (j *jsonSession) watchRemovals() {
	if j.member.Removed != nil {
		return
	}
	out := j.c.out
	j.member.Removed = func(room, _ string) {
		out.Push(hub.NewRaw(wire.Encode(wire.NewLeft(room))))
		j.kicked.add(room)
	}
}

// textRemoved closes a text connection that a moderator removed from lobby with 1008; the
// "error: …" line the room queued goes out first. closeWith trims a long reason to fit the
// close frame.
func textRemoved(c *conn) func(room, reason string) {
	return func(_, reason string) {
		why := "kicked by a moderator"
		if reason != "" {
			why += ": " + reason
		}
		c.closeWith(websocket.ClosePolicyViolation, why, false)
	}
}
