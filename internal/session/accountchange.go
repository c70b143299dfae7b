package session

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/sqlstore"
)

// A connection is opened for a user as the store knew them then: their role decides what it may
// do (moderation), and a disabled account may not connect at all. When the store's users change
// — `hubbub user role` or `disable` beside the server, on another node, or here — the server
// reads the users connected to this node again (RecheckUsers) and ends the connections whose
// account no longer matches: a demoted moderator could otherwise go on moderating, and a
// disabled user go on talking, until they chose to reconnect. The client reconnects as usual
// and gets the account as it is now (a role's welcome, or a disabled account's refusal).
// Likewise a connection a session cookie opened ends when that session is signed out (on
// this device, everywhere, or by `hubbub user passwd`): the user's SignOuts moved, and the
// session is read again to learn whether it was this one.

// closeAccountChanged is the close code for a connection whose account changed: policy
// violation (1008), which every client answers by reconnecting after its backoff.
const closeAccountChanged = closePolicyViolation

// accountChanged returns the Member.AccountChanged of m, a connection of p acting for id: it
// ends the connection when the stored user is disabled now, or (for a user whose role is the
// store's, not a token's) when the role the connection would get now is not the one it has,
// or when the session cookie that opened it was signed out.
func (s *Service) accountChanged(id *identity, m *hub.Member, p Peer) func(context.Context, hubbub.User) error {
	if !storedUserID(id.user.ID) || id.user.Kind == hubbub.UserBot {
		// An anonymous user: nothing stored changes. A bot: its token's checks end its
		// connections when it is deleted or its rooms change (bots.go).
		return nil
	}
	fromToken := id.claims != nil
	var signOuts atomic.Uint64 // the user's SignOuts when the session was last found live
	signOuts.Store(id.user.SignOuts)
	return func(ctx context.Context, u hubbub.User) error {
		reason := ""
		switch {
		case u.Disabled:
			reason = "your account was disabled"
		case !fromToken && s.storedRole(&u) != m.Role:
			reason = "your role changed to " + s.storedRole(&u) + "; connecting again gives it"
		case id.user.Kind == hubbub.UserGuest && u.Kind != hubbub.UserGuest && id.session == "" && !fromToken:
			// The guest's name got a password (`hubbub user passwd`, or /account from
			// another browser): its key, which opened this connection, signs nobody in now.
			reason = "your name now has a password: sign in at /signin to go on"
		case id.session != "" && u.SignOuts != signOuts.Load():
			live, err := s.sessionLive(ctx, id.session)
			if err != nil {
				return err // signOuts unchanged: the pass run again checks again
			}
			if live {
				signOuts.Store(u.SignOuts) // another session of the user was signed out
				return nil
			}
			reason = "you were signed out"
		default:
			return nil
		}
		p.Info("account changed: closing", "user", u.ID, "reason", reason)
		p.Close(closeAccountChanged, reason)
		return nil
	}
}

// RecheckUsers reads the stored users connected to this node again and gives each of their
// connections its user (Member.AccountChanged), which ends those whose account changed, and
// re-reads the bot of each live bot connection. The server calls it when the store's users
// changed (storecache.Cache.OnUsersChanged), after ForgetBots. An error
// (a read that failed, here or in a connection's check) asks for another pass.
func (s *Service) RecheckUsers(ctx context.Context) error {
	s.rechecks.Add(1)
	// A bot's change moves the users' count too (hubbub.Generations): its live connections
	// lose what their bot may no longer use, as an API change would have them (ForgetBots has
	// emptied the cache, so each bot is read from the store).
	s.recheckLiveBots()
	if s.cfg.Users == nil {
		return nil
	}
	var ids []string
	for _, id := range s.hub.ConnectedUsers() {
		if storedUserID(id) {
			ids = append(ids, id)
		}
	}
	var failed error
	for len(ids) > 0 {
		page := ids[:min(len(ids), sqlstore.MaxUsersByID)]
		ids = ids[len(page):]
		users, err := s.cfg.Users.UsersByID(ctx, page)
		if err != nil {
			return err
		}
		for _, u := range users {
			s.followRename(u)
			for _, m := range s.hub.UserConnections(u.ID) {
				if m.AccountChanged == nil {
					continue
				}
				if err := m.AccountChanged(ctx, u); err != nil && failed == nil {
					failed = fmt.Errorf("checking the session of a connection of %s: %w", u.ID, err)
				}
			}
		}
	}
	return failed
}

// followRename gives the connections of u on this node u's stored name, if they show another:
// the user was renamed (a guest's other device said hello with a new name, `hubbub user
// rename`, the API), here or on another node. The connections stay (closing them would have
// each device reconnect with the name it remembers, renaming the user back); the hub moves
// them to the new name in their rooms and tells their clients (Hub.RenameUser).
func (s *Service) followRename(u hubbub.User) {
	if u.Name == "" {
		return
	}
	for _, m := range s.hub.UserConnections(u.ID) {
		if m.CurrentName() != u.Name {
			if s.hub.RenameUser(u.ID, u.Name) > 0 {
				s.hub.Go(func() { s.tellDMPeople(u.ID) })
			}
			return
		}
	}
}

// dmPeopleTimeout bounds the store reads that tell a renamed user's DM partners (tellDMPeople).
const dmPeopleTimeout = 10 * time.Second

// tellDMPeople sends the other people of each direct message of user, just renamed, the DM
// as their list has it now (a room frame, whose people name user by the new name). The hub's
// rename tells only the rooms user's connections are in: a partner whose DM with user is
// not one of them — user was not in it, or shares no room with them at all — went on
// showing the DM by the old name until their next room list. The room frame is the
// partner's own row (their read position and counts, read by MyRoom), since a client
// replaces the row it had. Every node holding a connection of user sends it: the frame says
// the same each time.
func (s *Service) tellDMPeople(user string) {
	ctx, cancel := context.WithTimeout(context.Background(), dmPeopleTimeout)
	defer cancel()
	rs := s.hub.Store()
	rooms, err := rs.MyRooms(ctx, user)
	if err != nil {
		s.hub.Logger().Warn("a renamed user's DMs not read: their people see the new name with their next room list", "user", user, "err", err)
		return
	}
	for _, r := range rooms {
		if !r.DM || r.Invited {
			continue
		}
		members, err := dmMembers(ctx, rs, r.Name)
		if err != nil {
			s.hub.Logger().Warn("a renamed user's DM not read", "user", user, "room", r.Name, "err", err)
			continue
		}
		for _, m := range members {
			if m.User == user || m.Invited {
				continue
			}
			// The partner's one row, not their whole list: a rename told to the people of many
			// DMs would otherwise read each partner's every room, with its counts.
			row, found, err := rs.MyRoom(ctx, m.User, r.Name)
			if err == nil && found {
				err = s.hub.Notify(ctx, hubbub.UserNotified{User: m.User, Room: r.Name, Listed: &row})
			}
			if err != nil {
				s.hub.Logger().Warn("a renamed user's DM partner not told", "user", user, "partner", m.User, "err", err)
			}
		}
	}
}

// recheckMark is what attachUser compares with: the passes begun so far. A session notes
// it before it reads its user at hello.
func (s *Service) recheckMark() uint64 { return s.rechecks.Load() }

// attachUser puts connection m of p on its user's channel (Hub.Attach), where account checks
// find connections, and checks m's account once more if a pass began since mark (before its
// hello read the account): that pass did not see m, and a sign-out it was made for would
// otherwise leave m open until the next change. Every stored user's connection comes here.
// claimed says that m's hello claimed its name for a guest (identity.claimed), which may have
// renamed the user: their other connections here take the name now (followRename), and
// those on other nodes at their next account check. Most such hellos rename nothing, and cost
// a look at the user's connections here.
func (s *Service) attachUser(ctx context.Context, mark uint64, m *hub.Member, p Peer, claimed bool) error {
	err := s.hub.Attach(m)
	if claimed {
		s.followRename(hubbub.User{ID: m.UserID, Name: m.CurrentName()})
	}
	if m.AccountChanged == nil || s.cfg.Users == nil || s.rechecks.Load() == mark {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	u, found, rerr := s.cfg.Users.UserByID(ctx, m.UserID)
	if rerr == nil && found {
		s.followRename(u)
		rerr = m.AccountChanged(ctx, u)
	}
	if rerr != nil {
		p.Info("account check after hello failed; the next change checks again", "err", rerr)
	}
	return err
}

// sessionLive reports whether the login session with hash id still exists (not signed out,
// not expired).
func (s *Service) sessionLive(ctx context.Context, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	_, _, found, err := s.cfg.Users.Session(ctx, id)
	return found, err
}

// storedRole is the role a connection of stored user u gets without a token: the stored role,
// or Config.RoleFor's.
func (s *Service) storedRole(u *hubbub.User) string {
	role := u.Role
	if s.cfg.RoleFor != nil {
		if r := s.cfg.RoleFor(u.Name, u.ID); r != "" {
			role = r
		}
	}
	if role == "" {
		role = hubbub.RoleMember
	}
	return role
}

// dmMembers returns every membership of room, a DM (a few people: --max-dm-members).
func dmMembers(ctx context.Context, rs hubbub.RoomStore, room string) ([]hubbub.Membership, error) {
	const page = 100
	var all []hubbub.Membership
	after := ""
	for {
		ms, err := rs.Members(ctx, room, after, page)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
		if len(ms) < page {
			return all, nil
		}
		after = ms[len(ms)-1].User
	}
}
