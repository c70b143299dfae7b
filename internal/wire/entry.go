package wire

import "hubbub"

// NewEntryFrame returns the frame a hubbub.v1 client in the room receives for entry e: a
// message as it is, the changes to a message as edited, deleted and reacted frames whose seq
// names the message and whose log_seq is the entry's own, and the changes to the room as
// topic_changed and member_changed, and a ban, mute or lift as sanction_changed; nil for a kind this version does not know. filesURL is the
// base of attachments' URLs. The server's codec sends it to members, webhooks post it as their
// events' data.
func NewEntryFrame(e *hubbub.Entry, filesURL string) any {
	switch e.Kind {
	case hubbub.KindMessage:
		return NewMessageAt(e, filesURL)
	case hubbub.KindEdit:
		return NewEdited(e)
	case hubbub.KindDelete:
		return NewDeleted(e)
	case hubbub.KindReaction:
		return NewReacted([]*hubbub.Entry{e})
	case hubbub.KindTopic:
		return NewTopicChanged(e)
	case hubbub.KindMember:
		return NewMemberChanged(e)
	case hubbub.KindSanction:
		return NewSanctionEntry(e)
	}
	return nil
}
