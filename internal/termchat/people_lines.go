package termchat

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"hubbub"
	"hubbub/internal/wire"
)

// printPeople prints the people frames; it reports whether f was one.
func (c *chat) printPeople(out io.Writer, f wire.Frame, titles *roomTitles) bool {
	clean := hubbub.CleanText
	switch f := f.(type) {
	case *wire.Rooms:
		for i := range f.Rooms {
			titles.learn(&f.Rooms[i])
			titles.list(f.Rooms[i].Room)
		}
		c.roomsLearned() // a --room @bob waits for the DMs to be known
		asked := c.roomsAsked.Load() > 0
		if asked {
			c.roomsAsked.Add(-1)
		}
		if !asked && c.listed != nil {
			c.printListChanges(out, f, titles) // a reconnect's: the whole list again was noise
			return true
		}
		c.listed = map[string]string{}
		for i := range f.Rooms {
			c.listed[f.Rooms[i].Room] = roomLine(&f.Rooms[i], titles)
		}
		if len(f.Rooms) == 0 {
			if asked { // on connect, a new user's empty list is not worth a line
				fmt.Fprintln(out, "* your rooms: none yet")
			}
			return true
		}
		fmt.Fprintln(out, "* your rooms:")
		for i := range f.Rooms {
			fmt.Fprintln(out, c.listed[f.Rooms[i].Room])
		}
	case *wire.Room:
		was, now := titles.learn(&f.MyRoom)
		if c.listed != nil {
			c.listed[f.Room] = roomLine(&f.MyRoom, titles) // said by the lines below
		}
		switch {
		case f.Invited:
			fmt.Fprintf(out, "* you are invited to %s: /join %s to accept, /part %s to decline\n", f.Room, f.Room, f.Room)
		case f.DM:
			if titles.list(f.Room) {
				if was != "" {
					// One of its people was renamed: sent again so that the DM goes by the new
					// name even where they share no room with me (docs/protocol.md, Renames).
					fmt.Fprintf(out, "* %s is now %s (%s)\n", was, now, titles.label(f.Room))
					titles.renameSaid(f.Room, was, now)
				}
				return true // in the list already: a /dm of it, answered with its room
			}
			// By its people only: its id (dm.…) means nothing to a person, and @bob is what
			// /join and the other commands take.
			if title := titles.label(f.Room); strings.HasPrefix(title, "@") {
				fmt.Fprintf(out, "* direct message %s is in your rooms\n", title)
			} else { // everyone else left it: /join takes its id
				fmt.Fprintf(out, "* %s is in your rooms (direct message %s)\n", title, f.Room)
			}
			if u := c.ses.User(); u != nil && f.CreatedBy != "" && f.CreatedBy != u.ID && c.in.claim(f.Room) {
				// Someone else started it: join it, so that what they write prints, as the
				// page shows it; it does not become the current room (/dm makes it so).
				// Join waits for the replay, which this loop prints: it cannot wait here.
				go c.joinDM(f.Room)
			}
		default:
			fmt.Fprintf(out, "* %s is in your rooms%s\n", f.Room, roomDetails(&f.MyRoom))
		}
	case *wire.Unroom:
		delete(c.listed, f.Room)
		titles.forgetPeople(f.Room) // no longer the user's: "/join @bob" is no DM of theirs
		titles.unlist(f.Room)
		wasIn := c.in.joined(f.Room) || c.in.joining(f.Room)
		c.in.unroom(f.Room)
		c.echoes.saw(f.Room, 0) // what was sent there will not come back: await looks again
		// This chat's /part said it; a part on another device (or a removal) whose left came
		// first said it with that.
		if !c.parted.take(f.Room) && c.gone.unroom(f.Room, wasIn) {
			fmt.Fprintf(out, "* %s left your rooms\n", titles.label(f.Room))
		}
	case *wire.TopicChanged:
		if c.ses.Sent(f.ClientID) {
			return true // this chat's /topic, which said "* you set the topic" when acked
		}
		fmt.Fprintln(out, topicChangedLine(f, titles.label(f.Room), c.name))
	case *wire.SanctionChanged:
		if f.LogSeq == 0 || !f.API && hubbub.SameName(f.From, c.name) ||
			f.Action == hubbub.SanctionActionBan && hubbub.SameName(f.Name, c.name) {
			// A server of the version before tells moderators only; this chat's /ban,
			// /mute, /unban and /unmute said "* you …" when confirmed; and a ban of mine is
			// said by the kick that follows it, with its end and reason.
			return true
		}
		fmt.Fprintln(out, sanctionChangedLine(f, titles.phrase(f.Room), c.name))
		if f.Action == hubbub.SanctionActionBan {
			c.arrivals.saidBan(f.Room, f.Name, f.LogSeq) // "* mod banned bob in lab until …": the ban took him out
		}
	case *wire.MemberChanged:
		if c.ses.Sent(f.ClientID) && !f.Auto {
			return true // this chat's /invite, /remove or /role, said "* you …" when acked
		}
		fmt.Fprintln(out, memberChangedLine(f, titles.label(f.Room), c.name))
		if f.Action == hubbub.MemberRemove && hubbub.SameName(f.SubjectName, c.name) {
			c.gone.removed(f.Room) // "* ann removed you from plans" says my departure
		}
		switch {
		case f.Action == hubbub.MemberJoin && accepted(f):
			c.arrivals.said(f.Room, f.SubjectName, "join") // the line says they joined
		case f.Action == hubbub.MemberLeave || f.Action == hubbub.MemberRemove:
			c.arrivals.said(f.Room, f.SubjectName, "leave") // "* ann removed bob from plans": he left
		}
	case *wire.Directory:
		if len(f.Rooms) == 0 {
			fmt.Fprintln(out, "* no public room matches")
			return true
		}
		fmt.Fprintln(out, "* public rooms (/join one):")
		for i := range f.Rooms {
			r := &f.Rooms[i]
			topic := ""
			if r.Topic != "" {
				topic = ": " + clean(r.Topic)
			}
			fmt.Fprintf(out, "*   %s (%d %s)%s\n", r.Room, r.Members, plural(r.Members, "member", "members"), topic)
		}
		if f.Next != "" {
			fmt.Fprintln(out, "*   … and more: narrow it with /directory TEXT")
		}
	case *wire.Read:
		// Another device of mine read the room: nothing to print.
	default:
		return false
	}
	return true
}

// printListChanges prints what changed in the user's list of rooms (f, the list the server
// sends after each connect) since the chat printed or learned it: the rooms added, those whose
// line (unread messages, mentions, topic, role) is not the one known, and the rooms gone; but
// not a room the chat is in (it joined it, and its rejoin prints what it missed). Nothing when
// nothing changed: every reconnect printed the whole list again.
func (c *chat) printListChanges(out io.Writer, f *wire.Rooms, titles *roomTitles) {
	var lines []string
	now := map[string]string{}
	for i := range f.Rooms {
		r := &f.Rooms[i]
		line := roomLine(r, titles)
		now[r.Room] = line
		was, known := c.listed[r.Room]
		if (!known || line != was) && !c.in.joined(r.Room) && !c.in.joining(r.Room) {
			lines = append(lines, line)
		}
	}
	for _, room := range slices.Sorted(maps.Keys(c.listed)) {
		if _, ok := now[room]; !ok {
			titles.unlist(room)
			lines = append(lines, fmt.Sprintf("*   %s: no longer in your rooms", titles.label(room)))
		}
	}
	c.listed = now
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(out, "* your rooms that changed while disconnected:")
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
}

// roomLine formats one room of the user's list: "*   general: 4 unread, 1 mention".
func roomLine(r *wire.MyRoom, titles *roomTitles) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*   %s", titles.label(r.Room)) // a DM as @bob, which /join takes: not its id
	b.WriteString(roomDetails(r))
	switch {
	case r.Invited:
		fmt.Fprintf(&b, ": invited, /join %s to accept, /part %s to decline", r.Room, r.Room)
	case r.Unread == 0:
		b.WriteString(": no unread messages")
	default:
		fmt.Fprintf(&b, ": %s unread", countText(r.Unread))
		if r.Mentions > 0 {
			fmt.Fprintf(&b, ", %s %s", countText(r.Mentions), plural(r.Mentions, "mention", "mentions"))
		}
	}
	return b.String()
}

// roomDetails says what a room of the user's list is, in parentheses: a direct message, or
// private; the user's role if not member; the topic.
func roomDetails(r *wire.MyRoom) string {
	var parts []string
	switch {
	case r.DM && len(r.People) == 0:
		parts = append(parts, "direct message "+r.Room) // no @name takes it: /join takes this
	case r.DM:
		parts = append(parts, "direct message")
	case r.Private:
		parts = append(parts, "private")
	}
	if r.Role != "" && r.Role != string(hubbub.RoomMember) {
		parts = append(parts, r.Role)
	}
	if r.Topic != "" {
		parts = append(parts, "topic: "+hubbub.CleanText(r.Topic))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// countText writes a count the server capped as "999+".
func countText(n int) string {
	if n >= hubbub.MaxUnreadCount {
		return fmt.Sprintf("%d+", hubbub.MaxUnreadCount)
	}
	return fmt.Sprint(n)
}

// noticeOf returns the room and place in the log of a notice frame (a topic, member or
// sanction entry), and false for other frames.
func noticeOf(f wire.Frame) (room string, seq uint64, ok bool) {
	switch f := f.(type) {
	case *wire.TopicChanged:
		return f.Room, f.LogSeq, true
	case *wire.MemberChanged:
		return f.Room, f.LogSeq, true
	case *wire.SanctionChanged:
		return f.Room, f.LogSeq, f.LogSeq > 0
	}
	return "", 0, false
}

// noticeLine is the line of notice frame f (noticeOf) as the live one prints it, for a
// notice a fresh join replays: every one is said, this chat's user's own as "you".
func (c *chat) noticeLine(f wire.Frame, titles *roomTitles) string {
	switch f := f.(type) {
	case *wire.TopicChanged:
		return topicChangedLine(f, titles.label(f.Room), c.name)
	case *wire.MemberChanged:
		return memberChangedLine(f, titles.label(f.Room), c.name)
	case *wire.SanctionChanged:
		return sanctionChangedLine(f, titles.phrase(f.Room), c.name)
	}
	return ""
}

// topicChangedLine formats a change of room's topic (its label) as a notice: "* ann set the
// topic of plans: launch", "* ann cleared the topic of plans"; me, this chat's user, reads
// "you" (another device of mine, or the room's past).
func topicChangedLine(f *wire.TopicChanged, room, me string) string {
	by := hubbub.CleanText(f.From)
	if me != "" && hubbub.SameName(f.From, me) {
		by = "you"
	}
	if f.Topic == "" {
		return fmt.Sprintf("* %s cleared the topic of %s", by, room)
	}
	return fmt.Sprintf("* %s set the topic of %s: %s", by, room, hubbub.CleanText(f.Topic))
}

// sanctionChangedLine formats a ban, mute or lift in room (its phrase: "team") as a
// notice: "* carol banned bob in team until Mon 7 Dec 15:30: spam", "* carol lifted bob's mute
// in team". me is this chat's user, who reads "you", as the banned or as the moderator. The server API's reads "a server admin",
// not its "api", which may be a user's name.
func sanctionChangedLine(f *wire.SanctionChanged, room, me string) string {
	by, who, whose := hubbub.CleanText(f.From), hubbub.CleanText(f.Name), hubbub.CleanText(f.Name)+"'s"
	switch {
	case f.API:
		by = byServerAPI
	case me != "" && hubbub.SameName(f.From, me): // a notice of the room's past: live, mine are said when confirmed
		by = "you"
	}
	if me != "" && hubbub.SameName(f.Name, me) {
		who, whose = "you", "your"
	}
	switch f.Action {
	case hubbub.SanctionActionUnban:
		return fmt.Sprintf("* %s lifted %s ban in %s", by, whose, room)
	case hubbub.SanctionActionUnmute:
		return fmt.Sprintf("* %s lifted %s mute in %s", by, whose, room)
	}
	verb := map[string]string{hubbub.SanctionActionBan: "banned", hubbub.SanctionActionMute: "muted"}[f.Action]
	if verb == "" {
		verb = "sanctioned (" + hubbub.CleanText(f.Action) + ")"
	}
	line := fmt.Sprintf("* %s %s %s in %s", by, verb, who, room)
	if !f.Until.IsZero() {
		line += untilText(wire.FormatTime(f.Until.Time))
	}
	if f.Reason != "" {
		line += ": " + hubbub.CleanText(f.Reason)
	}
	return line
}

// memberChangedLine formats a change of a room's members as a notice. In a DM, whose label
// is its people as the reader sees them, "* bob parted @bob" read as if bob had parted
// himself: there the line says what bob parted, with the label after it (as presenceLine).
// me is this chat's user, who reads "you": "* ann removed you from plans" said "ann removed
// bob from plans" to bob himself. The server API's (api) reads "a server admin".
func memberChangedLine(f *wire.MemberChanged, room, me string) string {
	by, who, is := hubbub.CleanText(f.From), hubbub.CleanText(f.SubjectName), "is"
	if me != "" && hubbub.SameName(f.SubjectName, me) {
		who, is = "you", "are"
	}
	switch {
	case f.API: // its from, "api", may be a user's name: this chat's among them
		by = byServerAPI
	case me != "" && hubbub.SameName(f.From, me):
		by = "you" // on another device of mine
	}
	if hubbub.IsDMRoom(f.Room) {
		switch f.Action {
		case hubbub.MemberJoin:
			return fmt.Sprintf("* %s %s in the direct message (%s)", who, is, room)
		case hubbub.MemberLeave:
			return fmt.Sprintf("* %s parted the direct message for good (%s)", who, room)
		}
	}
	switch f.Action {
	case hubbub.MemberInvite:
		return fmt.Sprintf("* %s invited %s to %s", by, who, room)
	case hubbub.MemberJoin:
		if accepted(f) {
			// Their arrival too: the presence that follows says nothing more (entryPresence).
			return fmt.Sprintf("* %s joined %s, accepting the invitation", who, room)
		}
		return fmt.Sprintf("* %s %s a member of %s now", who, is, room)
	case hubbub.MemberLeave:
		return fmt.Sprintf("* %s parted %s", who, room)
	case hubbub.MemberRemove:
		return fmt.Sprintf("* %s removed %s from %s", by, who, room)
	case hubbub.MemberRole:
		switch {
		case f.Auto && f.Subject != "" && f.User == f.Subject: // the server's: who joined a room that had no owner
			return fmt.Sprintf("* %s %s the owner of %s now, as it had none", who, is, room)
		case f.Auto: // the server's: by is the only owner, who left
			return fmt.Sprintf("* %s %s the owner of %s now, as %s left", who, is, room, by)
		}
		return fmt.Sprintf("* %s made %s %s of %s", by, who, hubbub.CleanText(f.Role), room)
	}
	return fmt.Sprintf("* %s: %s changed %s's membership (%s)", room, by, who, hubbub.CleanText(f.Action))
}
