package session

import (
	"context"

	"hubbub"
	"hubbub/internal/wire"
)

// Bots (docs/protocol.md, Bots): a bot signs in with its API token (hubbub.BotTokenPrefix)
// wherever a token may be given — hello's token, the /ws ?token= parameter, the hubbub_token
// cookie, an HTTP request's Authorization: Bearer — whatever --auth says, since an admin made
// it. It acts as its user (kind bot), enters only the rooms its patterns cover (join, the text
// protocol's lobby, search), and its messages carry the bot flag (hub.Member.Bot).

// botIdentity is the identity of a bot's token raw: the live bot holding it, or unauthorized.
func (s *Service) botIdentity(ctx context.Context, raw string) (identity, error) {
	b, found, err := s.hub.Store().BotByToken(ctx, hubbub.SecretHash(raw))
	switch {
	case err != nil:
		return identity{}, s.storeFailed("bot by token", err)
	case !found:
		return identity{}, hubbub.Errorf(hubbub.ECodeUnauthorized, "unknown bot token (deleted, rotated, or its bot disabled)")
	}
	b.User.Role = hubbub.RoleMember
	return identity{user: b.User, bot: &b, botHash: hubbub.SecretHash(raw)}, nil
}

// botStill reads a bot connection's bot again before it writes (send, edit, react, delete):
// a deleted bot, a rotated token or a room taken out of its patterns takes effect at the
// connection's next write, on every node, with no message between nodes. A token that no
// longer works closes the connection (1008); a room no longer covered is forbidden. The
// connection's identity is not changed (other goroutines read it): the check is read again
// on each write.
func (j *jsonSession) botStill(f *wire.ClientFrame) bool {
	ctx, cancel := context.WithTimeout(context.Background(), userLookupTimeout)
	defer cancel()
	b, found, err := j.svc.hub.Store().BotByToken(ctx, j.id.botHash)
	switch {
	case err != nil:
		j.fail(j.svc.storeFailed("bot by token", err), f)
		return false
	case !found:
		j.fail(hubbub.Errorf(hubbub.ECodeUnauthorized, "this bot's token no longer works (deleted, rotated, or its bot disabled)"), f)
		j.p.Close(closePolicyViolation, "bot token revoked")
		return false
	case f.Room != "" && !b.MayUse(f.Room):
		j.fail(forbidden(f.Room), f)
		return false
	}
	return true
}

// Bot returns the live bot whose API token raw is, for the REST API: found false for a token
// that is not a bot's or no live bot's; the error is the client's unavailable one.
func (s *Service) Bot(ctx context.Context, raw string) (hubbub.Bot, bool, error) {
	b, found, err := s.hub.Store().BotByToken(ctx, hubbub.SecretHash(raw))
	if err != nil {
		return hubbub.Bot{}, false, s.storeFailed("bot by token", err)
	}
	return b, found, nil
}
