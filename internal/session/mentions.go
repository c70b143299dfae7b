package session

import (
	"context"

	"hubbub"
)

// ResolveMentions finds the members of room (on every node) that text mentions after an '@'
// and the users they are: hubbub.ResolveMentions over only the members whose name follows an
// '@' (mentionable), so that a hostile text costs a send little whatever the room's size, with
// each Mention's User set to the member's user id. The REST API resolves its messages and
// edits with it too; whether @room counts is the caller's decision.
func (s *Service) ResolveMentions(ctx context.Context, room, text string) ([]hubbub.Mention, bool) {
	mentions, all := hubbub.ResolveMentions(text, mentionable(text, s.hub.Members(room)))
	if len(mentions) == 0 {
		return mentions, all
	}
	names := make([]string, len(mentions))
	for i, m := range mentions {
		names[i] = m.Name
	}
	local := s.hub.MemberUsers(room, names)
	for i := range mentions {
		mentions[i].User = s.userOfName(ctx, mentions[i].Name, local)
	}
	return mentions, all
}

// userOfName is the user id of the user named name: a member of the room on this node (local,
// by name), else the stored user of that name, else the anonymous user of that name (a keyless
// connection's, or a member of another node when the store cannot be read).
func (s *Service) userOfName(ctx context.Context, name string, local map[string]string) string {
	if id, ok := local[name]; ok {
		return id
	}
	if s.cfg.Users != nil {
		ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
		u, found, err := s.cfg.Users.UserByName(ctx, name)
		cancel()
		if err == nil && found {
			return u.ID
		}
	}
	return anonymous(name).user.ID
}
