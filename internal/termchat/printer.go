package termchat

import (
	"fmt"
	"strconv"
	"strings"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// print writes every event of the session until it ends: messages and room events to
// standard output, connection changes and errors to standard error.
func (c *chat) print() {
	defer close(c.printed)
	out, errw := c.io.Out, c.io.Err
	clean := hubbub.CleanText // the server cleans too; never let a control sequence reach a terminal
	// rejoins are the rooms joined before on this session: the client rejoins them with since
	// after a reconnect and fetches what a truncated replay left out. A first join's truncated
	// only says the room has older messages than the ones printed.
	rejoins := map[string]bool{}
	titles := &c.titles // direct messages by their people's names
	server := ""        // the server connected to, which a file's URL is relative to
	// fresh is, by room, the last seq of its fresh join (no since): the messages up to it that
	// follow are snapshots of the messages in their current state, not entries of the log.
	fresh := map[string]uint64{}
	handle := func(f wire.Frame) {
		if room, seq, ok := noticeOf(f); ok && seq <= fresh[room] {
			// A notice a fresh join replays among its messages (the session asks for them):
			// its line as the live one reads, and nothing else — it is the room's past, so no
			// presence follows it to pair with, and this chat did not just do it.
			fmt.Fprintln(out, c.noticeLine(f, titles))
			return
		}
		if c.printPeople(out, f, titles) || c.printCommandFrame(out, errw, f) {
			return
		}
		switch f := f.(type) {
		case *wire.Message:
			mark := c.mentionMark(f.From, f.Mentions, f.MentionRoom && !f.Deleted)
			fmt.Fprintln(out, mark+messageLine(f, titles.label)+filesText(f, server)) // a DM by its people
			c.shown.saw(f, f.Seq <= fresh[f.Room])
			c.numbers.saw(f.Room, f.Seq)
			c.printedMessage(f.Room, f.Seq)
			c.echoes.saw(f.Room, f.Seq)
			if f.Seq > fresh[f.Room] && !f.Deleted && hubbub.SameName(f.From, c.name) {
				// A line of mine, live: an @name it mentions nobody by is said, as the page does.
				if names := unresolvedMentions(f.Text, f.Mentions); len(names) > 0 {
					fmt.Fprint(errw, unresolvedLine(names, titles.phrase(f.Room)))
				}
			}
		case *wire.Edited:
			mark := c.mentionMark(f.From, f.Mentions, f.MentionRoom) // the edit's text's mentions
			if m, ok := c.shown.edited(f); ok {
				// As history prints the message now: its reply marker, bot badge, replies,
				// reactions and files, which the edit does not carry.
				fmt.Fprintln(out, mark+messageLine(m, titles.label)+filesText(m, server))
			} else {
				fmt.Fprintln(out, mark+editedLine(f, titles.label))
			}
			c.numbers.saw(f.Room, f.Seq)
			c.echoes.saw(f.Room, f.LogSeq)
		case *wire.Deleted:
			fmt.Fprintln(out, deletedLine(f, titles.label, c.name, c.shown.deleted(f)))
			c.echoes.saw(f.Room, f.LogSeq)
		case *wire.Reacted:
			c.shown.reacted(f, c.name)
			for _, l := range reactedLines(f, titles.label, c.name) {
				fmt.Fprintln(out, l)
			}
			c.echoes.saw(f.Room, f.LogSeq)
		case *wire.Presence:
			if f.Name == c.name || f.Renamed != "" && f.Renamed == c.name {
				return // "you joined" says it already, and "you are … now" a rename of mine
			}
			if f.Event == "leave" && c.removals.take(f.Room, f.Name) {
				return // "* you kicked bob in team" says it already
			}
			if f.Event == "leave" && f.Renamed != "" {
				if titles.saidRename(f.Room, f.Name, f.Renamed) {
					return // the DM's row, sent again for the rename, said it
				}
				titles.renamed(f.Name, f.Renamed) // a DM with them goes by the new name too
			}
			if f.Event == "leave" && f.SanctionSeq != 0 {
				if c.arrivals.takeBan(f.Room, f.SanctionSeq) {
					return // "* mod banned bob in lab until …" says it: the leave names its entry
				}
			} else if f.Renamed == "" && c.arrivals.take(f.Room, f.Name, f.Event) {
				return // "* bob joined plans, accepting the invitation" (or "* ann removed bob …") says it
			}
			fmt.Fprint(out, presenceLine(f, titles.label(f.Room)))
		case *wire.Renamed:
			// This chat's /name, another device of mine, the account page or an operator
			// renamed me; the session says the new name when it reconnects (saying the old
			// one would rename me back).
			c.name = f.Name
			switch {
			case c.renamedHere(f.Name):
				fmt.Fprintf(errw, "* you are %s now, not %s\n", clean(f.Name), clean(f.Was))
			case c.signedIn:
				fmt.Fprintf(errw, "* you are %s now, not %s: renamed on the account page or by an operator\n", clean(f.Name), clean(f.Was))
			default:
				fmt.Fprintf(errw, "* you are %s now, not %s: renamed on another device or by an operator\n", clean(f.Name), clean(f.Was))
			}
			if u := c.ses.User(); u == nil || u.Kind == string(hubbub.UserGuest) {
				c.names.keep(f.Name) // a guest's name is its key's (an account's is not: its next run signs in)
			}
		case *wire.Joined:
			c.in.set(f.Room, true)
			c.gone.joined(f.Room) // in it again: its next left and unroom are a new departure
			c.parted.take(f.Room) // in it again: a later left is said (the part's unroom was lost)
			more := ""
			if n := f.MemberCount - len(f.Members); n > 0 {
				more = fmt.Sprintf(" and %d more", n) // a crowded room lists only some
			}
			fmt.Fprintf(out, "* you joined %s; members: %s%s\n", titles.label(f.Room), clean(strings.Join(f.Members, ", ")), more)
			if note := c.notes.take(f.Room); note != "" {
				fmt.Fprintln(errw, note) // where lines go, said once the server let us in
			}
			if rejoins[f.Room] {
				delete(fresh, f.Room) // what the rejoin replays are entries
			} else {
				fresh[f.Room] = f.LastSeq
				if f.NoticesTruncated {
					// Above the history it heads: the notices of its span are the newest the
					// server sends with a join (--notice-limit), and older ones are missing.
					fmt.Fprintf(out, "* some earlier events of %s (topic, membership and ban changes) are not shown\n", titles.label(f.Room))
				}
			}
			if f.Truncated && rejoins[f.Room] {
				fmt.Fprintf(out, "* %s: older messages were missed; fetching them\n", titles.label(f.Room))
			}
			rejoins[f.Room] = true
		case *wire.Left:
			wasIn := c.in.joined(f.Room)
			c.in.left(f.Room)       // left, kicked or removed: a /join must join again
			c.echoes.saw(f.Room, 0) // what was sent there will not come back
			delete(rejoins, f.Room)
			// This chat's /part says it, and the unroom ends the mark; a part on another
			// device (or a removal) whose unroom came first said it with that.
			if !c.parted.has(f.Room) && c.gone.left(f.Room, wasIn) {
				fmt.Fprintf(out, "* you left %s\n", titles.label(f.Room))
			}
		case *wire.Members:
			fmt.Fprintf(out, "* members of %s: %s\n", titles.label(f.Room), clean(strings.Join(f.Names(), ", ")))
		case *wire.Error:
			if f.Request == wire.TypeJoin && c.in.rejoinRefused(f.Room) {
				// No command waits for a rejoin after a reconnect (or for a /join made while
				// disconnected): say why the room is lost.
				c.notes.take(f.Room)
				again := ""
				if rejoins[f.Room] {
					again = " again"
				}
				title, join := titles.label(f.Room), f.Room
				if strings.HasPrefix(title, "@") {
					join = title // a DM as @bob, which /join takes too: not its id
				}
				fmt.Fprintf(errw, "* could not join %s%s after the reconnect: %s (%s); /join %s to try again\n",
					title, again, titles.roomsNamed(clean(f.Message)), f.Code, join)
				return
			}
			// Errors answering a command are reported by the command; the rest are shown here,
			// but for a write the session sends again after a pause (too fast, or the server
			// briefly unable): nothing failed, and a refusal that sticks is counted at the end.
			retried := f.ID != "" && isLogRequest(f.Request) && (f.Code == hubbub.ECodeRateLimited || f.Code == hubbub.ECodeUnavailable)
			switch {
			case retried || !(f.Request == "" || isLogRequest(f.Request) || f.Request == wire.TypeTyping):
			case f.Code == hubbub.ECodeKicked || f.Code == hubbub.ECodeBanned || f.Code == hubbub.ECodeMuted:
				c.gone.kicked(f.Room) // its left follows, and no unroom: the room stays listed
				if f.Code != hubbub.ECodeMuted {
					// Out of the room from this line on, not from its left's: a /join typed
					// on reading it, refused by the chat itself (bad!room), said "lines you
					// type still go to lobby" when the left had not been read yet.
					c.in.left(f.Room)
				}
				// A moderator's decision, not a failure of the server.
				fmt.Fprintln(errw, kickedLine(f, titles))
			case isLogRequest(f.Request) && f.Code != hubbub.ECodeInternal && f.Code != hubbub.ECodeUnavailable:
				// A line refused for what it asks (a room not joined, too long), not because the
				// server failed: "server error" sent people looking in the wrong place.
				// "the room has no message 3" read as the room one had in mind, not the current
				// room the /edit went to: the line names it, unless the server's words do.
				where := ""
				if f.Room != "" && !strings.Contains(f.Message, strconv.Quote(f.Room)) {
					where = " in " + titles.label(f.Room)
				}
				fmt.Fprintf(errw, "* refused%s: %s (%s)\n", where, titles.roomsNamed(localTimes(clean(f.Message))), f.Code)
			default:
				fmt.Fprintf(errw, "* server error: %s (%s)\n", titles.roomsNamed(clean(f.Message)), f.Code)
			}
		case *client.Connected:
			as := ""
			if u := f.Welcome.User; u != nil && u.Kind != "" {
				as = " (" + clean(u.Kind) + ")" // a guest, an account, a host app's user, or anonymous
			}
			fmt.Fprintf(errw, "* connected to %s as %s%s\n", f.URL, f.Welcome.Name, as)
			server = f.URL
			c.offline.Store(false)
			c.name = f.Welcome.Name // with a token the server chose it
			if u := f.Welcome.User; u != nil && u.Kind == string(hubbub.UserGuest) {
				c.names.keep(f.Welcome.Name) // a guest's name is its key's: said again next run
			}
			c.slash.set(f.Welcome.Commands)
		case *client.Disconnected:
			c.offline.Store(true)
			c.in.disconnected()
			fmt.Fprintln(errw, lostLine(f)) // in short; --verbose logs the error in full
		case *client.Reconnecting:
			if line := reconnectingLine(f); line != "" {
				fmt.Fprintln(errw, line)
			}
		}
	}
	events := c.ses.Events()
	for {
		select {
		case f, ok := <-events:
			if !ok {
				return
			}
			handle(f)
		case done := <-c.caughtUp:
			// Everything the session delivered before the ask is in the channel: print it.
			for n := len(events); n > 0; n-- {
				if f, ok := <-events; ok {
					handle(f)
				}
			}
			close(done)
		}
	}
}

// presenceLine is the line of a member's coming or going, room the room's label — a kick or
// a ban as one, with its moderator; "" for a change of state (away and back), which would only be noise in a terminal. In a DM, whose
// label is its people ("@bob"), "bob joined @bob" read as if bob had joined himself: there
// the line says who is here.
func presenceLine(f *wire.Presence, room string) string {
	name := hubbub.CleanText(f.Name)
	dm := hubbub.IsDMRoom(f.Room)
	switch {
	case f.Event == "leave" && f.Renamed != "":
		// Not a departure: the user goes by another name now (docs/protocol.md, "Renames").
		return fmt.Sprintf("* %s is now %s (%s)\n", name, hubbub.CleanText(f.Renamed), room)
	case f.Event == "leave" && f.Moderation != "":
		// A moderator's decision, not their choice (a "bob left" hid it). No by: the server
		// API's (api), as a server that says moderation says by for everyone else.
		what, by := "kicked", byServerAPI
		if f.Moderation == "ban" {
			what = "banned"
		}
		if f.By != "" && !f.API {
			by = hubbub.CleanText(f.By)
		}
		if dm {
			return fmt.Sprintf("* %s was %s by %s (%s)\n", name, what, by, room)
		}
		return fmt.Sprintf("* %s was %s from %s by %s\n", name, what, room, by)
	case f.Event == "leave" && dm:
		return fmt.Sprintf("* %s left (%s)\n", name, room)
	case f.Event == "leave":
		return fmt.Sprintf("* %s left %s\n", name, room)
	case f.Event != "" && f.Event != "join":
		return ""
	case dm:
		return fmt.Sprintf("* %s is here (%s)\n", name, room)
	}
	return fmt.Sprintf("* %s joined %s\n", name, room)
}

// byServerAPI names the server API where a moderator's name would go: a kick, ban, mute or
// lift made with the operator's API key (docs/api.md), whom nobody in the room sees.
const byServerAPI = "a server admin"

// kickedLine is the line of a moderator's kick, ban or mute of mine, the room named as a
// sentence names it (titles.phrase). A ban, "* you were banned from general (until Mon 7 Dec
// 15:04, by carol): spam", is not a kick, "* you were kicked from general (by carol): cool
// off": both are code kicked, and a ban printed as "(kicked)" after the server's sentence.
// A server older than the error's by, until and reason, and a mute, are said in the server's
// words; with api, or until or reason but no by, the server API did it.
func kickedLine(f *wire.Error, titles *roomTitles) string {
	clean := hubbub.CleanText
	if f.Code != hubbub.ECodeKicked || f.By == "" && f.Until == "" && f.Reason == "" && !f.API {
		return fmt.Sprintf("* %s (%s)", titles.roomsNamed(localTimes(clean(f.Message))), f.Code)
	}
	what, details := "kicked", []string{}
	if f.Until != "" {
		what = "banned"
		details = append(details, "until "+localTimes(clean(f.Until)))
	}
	if f.By != "" && !f.API {
		details = append(details, "by "+clean(f.By))
	} else {
		details = append(details, "by "+byServerAPI)
	}
	line := fmt.Sprintf("* you were %s from %s (%s)", what, titles.phrase(f.Room), strings.Join(details, ", "))
	if f.Reason != "" {
		line += ": " + clean(f.Reason)
	}
	return line
}
