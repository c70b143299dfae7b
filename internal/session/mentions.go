package session

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"hubbub"
)

// ResolveMentions finds the members of room (on every node) that text mentions after an '@'
// and the users they are: hubbub.ResolveMentions over only the members whose name follows an
// '@' (mentionable), so that a hostile text costs a send little whatever the room's size, with
// each Mention's User set to the member's user id. The members are those in the room now and
// the stored members named after an '@' who are not (awayMentionable): a member who is away is
// mentioned too, and told by the notifier of people who are away (internal/notify). The REST
// API resolves its messages and edits with it too; whether @room counts is the caller's
// decision.
func (s *Service) ResolveMentions(ctx context.Context, room, text string) ([]hubbub.Mention, bool) {
	members := mentionable(text, s.hub.Members(room))
	members = append(members, s.awayMentionable(ctx, room, text, members)...)
	mentions, all := hubbub.ResolveMentions(text, members)
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

// maxAwayLookups bounds the names a message's '@'s make ResolveMentions look up in the store:
// a text full of '@' costs a send at most this many reads of a user and a membership.
const maxAwayLookups = 16

// awayMentionable returns the names following an '@' of text (each ending at a word boundary)
// that are not among present and belong to a stored member of room: the members who are away,
// whom a mention must reach all the same.
func (s *Service) awayMentionable(ctx context.Context, room, text string, present []string) []string {
	if s.cfg.Users == nil || strings.IndexByte(text, '@') < 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	var out []string
	looked := 0
	seen := make(map[string]bool)
	for _, name := range present {
		seen[name] = true
	}
	for i := strings.IndexByte(text, '@'); i >= 0 && looked < maxAwayLookups; {
		rest := text[i+1:]
		for n := 1; n <= min(len(rest), hubbub.MaxNameLen) && looked < maxAwayLookups; n++ {
			name := rest[:n]
			if seen[name] || !endsWord(rest[n:]) || hubbub.ValidateName(name) != nil {
				continue
			}
			seen[name] = true
			looked++
			u, found, err := s.cfg.Users.UserByName(ctx, name)
			if err != nil || !found {
				continue
			}
			m, found, err := s.hub.Store().Membership(ctx, room, u.ID)
			if err == nil && found && !m.Invited {
				out = append(out, name)
			}
		}
		next := strings.IndexByte(rest, '@')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return out
}

// endsWord reports whether a mention may end where s starts: at the text's end, a space or
// punctuation (as hubbub.ResolveMentions decides).
func endsWord(s string) bool {
	if s == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '_' && r != '@'
}
