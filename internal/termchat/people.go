package termchat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// People in `hubbub chat` (docs/protocol.md, Conversations): direct messages, the user's
// rooms with their unread and mention counts, creating rooms, invitations, topics and
// parting. The server sends the user's rooms right after each connect; the chat prints them,
// so the unread counts are the first thing shown. The chat tells the server what the user has
// read: every message of the current room it prints moves the read position there, so the
// counts on the user's other devices (and on the next connect) leave those out.

// chatPeopleHelp lists the people commands for /help and the usage text.
const chatPeopleHelp = `  /rooms           list your rooms with their unread messages and mentions
  /dm NAME...      open the direct message with NAME (and more people: /dm bob carol) and
                   make it current; a name with a space or a comma in quotes: /dm "bob smith"
  /create ROOM [--private] [--topic TEXT]
                   create ROOM (private: members only, by invitation) and join it;
                   --topic takes the rest of the line
  /invite NAME     invite NAME to the current room (a private room's owner and moderators);
                   here and below, a name with a space in quotes: /invite "ann lee"
  /remove NAME     take NAME (a member or an invitee) out of the current private room
  /role NAME ROLE  make NAME owner, moderator or member of the current room (its owner)
  /topic TEXT      set the topic of the current room
  /part [ROOM]     leave ROOM (default: the current room) for good: it leaves your rooms
  /directory [TEXT] list the public rooms (whose name or topic contains TEXT)`

// chatCommandTimeout bounds the wait for the server's answer to a people command.
const chatCommandTimeout = 10 * time.Second

// peopleCommand runs a people command and reports whether line was one.
func (c *chat) peopleCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	args := strings.TrimSpace(strings.TrimPrefix(line, cmd))
	ctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
	defer cancel()
	switch cmd {
	case "/rooms":
		if args != "" {
			return true, errors.New("usage: /rooms")
		}
		// What was printed counts as read in the list: the read positions go out with the
		// sends, after them, and a /rooms right after a join's replay (a script's "/dm bob",
		// then "/rooms") overtook them and listed the DM just printed as unread. One ping
		// per /rooms, and at most one read frame per room, keep the frames it costs bounded.
		c.flushReads(ctx)
		c.roomsAsked.Add(1)
		if _, err = c.ses.Rooms(ctx); err != nil { // printed with the other events
			c.roomsAsked.Add(-1)
		}
	case "/directory":
		_, err = c.ses.Directory(ctx, args, "", 0) // printed with the other events
	case "/dm":
		return true, c.unentered(c.dm(ctx, args), line)
	case "/create":
		var room, topic string
		var private bool
		if room, topic, private, err = parseCreate(args); err != nil {
			return true, c.unentered(err, line)
		}
		if _, err = c.ses.Create(ctx, room, topic, private); err == nil {
			err = c.enter(ctx, room, room)
		}
		return true, c.unentered(err, line)
	case "/invite":
		name, more, ok := cutQuotedWord(args) // "Ann Lee": a name with a space is quoted
		if !ok || name == "" || more != "" {
			return true, errors.New(`usage: /invite NAME (a name with a space in quotes: /invite "ann lee")`)
		}
		err = c.roomChange(ctx, "invited "+name+" to", "", func(room string) (*client.Receipt, error) { return c.ses.Invite(ctx, room, name) })
	case "/remove":
		name, more, ok := cutQuotedWord(args)
		if !ok || name == "" || more != "" {
			return true, errors.New(`usage: /remove NAME (a name with a space in quotes: /remove "ann lee")`)
		}
		// Their leave may come before the confirmation: expect it, so that one removal prints
		// one line ("* you removed bob from plans"), not that and "* bob left plans".
		room := c.current()
		c.removals.expect(room, name)
		err = c.roomChange(ctx, "removed "+name+" from", "", func(room string) (*client.Receipt, error) { return c.ses.Remove(ctx, room, name) })
		c.removals.settle(room, name, err == nil)
	case "/role":
		name, role, ok := cutQuotedWord(args)
		if !ok || name == "" || (role != "owner" && role != "moderator" && role != "member") {
			return true, errors.New(`usage: /role NAME owner|moderator|member (a name with a space in quotes: /role "ann lee" moderator)`)
		}
		err = c.roomChange(ctx, "made "+name+" "+role+" of", "", func(room string) (*client.Receipt, error) { return c.ses.Role(ctx, room, name, role) })
	case "/topic":
		if args == "" {
			return true, errors.New("usage: /topic TEXT")
		}
		err = c.roomChange(ctx, "set the topic of", ": "+hubbub.CleanText(args), func(room string) (*client.Receipt, error) { return c.ses.Topic(ctx, room, args) })
	case "/part":
		room := c.current()
		if args != "" {
			if room, err = c.roomArg(args); err != nil {
				return true, err
			}
		}
		if room == "" {
			return true, c.usageOrNoRoom("usage: /part ROOM")
		}
		if err = hubbub.ValidateRoom(room); err != nil {
			return true, err
		}
		// Room names are one room whatever their case: /part Lobby parts lobby, by the name
		// the connection is in it under, or else the one the server's room_case names.
		room = c.in.spelled(room)
		c.parted.add(room) // its left and unroom say nothing more: this line says it all
		err = c.ses.Part(ctx, room)
		if se := (*wire.Error)(nil); errors.As(err, &se) && se.Code == hubbub.ECodeRoomCase && se.StoredRoom != "" {
			room = se.StoredRoom
			err = c.ses.Part(ctx, room)
		}
		if err != nil {
			c.parted.take(room)
			return true, err
		}
		wasCurrent := room == c.current()
		c.forget(room)
		c.notes.take(room)
		fmt.Fprintf(c.io.Err, "* you parted %s: it is no longer in your rooms\n", c.titles.label(room))
		if wasCurrent {
			c.sayCurrent()
		}
	default:
		return false, nil
	}
	return true, err
}

// dm opens the direct message with the people named in args and makes it current.
func (c *chat) dm(ctx context.Context, args string) error {
	names, err := parseNames(args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("usage: /dm NAME...")
	}
	me := c.ses.Name()
	alone := true
	for _, n := range names {
		if err := hubbub.ValidateName(n); err != nil {
			return fmt.Errorf("%q is not a name: %s", n, hubbub.ErrorMessage(err))
		}
		alone = alone && hubbub.SameName(n, me)
	}
	if alone {
		// The server's words, "name someone other than yourself in names (bad_field)", name
		// a field of its protocol, which a person typing /dm never saw.
		return fmt.Errorf("%s is you: a direct message is with someone else (/dm NAME, their name)", hubbub.CleanText(names[0]))
	}
	r, err := c.ses.DM(ctx, names)
	if err != nil {
		return err
	}
	c.titles.learn(&r.MyRoom) // for a command that names it "@bob" before the printer learns it
	return c.enter(ctx, r.Room, dmTitle(r.People))
}

// enter makes room the current room and joins it, unless the connection is in it or joining
// it already: a join again would show the other members a leave and a join. /join, /dm and
// /create all come here. Where typed lines go (under title: a DM's people) is said once it is
// true: right after the room's "* you joined" line (the printer says it), or at once for a
// room the connection is in — said before the server answered, it was false when the server
// then refused the join. A refused join leaves the current room as it was (a *refusedJoin
// says so), but in a script (piped): there the room is made current all the same, since the
// script's lines after the /join were written for it; they are refused there and counted
// (the run fails), never posted to the room before it. While the session reconnects the room
// is made current and joined once connected, and the chat says that.
func (c *chat) enter(ctx context.Context, room, title string) error {
	if stored := c.in.spelled(room); stored != room {
		room, title = stored, c.titles.label(stored)
	}
	note := fmt.Sprintf("* lines you type go to %s now", title)
	if c.in.claim(room) {
		c.notes.add(room, note)
		j, err := c.ses.Join(ctx, room)
		switch {
		case err == nil && j.Room != room:
			// The server knows the room by another spelling (room_case, which the session
			// followed): the chat follows it by that name, as every frame of it does.
			c.notes.take(room)
			c.in.release(room)
			room = j.Room
			c.in.set(room, true)
			fmt.Fprintf(c.io.Err, "* room %s is named %s; lines you type go there now\n", title, room)
		case err == nil:
			c.in.set(room, true) // the event loop may not have printed its joined yet
		case errors.Is(err, client.ErrNotConnected):
			c.in.reconnecting(room) // a refusal then is the printer's to say
			fmt.Fprintf(c.io.Err, "* not connected: %s is joined once the connection is back; lines you type wait to go there\n", title)
		default:
			c.notes.take(room)
			c.in.release(room)
			moved := c.pastLeft(room)
			refused := &refusedJoin{err: err, room: title, before: c.current(), moved: moved}
			if c.piped {
				c.makeCurrent(room)
			}
			return refused
		}
	} else {
		// In the room, being rejoined after a reconnect (whose refusal the printer says), or
		// joined by a join on its way (a DM someone else started): said at its joined.
		c.notes.add(room, note)
		if !c.in.joining(room) && c.notes.take(room) != "" {
			fmt.Fprintln(c.io.Err, note)
		}
	}
	c.makeCurrent(room)
	return nil
}

// makeCurrent makes room the current room: lines go there, and no longer nowhere.
func (c *chat) makeCurrent(room string) {
	c.forget(room)
	c.rooms = append(c.rooms, room)
	c.nowhere = nil
}

// joinDM joins the DM room that someone else started (claimed in c.in by the caller), for at
// most dmJoinTimeout; a failure is said, and the user can still open it with /dm.
func (c *chat) joinDM(room string) {
	ctx, cancel := context.WithTimeout(context.Background(), dmJoinTimeout)
	defer cancel()
	_, err := c.ses.Join(ctx, room)
	if err == nil {
		c.in.set(room, true)
		return
	}
	c.in.release(room)
	c.notes.take(room) // a /dm of it while the join was on its way would say lines go there
	if !errors.Is(err, client.ErrNotConnected) && !errors.Is(err, client.ErrClosed) {
		fmt.Fprintf(c.io.Err, "* joining %s: %s\n", c.titles.phrase(room), c.titles.roomsNamed(refusal(err)))
	}
}

// dmJoinTimeout bounds joinDM's wait for the server; the session's own end ends it sooner.
const dmJoinTimeout = 30 * time.Second

// sayCurrent tells the user where the next line goes, after the current room went away.
func (c *chat) sayCurrent() {
	// A room I was taken out of meanwhile (kicked, removed) is no place to send lines: "lines
	// you type go to plans now" after bob's removal from plans sent his next line there, to be
	// refused. In a terminal the chat moves on past it; a script's lines go where written.
	for next := c.current(); !c.piped && next != "" && c.in.takeLeft(next); next = c.current() {
		c.forget(next)
	}
	// A DM someone else started, which the chat joined without making it current (joinDM),
	// is still open: "you are in no room now" was false. In a terminal lines go there now; a
	// script's lines, written for the rooms it joins, are not sent to it.
	dm := ""
	if c.current() == "" {
		dm = c.in.openDM()
	}
	if dm != "" && !c.piped {
		c.makeCurrent(dm)
	}
	if next := c.current(); next != "" {
		fmt.Fprintf(c.io.Err, "* lines you type go to %s now\n", c.titles.label(next)) // a DM as @bob
	} else if dm != "" {
		fmt.Fprintf(c.io.Err, "* the script's lines go to no room now (%s is open: /join %s to send there)\n", c.titles.label(dm), c.titles.label(dm))
	} else {
		fmt.Fprintln(c.io.Err, "* you are in no room now; /join one to send")
	}
}

// roomChange queues a change of the current room and waits for the server's answer, so that
// a refusal (not the owner, a public room) is said right after the command, and its success
// as "* you DID ROOM THEN". The room's own line of the change (printPeople) is not printed
// again for this chat: it carries the request's id (client.Session.Sent).
func (c *chat) roomChange(ctx context.Context, did, then string, queue func(room string) (*client.Receipt, error)) error {
	room := c.current()
	if room == "" {
		return c.noRoom()
	}
	r, err := queue(room)
	if err != nil {
		return err
	}
	if _, err := r.Wait(ctx); err != nil {
		return err // printed as a refusal
	}
	fmt.Fprintf(c.io.Err, "* you %s %s%s\n", did, c.titles.phrase(room), then)
	return nil
}

// parseCreate reads /create's arguments: ROOM [--private] [--topic TEXT], --topic taking the
// rest of the line.
func parseCreate(args string) (room, topic string, private bool, err error) {
	const usage = "usage: /create ROOM [--private] [--topic TEXT]"
	room, rest := cutWord(args)
	if room == "" || strings.HasPrefix(room, "--") {
		return "", "", false, errors.New(usage)
	}
	if err := hubbub.ValidateRoom(room); err != nil {
		return "", "", false, fmt.Errorf("%q is not a room name: %s", room, hubbub.ErrorMessage(err))
	}
	for rest != "" {
		var word string
		word, rest = cutWord(rest)
		switch word {
		case "--private":
			private = true
		case "--topic":
			if rest == "" {
				return "", "", false, errors.New("--topic needs the topic's text")
			}
			return room, rest, private, nil
		default:
			return "", "", false, fmt.Errorf("%s (%q is not one of them)", usage, word)
		}
	}
	return room, "", private, nil
}

// roomArg is the room a command's argument names: itself ("team", or "#team"), or for "@bob"
// (a DM as the chat shows it) the DM's room — an error, saying how to start one, if the user
// has no such DM. --room takes the same forms (startRoom).
func (c *chat) roomArg(arg string) (string, error) {
	// "#team" is team, as /search #team writes it and as IRC's /join #team joins a channel:
	// it was refused as no room name (a room's starts with a letter or a digit, so no room
	// is named "#…").
	if room, ok := strings.CutPrefix(arg, "#"); ok && room != "" && !strings.HasPrefix(room, "#") {
		arg = room
	}
	people, ok := strings.CutPrefix(arg, "@")
	if !ok {
		return arg, nil
	}
	names, err := dmPeople(people)
	if err != nil {
		return "", err
	}
	if room, ok := c.titles.dm(names); ok {
		return room, nil
	}
	return "", fmt.Errorf("no direct message with %s: /dm %s starts one", strings.TrimPrefix(dmTitle(names), "@"), quoteNames(names))
}

// parseNames reads the names of /dm: separated by spaces, a name that holds a space written
// in double quotes ("bob smith", with \" and \\ for a quote and a backslash in it). A name may
// hold a comma, but the chat shows a group DM as @bob,carol, so "/dm bob,carol" was read as one
// name, "bob,carol", and answered that no user has it: a comma outside quotes is refused, with
// the spelling of both meanings, and never guessed.
func parseNames(args string) ([]string, error) {
	var names []string
	for rest := strings.TrimLeftFunc(args, unicode.IsSpace); rest != ""; rest = strings.TrimLeftFunc(rest, unicode.IsSpace) {
		if rest[0] != '"' {
			word, after, _ := strings.Cut(rest, " ")
			if i := strings.IndexFunc(word, unicode.IsSpace); i >= 0 { // a tab
				word, after = word[:i], word[i:]
			}
			if strings.Contains(word, ",") {
				parts := strings.FieldsFunc(word, func(r rune) bool { return r == ',' })
				return nil, fmt.Errorf("names are separated by spaces: /dm %s (for the one name %s, in quotes: /dm %s)",
					quoteNames(parts), hubbub.CleanText(word), strconv.Quote(hubbub.CleanText(word)))
			}
			names, rest = append(names, word), after
			continue
		}
		name, after, ok := cutQuoted(rest)
		if !ok {
			return nil, fmt.Errorf("a name in quotes has no closing quote: %s", hubbub.CleanText(rest))
		}
		if after != "" && !unicode.IsSpace(rune(after[0])) {
			return nil, fmt.Errorf("put a space after the closing quote of %s", strconv.Quote(hubbub.CleanText(name)))
		}
		names, rest = append(names, name), after
	}
	return names, nil
}

// quoteNames writes names as /dm reads them (parseNames): separated by spaces, in quotes a name
// that would otherwise read as more than one, or start with a quote.
func quoteNames(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		n = hubbub.CleanText(n)
		if n == "" || strings.ContainsAny(n, " ,") || strings.HasPrefix(n, `"`) {
			n = strconv.Quote(n)
		}
		out[i] = n
	}
	return strings.Join(out, " ")
}

// startRoom is the room --room names: itself, or for "@bob" the DM with bob, as /join takes
// it (roomArg). The DMs are those of the list of rooms the server sends right after its
// welcome, which the printer reads: startRoom waits for it, for chatCommandTimeout at most. A
// user the server keeps no list for (anonymous) gets none, and has no DM to find; nor has a
// user of a server older than users.
func (c *chat) startRoom(ctx context.Context, arg string) (string, error) {
	if !strings.HasPrefix(arg, "@") {
		return c.roomArg(arg) // --room #team is team
	}
	if u := c.ses.User(); u != nil && u.ID != "" && !strings.HasPrefix(u.ID, hubbub.AnonymousPrefix) {
		t := time.NewTimer(chatCommandTimeout)
		defer t.Stop()
		select {
		case <-c.roomsKnown:
		case <-t.C: // looked up in what is known: "no direct message", which is what the list said
		case <-c.ses.Done():
			return "", fmt.Errorf("waiting for your rooms: %w", c.ses.Err())
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return c.roomArg(arg)
}

// roomsLearned records that the printer has learned the user's rooms (startRoom).
func (c *chat) roomsLearned() {
	c.roomsKnownOnce.Do(func() { close(c.roomsKnown) })
}
