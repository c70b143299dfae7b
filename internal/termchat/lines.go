package termchat

import (
	"fmt"
	"strings"

	"hubbub"
	"hubbub/internal/wire"
)

// messageLine formats a message: "[room] #seq from: text", the room as label names it (a DM
// by its people, "@bob"), with "(bot)" after a bot's name
// (as the text protocol shows it), "↪ #parent" for a reply,
// "(edited)" after an edited text, its replies counted when it has some (a replayed or paged
// message: live replies show as lines of their own) and the reactions in brackets; a deleted
// message shows "(message deleted)" instead of its text.
func messageLine(m *wire.Message, label func(room string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] #%d %s", label(m.Room), m.Seq, hubbub.CleanText(m.From))
	if m.Bot {
		b.WriteString(" (bot)")
	}
	if m.ReplyTo > 0 {
		fmt.Fprintf(&b, " ↪ #%d", m.ReplyTo)
	}
	if m.Deleted {
		b.WriteString(": (message deleted)")
		return b.String()
	}
	b.WriteString(": ")
	b.WriteString(hubbub.CleanText(m.Text))
	if !m.EditedAt.IsZero() {
		b.WriteString(" (edited)")
	}
	if m.ReplyCount > 0 {
		fmt.Fprintf(&b, " (%d %s)", m.ReplyCount, plural(m.ReplyCount, "reply", "replies"))
	}
	if len(m.Reactions) > 0 {
		b.WriteString(" [")
		for i, r := range m.Reactions {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s %d", hubbub.CleanText(r.Emoji), r.Count)
		}
		b.WriteString("]")
	}
	return b.String()
}

// mentionMark starts the line of a message that mentions me, by name, as everyone (@room) or
// by replying to a message of mine (the server adds me to a reply's mentions, marked reply),
// as the page marks such a message: "! [general] #7 bob: @ann look". A line of the room's log
// starts "[" otherwise, and a notice "* ", so a script reads the mark, or strips it, without
// taking the line for anything else.
const mentionMark = "! "

// mentionMark returns mentionMark for a message (or an edit) from from whose text mentions
// ms, and everyone if room, when that mentions this chat's user; "" otherwise, and for my own
// messages (I know what I wrote). The printer calls it: c.name is its own.
func (c *chat) mentionMark(from string, ms []hubbub.Mention, room bool) string {
	if hubbub.SameName(from, c.name) {
		return ""
	}
	if room {
		return mentionMark
	}
	id := ""
	if u := c.ses.User(); u != nil {
		id = u.ID
	}
	for _, m := range ms {
		mine := hubbub.SameName(m.Name, c.name)
		if id != "" && m.User != "" {
			mine = m.User == id // the user, whatever name either side last knew
		}
		if mine {
			return mentionMark
		}
	}
	return ""
}

// editedLine formats an edit of a message the chat does not know (it printed the message too
// long ago, or never) as the message's new line: "[room] #seq from: text (edited)", the room as
// label names it, "(edited)" where messageLine puts it. It lacks what the edit does not carry
// (the reply marker, bot badge, replies, reactions and files): the line of a message the chat
// printed is messageLine's, from what it kept of it (shownMessages.edited).
func editedLine(e *wire.Edited, label func(room string) string) string {
	return fmt.Sprintf("[%s] #%d %s: %s (edited)", label(e.Room), e.Seq, hubbub.CleanText(e.From), hubbub.CleanText(e.Text))
}

// deletedLine formats a deletion as a notice, the room as label names it, as the person who
// reads it would say it: "* you deleted #12 in general" (me is this chat's user), "* bob
// deleted #12 in general" (its author did), "* ann deleted bob's message #12 in general" (a
// moderator did; "your message" when it was mine; "a server admin" when the server API did,
// api). author is who wrote it, "" when the chat does not know (it never printed the
// message): the line then names only who deleted it.
func deletedLine(d *wire.Deleted, label func(room string) string, me, author string) string {
	room := label(d.Room)
	if d.From == "" { // servers before the room log do not say who
		return fmt.Sprintf("* #%d in %s was deleted", d.Seq, room)
	}
	by := hubbub.CleanText(d.From)
	switch {
	case d.API: // its from, "api", may be a user's name: this chat's among them
		by = byServerAPI
	case hubbub.SameName(d.From, me):
		by = "you"
	}
	switch {
	case author == "" || hubbub.SameName(author, d.From):
		return fmt.Sprintf("* %s deleted #%d in %s", by, d.Seq, room)
	case hubbub.SameName(author, me):
		return fmt.Sprintf("* %s deleted your message #%d in %s", by, d.Seq, room)
	}
	return fmt.Sprintf("* %s deleted %s's message #%d in %s", by, hubbub.CleanText(author), d.Seq, room)
}

// reactedLines formats each reaction toggled as a notice with the emoji's count after it:
// "* ann reacted 👍 to #12 in general [👍 2]"; a reaction taken back by its last holder has no
// count: "* ann took back 👍 on #12 in general". label names the room; me is this chat's
// user, whose own reactions read "* you reacted …" (another device of mine, or this one).
func reactedLines(r *wire.Reacted, label func(room string) string, me string) []string {
	room := label(r.Room)
	lines := make([]string, 0, len(r.Changes))
	for _, c := range r.Changes {
		emoji := hubbub.CleanText(c.Emoji)
		verb, prep := "reacted", "to"
		if !c.Added {
			verb, prep = "took back", "on"
		}
		who := hubbub.CleanText(c.From)
		if me != "" && hubbub.SameName(c.From, me) {
			who = "you"
		}
		line := fmt.Sprintf("* %s %s %s %s #%d in %s", who, verb, emoji, prep, c.Seq, room)
		if c.Count > 0 { // a reaction no one holds any more has no chip to count
			line += fmt.Sprintf(" [%s %d]", emoji, c.Count)
		}
		lines = append(lines, line)
	}
	return lines
}

// plural returns one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
