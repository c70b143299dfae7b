package session

import (
	"context"
	"errors"
	"strings"

	"hubbub"
	"hubbub/internal/hub"
)

// Who may enter and read a room (docs/protocol.md, Conversations). A public room is open to
// everyone; a private room or a direct message only to its members, and an invitee enters it by
// joining. The checks read the Store's rooms (hubbub.RoomStore, which every Store is): one read for a member, two
// for anyone else.

// storeRefused turns a Store's error into what a client is told: its own refusal as it is, any
// other failure as unavailable (logged).
func (s *Service) storeRefused(op string, err error) error {
	var refused *hubbub.Error
	if errors.As(err, &refused) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// The request's own time bound (--search-timeout, a request's deadline) ran out: the
		// store is slow for this request, not broken, so no error is logged for it.
		s.hub.Logger().Warn("store "+op+" took longer than the request allows", "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "%s took too long; try again", op)
	}
	s.hub.Logger().Error("store "+op+" failed", "err", err)
	return hubbub.Errorf(hubbub.ECodeUnavailable, "%s failed; try again", op)
}

// storedUser reports whether m acts for a user the Store keeps (with a room list, read
// positions and room roles), rather than an anonymous one.
func storedUser(m *hub.Member) bool {
	return m.UserID != "" && !strings.HasPrefix(m.UserID, hubbub.AnonymousPrefix)
}

// hideDM refuses a request about a direct message from someone not among its people as one
// about a direct message that does not exist (hubbub.NoDMError), for the frames that refused
// each in its own way (part, topic, invite, remove, role: "no room", or what a DM does not
// allow), so that no answer tells whether two people talk. A server moderator or admin, who
// moderates every room, is told.
func (j *jsonSession) hideDM(ctx context.Context, room string) error {
	if !hubbub.IsDMRoom(room) || hubbub.CanModerate(j.svc.roleOf(j.member)) {
		return nil
	}
	m, found, err := j.svc.hub.Store().Membership(ctx, room, j.member.UserID)
	switch {
	case err != nil:
		return j.svc.storeRefused("reading your membership", err)
	case found && !m.Invited:
		return nil
	}
	return hubbub.NoDMError(room)
}

// privateError is the refusal of a private room to someone who is not a member.
func privateError(room string) error {
	return hubbub.Errorf(hubbub.ECodeForbidden, "room %q is private: only its members may join and read it", room)
}

// entry is what may enter a room, as mayEnter found it.
type entry struct {
	member  hubbub.Membership // the user's membership, if any
	isIn    bool              // a member or an invitee
	invited bool              // an invitee, who accepts by joining
}

// mayEnter reports whether user may join and read room, and how: as a member, as an invitee
// (whose join accepts), or as anyone (a public room). user is "" or anonymous for a user the
// Store does not keep.
func (s *Service) mayEnter(ctx context.Context, room, user string) (entry, error) {
	rs := s.hub.Store()
	var in entry
	if user != "" && !strings.HasPrefix(user, hubbub.AnonymousPrefix) {
		m, found, err := rs.Membership(ctx, room, user)
		if err != nil {
			return entry{}, s.storeRefused("reading your membership", err)
		}
		if found && !m.Invited {
			return entry{member: m, isIn: true}, nil
		}
		in.member, in.isIn, in.invited = m, found, found
	}
	if s.cfg.Cache != nil && !hubbub.IsDMRoom(room) {
		// A public room's answer is the node's memory while the rooms' generation holds (it
		// moves when any room becomes private); a private one is read below each time.
		public, err := s.roomPublic(ctx, room)
		if err != nil {
			return entry{}, s.storeRefused("reading the room", err)
		}
		if public {
			return in, nil
		}
	}
	meta, found, err := rs.RoomMeta(ctx, room)
	if err != nil {
		return entry{}, s.storeRefused("reading the room", err)
	}
	// A "dm." room with entries but no DM's metadata (the server API's publish wrote such
	// rooms before it refused them) is no one's conversation, not a public room.
	if err := hubbub.DMNotStarted(room, meta, found); err != nil {
		return entry{}, err
	}
	switch {
	case meta.DM && !in.isIn:
		return entry{}, hubbub.NoDMError(room) // as one that does not exist (NoDMError)
	case meta.Private && !in.invited:
		return entry{}, privateError(room)
	}
	return in, nil
}

// roomPublic reports whether room is public, neither private nor a DM (a room the store does
// not hold is): from the node's store cache, which keeps public answers while the rooms'
// generation holds, for a name no DM has, else read from the store's metadata.
func (s *Service) roomPublic(ctx context.Context, room string) (bool, error) {
	read := func(ctx context.Context) (bool, error) {
		meta, _, err := s.hub.Store().RoomMeta(ctx, room)
		return !meta.Private && !meta.DM, err
	}
	if c := s.cfg.Cache; c != nil && !hubbub.IsDMRoom(room) {
		return c.RoomPublic(ctx, room, read)
	}
	return read(ctx)
}

// MayRead reports why user (a user id; "" for a backend acting for no user) may not read room's
// history, or nil if they may: a private room's history is its members' only, and no room's
// is for a user banned from it (ECodeBanned) — a ban keeps a private room's member a member,
// and without this they searched it, downloaded its files and listed its members while they
// might not join it. The REST API calls it before reading for a user, as hubbub.v1's join
// does.
func (s *Service) MayRead(ctx context.Context, room, user string) error {
	if user == "" {
		return nil
	}
	in, err := s.mayEnter(ctx, room, user)
	switch {
	case err != nil:
		return err
	case in.invited:
		return privateError(room) // an invitee reads once they join
	}
	return s.hub.Banned(ctx, room, user, "")
}

// enter checks that the session's user may join room, and returns what joining means to the
// Store, for the hub to record once the room is open (hub.JoinRequest.Record): an invitee's
// join is the entry that makes them a member; a stored user's first join of a public room puts
// it in their list of rooms. record is nil when there is nothing to record. Recording before
// the hub opened the room put a room whose join was then refused (NATS down: unavailable) in
// the user's list, on every device, as if joined. unrecord undoes record, for a join the hub
// refuses after recording it (hub.JoinRequest.Unrecord), or that a bot's rooms narrowed since
// takes out again: a stored user's first join of a public room leaves the user's list as it
// was. An invitee's acceptance is not undone (it is an entry of the room's log, seen by its
// members; the room was in the invitee's list, as an invitation, before): the hub's checks
// that come before the record — a full room — keep most refusals from coming after it.
//
// member reports whether the user entered as a member or invitee, whose membership the join
// must check again once it is in the room (stillMember). (mayEnter reads a member's
// membership only, not whether the room is private, so a public room's member is checked
// again too: one more indexed read per join of a stored user's own room.)
func (j *jsonSession) enter(ctx context.Context, room string) (member bool, record, unrecord func(context.Context) error, err error) {
	in, err := j.svc.mayEnter(ctx, room, j.member.UserID)
	if err != nil || !storedUser(j.member) {
		return false, nil, nil, err
	}
	if !in.isIn || in.invited {
		// The hub refuses a banned user's join too, but only after record: a public room was
		// put back in the list its ban took it out of (and searched with it), an invitee made
		// a member, by a join that was then refused.
		if err := j.svc.hub.Banned(ctx, room, j.member.UserID, j.member.CurrentName()); err != nil {
			return false, nil, nil, err
		}
	}
	if !in.isIn {
		// A first join is a write (the membership; for a new name, the room), so it is rate
		// limited: without it one connection joining and leaving made-up names stored rooms
		// as fast as the store could write them. Its bucket is the send rate's with a burst
		// of a connection's rooms at least, so that a client joining all its rooms at once
		// (a bot's at its first connect) is not refused. It is spent before the hub opens
		// the room, so that a client past it opens nothing.
		cfg := &j.svc.cfg
		if err := j.spend(&j.joins, cfg.SendRate, max(cfg.SendBurst, cfg.MaxRoomsPerConn), "joining new rooms"); err != nil {
			return false, nil, nil, err
		}
	}
	if in.isIn && !in.invited {
		return true, nil, nil, nil
	}
	record = func(ctx context.Context) error { return j.record(ctx, room, in) }
	if !in.isIn {
		unrecord = func(ctx context.Context) error { return j.unrecord(ctx, room) }
	}
	return in.isIn, record, unrecord, nil
}

// stillMember checks, after the join of a room the user entered as a member, that they still
// are one: a removal stored and delivered between enter's check and the hub's join found no
// connection of theirs in the room to evict, so without this second read the removed member
// would stay in the room and receive its messages. A store failure counts as no.
func (j *jsonSession) stillMember(ctx context.Context, room string) error {
	m, found, err := j.svc.hub.Store().Membership(ctx, room, j.member.UserID)
	switch {
	case err != nil:
		return j.svc.storeRefused("reading your membership", err)
	case !found || m.Invited:
		return privateError(room)
	}
	return nil
}

// record writes what entering room means to the Store (see enter): called by the hub once
// the room is open, before the member is added.
func (j *jsonSession) record(ctx context.Context, room string, in entry) error {
	switch {
	case in.invited:
		role := in.member.Role
		if role == "" {
			role = hubbub.RoomMember
		}
		_, _, err := j.svc.hub.Send(ctx, &hubbub.Entry{Room: room, Kind: hubbub.KindMember, From: j.member.CurrentName(), User: j.member.UserID,
			Subject: j.member.UserID, SubjectName: j.member.CurrentName(), Action: hubbub.MemberJoin, Role: role})
		return err
	case !in.isIn:
		handover, err := j.svc.hub.Store().JoinRoom(ctx, room, j.member.UserID)
		if err != nil {
			return j.svc.storeRefused("adding the room to your list", err)
		}
		// A room that had lost its owner (its only owner parted it alone) is the joiner's
		// now, an entry its members see at once. Should the broker fail, the join still
		// stands (Announce logs it) and they get the entry with the room's next one.
		_ = j.svc.hub.Handover(ctx, handover)
	}
	return nil
}

// unrecord takes room out of the user's list again, which record put there for a first join
// of the public room that was then refused (see enter). Should the user have been its only
// owner since (record's handover), the room is handed over as at any leave.
func (j *jsonSession) unrecord(ctx context.Context, room string) error {
	handover, err := j.svc.hub.Store().LeaveRoom(ctx, room, j.member.UserID)
	if err != nil {
		return err
	}
	_ = j.svc.hub.Handover(ctx, handover) // as record's: Announce logs a failure
	return nil
}

// mayModerate reports whether the session's user may moderate room: a server moderator or
// admin anywhere, the room's owner or moderators there (hubbub.CanModerateRoom).
func (j *jsonSession) mayModerate(ctx context.Context, room string) bool {
	if hubbub.CanModerate(j.svc.roleOf(j.member)) {
		return true
	}
	if !storedUser(j.member) || hubbub.ValidateRoom(room) != nil {
		return false
	}
	rs := j.svc.hub.Store()
	m, found, err := rs.Membership(ctx, room, j.member.UserID)
	if err != nil {
		j.p.Info("room role unknown: the store failed", "room", room, "err", err)
		return false
	}
	return found && !m.Invited && hubbub.CanModerateRoom("", m.Role)
}
