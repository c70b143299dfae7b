package session

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"hubbub"
)

// ResolveMentions finds the members of room (on every node) that text mentions after an '@'
// and the users they are: hubbub.ResolveMentions over only the members whose name follows an
// '@' (mentionable), so that a hostile text costs a send little whatever the room's size, with
// each Mention's User set to the member's user id. The members are those in the room now and
// the stored members named after an '@' who are not: a member who is away is mentioned too,
// and told by the notifier of people who are away (internal/notify). The stored members are
// read in one query (storedMentionable), which also gives the user ids of the members present
// on other nodes. The REST API resolves its messages and edits with it too; whether @room
// counts is the caller's decision.
func (s *Service) ResolveMentions(ctx context.Context, room, text string) ([]hubbub.Mention, bool) {
	if strings.IndexByte(text, '@') < 0 {
		return nil, false // most messages mention no one: skip listing the members
	}
	present := mentionable(text, s.hub.Members(room))
	local := s.hub.MemberUsers(room, present)
	stored := s.storedMentionable(ctx, room, text, local)
	members := present
	for name := range stored {
		if !containsName(present, name) {
			members = append(members, name) // away: a stored member no node holds now
		}
	}
	mentions, all := hubbub.ResolveMentions(text, members)
	for i := range mentions {
		mentions[i].User = s.userOfName(ctx, mentions[i].Name, local, stored)
	}
	return mentions, all
}

// containsName reports whether names holds name.
func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// userOfName is the user id of the user named name: a member of the room on this node (local,
// by name), else a stored member of the room (stored, by the name as written), else the
// stored user of that name (a present non-member, rare), else the anonymous user of that name
// (a keyless connection's, or a member of another node when the store cannot be read).
func (s *Service) userOfName(ctx context.Context, name string, local, stored map[string]string) string {
	if id, ok := local[name]; ok {
		return id
	}
	if id, ok := stored[name]; ok {
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

// maxMentionNames bounds the names a message's '@'s make ResolveMentions look up in the store
// (in one query, at most hubbub.MaxMembersNamed): a text full of '@' asks for at most this many.
const maxMentionNames = hubbub.MaxMembersNamed

// storedMentionable returns, by the name as text writes it, the user ids of the stored members
// (not invitees) of room named after an '@' of text (each name ending at a word boundary) that
// are not local members of this node: those away, and those present on other nodes. One read
// of the store (hubbub.RoomStore.MembersNamed) for up to maxMentionNames names; a store that
// cannot be read mentions only those present (their ids then found one by one).
func (s *Service) storedMentionable(ctx context.Context, room, text string, local map[string]string) map[string]string {
	if s.cfg.Users == nil || strings.IndexByte(text, '@') < 0 {
		return nil
	}
	names := mentionCandidates(text, local)
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, userLookupTimeout)
	defer cancel()
	ms, err := s.hub.Store().MembersNamed(ctx, room, names)
	if err != nil || len(ms) == 0 {
		return nil
	}
	// The store matched by name keys (case and confusables folded, as UserByName): each name as
	// written takes the user whose key is its own. Two members share a key only after the keys
	// were recomputed (migration 0015) left one of them on a held key, found by its exact name:
	// a name as written is then the member of that exact name, and any other spelling the
	// user UserByName finds (the older one, which holds the key).
	byKey := make(map[string][]hubbub.Membership, len(ms))
	for _, m := range ms {
		if m.Invited {
			continue
		}
		if k, err := hubbub.NameKey(m.Name); err == nil {
			byKey[k] = append(byKey[k], m)
		}
	}
	out := make(map[string]string)
	for _, name := range names {
		k, err := hubbub.NameKey(name)
		if err != nil {
			continue
		}
		switch same := byKey[k]; {
		case len(same) == 1:
			out[name] = same[0].User
		case len(same) > 1:
			if i := slices.IndexFunc(same, func(m hubbub.Membership) bool { return m.Name == name }); i >= 0 {
				out[name] = same[i].User
			} else if u, found, err := s.cfg.Users.UserByName(ctx, name); err == nil && found &&
				slices.ContainsFunc(same, func(m hubbub.Membership) bool { return m.User == u.ID }) {
				out[name] = u.ID
			}
		}
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

// mentionCandidates returns the names after text's '@'s to look up (mentionable), at most
// maxMentionNames, leaving out those of local. A name may hold spaces, so each '@' has a name
// at every word boundary within hubbub.MaxNameLen ("p1", "p1 can", "p1 can you", …, six or
// more in a sentence): taken '@' by '@', the first two '@'s of a message used up a cap of 16,
// and a third member who was away went unmentioned. They are taken shortest first across the
// '@'s instead: the first word after every '@', then the first two words after every '@', and
// so on, so that the one-word names, nearly all of them, are looked up for every '@' before
// any longer one. Only the first maxMentionNames '@'s with a name are read: the first words
// of those alone fill the list, and a send's text full of '@'s costs no more.
func mentionCandidates(text string, local map[string]string) []string {
	var each [][]string // each '@''s names, shortest first
	seen := make(map[string]bool)
	for i := strings.IndexByte(text, '@'); i >= 0; {
		rest := text[i+1:]
		var these []string
		for n := 1; n <= min(len(rest), hubbub.MaxNameLen); n++ {
			name := rest[:n]
			if seen[name] || !endsWord(rest[n:]) || hubbub.ValidateName(name) != nil {
				continue
			}
			seen[name] = true
			if _, here := local[name]; !here {
				these = append(these, name)
			}
		}
		if len(these) > 0 {
			each = append(each, these)
		}
		next := strings.IndexByte(rest, '@')
		if next < 0 || len(each) == maxMentionNames {
			break
		}
		i += 1 + next
	}
	var names []string
	for level := 0; len(names) < maxMentionNames; level++ {
		took := false
		for _, these := range each {
			if level < len(these) && len(names) < maxMentionNames {
				names, took = append(names, these[level]), true
			}
		}
		if !took {
			break
		}
	}
	return names
}
