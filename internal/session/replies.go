package session

import (
	"context"
	"strings"

	"hubbub"
)

// A reply reaches the author of the message it answers as a mention does: the server adds
// them to the reply's mentions, keyed by user id and marked Reply (hubbub.ReplyMention), so
// that the unread-mention counts of read state, the notifier of people who are away, the
// page's highlight and badge and `hubbub chat`'s mark all follow it as they follow an @name,
// with no new entry and no new frame. A client that predates the mark sees a mention.

// MentionReplied returns mentions (the text's, ResolveMentions') with the author of message
// replyTo of room added as a reply's mention (hubbub.ReplyMention), when the reply is sent by
// user (the replier's id). The author is left out when they are the replier, when they are
// no longer a member of the room (they left it, or were removed: neither a stored member nor
// in it now), when a ban of theirs there is in force, and when the message cannot be read (it
// does not exist: the store refuses the reply; or the store failed: the reply is sent all the
// same, without the mention, rather than lost). replyTo 0 returns mentions as they are.
func (s *Service) MentionReplied(ctx context.Context, room string, replyTo uint64, user string, mentions []hubbub.Mention) []hubbub.Mention {
	if replyTo == 0 {
		return mentions
	}
	parent, found, err := s.hub.Message(ctx, room, replyTo)
	if err != nil || !found || parent.User == "" || parent.User == user || parent.Kind != hubbub.KindMessage {
		return mentions
	}
	name, ok := s.replyMember(ctx, room, parent.User, parent.From)
	if !ok {
		return mentions
	}
	return hubbub.ReplyMention(mentions, hubbub.Mention{User: parent.User, Name: name})
}

// replyMember reports whether user (who posted as from) is a member of room now and may read
// it, and the name they go by: a stored member (not an invitee) under their current name, or
// one in the room now (a keyless connection, which the store does not keep), and in either
// case not banned there.
func (s *Service) replyMember(ctx context.Context, room, user, from string) (string, bool) {
	name := ""
	if !strings.HasPrefix(user, hubbub.AnonymousPrefix) {
		m, found, err := s.hub.Store().Membership(ctx, room, user)
		if err != nil {
			s.hub.Logger().Warn("reply mention left out: the store failed", "room", room, "user", user, "err", err)
			return "", false
		}
		if found && !m.Invited {
			name = m.Name
		}
	}
	if name == "" && s.hub.MemberUsers(room, []string{from})[from] == user {
		name = from // in the room now, under the name they posted with
	}
	if name == "" {
		return "", false
	}
	if err := s.hub.Banned(ctx, room, user, name); err != nil {
		return "", false // banned (or the store cannot say): not told of a room they may not read
	}
	return name, true
}

// EditMentions returns mentions (those of an edit's new text) with the reply's mentions of
// message target of room kept (hubbub.ReplyMentions): an edit of a reply still answers the
// same person, whatever its new text names. A message that cannot be read keeps none (the
// store refuses the edit of one that does not exist).
func (s *Service) EditMentions(ctx context.Context, room string, target uint64, mentions []hubbub.Mention) []hubbub.Mention {
	m, found, err := s.hub.Message(ctx, room, target)
	if err != nil || !found || m.ReplyTo == 0 {
		return mentions
	}
	for _, r := range hubbub.ReplyMentions(m.Mentions) {
		mentions = hubbub.ReplyMention(mentions, r)
	}
	return mentions
}
