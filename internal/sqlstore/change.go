package sqlstore

import (
	"fmt"
	"slices"
	"time"

	"hubbub"
)

// The rules of the room log that do not depend on the database: which fields of an entry a
// store keeps, and when a change of a message is refused. A store reads the message a change
// names (its current state), asks CheckChange, and only then takes a seq, so that a refused
// change takes none.

// Stored returns e as a store keeps it: the fields every entry has (Room, ClientID, From,
// User, Kind) and those of its kind, the others zeroed, and no Seq, ID or Time yet. Append returns
// it with those filled in, as Since would read it back.
func Stored(e *hubbub.Entry) hubbub.Entry {
	out := hubbub.Entry{Room: e.Room, ClientID: e.ClientID, From: e.From, User: e.User, Kind: e.Kind}
	switch e.Kind {
	case hubbub.KindMessage:
		out.Text, out.ReplyTo, out.MentionRoom, out.Bot = e.Text, e.ReplyTo, e.MentionRoom, e.Bot
		out.Mentions = nonEmpty(e.Mentions)
		out.Attachments = AttachmentIDs(e.Attachments)
	case hubbub.KindEdit:
		out.Target, out.Text, out.MentionRoom = e.Target, e.Text, e.MentionRoom
		out.Mentions = nonEmpty(e.Mentions)
	case hubbub.KindDelete:
		// Not its Subject: the store sets it from the message it deletes (hubbub.KindDelete).
		out.Target, out.Moderator = e.Target, e.Moderator
	case hubbub.KindReaction:
		out.Target, out.Emoji = e.Target, e.Emoji
	case hubbub.KindTopic:
		out.Text = e.Text
	case hubbub.KindMember:
		out.Subject, out.SubjectName, out.Action, out.Role = e.Subject, e.SubjectName, e.Action, e.Role
	case hubbub.KindSanction:
		out.Subject, out.SubjectName, out.Action, out.Text = e.Subject, e.SubjectName, e.Action, e.Text
		if !e.Until.IsZero() && (e.Action == hubbub.SanctionActionBan || e.Action == hubbub.SanctionActionMute) {
			out.Until = e.Until.UTC().Truncate(time.Millisecond)
		}
	}
	return out
}

// Actor returns the user id entry e acts for: its User, or for an entry without one (written
// before users existed, or by a caller that knows no users) its From, the id the migrations
// give such rows. Idempotency, authorship and reactions are keyed by it.
func Actor(e hubbub.Entry) string {
	if e.User != "" {
		return e.User
	}
	return e.From
}

// nonEmpty returns ms, or nil if it holds nothing, so that "no mentions" reads back the same
// whichever way it was written.
func nonEmpty(ms []hubbub.Mention) []hubbub.Mention {
	if len(ms) == 0 {
		return nil
	}
	return slices.Clone(ms)
}

// noMessage is the refusal of a change or reply naming a message the room does not hold.
func noMessage(seq uint64) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "the room has no message %d", seq)
}

// CheckReply returns the refusal of message e, which replies to another, if the room has no
// such message (parent nil); a tombstone will do.
func CheckReply(e hubbub.Entry, parent *hubbub.Entry) error {
	if parent == nil {
		return noMessage(e.ReplyTo)
	}
	return nil
}

// CheckChange returns why change e (an edit, a delete or a reaction) of message target,
// in its current state, is refused, or nil: authorship is the user's (Actor), never the
// name's: target nil means that the room has no message
// e.Target. It does not check the reactions limit (ReactionLimit).
func CheckChange(e hubbub.Entry, target *hubbub.Entry) error {
	if target == nil || target.Deleted && e.Kind != hubbub.KindDelete {
		return noMessage(e.Target)
	}
	switch e.Kind {
	case hubbub.KindEdit:
		if Actor(*target) != Actor(e) {
			return hubbub.Errorf(hubbub.ECodeForbidden, "only its sender may edit message %d", e.Target)
		}
	case hubbub.KindDelete:
		if Actor(*target) != Actor(e) && !e.Moderator {
			return hubbub.Errorf(hubbub.ECodeForbidden, "only its sender or a moderator may delete message %d", e.Target)
		}
	case hubbub.KindReaction:
	default:
		return fmt.Errorf("entry kind %q changes no message", e.Kind)
	}
	return nil
}

// ReactionLimit returns the refusal of a new reaction emoji on a message that carries
// reactions, or nil: a message carries at most hubbub.MaxReactionsPerMessage emoji.
func ReactionLimit(reactions []hubbub.Reaction, emoji string) error {
	if len(reactions) < hubbub.MaxReactionsPerMessage ||
		slices.ContainsFunc(reactions, func(r hubbub.Reaction) bool { return r.Emoji == emoji }) {
		return nil
	}
	return hubbub.Errorf(hubbub.ECodeLimit, "a message carries at most %d different reactions", hubbub.MaxReactionsPerMessage)
}
