package session

import "hubbub"

// ResolveMentions is hubbub.ResolveMentions over only the members whose name follows an '@'
// in text (mentionable), so that a hostile text costs a send little whatever the room's size.
// The REST API resolves its messages and edits with it too; whether @room counts is the
// caller's decision.
func ResolveMentions(text string, members []string) ([]hubbub.Mention, bool) {
	return hubbub.ResolveMentions(text, mentionable(text, members))
}
