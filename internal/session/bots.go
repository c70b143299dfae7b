package session

import (
	"context"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// Bots (docs/protocol.md, Bots): a bot signs in with its API token (hubbub.BotTokenPrefix)
// wherever a token may be given — hello's token, the /ws ?token= parameter, the hubbub_token
// cookie, an HTTP request's Authorization: Bearer — whatever --auth says, since an admin made
// it. It acts as its user (kind bot), enters only the rooms its patterns cover (join, the text
// protocol's lobby, search), and its messages carry the bot flag (hub.Member.Bot).
//
// An admin's change to a bot reaches its live connections on every node at once (botcache.go):
// a deleted bot's or rotated token's connections close with 1008, a connection in a room its
// new patterns leave out leaves it (a "left" frame). Each write checks the bot again too, from
// the cache.

// botIdentity is the identity of a bot's token raw: the live bot holding it, or unauthorized.
func (s *Service) botIdentity(ctx context.Context, raw string) (identity, error) {
	hash := hubbub.SecretHash(raw)
	gen := s.botGen() // before the read: a change after it makes followBot read again
	b, found, err := s.botByHash(ctx, hash)
	switch {
	case err != nil:
		return identity{}, s.storeFailed("bot by token", err)
	case !found:
		return identity{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "unknown bot token (deleted, rotated, or its bot disabled)")
	}
	b.User.Role = hubbub.RoleMember
	return identity{user: b.User, bot: newLiveBot(hash, gen, b)}, nil
}

// errBotRevoked is what a bot's connection is told when its token stops working.
func errBotRevoked() error {
	return hubbub.Errorf(hubbub.ECodeUnauthorized, "this bot's token no longer works (deleted, rotated, or its bot disabled)")
}

// botStill reads a bot connection's bot again (from the cache) before it writes (send, edit,
// react, delete): a change the broker did not carry (the CLI's) takes effect here once the
// cache forgets the bot. A token that no longer works closes the connection (1008); a room no
// longer covered is forbidden.
func (j *jsonSession) botStill(f *wire.ClientFrame) bool {
	ctx, cancel := context.WithTimeout(context.Background(), userLookupTimeout)
	defer cancel()
	b, found, err := j.svc.botByHash(ctx, j.id.bot.hash)
	switch {
	case err != nil:
		j.fail(j.svc.storeFailed("bot by token", err), f)
		return false
	case !found:
		j.fail(errBotRevoked(), f)
		j.p.Close(closePolicyViolation, "bot token revoked")
		return false
	}
	j.id.bot.cur.Store(&b)
	if f.Room != "" && !b.MayUse(f.Room) {
		j.fail(forbidden(f.Room), f)
		return false
	}
	return true
}

// followBot makes a bot's connection follow its bot's changes (botcache.go) from hello on:
// revoked, it is told and closed with 1008; narrowed, it leaves each room its bot no longer
// covers. A hello as another identity stops following the one before; End stops it too.
func (j *jsonSession) followBot() {
	if j.unfollowBot != nil {
		j.unfollowBot()
		j.unfollowBot = nil
	}
	if j.id.bot == nil {
		return
	}
	member, out := j.member, j.p.Outbox()
	j.unfollowBot = j.svc.followBot(j.id.bot, func(b *hubbub.Bot) {
		if b == nil {
			out.Push(hub.NewRaw(wire.Encode(wire.NewError(errBotRevoked(), nil))))
			j.p.Close(closePolicyViolation, "bot token revoked")
			return
		}
		for _, room := range j.rooms.list() {
			if !b.MayUse(room) {
				j.leaveForbidden(member, room)
			}
		}
	})
}

// leaveForbidden takes member out of room, which its bot may no longer use, and tells the
// client: a "left" frame, as a removal does. Safe from any goroutine.
func (j *jsonSession) leaveForbidden(member *hub.Member, room string) {
	if !j.rooms.has(room) {
		return
	}
	j.svc.hub.Leave(room, member)
	j.rooms.remove(room)
	j.p.Outbox().Push(hub.NewRaw(wire.Encode(wire.NewLeft(room))))
	j.p.Info("bot left a room it may no longer use", "room", room)
}

// botLostRoom undoes a join that raced a change of the bot's rooms: the join passed the check
// with the patterns before, and the change's sweep (followBot) may have run before the room
// was entered. It reports whether the room was left. The hub is left, and the client told
// "left" after its "joined", whether or not the session still records the room: a sweep that
// ran while the join read its replay found the room recorded but the member not yet in it, so
// it forgot the room and left nothing.
func (j *jsonSession) botLostRoom(room string) bool {
	if j.id.bot == nil || j.id.bot.MayUse(room) {
		return false
	}
	j.svc.hub.Leave(room, j.member)
	j.rooms.remove(room)
	j.p.Outbox().Push(hub.NewRaw(wire.Encode(wire.NewLeft(room))))
	j.p.Info("bot left a room it may no longer use", "room", room)
	return true
}

// followBot makes a text connection of a bot follow its bot's changes: the text protocol is
// lobby only, so a revoked token or a lobby no longer covered closes it with 1008.
func (t *textSession) followBot(lb *liveBot) {
	t.bot = lb
	t.unfollowBot = t.svc.followBot(lb, func(b *hubbub.Bot) {
		switch {
		case b == nil:
			t.refuse(hubbub.ErrorMessage(errBotRevoked()), closePolicyViolation)
		case !b.MayUse(hubbub.DefaultRoom):
			t.refuse(hubbub.ErrorMessage(forbidden(hubbub.DefaultRoom)), closePolicyViolation)
		}
	})
}

// botStill checks a text connection's bot before it writes, as the JSON protocol's does; a
// bot that may no longer write in lobby is closed.
func (t *textSession) botStill() bool {
	ctx, cancel := context.WithTimeout(context.Background(), userLookupTimeout)
	defer cancel()
	b, found, err := t.svc.botByHash(ctx, t.bot.hash)
	switch {
	case err != nil:
		t.say("error: " + hubbub.ErrorMessage(t.svc.storeFailed("bot by token", err)))
		return false
	case !found:
		t.refuse(hubbub.ErrorMessage(errBotRevoked()), closePolicyViolation)
		return false
	case !b.MayUse(hubbub.DefaultRoom):
		t.refuse(hubbub.ErrorMessage(forbidden(hubbub.DefaultRoom)), closePolicyViolation)
		return false
	}
	t.bot.cur.Store(&b)
	return true
}

// Bot returns the live bot whose API token raw is, for the REST API: found false for a token
// that is not a bot's or no live bot's; the error is the client's unavailable one.
func (s *Service) Bot(ctx context.Context, raw string) (hubbub.Bot, bool, error) {
	b, found, err := s.botByHash(ctx, hubbub.SecretHash(raw))
	if err != nil {
		return hubbub.Bot{}, false, s.storeFailed("bot by token", err)
	}
	return b, found, nil
}
