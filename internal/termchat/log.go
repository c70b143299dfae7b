package termchat

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// The room log in `hubbub chat`: how messages and the changes to them are printed, and the
// commands that make those changes. A terminal cannot rewrite a line printed earlier, so a
// change to a message is a line of its own that names the message by its seq (#12), the
// number every message line starts with.

// chatLogHelp lists the room-log commands for /help and the usage text.
const chatLogHelp = `  /reply SEQ TEXT  send TEXT as a reply to message SEQ (the #SEQ printed before it)
  /edit SEQ TEXT   replace the text of your message SEQ
  /delete SEQ      delete message SEQ (yours; anyone's for a moderator)
  /react SEQ EMOJI toggle your reaction EMOJI on message SEQ: an emoji, or a name of one
                   with or without colons (thumbsup or :+1:, heart, joy, tada, eyes…), or
                   another :short_name:; one you hold under another spelling of the same
                   emoji (:+1: for 👍, or 👍 for :+1:) is taken back as it is held
  (SEQ is a message of the current room, ROOM#SEQ (@bob#3) one of another room. A room's log
  numbers its edits, reactions and member changes too, so message numbers skip: a DM of two
  starts at #3. Typed in a terminal, a SEQ last shown in another room's line is refused,
  naming both rooms)`

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

// editedLine formats an edit as the message's new line: "[room] #seq from: text (edited)",
// the room as label names it, "(edited)" where messageLine puts it, so that the line reads as
// the one a rejoin or a page of history prints for the message (the edit does not carry its
// reply marker, bot badge, replies or reactions, which those lines show).
func editedLine(e *wire.Edited, label func(room string) string) string {
	return fmt.Sprintf("[%s] #%d %s: %s (edited)", label(e.Room), e.Seq, hubbub.CleanText(e.From), hubbub.CleanText(e.Text))
}

// deletedLine formats a deletion as a notice, the room as label names it, as the person who
// reads it would say it: "* you deleted #12 in general" (me is this chat's user), "* bob
// deleted #12 in general" (its author did), "* ann deleted bob's message #12 in general" (a
// moderator did; "your message" when it was mine). author is who wrote it, "" when the chat
// does not know (it never printed the message): the line then names only who deleted it.
func deletedLine(d *wire.Deleted, label func(room string) string, me, author string) string {
	room := label(d.Room)
	if d.From == "" { // servers before the room log do not say who
		return fmt.Sprintf("* #%d in %s was deleted", d.Seq, room)
	}
	by := hubbub.CleanText(d.From)
	if hubbub.SameName(d.From, me) {
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

// maxAuthors is how many messages' authors a chat remembers for its deletion notices.
const maxAuthors = 10000

// authors remembers who wrote the messages the chat printed, so that a deletion can say whose
// message was deleted. It keeps the last maxAuthors; an older message's deletion names no
// author. Only the printer uses it.
type authors struct {
	by    map[authorKey]string
	order []authorKey // oldest first: the next to forget
}

type authorKey struct {
	room string // hubbub.RoomKey
	seq  uint64
}

// saw records that from wrote message seq of room.
func (a *authors) saw(room string, seq uint64, from string) {
	if a.by == nil {
		a.by = make(map[authorKey]string)
	}
	k := authorKey{hubbub.RoomKey(room), seq}
	if _, ok := a.by[k]; !ok {
		a.order = append(a.order, k)
	}
	a.by[k] = from
	if len(a.order) > maxAuthors {
		delete(a.by, a.order[0])
		a.order = a.order[1:]
	}
}

// of returns who wrote message seq of room, "" if the chat does not know.
func (a *authors) of(room string, seq uint64) string {
	return a.by[authorKey{hubbub.RoomKey(room), seq}]
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

// logCommand runs /reply, /edit, /delete or /react in the current room, and reports whether
// line was one of them. The request is queued like a message: its ack is awaited at the end
// of input, and a refusal is printed when it arrives.
func (c *chat) logCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	var usage string
	switch cmd {
	case "/reply":
		usage = "/reply SEQ TEXT"
	case "/edit":
		usage = "/edit SEQ TEXT"
	case "/delete":
		usage = "/delete SEQ"
	case "/react":
		usage = "/react SEQ EMOJI"
	default:
		return false, nil
	}
	seqArg, rest := cutWord(strings.TrimSpace(strings.TrimPrefix(line, cmd)))
	if seqArg == "" {
		return true, fmt.Errorf("usage: %s", usage)
	}
	room, seq, err := c.messageArg(seqArg)
	if err != nil {
		return true, err
	}
	var r *client.Receipt
	switch cmd {
	case "/reply", "/edit":
		if strings.TrimSpace(rest) == "" {
			return true, fmt.Errorf("usage: %s (the text is missing)", usage)
		}
		if cmd == "/reply" {
			r, err = c.ses.Reply(ctx, room, seq, rest)
		} else {
			r, err = c.ses.Edit(ctx, room, seq, rest)
		}
	case "/delete":
		if rest != "" {
			return true, fmt.Errorf("usage: %s (nothing comes after the seq)", usage)
		}
		r, err = c.ses.Delete(ctx, room, seq)
	case "/react":
		emoji, more := cutWord(rest)
		switch {
		case emoji == "":
			return true, fmt.Errorf("usage: %s (the emoji is missing)", usage)
		case more != "":
			return true, fmt.Errorf("usage: %s (one emoji, without spaces)", usage)
		}
		e, err := reactionEmoji(emoji)
		if err != nil {
			return true, err
		}
		r, err = c.ses.React(ctx, room, seq, c.heldReaction(ctx, room, seq, emoji, e))
	}
	if err != nil {
		return true, err
	}
	c.total++
	c.sent = append(c.sent, r)
	c.compact()
	return true, nil
}

// emojiNames are the names /react takes for an emoji, with or without colons: the words the
// page's reaction picker says for its emoji (web/messages.js, FREQUENT_EMOJI: "thumbs up" is
// thumbs_up) and their usual short codes (:+1:, :thumbsup:), so that "/react 12 :+1:" adds
// the 👍 the page shows and counts with everyone's, not a reaction of its own spelled ":+1:".
// Each emoji is the page's exact string (❤️ with its variation selector).
var emojiNames = map[string]string{
	"+1": "👍", "thumbsup": "👍", "thumbs_up": "👍", "like": "👍",
	"-1": "👎", "thumbsdown": "👎", "thumbs_down": "👎",
	"heart": "❤️", "love": "❤️",
	"joy": "😂", "laughing": "😂", "lol": "😂",
	"tada": "🎉", "party": "🎉",
	"open_mouth": "😮", "surprised": "😮", "wow": "😮",
	"cry": "😢", "sad": "😢",
	"eyes": "👀",
	"pray": "🙏", "thank_you": "🙏", "thanks": "🙏",
	"smile": "😄", "fire": "🔥", "rocket": "🚀", "100": "💯", "white_check_mark": "✅",
	"ok_hand": "👌", "wave": "👋", "clap": "👏", "thinking": "🤔", "heavy_check_mark": "✔️",
}

// emojiSpellings are the other ways the chat's emoji may be stored, by emoji without its
// variation selectors (bareEmoji): the short names emojiNames takes for it, with colons
// (":+1:", ":thumbsup:"…), as another client or the API may have sent them, sorted.
var emojiSpellings = func() map[string][]string {
	by := make(map[string][]string)
	for name, e := range emojiNames {
		by[bareEmoji(e)] = append(by[bareEmoji(e)], ":"+name+":")
	}
	for _, names := range by {
		slices.Sort(names)
	}
	return by
}()

// bareEmoji is e without variation selectors: "❤️" and "❤" are one heart to a reader, and
// another client may store either.
func bareEmoji(e string) string { return strings.ReplaceAll(e, "\ufe0f", "") }

// heldReaction is the reaction /react SEQ typed sends, e being typed read as reactionEmoji
// reads it: the chat takes every spelling of an emoji as that emoji (👍, :+1:, thumbsup), but
// the server toggles the one it is sent, so a reaction I hold under another spelling (a :+1:
// stored by another client, the API, or a chat before the names) was not taken back: each try
// added a 👍 beside it. So if I hold the emoji under any spelling, the one I hold is sent
// (the one typed first, if I hold it so), which takes it back; else e, which adds it. What I
// hold is the message's state on the server (a history page of it, with reactions[].me), read
// for an emoji with other spellings only; not knowing (not connected, no such message), e.
func (c *chat) heldReaction(ctx context.Context, room string, seq uint64, typed, e string) string {
	others := emojiSpellings[bareEmoji(e)]
	if len(others) == 0 || seq == math.MaxUint64 {
		return e // one spelling (a :short_name: of its own, 🦄): the server matches it
	}
	want := e // the spelling typed: ":+1:" for +1 or :+1:, as the server stores a name
	if name := strings.Trim(strings.ToLower(typed), ":"); emojiNames[name] != "" {
		want = ":" + name + ":"
	}
	ctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
	defer cancel()
	page, err := c.ses.History(ctx, room, seq+1, 1)
	if err != nil || len(page.Messages) == 0 || page.Messages[0].Seq != seq {
		return e // the server's answer to the reaction says what is wrong, if anything
	}
	var held []string // mine, of this emoji, in the message's order
	for _, r := range page.Messages[0].Reactions {
		if r.Me && (bareEmoji(r.Emoji) == bareEmoji(e) || slices.Contains(others, r.Emoji)) {
			held = append(held, r.Emoji)
		}
	}
	for _, h := range held {
		if bareEmoji(h) == bareEmoji(want) {
			return h
		}
	}
	if len(held) > 0 {
		return held[0]
	}
	return e
}

// reactionEmoji reads the EMOJI of /react: one of emojiNames (thumbsup, :+1:, :Heart:) as its
// emoji; else what the server takes as it is, one emoji or another :short_name:. Several emoji
// ("👍👍") go to the server too, which takes back such a reaction stored before reactions
// were one emoji from whoever holds it and refuses it otherwise. Anything else is refused
// here, saying what is taken.
func reactionEmoji(s string) (string, error) {
	if e, ok := emojiNames[strings.Trim(strings.ToLower(s), ":")]; ok {
		return e, nil
	}
	err := hubbub.ValidateEmoji(s)
	if err == nil || client.SeveralEmoji(s) {
		return s, nil
	}
	if strings.HasPrefix(s, ":") && strings.HasSuffix(s, ":") && len(s) > 2 {
		return "", fmt.Errorf("%q is not a reaction: %s", s, hubbub.ErrorMessage(err)) // ":Foo!:"
	}
	return "", fmt.Errorf("%q is not a reaction: give one emoji (👍), the name of one (thumbsup or :+1:, heart, joy, tada, open_mouth, cry, eyes, pray…) or a :short_name:", s)
}

// cutWord splits s at its first space: the first word and the rest, trimmed.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	word, rest, _ = strings.Cut(s, " ")
	return word, strings.TrimSpace(rest)
}

// messageArg reads the message a room-log command names: "12" or "#12", message 12 of the
// current room, or "ROOM#12" ("general#12", "@bob#12", as the line "[@bob] #12" names it),
// message 12 of ROOM. Every room numbers its own log, and the chat prints the lines of all the
// rooms it is in, so in a terminal a bare number whose last line shown since the current
// room became current is another room's is refused, naming both: a DM someone else started
// prints "[@ann] #3 ann: hello" while lines still go to general, and "/reply 3 hi" answered
// general's #3, a message the user never had in mind. A script's numbers are the current
// room's, whatever printed meanwhile.
func (c *chat) messageArg(arg string) (room string, seq uint64, err error) {
	if named, num, ok := strings.Cut(arg, "#"); ok && named != "" {
		if seq, err = parseSeq(num); err != nil {
			return "", 0, err
		}
		if room, err = c.roomArg(named); err != nil {
			return "", 0, err
		}
		if err := hubbub.ValidateRoom(room); err != nil {
			return "", 0, fmt.Errorf("%q is not a message: %q is not a room (%s)", arg, named, hubbub.ErrorMessage(err))
		}
		return c.in.spelled(room), seq, nil // general#3 in General is General's
	}
	if seq, err = parseSeq(arg); err != nil {
		return "", 0, err
	}
	if room = c.current(); room == "" {
		return "", 0, c.noRoom()
	}
	if other, ok := c.numbers.elsewhere(room, seq); ok && !c.piped {
		label, there := c.titles.label(room), c.titles.label(other)
		return "", 0, fmt.Errorf("the #%d shown last is in %s, not %s, where lines go: give %s#%d, or %s#%d", seq, there, label, there, seq, label, seq)
	}
	return room, seq, nil
}

// maxNumbers is how many message numbers a chat remembers the room of (shownNumbers).
const maxNumbers = 10000

// shownNumbers remembers, for each message number (seq) the chat printed, the room of the line
// that showed the message last — its line, its edited line, a search hit — and when, so that
// a bare number typed can be checked against the messages the user saw (messageArg); a notice
// that names a number (another's reaction to #3 in general) shows no message to answer. It
// keeps the last maxNumbers numbers; an older one is taken as the current room's. The
// printer and the commands write it, the input reads it.
type shownNumbers struct {
	mu      sync.Mutex
	last    map[uint64]shownNumber
	order   []uint64 // numbers, first shown first: the next to forget
	tick    uint64   // counts the lines recorded
	focus   string   // the current room, as show said it (hubbub.RoomKey)
	focusAt uint64   // the tick when it became current
}

type shownNumber struct {
	room string // as the frame names it
	at   uint64 // its tick
}

// saw records that a line showing message seq of room was printed.
func (n *shownNumbers) saw(room string, seq uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last == nil {
		n.last = make(map[uint64]shownNumber)
	}
	n.tick++
	if _, ok := n.last[seq]; !ok {
		n.order = append(n.order, seq)
	}
	n.last[seq] = shownNumber{room: room, at: n.tick}
	if len(n.order) > maxNumbers {
		delete(n.last, n.order[0])
		n.order = n.order[1:]
	}
}

// current records that room is the current one: the lines shown before it became current
// are not the ones its numbers are checked against (the user turned to it since).
func (n *shownNumbers) current(room string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if k := hubbub.RoomKey(room); k != n.focus {
		n.focus, n.focusAt = k, n.tick
	}
}

// elsewhere returns the room of the line that showed message seq last, if that line was
// printed since room became current and is another room's.
func (n *shownNumbers) elsewhere(room string, seq uint64) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.last[seq]
	if !ok || s.at <= n.focusAt || hubbub.RoomKey(s.room) == hubbub.RoomKey(room) {
		return "", false
	}
	return s.room, true
}

// parseSeq reads a message's seq as printed before it: "12" or "#12".
func parseSeq(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a message number: give the number printed as #N before the message", s)
	}
	return n, nil
}

// isLogRequest reports whether an error frame answers a request the chat queued (send,
// reply, edit, delete, react), which the chat prints when it arrives.
func isLogRequest(request string) bool {
	switch request {
	case wire.TypeSend, wire.TypeEdit, wire.TypeDelete, wire.TypeReact:
		return true
	}
	return false
}

// plural returns one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
