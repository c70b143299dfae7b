package termchat

import (
	"context"
	"fmt"
	"strings"

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
	seqArg, rest := cutRoomWord(strings.TrimSpace(strings.TrimPrefix(line, cmd)))
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
	c.sayWaits("that " + cmd) // as a line typed meanwhile says it
	c.total.add(r.Request)
	c.sent = append(c.sent, r)
	c.compact()
	return true, nil
}

// cutMessageRoom splits "ROOM#12" at its '#': the room ("general", or a DM as the chat names
// it, whose quoted names may hold a '#': @"a#b"#12) and the number.
func cutMessageRoom(arg string) (room, num string, ok bool) {
	if people, dm := strings.CutPrefix(arg, "@"); dm {
		if _, rest, closed := cutDMPeople(people); closed && strings.HasPrefix(rest, "#") {
			return arg[:len(arg)-len(rest)], rest[1:], true
		}
	}
	return strings.Cut(arg, "#")
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
	if named, num, ok := cutMessageRoom(arg); ok && named != "" {
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

// isLogRequest reports whether an error frame answers a request the chat queued (send,
// reply, edit, delete, react), which the chat prints when it arrives.
func isLogRequest(request string) bool {
	switch request {
	case wire.TypeSend, wire.TypeEdit, wire.TypeDelete, wire.TypeReact:
		return true
	}
	return false
}
