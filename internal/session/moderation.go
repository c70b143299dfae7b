package session

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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

// roleOf returns the role of m, set at hello: the user's, or a token's.
func (s *Service) roleOf(m *hub.Member) string {
	if m.Role == "" {
		return hubbub.RoleMember
	}
	return m.Role
}

// Forever is the duration of a ban or mute until lifted (hubbub.UntilLifted), on the wire and
// in the server API. A missing or empty duration stays an error, as it always was.
const Forever = "forever"

// ParseDuration reads a ban or mute duration: a positive Go duration such as "10m" or "24h",
// a whole number of days such as "7d", at most MaxSanction; or Forever, for which it returns
// a negative duration and forever true.
func ParseDuration(s string) (d time.Duration, forever bool, err error) {
	if s == Forever {
		return -1, true, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && strings.Trim(days, "0123456789") == "" {
		n, err := strconv.Atoi(days)
		if err != nil || n > int(MaxSanction/(24*time.Hour)) {
			return 0, false, tooLong()
		}
		d = time.Duration(n) * 24 * time.Hour
	} else if d, err = time.ParseDuration(s); err != nil {
		d = 0
	}
	if d <= 0 {
		return 0, false, hubbub.Errorf(hubbub.ECodeBadDuration, "duration must be a positive length such as \"10m\", \"24h\" or \"7d\", or \"forever\" (until lifted)")
	}
	if d > MaxSanction {
		return 0, false, tooLong()
	}
	return d, false, nil
}

func tooLong() error {
	return hubbub.Errorf(hubbub.ECodeBadDuration, "duration may be at most %d days (\"%dh\"), or \"forever\" (until lifted)", MaxSanction/(24*time.Hour), MaxSanction/time.Hour)
}

// CleanReason cleans a moderator's reason and checks its length.
func CleanReason(s string) (string, error) {
	s = hubbub.CleanText(s)
	if len(s) > maxReason {
		return "", hubbub.Errorf(hubbub.ECodeTooLong, "the reason is longer than %d bytes", maxReason)
	}
	return s, nil
}

// Moderation is what a moderation request asks for, from a frame or an API call.
type Moderation struct {
	// Action is kick, ban, unban, mute, unmute or delete (the frame types).
	Action string
	// Room is the room moderated.
	Room string
	// Name is the member sanctioned (all but delete): the user who holds that name.
	Name string
	// Target, if set, is the id of the user sanctioned instead (a kick frame's user): the
	// user who has it, by the name they go by now, which Name then becomes. A message names
	// its sender by the name they had; their id finds them after a rename.
	Target string
	// Reason is the moderator's reason, cleaned and checked here.
	Reason string
	// Duration is a ban's or mute's length, such as "10m".
	Duration string
	// Seq is the message a delete removes.
	Seq uint64
	// From, User, ClientID and Moderator are a delete's entry's: the actor's name and user id
	// ("" for the name's: see Hub.Send), the request's idempotency key, and whether the actor
	// deletes as a moderator (from its role).
	From      string
	User      string
	ClientID  string
	Moderator bool
	// ActorRole is the actor's server-wide role (RoleAdmin for the operator's API): only an
	// admin may kick, ban, mute, unban or unmute a moderator or an admin (outranks).
	ActorRole string
}

// Moderate carries out m for actor and returns the confirmation; the caller checked the role.
func (s *Service) Moderate(ctx context.Context, actor hub.Actor, m Moderation) (wire.Moderated, error) {
	done := wire.Moderated{Type: wire.TypeModerated, Action: m.Action, Room: m.Room, Name: m.Name}
	reason, err := CleanReason(m.Reason)
	if err != nil {
		return done, err
	}
	var byID *target // the target of a request by user id, found once
	if m.Target != "" && m.Action != wire.TypeDelete {
		t, err := s.targetByID(ctx, m.Room, m.Target, &m)
		if err != nil {
			return done, err
		}
		m.Name, done.Name, done.User = t.name, t.name, m.Target
		byID = &t
	}
	// find is whom the request names: by id, or by name (target's rules).
	find := func() (target, error) {
		if byID != nil {
			return *byID, nil
		}
		return s.target(ctx, m.Room, m.Name, &m)
	}
	switch m.Action {
	case wire.TypeKick:
		// The name the room shows first: "ann" kicks the Ann in the room (as "ann" bans her),
		// and the rank rule judges whom the kick reaches, not what was typed.
		switch shown, listed := s.memberShowing(m.Room, m.Name); {
		case shown != "":
			m.Name, done.Name = shown, shown
		case listed:
			done.Note = fmt.Sprintf("nobody called %q is in the room: this kicks nobody; check the spelling", m.Name)
		}
		var t target
		if m.ActorRole == hubbub.RoleAdmin && byID == nil { // the rank rule: an admin outranks everyone
			t, err = s.findTarget(ctx, m.Room, m.Name)
		} else {
			t, err = find()
		}
		if err != nil {
			return done, err
		}
		// Out of the list before the connections are out of the room: a join again right
		// after the kick, which puts the room back in the list, is then not undone by this.
		s.unlist(ctx, m.Room, t)
		err = s.hub.Kick(ctx, actor, m.Room, m.Name, reason)
	case wire.TypeBan, wire.TypeMute:
		var d time.Duration
		var forever bool
		if d, forever, err = ParseDuration(m.Duration); err != nil {
			return done, err
		}
		var t target
		if t, err = find(); err != nil {
			return done, err
		}
		m.Name, done.Name = t.nameOr(m.Name), t.nameOr(m.Name)
		until := time.Now().Add(d).UTC().Truncate(time.Millisecond)
		if forever {
			until = hubbub.UntilLifted
		}
		done.Until = wire.FormatTime(until)
		done.Note = s.anonymousTargetNote(t, m.Name)
		err = s.hub.Sanction(ctx, actor, hubbub.Sanction{Room: m.Room, User: t.id, Name: m.Name,
			Kind: sanctionKind(m.Action), Until: until, Reason: reason})
		if err == nil && m.Action == wire.TypeBan {
			s.unlist(ctx, m.Room, t) // after the ban, which keeps them from joining again meanwhile
		}
	case wire.TypeUnban, wire.TypeUnmute:
		var t target
		if t, err = find(); err != nil {
			return done, err
		}
		m.Name, done.Name = t.nameOr(m.Name), t.nameOr(m.Name)
		err = s.hub.Sanction(ctx, actor, hubbub.Sanction{Room: m.Room, User: t.id, Name: m.Name, Kind: sanctionKind(m.Action)})
	case wire.TypeDelete:
		done.Name, done.Seq = "", m.Seq
		_, _, err = s.hub.Send(ctx, &hubbub.Entry{Room: m.Room, From: m.From, User: m.User, Kind: hubbub.KindDelete, Target: m.Seq,
			ClientID: m.ClientID, Moderator: m.Moderator})
	default:
		err = hubbub.Errorf(hubbub.ECodeUnknownType, "unknown moderation %q", m.Action)
	}
	return done, err
}

// unlist takes a public room out of the list of rooms of the stored user a kick or ban
// removes from it, as leaving it for good does (part): a public room has no remove, so the
// kick is how its moderators remove someone, and its stored members are the users who have it
// in their list. Left in it, a kicked member still connected was listed by the room's members
// (with their presence, online) a moment after everyone saw them leave, as if back in the room.
// A private room or a DM keeps its members: there a kicked member stays one and may join
// again, and remove is what ends a membership. So its kicks and bans write nothing: whether
// the room is public is the node's memory for a public room (roomPublic), a read for a
// private one, where LeaveRoom was a write transaction (on SQLite's one writer; on
// PostgreSQL under the room's lock) only to be refused forbidden, as it still is should the
// room become private meanwhile. A store failure leaves the list as it was and is logged;
// the kick or ban itself still goes ahead.
func (s *Service) unlist(ctx context.Context, room string, t target) {
	if !t.stored {
		return // an anonymous user has no list
	}
	if public, err := s.roomPublic(ctx, room); err == nil && !public {
		return // (a failed read leaves it to LeaveRoom, which reads the room itself)
	}
	handover, err := s.hub.Store().LeaveRoom(ctx, room, t.id)
	switch {
	case hubbub.ErrorCode(err) == hubbub.ECodeForbidden:
	case err != nil:
		s.hub.Logger().Warn("store leave room failed: the removed member stays in its list", "room", room, "user", t.id, "err", err)
	default:
		// If the room's only owner was removed, the store made another member owner, an
		// entry the members see now, as when an owner parts (Announce logs a broker failure).
		_ = s.hub.Handover(ctx, handover)
	}
}

// target is the user a moderator names in a room: id is whom a ban or mute applies to.
type target struct {
	id      string
	name    string // a stored user's name as stored ("Ann" for a ban of "ann"), else ""
	role    string // a stored user's role, as a connection of theirs gets it (storedRole)
	stored  bool   // id is a stored user's
	present bool   // a member of the room on this node shows the name
}

// nameOr is the stored user's name, which a confirmation and a sanction's record give as the
// user spells it (as a kick gives the name the room shows), else typed, the name as typed.
func (t target) nameOr(typed string) string {
	if t.name != "" {
		return t.name
	}
	return typed
}

// target checks the room and name a moderation names and finds the user it applies to: the
// stored user who holds the name (look-alikes included), else the member of the room on this
// node who shows it (an operator may have renamed a stored user, whose open connections keep
// the old name until they reconnect), else the anonymous user of that name. So a sanction
// follows the user across a change of name, and a keyless name is sanctioned as itself. A
// moderation of a moderator or an admin is refused unless m's actor is an admin (outranks).
func (s *Service) target(ctx context.Context, room, name string, m *Moderation) (target, error) {
	if err := hubbub.ValidateRoom(room); err != nil {
		return target{}, err
	}
	if err := hubbub.ValidateName(name); err != nil {
		return target{}, err
	}
	t, err := s.findTarget(ctx, room, name)
	if err != nil {
		return target{}, err
	}
	if t.stored && !outranks(m.ActorRole, t.role) {
		return target{}, rankRefusal(name, t.role, m.Action+" them")
	}
	return t, nil
}

// targetByID finds the user a moderation names by id (Moderation.Target) and the name they
// go by now: the stored user of that id, else the member of the room on this node who has it
// (an anonymous user, or any user on a server without a user store). An id nobody has is
// not_found; a moderator or admin is refused unless m's actor is an admin (outranks).
func (s *Service) targetByID(ctx context.Context, room, id string, m *Moderation) (target, error) {
	if err := hubbub.ValidateRoom(room); err != nil {
		return target{}, err
	}
	if s.cfg.Users != nil && storedUserID(id) {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		u, found, err := s.cfg.Users.UserByID(ctx, id)
		if err != nil {
			return target{}, s.storeFailed("user by id", err)
		}
		if found {
			t := target{id: u.ID, name: u.Name, role: s.storedRole(&u), stored: true}
			if !outranks(m.ActorRole, t.role) {
				return target{}, rankRefusal(u.Name, t.role, m.Action+" them")
			}
			_, t.present = s.hub.MemberUsers(room, []string{u.Name})[u.Name]
			return t, nil
		}
	}
	names := s.hub.Members(room)
	for name, user := range s.hub.MemberUsers(room, names) {
		if user == id {
			return target{id: id, name: name, present: true}, nil
		}
	}
	return target{}, hubbub.Errorf(hubbub.ECodeNotFound, "no user has the id %q (in room %s)", truncateID(id), room)
}

// truncateID shortens an id for an error message.
func truncateID(id string) string {
	if len(id) > 48 {
		return id[:48] + "…"
	}
	return id
}

// findTarget is target's lookup: at most a read by name and one by id.
func (s *Service) findTarget(ctx context.Context, room, name string) (target, error) {
	var t target
	if s.cfg.Users != nil {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		defer cancel()
		u, found, err := s.cfg.Users.UserByName(ctx, name)
		if err != nil {
			return target{}, s.storeFailed("user by name", err)
		}
		if found {
			return target{id: u.ID, name: u.Name, role: s.storedRole(&u), stored: true}, nil
		}
		t.id = s.hub.MemberUsers(room, []string{name})[name]
		t.present = t.id != ""
		if storedUserID(t.id) {
			if u, found, err = s.cfg.Users.UserByID(ctx, t.id); err != nil {
				return target{}, s.storeFailed("user by id", err)
			}
			if found {
				return target{id: u.ID, role: s.storedRole(&u), stored: true, present: true}, nil
			}
		}
	} else {
		t.id = s.hub.MemberUsers(room, []string{name})[name]
		t.present = t.id != ""
	}
	if t.id == "" {
		t.id = anonymous(name).user.ID
	}
	return t, nil
}

// memberShowing returns the name shown in room that is name or its look-alike (the same
// hubbub.NameKey), "" if none, and whether this node lists the room's members (it does, on
// every node, while one of its own connections is in the room): the note of a kick of a name
// nobody shows, and the name the rank rule judges. A target that has just joined on another
// node may not be listed yet, so its absence is a note, not a refusal; every node's kick
// matches look-alikes itself (hub.Hub.Kick).
func (s *Service) memberShowing(room, name string) (shown string, listed bool) {
	names := s.hub.Members(room)
	if slices.Contains(names, name) {
		return name, true
	}
	if i := slices.IndexFunc(names, func(n string) bool { return hubbub.SameName(n, name) }); i >= 0 {
		return names[i], true
	}
	return "", len(names) > 0
}

// outranks reports whether an actor of role actorRole may moderate a user of role target:
// only an admin moderates the moderators (and the admins) — a moderator (or a room's owner)
// could otherwise silence the people who moderate them, or undo an admin's sanction of a
// fellow moderator. A token's user is judged by its stored role, the one its last token gave.
func outranks(actorRole, target string) bool {
	return actorRole == hubbub.RoleAdmin || !hubbub.CanModerate(target)
}

// rankRefusal is the refusal of a moderation outranks refuses: "ann is a server admin: only an
// admin may kick them".
func rankRefusal(name, role, what string) error {
	return hubbub.Errorf(hubbub.ECodeForbidden, "%s is a server %s: only an admin may %s", name, role, what)
}

// anonymousTargetNote is a ban's or mute's note when it resolved to the anonymous user of a
// name no stored user holds: "" when a keyless client of that name is in the room here; else
// that it applies to such a client only — or, on a server that lets no keyless client in, to
// nobody. A typo's ban otherwise read as done.
func (s *Service) anonymousTargetNote(t target, name string) string {
	if s.cfg.Users == nil || t.stored || t.present {
		return ""
	}
	if s.cfg.Auth != "" && s.cfg.Auth != AuthGuest {
		return fmt.Sprintf("no user holds the name %q, and this server lets no client in without an account or a token: this keeps nobody out; check the spelling", name)
	}
	return fmt.Sprintf("no user holds the name %q: this applies only to a client without a key (text protocol) that calls itself so; check the spelling", name)
}

// mayDeleteAsModerator refuses a moderator's (or a room owner's) delete of a message whose
// sender is a server moderator or admin (outranks). The actor's own messages, and a message
// not found (the delete then says so), pass. It reads the message and its sender:
// moderators' deletes only.
func (s *Service) mayDeleteAsModerator(ctx context.Context, room string, seq uint64, actor, actorRole string) error {
	if s.cfg.Users == nil || hubbub.ValidateRoom(room) != nil || seq == 0 {
		return nil
	}
	m, found, err := s.hub.Message(ctx, room, seq)
	if err != nil {
		return s.storeFailed("message", err) // not let through unread: it may be an admin's
	}
	if !found || m.User == actor || !storedUserID(m.User) {
		return nil // the delete's own checks answer these
	}
	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	u, found, err := s.cfg.Users.UserByID(ctx, m.User)
	if err != nil {
		return s.storeFailed("user by id", err)
	}
	if role := s.storedRole(&u); found && !outranks(actorRole, role) {
		return rankRefusal(u.Name, role, "delete their messages")
	}
	return nil
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
	moderator := j.mayModerate(ctx, f.Room)
	if !moderator {
		j.p.Info("moderation refused", "action", f.Type, "room", f.Room, "target", f.Name)
		j.fail(hubbub.Errorf(hubbub.ECodeForbidden, "only moderators and admins may %s", f.Type), f)
		return
	}
	actor := hub.Actor{Log: j.member.CurrentName(), Name: j.member.CurrentName(), User: j.member.UserID}
	if j.member.UserID != "" {
		actor.Log += " (" + j.member.UserID + ")"
	}
	done, err := j.svc.Moderate(ctx, actor, Moderation{Action: f.Type, Room: f.Room, Name: f.Name, Target: f.User,
		Reason: f.Reason, Duration: f.Duration, Seq: f.Seq,
		From: j.member.CurrentName(), User: j.member.UserID, ClientID: f.ID, Moderator: moderator,
		ActorRole: j.svc.roleOf(j.member)})
	if err != nil {
		j.fail(err, f)
		return
	}
	j.reply(done)
}

// watchRemovals makes the hub tell this session when a moderator removes it from a room: it
// gets "left" after the "kicked" error, and forgets the room at once (joinedRooms). Called
// before each join; the hook is set once, before the member is in any room.
func (j *jsonSession) watchRemovals() {
	if j.member.Removed != nil {
		return
	}
	out := j.p.Outbox()
	j.member.Removed = func(room, _ string) {
		out.Push(hub.NewRaw(wire.Encode(wire.NewLeft(room))))
		j.rooms.remove(room)
	}
}

// textRemoved closes a text connection that a moderator removed from lobby with 1008; the
// "error: …" line the room queued goes out first. The transport trims a long reason to fit the
// close frame.
func textRemoved(p Peer) func(room, reason string) {
	return func(_, reason string) {
		why := "kicked by a moderator"
		if reason != "" {
			why += ": " + reason
		}
		p.Close(closePolicyViolation, why)
	}
}
