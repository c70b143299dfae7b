package termchat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

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
  /dm NAME...      open the direct message with NAME (and more people) and make it current
  /create ROOM [--private] [--topic TEXT]
                   create ROOM (private: members only, by invitation) and join it;
                   --topic takes the rest of the line
  /invite NAME     invite NAME to the current room (a private room's owner and moderators)
  /remove NAME     take NAME (a member or an invitee) out of the current private room
  /role NAME ROLE  make NAME owner, moderator or member of the current room (its owner)
  /topic TEXT      set the topic of the current room
  /part [ROOM]     leave ROOM (default: the current room) for good: it leaves your rooms
  /directory [TEXT] list the public rooms (whose name or topic contains TEXT)`

// chatCommandTimeout bounds the wait for the server's answer to a people command.
const chatCommandTimeout = 10 * time.Second

// readTracker is what the chat shows and has shown: the current room, and the highest seq
// printed in each room, so that the read position follows what the user has seen. The input
// loop changes the current room, the printer records seqs; either may be first.
type readTracker struct {
	mu    sync.Mutex
	shown string
	seen  map[string]uint64
}

// show makes room the one the user looks at, and marks read what was printed of it already.
func (c *chat) show(room string) {
	c.numbers.current(room) // a number typed is checked against what printed since
	c.reads.mu.Lock()
	c.reads.shown = room
	seq := c.reads.seen[room]
	c.reads.mu.Unlock()
	if room != "" && seq > 0 {
		c.ses.MarkRead(room, seq)
	}
}

// printedMessage records that message seq of room was printed, and marks it read if the room
// is the current one.
func (c *chat) printedMessage(room string, seq uint64) {
	c.reads.mu.Lock()
	if c.reads.seen == nil {
		c.reads.seen = make(map[string]uint64)
	}
	c.reads.seen[room] = max(c.reads.seen[room], seq)
	shown := c.reads.shown == room
	c.reads.mu.Unlock()
	if shown {
		c.ses.MarkRead(room, seq)
	}
}

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
		name, more := cutWord(args)
		if name == "" || more != "" {
			return true, errors.New("usage: /invite NAME")
		}
		err = c.roomChange(ctx, "invited "+name+" to", "", func(room string) (*client.Receipt, error) { return c.ses.Invite(ctx, room, name) })
	case "/remove":
		name, more := cutWord(args)
		if name == "" || more != "" {
			return true, errors.New("usage: /remove NAME")
		}
		// Their leave may come before the confirmation: expect it, so that one removal prints
		// one line ("* you removed bob from plans"), not that and "* bob left plans".
		room := c.current()
		c.removals.expect(room, name)
		err = c.roomChange(ctx, "removed "+name+" from", "", func(room string) (*client.Receipt, error) { return c.ses.Remove(ctx, room, name) })
		c.removals.settle(room, name, err == nil)
	case "/role":
		name, role := cutWord(args)
		if name == "" || (role != "owner" && role != "moderator" && role != "member") {
			return true, errors.New("usage: /role NAME owner|moderator|member")
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

// partedRooms are the rooms this chat's /part takes out of the user's list, until the
// server's unroom of each: the /part says so in one line, and the server's left (when the
// connection was in the room) and unroom, which come before or after its answer, are not
// printed too: "* you parted", "* you left" and "* … left your rooms" said one thing three
// times. By hubbub.RoomKey: "/part ops" parts Ops, whose frames name it so.
type partedRooms struct {
	mu    sync.Mutex
	rooms map[string]bool
}

func (p *partedRooms) add(room string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rooms == nil {
		p.rooms = make(map[string]bool)
	}
	p.rooms[hubbub.RoomKey(room)] = true
}

// has reports whether room is being parted.
func (p *partedRooms) has(room string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rooms[hubbub.RoomKey(room)]
}

// take reports whether room was being parted, and forgets it.
func (p *partedRooms) take(room string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	was := p.rooms[hubbub.RoomKey(room)]
	delete(p.rooms, hubbub.RoomKey(room))
	return was
}

// departures pairs the two frames one departure from a room sends a connection that is in
// it — left (out of the room) and unroom (out of the user's list), in either order, from a
// /part on another device of the user or a removal from a private room — so that the chat
// says it once: the second of them prints nothing. "* lobby left your rooms" then "* you left
// lobby" said one part on the other device twice. Only the printer uses it.
type departures struct {
	said map[string]departure // by hubbub.RoomKey: which of the two said the departure
}

type departure uint8

const (
	saidByLeft   departure = iota + 1 // a left was printed; its unroom says nothing
	saidByUnroom                      // an unroom was printed; its left says nothing
	kickedOut                         // a kick's error said it: its left says nothing (and no unroom comes)
	removedSaid                       // "* ann removed you from plans" said it: its left and unroom say nothing
)

func (d *departures) mark(room string, how departure) {
	if d.said == nil {
		d.said = make(map[string]departure)
	}
	d.said[hubbub.RoomKey(room)] = how
}

// take returns how room's departure was said, and forgets it.
func (d *departures) take(room string) departure {
	how := d.said[hubbub.RoomKey(room)]
	delete(d.said, hubbub.RoomKey(room))
	return how
}

// left reports whether the left of room is to be printed; wasIn is whether the connection
// was in the room when it came (not after this chat's /leave, which has no unroom).
func (d *departures) left(room string, wasIn bool) bool {
	switch how := d.take(room); {
	case how == saidByUnroom, how == kickedOut:
		return false // said already: "* lobby left your rooms", or the kick's "* you were removed …"
	case how == removedSaid:
		if wasIn {
			d.mark(room, saidByLeft) // its unroom says nothing either
		}
		return false
	case wasIn:
		d.mark(room, saidByLeft) // an unroom may follow: a part on another device, a removal
	}
	return true
}

// unroom reports whether the unroom of room is to be printed; wasIn is whether the
// connection was in the room (or joining it), so that a left follows.
func (d *departures) unroom(room string, wasIn bool) bool {
	switch d.take(room) {
	case saidByLeft:
		return false
	case removedSaid:
		if wasIn {
			d.mark(room, saidByUnroom) // its left says nothing either
		}
		return false
	}
	if wasIn {
		d.mark(room, saidByUnroom)
	}
	return true
}

// kicked records that a moderator took the connection out of room: the left that follows
// is not one of a pair.
func (d *departures) kicked(room string) {
	if room != "" {
		d.mark(room, kickedOut)
	}
}

// removed records that the notice of my removal from room was printed: the left and the
// unroom that follow it say nothing. One of them printed already keeps its mark.
func (d *departures) removed(room string) {
	if _, said := d.said[hubbub.RoomKey(room)]; !said {
		d.mark(room, removedSaid)
	}
}

// joined forgets room's departure: the connection is in it again.
func (d *departures) joined(room string) { d.take(room) }

// entryPresenceGrace is how long after a member entry is printed the presence it brings is
// still taken for the entry's own: the server sends presence up to --presence-window-max (500
// ms by default) late, and the entry comes first (it is written before the member enters the
// room or is taken out of it). One that never comes (a room past --presence-limit sends none)
// is forgotten then, so that the member's next coming or going prints.
const entryPresenceGrace = 5 * time.Second

// entryPresence pairs a member entry of a room's log with the presence frame that follows it,
// so that one change of a member's is said in one line: an invitee's acceptance (a
// member_changed join) is their arrival too, and "* bob is a member of plans now" then "* bob
// joined plans" said one acceptance twice; a removal or a part for good (remove, leave) is
// their departure, and "* ann removed bob from plans" then "* bob left plans" read as a
// removal and a leave of his own. Only the printer uses it.
type entryPresence struct {
	until map[string]time.Time // by removalKey and the presence event: until when it is said
}

// said records that a line printed for room's entry says name's presence event ("join" or
// "leave") that follows.
func (e *entryPresence) said(room, name, event string) {
	now := time.Now()
	if e.until == nil {
		e.until = make(map[string]time.Time)
	}
	for k, until := range e.until { // a presence that never came: forget it (rare, and few)
		if now.After(until) {
			delete(e.until, k)
		}
	}
	e.until[removalKey(room, name)+"\x00"+event] = now.Add(entryPresenceGrace)
}

// take reports whether name's presence event in room was said by an entry's line, and
// forgets it.
func (e *entryPresence) take(room, name, event string) bool {
	k := removalKey(room, name) + "\x00" + event
	until, ok := e.until[k]
	delete(e.until, k)
	return ok && time.Now().Before(until)
}

// accepted reports whether the member_changed join f is an invitee accepting (their own join
// of a private room), not a member the room was made with: its creator, the owner, is one of
// those too, and a DM has no invitations.
func accepted(f *wire.MemberChanged) bool {
	if hubbub.IsDMRoom(f.Room) || f.Role == string(hubbub.RoomOwner) {
		return false
	}
	if f.Subject != "" && f.User != "" {
		return f.Subject == f.User
	}
	return hubbub.SameName(f.From, f.SubjectName) // a server that sends no user ids
}

// dm opens the direct message with the people named in args and makes it current.
func (c *chat) dm(ctx context.Context, args string) error {
	names := strings.Fields(args)
	if len(names) == 0 {
		return errors.New("usage: /dm NAME...")
	}
	for _, n := range names {
		if err := hubbub.ValidateName(n); err != nil {
			return fmt.Errorf("%q is not a name: %s", n, hubbub.ErrorMessage(err))
		}
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
			refused := &refusedJoin{err: err, room: title, before: c.current()}
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

// refusedJoin is the error of a /join (/dm, /create) refused, by the server (enter's) or by
// the chat before any room was asked for (unentered's: a name that is no room's, a usage, a
// /dm of no one): printed as the refusal, then where the lines typed after it go (afterRefusal).
type refusedJoin struct {
	err    error
	room   string // the room refused, as the chat names it ("" when none was asked for)
	before string // the current room before the join ("" for none)
	// cmd is, for a refusal before a room was asked for, the command as typed: in a script
	// the lines after it are refused as not sent because of it (chat.nowhere, noRoom).
	cmd string
}

func (e *refusedJoin) Error() string { return e.err.Error() }
func (e *refusedJoin) Unwrap() error { return e.err }

// afterRefusal is the line that follows the refusal rj: where lines go now. In a script the
// lines after a join the server refused go to its room all the same (enter), and those after
// one refused before a room was asked for go nowhere: rj is then chat.nowhere (unentered).
func (c *chat) afterRefusal(rj *refusedJoin) string {
	nowhere := c.nowhere == rj          // unentered sets it, in a script only
	before := c.titles.label(rj.before) // a DM as @bob, not its id
	switch {
	case nowhere && rj.before != "":
		return fmt.Sprintf("* the script's lines after it are refused, not sent; none goes to %s", before)
	case nowhere:
		return "* the script's lines after it are refused, not sent"
	case c.piped && rj.before != "" && before != rj.room:
		return fmt.Sprintf("* the script's lines after it go to %s all the same, which refuses them; none goes to %s", rj.room, before)
	case c.piped:
		return fmt.Sprintf("* the script's lines after it go to %s all the same, which refuses them", rj.room)
	case rj.before != "":
		return fmt.Sprintf("* lines you type still go to %s", before)
	}
	return "* you are in no room; /join one to send"
}

// unentered is the error of a /join, /dm or /create (line, as typed) that failed with err
// before it could make a room current: a *refusedJoin, which says where lines go after it.
// In a script the lines after it were written for the room it did not enter: they are not
// sent, least of all to the room before it, but refused (chat.nowhere) and counted, as they
// are in a room whose join the server refused (enter).
func (c *chat) unentered(err error, line string) error {
	if rj := (*refusedJoin)(nil); err == nil || errors.As(err, &rj) {
		return err
	}
	rj := &refusedJoin{err: err, before: c.current(), cmd: hubbub.CleanText(line)}
	if c.piped {
		c.nowhere = rj
	}
	return rj
}

// answer is a command's error that answers it rather than says it failed ("no more
// results"): printed as errors are, but not counted as a failed command.
type answer struct{ error }

func (a answer) Unwrap() error { return a.error }

// noRoom is the error of a line or command that needs the current room when there is none:
// in a script after a refused /join, that it is refused for it.
func (c *chat) noRoom() error {
	if c.nowhere != nil {
		return fmt.Errorf("not sent, as %q before it failed", c.nowhere.cmd)
	}
	return errors.New("you are in no room; /join one first")
}

// sayError prints the error command cmd ended with, and after a refused join where lines go.
// In a script a failed command is counted: the run fails over it (waitAcks).
func (c *chat) sayError(cmd string, err error) {
	said := c.titles.roomsNamed(commandError(cmd, err)) // a DM by its people, not its id
	fmt.Fprintf(c.io.Err, "* %s\n", said)
	if rj := (*refusedJoin)(nil); errors.As(err, &rj) {
		fmt.Fprintln(c.io.Err, c.afterRefusal(rj))
	}
	if c.piped && !errors.As(err, new(answer)) {
		c.cmdFailed++
		if c.cmdErr == nil {
			c.cmdErr = &printedError{msg: said, err: err}
		}
	}
}

// commandError is err as said of command cmd: "/invite: no user is named …", or the error
// alone when it names cmd itself, as a usage or an unknown command does: they read
// "/join: usage: /join ROOM" and "/frobnicate: unknown command /frobnicate (try /help)".
func commandError(cmd string, err error) string {
	msg := refusal(err)
	for _, own := range []string{"usage: " + cmd, "unknown command " + cmd} {
		if rest, ok := strings.CutPrefix(msg, own); ok && (rest == "" || rest[0] == ' ') {
			return msg
		}
	}
	return cmd + ": " + msg
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
	if next := c.current(); next != "" {
		fmt.Fprintf(c.io.Err, "* lines you type go to %s now\n", c.titles.label(next)) // a DM as @bob
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

// dmTitle is how the chat names a direct message: the other people's names.
func dmTitle(people []string) string {
	if len(people) == 0 {
		return "a direct message with nobody else"
	}
	return "@" + hubbub.CleanText(strings.Join(people, ","))
}

// roomTitles are the names the chat shows for rooms: a DM by its people ("@bob,carol"), as
// the user's list of rooms names them. The printer learns them; commands read them too, to
// label what they print as the printer does and to take a room given as "@bob".
type roomTitles struct {
	mu       sync.Mutex
	titles   map[string]string   // by room
	people   map[string][]string // a DM's other people, cleaned, by room
	byPeople map[string]string   // rooms by peopleKey
	// listed are the DMs the printer has seen in the user's list (a rooms or room frame), until
	// their unroom: a /dm of one of them is answered with its room frame again, which is no
	// news ("* direct message @bob is in your rooms" printed at every /dm bob).
	listed map[string]bool
}

// list records that room is in the user's list, and reports whether it was already.
func (t *roomTitles) list(room string) (was bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.listed == nil {
		t.listed = make(map[string]bool)
	}
	was = t.listed[room]
	t.listed[room] = true
	return was
}

// unlist records that room left the user's list.
func (t *roomTitles) unlist(room string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.listed, room)
}

// phrase names room in a sentence: a DM by its people, "your direct messages with bob" (or
// "with bob and carol"), never its id (dm.…), which means nothing to a person, nor "this
// direct message", which left the reader to guess whose; a DM whose people are unknown (the
// others left it) as "a direct message"; another room as itself.
func (t *roomTitles) phrase(room string) string {
	if !hubbub.IsDMRoom(room) {
		return room
	}
	t.mu.Lock()
	people := t.people[room]
	t.mu.Unlock()
	switch n := len(people); n {
	case 0:
		return "a direct message"
	case 1:
		return "your direct messages with " + people[0]
	default:
		return "your direct messages with " + strings.Join(people[:n-1], ", ") + " and " + people[n-1]
	}
}

// roomsNamed is text, a server's message, with each `room "NAME"` of a DM said as phrase
// does: the server names a room by its id ("you were removed from room \"dm.4f…\""), which
// for a DM is a hash.
func (t *roomTitles) roomsNamed(text string) string {
	var b strings.Builder
	for {
		before, after, found := strings.Cut(text, `room "`)
		if !found {
			break
		}
		name, rest, closed := strings.Cut(after, `"`)
		if !closed {
			break
		}
		if hubbub.IsDMRoom(name) {
			b.WriteString(before + t.phrase(name))
		} else {
			b.WriteString(before + `room "` + name + `"`)
		}
		text = rest
	}
	b.WriteString(text)
	return b.String()
}

// forgetPeople forgets which people name room, a DM taken out of the user's list: "/join
// @bob" then says there is no such DM rather than asking the server for the DM by its id.
// Its title stays, for its frames still on their way.
func (t *roomTitles) forgetPeople(room string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, r := range t.byPeople {
		if r == room {
			delete(t.byPeople, k)
		}
	}
}

// label returns room's title, or room itself.
func (t *roomTitles) label(room string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.titles[room]; s != "" {
		return s
	}
	return room
}

// learn records the title of a room of the user's list.
func (t *roomTitles) learn(r *wire.MyRoom) {
	if !r.DM {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.titles == nil {
		t.titles, t.people, t.byPeople = make(map[string]string), make(map[string][]string), make(map[string]string)
	}
	if len(r.People) == 0 && t.people[r.Room] != nil {
		// Everyone else left it: it is still the DM with them, which "@bob" names better than
		// "a direct message with nobody else" (the list names no one who left).
		return
	}
	if old := t.titles[r.Room]; old != "" {
		delete(t.byPeople, peopleKey(strings.TrimPrefix(old, "@")))
	}
	t.titles[r.Room] = dmTitle(r.People)
	people := make([]string, len(r.People))
	for i, p := range r.People {
		people[i] = hubbub.CleanText(p)
	}
	t.people[r.Room] = people
	if len(r.People) > 0 {
		t.byPeople[peopleKey(strings.Join(r.People, ","))] = r.Room
	}
}

// dm returns the room of the DM with people ("bob,carol", in any order and case), if the
// user's list has it.
func (t *roomTitles) dm(people string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	room, ok := t.byPeople[peopleKey(people)]
	return room, ok
}

// peopleKey is a DM's people as a key: the names, cleaned and folded to lower case, sorted.
func peopleKey(people string) string {
	names := strings.Split(strings.ToLower(hubbub.CleanText(people)), ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// roomArg is the room a command's argument names: itself, or for "@bob" (a DM as the chat
// shows it) the DM's room — an error, saying how to start one, if the user has no such DM.
// --room takes the same forms (startRoom).
func (c *chat) roomArg(arg string) (string, error) {
	people, ok := strings.CutPrefix(arg, "@")
	if !ok {
		return arg, nil
	}
	if err := checkPeople(people); err != nil {
		return "", err
	}
	if room, ok := c.titles.dm(people); ok {
		return room, nil
	}
	names := strings.Join(strings.Split(people, ","), " ")
	return "", fmt.Errorf("no direct message with %s: /dm %s starts one", hubbub.CleanText(people), hubbub.CleanText(names))
}

// startRoom is the room --room names: itself, or for "@bob" the DM with bob, as /join takes
// it (roomArg). The DMs are those of the list of rooms the server sends right after its
// welcome, which the printer reads: startRoom waits for it, for chatCommandTimeout at most. A
// user the server keeps no list for (anonymous) gets none, and has no DM to find; nor has a
// user of a server older than users.
func (c *chat) startRoom(ctx context.Context, arg string) (string, error) {
	if !strings.HasPrefix(arg, "@") {
		return arg, nil
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

// checkPeople checks the people of a DM as the chat names it ("bob,carol", from "@bob,carol"):
// a name each, so that "@" or "@bob," is refused for what it is, not looked up as a DM with
// no one ("no direct message with : /dm  starts one").
func checkPeople(people string) error {
	for _, n := range strings.Split(people, ",") {
		if err := hubbub.ValidateName(strings.TrimSpace(n)); err != nil {
			return fmt.Errorf("%q is not a direct message: %q is not a name (%s)", "@"+hubbub.CleanText(people), hubbub.CleanText(n), hubbub.ErrorMessage(err))
		}
	}
	return nil
}

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
		if len(f.Rooms) == 0 {
			if asked { // on connect, a new user's empty list is not worth a line
				fmt.Fprintln(out, "* your rooms: none yet")
			}
			return true
		}
		fmt.Fprintln(out, "* your rooms:")
		for i := range f.Rooms {
			fmt.Fprintln(out, roomLine(&f.Rooms[i], titles))
		}
	case *wire.Room:
		titles.learn(&f.MyRoom)
		switch {
		case f.Invited:
			fmt.Fprintf(out, "* you are invited to %s: /join %s to accept\n", f.Room, f.Room)
		case f.DM:
			if titles.list(f.Room) {
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
		if f.Topic == "" {
			fmt.Fprintf(out, "* %s cleared the topic of %s\n", clean(f.From), titles.label(f.Room))
		} else {
			fmt.Fprintf(out, "* %s set the topic of %s: %s\n", clean(f.From), titles.label(f.Room), clean(f.Topic))
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

// roomLine formats one room of the user's list: "*   general: 4 unread, 1 mention".
func roomLine(r *wire.MyRoom, titles *roomTitles) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*   %s", titles.label(r.Room)) // a DM as @bob, which /join takes: not its id
	b.WriteString(roomDetails(r))
	switch {
	case r.Invited:
		fmt.Fprintf(&b, ": invited, /join %s to accept", r.Room)
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

// memberChangedLine formats a change of a room's members as a notice. In a DM, whose label
// is its people as the reader sees them, "* bob parted @bob" read as if bob had parted
// himself: there the line says what bob parted, with the label after it (as presenceLine).
// me is this chat's user, who reads "you": "* ann removed you from plans" said "ann removed
// bob from plans" to bob himself.
func memberChangedLine(f *wire.MemberChanged, room, me string) string {
	by, who, is := hubbub.CleanText(f.From), hubbub.CleanText(f.SubjectName), "is"
	if me != "" && hubbub.SameName(f.SubjectName, me) {
		who, is = "you", "are"
	}
	if me != "" && hubbub.SameName(f.From, me) {
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
