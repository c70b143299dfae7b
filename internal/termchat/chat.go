package termchat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// CommandList is what the chat's commands do, in the usage text and for /help, which
// printed only their names on one line: a new user learned there that /part exists, not what
// it does or how it differs from /leave.
const CommandList = `  /join ROOM       join ROOM and make it the current room; where lines go is said once the
                   server has answered (refused, they still go to the room they went to)
  /leave [ROOM]    leave ROOM (default: the current room); leaving the current room makes the
                   room joined before it current, and says so
  /who [ROOM]      list the members of ROOM (default: the current room)
  (a ROOM, and --room, may be written #team, or be a direct message as the chat shows it:
  @bob, or @bob,carol)
` + chatLogHelp + `
` + chatPeopleHelp + `
` + chatModerationHelp + `
` + chatSearchHelp + `
` + chatFilesHelp + `
` + chatNotifyHelp + `
` + chatCommandsHelp + `
` + chatNameHelp + `
  /help            list these commands
  /quit            stop (like end of input)

`

// chat is the state of one `hubbub chat` run.
type chat struct {
	ses     *client.Session
	io      IO
	name    string
	names   chatNames     // where the name the server gives a guest is kept for the next run
	printed chan struct{} // closed when every event has been printed
	// caughtUp asks the printer to print every event delivered so far, and to close the
	// channel sent once it has (flushReads).
	caughtUp chan chan struct{}
	// roomsKnown is closed once the printer has learned the user's rooms from the list the
	// server sends after its welcome (roomsLearned): --room @bob is looked up in it (startRoom).
	roomsKnown     chan struct{}
	roomsKnownOnce sync.Once
	reads          readTracker   // the room shown, and what was printed, for read positions
	numbers        shownNumbers  // which room's each message number printed last was (messageArg)
	shown          shownMessages // what the lines of the messages printed show, for edits, deletions and /react
	// roomsAsked counts the /rooms answers not printed yet: an empty list is said only then.
	roomsAsked atomic.Int32
	// listed is the printer's: the line of each room of the user's list as last printed or
	// learned, so that the list the server sends again after each reconnect prints only what
	// changed (nil until the first list came).
	listed map[string]string
	// search is the last search, for /search --more (search.go).
	search chatSearch
	// slash is the server's slash commands (commands.go).
	slash chatSlash
	// signedIn: the chat signed in to an account (--signin), whose name /name changes.
	signedIn bool
	// renaming is the name /name asked for until the server's renamed says it (accountname.go).
	renaming atomic.Pointer[string]

	// piped is set when standard input is not a terminal: its lines are a script, and a
	// command waits for the messages of the lines before it (settle).
	piped      bool
	ackTimeout time.Duration // --ack-timeout: how long settle and waitAcks wait without an ack

	rooms    []string          // joined rooms, in order; the last one is the current room
	in       roomsIn           // the rooms the connection is in, as the server said
	notes    joinNotes         // what to say once a room's joined is printed (enter)
	titles   roomTitles        // direct messages by their people's names
	parted   partedRooms       // rooms /part takes out, whose left and unroom it says itself
	gone     departures        // the printer's: a room's left and unroom said as one line
	arrivals entryPresence     // the printer's: a member entry and the presence that follows as one line
	removals removals          // members this chat's /kick and /ban take out: their leave is said
	echoes   echoes            // what was printed of each room's log, and what of it was sent
	sent     []*client.Receipt // sends whose outcome is not counted yet
	total    sendCounts        // what was sent (or refused before sending), by kind
	failed   sendCounts        // what of it was refused, by the server or before sending
	firstErr error             // why the first refused message was refused
	maxSent  int               // compaction threshold for sent
	// nowhere is, in a script, the /join (/dm, /create) refused before a room was asked for
	// (a name that is no room's): the lines after it are refused, not sent to the room before
	// it, until a room is made current again (makeCurrent). nil otherwise.
	nowhere *refusedJoin
	// offline is set while the session reconnects (from the printer's Disconnected to its
	// Connected): a line typed then waits for the connection, and input says so.
	offline   atomic.Bool
	cmdFailed int   // a script's commands that failed (sayError)
	cmdErr    error // the first of them, as printed
}

// input handles one line typed or piped in; it returns true when the user asked to quit.
func (c *chat) input(ctx context.Context, line string) (quit bool) {
	if strings.TrimSpace(line) == "" {
		return false
	}
	// A command after blanks or control characters (Ctrl-L typed first leaves "\f") is still
	// the command: sent as text, the server trims and cleans it into "/who" from the sender.
	if cmd := strings.TrimLeftFunc(line, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); strings.HasPrefix(cmd, "/") {
		line = cmd
	}
	if strings.HasPrefix(line, "/") && !strings.HasPrefix(line, "//") {
		if c.piped {
			c.settle(ctx)
		}
		return c.command(ctx, line)
	}
	line = strings.TrimPrefix(line, "/")
	room := c.current()
	if room == "" {
		err := c.noRoom()
		if c.nowhere != nil {
			fmt.Fprintf(c.io.Err, "* refused: %v\n", err) // as the server's refusal of a line
		} else {
			fmt.Fprintf(c.io.Err, "* %v\n", err)
		}
		if c.piped {
			c.refused(err) // a script's line not sent: the run fails over it
		}
		return false
	}
	if !c.piped && c.in.takeLeft(room) {
		// Kicked or removed (a /leave forgets the room itself): every line would be refused
		// as not joined. Say so once, and move to the room joined before it. A script's lines
		// are not moved: each goes to the room it was written for, and is counted refused.
		c.forget(room)
		fmt.Fprintf(c.io.Err, "* you are no longer in %s: that line was not sent\n", c.titles.label(room))
		c.sayCurrent()
		return false
	}
	r, err := c.ses.Send(ctx, room, line)
	if err != nil {
		var he *hubbub.Error
		switch {
		case ctx.Err() != nil:
		case errors.As(err, &he):
			// Refused by the client before sending (too long, nothing left once cleaned): said
			// as the server's refusals are, not as "* client: send to general: …".
			fmt.Fprintf(c.io.Err, "* refused in %s: %s\n", c.titles.label(room), refusal(err))
		default:
			fmt.Fprintf(c.io.Err, "* %v\n", err)
		}
		if c.piped || hubbub.ErrorCode(err) == hubbub.ECodeTooLong {
			// Refused before sending (longer than the server takes, say): counted as the
			// server's refusal would have been, so that a piped run still fails over it.
			c.refused(err)
		}
		return false
	}
	c.sayWaits("that line")
	c.total.add(r.Request)
	c.sent = append(c.sent, r)
	c.compact()
	return false
}

// sayWaits says, in a terminal while the session reconnects, that what was just queued (that
// line, that /react) waits: the session holds it until it is connected again, and without a
// word it seemed lost.
func (c *chat) sayWaits(what string) {
	if !c.piped && c.offline.Load() {
		fmt.Fprintf(c.io.Err, "* not connected: %s is sent once the connection is back\n", what)
	}
}

// refused counts a line that was not sent, as one the server refused.
func (c *chat) refused(err error) {
	c.total.add(wire.TypeSend) // only lines are refused before sending: a command's failure is its own
	c.failed.add(wire.TypeSend)
	if c.firstErr == nil {
		c.firstErr = err
	}
}

// compact counts and drops finished sends, so that c.sent stays about as long as the
// session's bound on pending sends.
func (c *chat) compact() {
	if len(c.sent) < max(c.maxSent, 64) {
		return
	}
	kept := c.sent[:0]
	for _, r := range c.sent {
		select {
		case <-r.Done():
			c.count(r)
		default:
			kept = append(kept, r)
		}
	}
	clear(c.sent[len(kept):])
	c.sent = kept
	c.maxSent = 2 * len(kept)
}

func (c *chat) count(r *client.Receipt) {
	c.echoes.expect(r)
	if _, err := r.Result(); err != nil {
		c.failed.add(r.Request)
		if c.firstErr == nil {
			c.firstErr = err
		}
	}
}

// sendCounts counts writes by their request (wire.TypeSend, TypeEdit, TypeDelete, TypeReact),
// so that a script's summary says what it sent: "1 of 1 reactions were refused", where it
// counted every edit, deletion and reaction as a message ("1 of 1 messages were refused" for a
// /react of a message the room does not have, and no message sent).
type sendCounts struct{ send, edit, delete, react int }

// sendKinds are the kinds of write, in the order a summary names them, with their nouns.
var sendKinds = []struct {
	request, noun string
	n             func(*sendCounts) *int
}{
	{wire.TypeSend, "messages", func(c *sendCounts) *int { return &c.send }},
	{wire.TypeEdit, "edits", func(c *sendCounts) *int { return &c.edit }},
	{wire.TypeDelete, "deletions", func(c *sendCounts) *int { return &c.delete }},
	{wire.TypeReact, "reactions", func(c *sendCounts) *int { return &c.react }},
}

// add counts one write of request; one the chat does not know counts as a message.
func (c *sendCounts) add(request string) {
	for _, k := range sendKinds {
		if k.request == request {
			*k.n(c)++
			return
		}
	}
	c.send++
}

func (c sendCounts) sum() int { return c.send + c.edit + c.delete + c.react }

// of says c out of total, kind by kind, naming the kinds c has: "1 of 3 messages", "2 of 2
// edits and 1 of 1 reactions".
func (c sendCounts) of(total sendCounts) string {
	var parts []string
	for _, k := range sendKinds {
		if n := *k.n(&c); n > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d %s", n, *k.n(&total), k.noun))
		}
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// command runs a /command line; it returns true for /quit.
func (c *chat) command(ctx context.Context, line string) (quit bool) {
	words := strings.Fields(line)
	arg, more := c.current(), ""
	if len(words) > 1 {
		// A DM's name may hold quoted spaces (@"bob smith",carol, as the chat names it).
		arg, more = cutRoomWord(strings.TrimPrefix(strings.TrimSpace(line), words[0]))
	}
	defer func() { c.show(c.current()) }() // a command may change the current room
	handled, err := c.logCommand(ctx, words[0], line)
	if !handled {
		handled, err = c.peopleCommand(ctx, words[0], line)
	}
	if !handled {
		handled, err = c.moderationCommand(ctx, words[0], line)
	}
	if !handled {
		handled, err = c.searchCommand(ctx, words[0], line)
	}
	if !handled {
		handled, err = c.filesCommand(ctx, words[0], line)
	}
	if !handled {
		handled, err = c.notifyCommand(ctx, words[0], line)
	}
	if !handled {
		handled, err = c.slashCommand(ctx, words[0], line)
	}
	if !handled {
		handled, err = c.nameCommand(ctx, words[0], line) // after the server's: it may have a /name
	}
	if handled {
		if err != nil && ctx.Err() == nil {
			c.sayError(words[0], err)
		}
		return false
	}
	switch words[0] {
	case "/quit", "/exit":
		return true
	case "/join":
		if len(words) < 2 || more != "" {
			err = errors.New("usage: /join ROOM")
		} else if room, rerr := c.roomArg(arg); rerr != nil {
			err = rerr
		} else if err = hubbub.ValidateRoom(room); err == nil {
			err = c.enter(ctx, room, c.titles.label(room))
		}
		err = c.unentered(err, line) // a script's lines after a refused /join go nowhere else
		if se := (*wire.Error)(nil); hubbub.IsDMRoom(arg) && errors.As(err, &se) && se.Code == hubbub.ECodeNotFound {
			// The server's words point a program at its API; a person here types /dm.
			said := fmt.Errorf("no direct message %q: /dm NAME... starts one with its people (%s)", arg, se.Code)
			if rj := (*refusedJoin)(nil); errors.As(err, &rj) {
				rj.err = said // and where lines go after it, as for any refused join
			} else {
				err = said
			}
		}
	case "/leave":
		if arg == "" {
			err = c.usageOrNoRoom("usage: /leave ROOM")
			break
		}
		if arg, err = c.validRoomArg(arg); err != nil {
			break
		}
		arg = c.in.spelled(arg) // /leave Lobby leaves lobby: one room whatever the case
		wasCurrent := arg == c.current()
		c.forget(arg)
		c.notes.take(arg) // a join waiting for the reconnect is not made: its lines go elsewhere
		if err = c.ses.Leave(ctx, arg); err == nil {
			c.in.set(arg, false) // a /join before the event loop reads the left must join again
		}
		if wasCurrent { // say so: the next line typed goes elsewhere
			c.sayCurrent()
		}
	case "/who":
		if arg == "" {
			err = c.usageOrNoRoom("usage: /who ROOM")
			break
		}
		if arg, err = c.validRoomArg(arg); err != nil {
			break
		}
		_, err = c.ses.Who(ctx, arg) // the members frame is printed with the other events
	case "/help":
		fmt.Fprintln(c.io.Err, "commands (a line starting with // sends the rest with one /):\n"+strings.TrimRight(CommandList, "\n"))
	default:
		err = fmt.Errorf("unknown command %s (try /help)", words[0])
	}
	if err != nil && ctx.Err() == nil {
		c.sayError(words[0], err)
	}
	return false
}

// validRoomArg is roomArg of a name that must be a room's: "/who bad!room" was answered "you
// have not joined room \"bad!room\"", as if there were such a room to join; /join says what a
// room name holds, and so do /who and /leave now.
func (c *chat) validRoomArg(arg string) (string, error) {
	room, err := c.roomArg(arg)
	if err != nil {
		return "", err
	}
	return room, hubbub.ValidateRoom(room)
}

// current is the room lines go to: the one joined last, or "" for none — nor in a script
// after a /join refused before it asked for a room (nowhere).
func (c *chat) current() string {
	if len(c.rooms) == 0 || c.nowhere != nil {
		return ""
	}
	return c.rooms[len(c.rooms)-1]
}

// usageOrNoRoom is the error of a command that defaults to the current room, given none:
// its usage, or in a script after a refused /join, noRoom's refusal.
func (c *chat) usageOrNoRoom(usage string) error {
	if c.nowhere != nil {
		return c.noRoom()
	}
	return errors.New(usage)
}

func (c *chat) forget(room string) {
	for i, r := range c.rooms {
		if r == room {
			c.rooms = append(c.rooms[:i], c.rooms[i+1:]...)
			return
		}
	}
}

// settle waits until every message sent so far is acknowledged or refused, giving up when no
// ack arrived for --ack-timeout, then (for --ack-timeout at most) until what was stored is
// printed back. A piped command runs after it, so that it acts on the lines before it as a
// script's reader expects: "/search deploy" after the lines that said deploy
// finds them all, where it used to overtake the sends still on their way and page with
// "/search --more" through a partial result.
func (c *chat) settle(ctx context.Context) {
	t := time.NewTimer(c.ackTimeout)
	defer t.Stop()
	for _, r := range c.sent {
		select {
		case <-r.Done():
			t.Reset(c.ackTimeout)
			c.echoes.expect(r)
		case <-t.C:
			return // waitAcks, at the end of input, says which were not acknowledged
		case <-ctx.Done():
			return
		}
	}
	// And for them to print, so that a script's output reads in its order: a reaction prints
	// up to the server's --reaction-window after its ack, after the command's output otherwise.
	c.echoes.await(ctx, c.in.joined, c.ackTimeout)
}

// waitAcks waits until every message sent is acknowledged or refused, giving up when no ack
// arrived for timeout. It reports the messages that were refused or never acknowledged.
func (c *chat) waitAcks(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	var unacked sendCounts
	for i, r := range c.sent {
		select {
		case <-r.Done():
			c.count(r)
			t.Reset(timeout) // progress: the timeout counts from the last ack
		case <-t.C:
			for _, r := range c.sent[i:] {
				select {
				case <-r.Done():
					c.count(r)
				default:
					unacked.add(r.Request)
				}
			}
		case <-ctx.Done():
			return nil
		}
		if unacked.sum() > 0 {
			break
		}
	}
	c.sent = nil
	if !c.piped {
		// In a terminal each refusal was said when it came: quitting is no failure over them
		// (it said them again as "1 of 1 messages were refused" and exited 1). A script's
		// refused lines fail its run. Lines never acknowledged are said either way.
		c.failed = sendCounts{}
	}
	var said []string // what failed: the messages, then the commands
	first := c.firstErr
	switch {
	case unacked.sum() > 0:
		said = append(said, fmt.Sprintf("%s were not acknowledged (no ack for %v)", unacked.of(c.total), timeout))
		first = nil
	case c.failed.sum() == 1:
		said = append(said, fmt.Sprintf("%s were refused: %s", c.failed.of(c.total), refusal(c.firstErr)))
	case c.failed.sum() > 0:
		// The refusals may differ (muted, then not in the room): name the first as the first.
		said = append(said, fmt.Sprintf("%s were refused; the first: %s", c.failed.of(c.total), refusal(c.firstErr)))
	}
	switch {
	case c.cmdFailed == 1:
		said = append(said, "1 command failed: "+c.cmdErr.Error())
	case c.cmdFailed > 1:
		said = append(said, fmt.Sprintf("%d commands failed; the first: %s", c.cmdFailed, c.cmdErr))
	}
	if len(said) == 0 {
		return nil
	}
	if first == nil {
		first = c.cmdErr
	}
	msg := "chat: " + strings.Join(said, "; ")
	if first == nil {
		return errors.New(msg)
	}
	return &printedError{msg: msg, err: first}
}
