package session

import (
	"context"
	"slices"
	"strings"

	"hubbub"
	"hubbub/internal/wire"
)

// The frames that change a message already in a room's log — edit, react, delete — and the
// revisions request that reads its past texts. Each change is an entry of the room's log
// (hubbub.Entry of kind edit, delete or reaction): the session checks what it can alone (the
// room is joined, the text, the emoji, the rate), the Store checks the rest against the message
// (it exists, who sent it) and answers not_found, forbidden or limit.

func (j *jsonSession) edit(ctx context.Context, f *wire.ClientFrame) {
	if !j.allowWrite(f) {
		return
	}
	text, err := MessageText(*f.Text, j.svc.cfg.MaxText)
	if err != nil {
		j.fail(err, f)
		return
	}
	e := hubbub.Entry{Kind: hubbub.KindEdit, Room: f.Room, From: j.member.CurrentName(), User: j.member.UserID, Target: f.Seq, Text: text, ClientID: f.ID}
	e.Mentions, e.MentionRoom = j.mentions(ctx, f.Room, text)
	e.Mentions = j.svc.EditMentions(ctx, f.Room, f.Seq, e.Mentions)
	j.append(ctx, f, &e)
}

func (j *jsonSession) react(ctx context.Context, f *wire.ClientFrame) {
	if !j.allowWrite(f) {
		return
	}
	if err := hubbub.ValidateEmoji(f.Emoji); err != nil && !j.holdsReaction(ctx, f) {
		j.fail(err, f)
		return
	}
	j.append(ctx, f, &hubbub.Entry{Kind: hubbub.KindReaction, Room: f.Room, From: j.member.CurrentName(), User: j.member.UserID, Target: f.Seq,
		Emoji: f.Emoji, ClientID: f.ID})
}

// holdsReaction reports whether the sender holds the reaction f asks to toggle, which
// ValidateEmoji refused: one stored before reactions had to be one emoji ("👍👍") may be taken
// back by its holder — else its chip would stay for ever — though no longer added.
func (j *jsonSession) holdsReaction(ctx context.Context, f *wire.ClientFrame) bool {
	if len(f.Emoji) > hubbub.MaxEmojiLen || f.Seq == 0 {
		return false // never stored: no read for it
	}
	held, err := j.svc.hub.Store().ReactedBy(ctx, f.Room, j.member.UserID, f.Seq, f.Seq)
	return err == nil && slices.Contains(held, hubbub.ReactionKey{Seq: f.Seq, Emoji: f.Emoji})
}

// delete deletes a message: the sender's own, or any for a moderator (who may do it in a room
// not joined, as every moderation). It answers ack, then moderated as deletes always did.
func (j *jsonSession) delete(ctx context.Context, f *wire.ClientFrame) {
	if !j.allowWrite(f) {
		return
	}
	moderator := j.mayModerate(ctx, f.Room)
	if role := j.svc.roleOf(j.member); moderator && role != hubbub.RoleAdmin {
		if err := j.svc.mayDeleteAsModerator(ctx, f.Room, f.Seq, j.member.UserID, role); err != nil {
			j.fail(err, f)
			return
		}
	}
	e := hubbub.Entry{Kind: hubbub.KindDelete, Room: f.Room, From: j.member.CurrentName(), User: j.member.UserID, Target: f.Seq, ClientID: f.ID,
		Moderator: moderator}
	if _, ok := j.append(ctx, f, &e); !ok {
		return
	}
	j.reply(wire.Moderated{Type: wire.TypeModerated, Action: wire.TypeDelete, Room: f.Room, Seq: f.Seq})
}

// revisions answers the texts a message has had, to its sender and to moderators only: an
// edit may have been made to take back what was said.
func (j *jsonSession) revisions(ctx context.Context, f *wire.ClientFrame) {
	m, found, err := j.svc.hub.Message(ctx, f.Room, f.Seq)
	switch {
	case err != nil:
		j.fail(err, f)
		return
	case !found:
		j.fail(hubbub.Errorf(hubbub.ECodeNotFound, "room %q has no message %d", f.Room, f.Seq), f)
		return
	case m.User != j.member.UserID && !hubbub.CanModerate(j.svc.roleOf(j.member)):
		j.fail(hubbub.Errorf(hubbub.ECodeForbidden, "only the sender of message %d and moderators may read its revisions", f.Seq), f)
		return
	}
	revs, found, err := j.svc.hub.Revisions(ctx, f.Room, f.Seq)
	switch {
	case err != nil:
		j.fail(err, f)
	case !found:
		j.fail(hubbub.Errorf(hubbub.ECodeNotFound, "room %q has no message %d", f.Room, f.Seq), f)
	default:
		j.reply(wire.NewRevisions(f.Room, f.Seq, revs))
	}
}

// mentions resolves the @names of text against the room's members (on every node) to their
// users, as the server does for every send and edit; @room counts only from those who may
// moderate the room (server moderators and admins, the room's owner and moderators: the page
// offers them @room), so a member cannot page a whole room.
func (j *jsonSession) mentions(ctx context.Context, room, text string) ([]hubbub.Mention, bool) {
	mentions, all := j.svc.ResolveMentions(ctx, room, text)
	return mentions, all && j.mayModerate(ctx, room)
}

// mentionable returns the members whose name follows an '@' somewhere in text, the only ones
// ResolveMentions can find. ResolveMentions tries every member at every '@', so a text of
// thousands of '@' in a room of thousands of members would cost each send a quarter of a CPU
// second; this costs one set of the text's (at most MaxNameLen-byte) words after '@' and one
// look-up per member.
func mentionable(text string, members []string) []string {
	after := make(map[string]bool)
	for i := strings.IndexByte(text, '@'); i >= 0; {
		rest := text[i+1:]
		for n := 1; n <= min(len(rest), hubbub.MaxNameLen); n++ {
			after[rest[:n]] = true
		}
		next := strings.IndexByte(rest, '@')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	var out []string
	for _, m := range members {
		if after[m] {
			out = append(out, m)
		}
	}
	return out
}
