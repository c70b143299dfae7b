package session

import (
	"context"

	"hubbub"
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
	return identity{user: b.User, bot: &b}, nil
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
