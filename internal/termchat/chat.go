// Package termchat is hubbub's terminal chat client, `hubbub chat` (cmd/hubbub parses its
// flags into Options and calls Run): it prints what happens in the user's rooms as lines,
// "[room] #SEQ name: text" and "* " notices, and sends each line typed or piped in as a
// message or a command (CommandList). It is built on hubbub/client, whose session reconnects,
// rejoins and resends; this package decides what a person reads and types.
package termchat

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"golang.org/x/term"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/dialhint"
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
  (a ROOM, and --room, may be a direct message as the chat shows it: @bob, or @bob,carol)
` + chatLogHelp + `
` + chatPeopleHelp + `
` + chatModerationHelp + `
` + chatSearchHelp + `
` + chatFilesHelp + `
` + chatNotifyHelp + `
` + chatCommandsHelp + `
  /help            list these commands
  /quit            stop (like end of input)

`

// IO is what a Run reads lines from and prints to: messages and room events on Out,
// connection changes, refusals and what commands say on Err.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// TTY says In is a person's terminal whatever it is (tests type into a pipe as a person
	// would); otherwise In is one if it is a terminal device.
	TTY bool
}

// DefaultAckTimeout is Options.AckTimeout's default.
const DefaultAckTimeout = 10 * time.Second

// Options configure a Run, as `hubbub chat`'s flags set them. URLs is required; every other
// field's zero value is its default.
type Options struct {
	// URLs are the server's WebSocket endpoints (ws://HOST/ws, or the page's http:// URL):
	// the chat connects to the first that answers, and to the next when a connection fails.
	URLs []string
	// Name is the name said in hello, with the key kept in KeyFile (a guest). "" with Token or
	// SessionCookie: the server names the user. KeptName is the name a server last gave the
	// key, which a caller says when the person named none.
	Name string
	// Token is a signed token (hubbub token) for servers that require one.
	Token string
	// SessionCookie is an account's session (client.SignIn); SignInAgain, if not nil, signs in
	// again when the server ends that session (see client.SessionOptions).
	SessionCookie string
	SignInAgain   func(context.Context) (string, error)
	// KeyFile keeps the user's key, created the first time; beside it (KeyFile + ".names")
	// the name each server last gave it. Default <user config dir>/hubbub/key.
	KeyFile string
	// Room is the room joined at start, or a direct message as @bob (@bob,carol). Default
	// hubbub.DefaultRoom, where the page opens.
	Room string
	// History is how many recent messages a join prints; 0 is the server's default.
	History int
	// Wait is how long, at the end of input and after the acks, the chat keeps printing.
	Wait time.Duration
	// AckTimeout is how long the end of input (and a script's command) waits without an ack
	// before giving up; default DefaultAckTimeout.
	AckTimeout time.Duration
	// TLSConfig is the TLS settings for wss:// (a certificate to trust); nil for the
	// system's.
	TLSConfig *tls.Config
	// Verbose logs the connection's course to Err: each connection made and lost and each
	// reconnect attempt, with the errors in full (the chat's own lines say them in short).
	Verbose bool
}

// KeptName returns the name the server at the first of urls last gave the key kept in keyFile
// (Options.KeyFile), "" if none: a guest renamed on another device or by an operator while the
// chat was away says that name, not its old one, which would rename it back.
func KeptName(keyFile string, urls []string) string {
	if len(urls) == 0 {
		return ""
	}
	return newChatNames(keyFile, urls).name()
}

// CheckRoom reports whether room is one Options.Room takes: a room's name, or a direct
// message as @bob or @bob,carol (which DM it is, the server's list of the user's rooms says).
func CheckRoom(room string) error {
	if people, dm := strings.CutPrefix(room, "@"); dm {
		return checkPeople(people)
	}
	return hubbub.ValidateRoom(room)
}

// Run is `hubbub chat`: a terminal client for the hubbub.v1 protocol. It connects, joins
// o.Room, prints what happens in the user's rooms and sends each line read from io.In (a
// message, or a command: CommandList), until the input ends, ctx is cancelled (Ctrl-C, which
// is no error) or the session fails. At the end of input it waits for every message to be
// acknowledged; it returns an error if one was refused or not acknowledged, or, when io.In
// is not a terminal, if a command failed.
func Run(ctx context.Context, o Options, io IO) error {
	if len(o.URLs) == 0 {
		return errors.New("chat: no server URL")
	}
	if o.Room == "" {
		o.Room = hubbub.DefaultRoom
	}
	if err := CheckRoom(o.Room); err != nil {
		return fmt.Errorf("chat: room %q: %w", o.Room, err)
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	names := newChatNames(o.KeyFile, o.URLs)
	key, err := chatKey(o.KeyFile)
	if err != nil {
		return fmt.Errorf("chat: %w", err)
	}
	logLevel := slog.LevelWarn
	if o.Verbose {
		logLevel = slog.LevelInfo // the session's connects, losses and failed attempts
	}
	ses, err := client.Connect(ctx, client.SessionOptions{
		URLs:          o.URLs,
		Name:          o.Name,
		Key:           key,
		Token:         o.Token,
		SessionCookie: o.SessionCookie,
		SignInAgain:   o.SignInAgain,
		History:       o.History,
		Dial:          client.Options{TLSConfig: o.TLSConfig},
		Logger:        slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: logLevel})),
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while connecting
		}
		return connectError(err, dialhint.For(err)+notFoundHint(err)+addServiceHint(err)+signInHint(err, o.SessionCookie != "" || o.Token != ""))
	}
	c := &chat{ses: ses, io: io, name: o.Name, names: names, printed: make(chan struct{}), caughtUp: make(chan chan struct{}),
		roomsKnown: make(chan struct{}), piped: !io.TTY && !isTerminal(io.In), ackTimeout: o.AckTimeout}
	go c.print()
	defer c.close()

	start, err := c.startRoom(ctx, o.Room)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return &printedError{msg: fmt.Sprintf("chat: joining %s: %s", hubbub.CleanText(o.Room), refusal(err)), err: err}
	}
	title := c.titles.label(start) // a DM by its people, as every line names it
	if isTerminal(io.In) {         // said after the room's joined, not before the server answered
		c.notes.add(start, fmt.Sprintf("* lines you type go to %s; /help lists the commands", title))
	}
	if j, err := ses.Join(ctx, start); err != nil {
		c.notes.take(start)
		if ctx.Err() != nil {
			return nil
		}
		var se *wire.Error
		if errors.As(err, &se) {
			hint := ""
			if se.Code == hubbub.ECodeForbidden {
				// A bot's token, a private room: the room is the flag's default more often than not.
				hint = " (pass --room with a room you may join)"
			}
			return &printedError{msg: fmt.Sprintf("chat: joining %s: %s%s", title, refusal(err), hint), err: err}
		}
		fmt.Fprintf(io.Err, "* %v\n", err)
	} else {
		if j.Room != start {
			// The server knows the room by another spelling (room_case, which the session
			// followed): the chat names it so, as every frame of it does.
			c.notes.take(start)
			fmt.Fprintf(io.Err, "* room %s is named %s\n", start, j.Room)
			start = j.Room
		}
		c.in.set(start, true) // as enter does: a /join of it before the printer reads its joined only switches
	}
	c.rooms = []string{start}
	c.show(start)

	stop := make(chan struct{})
	defer close(stop)
	lines := readLines(io.In, stop)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return nil // Ctrl-C
		case <-ses.Done():
			return fmt.Errorf("chat: %w", ses.Err())
		case line, ok := <-lines:
			if !ok {
				done = true
				break
			}
			done = c.input(ctx, line)
		}
	}
	if err := c.waitAcks(ctx, o.AckTimeout); err != nil || ctx.Err() != nil {
		c.flushReads(ctx)
		return err
	}
	c.echoes.await(ctx, c.in.joined, o.AckTimeout)
	if o.Wait > 0 {
		t := time.NewTimer(o.Wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	c.flushReads(ctx)
	return nil
}

// flushReads, at the end of input, has what was printed count as read on the server before
// the chat exits, for --ack-timeout at most: the printer prints what the session delivered
// (the history a piped run printed may still be on its way to the terminal), and the session
// writes the read positions and waits for the server to take them. Exiting at once, a piped
// run left the history it printed unread.
func (c *chat) flushReads(ctx context.Context) {
	if ctx.Err() != nil {
		return // Ctrl-C
	}
	ctx, cancel := context.WithTimeout(ctx, c.ackTimeout)
	defer cancel()
	done := make(chan struct{})
	select {
	case c.caughtUp <- done:
	case <-c.printed:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
		return
	}
	_ = c.ses.FlushReads(ctx) // not connected: nothing to do; the next run shows what it prints
}

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
	reads          readTracker  // the room shown, and what was printed, for read positions
	numbers        shownNumbers // which room's each message number printed last was (messageArg)
	// roomsAsked counts the /rooms answers not printed yet: an empty list is said only then.
	roomsAsked atomic.Int32
	// search is the last search, for /search --more (chat_search.go).
	search chatSearch
	// slash is the server's slash commands (chat_commands.go).
	slash chatSlash

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
	total    int               // messages sent
	failed   int               // messages refused, by the server or before sending
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

// joinNotes holds, by room, the line that says where typed lines go, for the printer to print
// right after the room's "* you joined" line: said when the join is sent, it was read before
// the server's answer, and was false when the server refused the join.
type joinNotes struct {
	mu    sync.Mutex
	notes map[string]string
}

// add has the printer say note after room's joined.
func (n *joinNotes) add(room, note string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.notes == nil {
		n.notes = make(map[string]string)
	}
	n.notes[room] = note
}

// take returns room's note and forgets it ("" if there is none): the join was answered.
func (n *joinNotes) take(room string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	note := n.notes[room]
	delete(n.notes, room)
	return note
}

// roomsIn is the set of rooms the connection is in: the event loop adds a room at its joined
// and takes it out at its left, and commands read it. A room whose join is on its way counts
// as in (claim): a second join sent before the first's joined arrived would leave and join the
// room again, which the other members see. After a disconnect every joined room is being
// rejoined by the session, which counts as in too until its joined — or its refusal, which
// takes it out, so that a /join of it joins instead of only making it current.
type roomsIn struct {
	mu sync.Mutex
	in map[string]roomIn
}

// roomIn is where the connection stands with one room.
type roomIn uint8

const (
	roomJoining   roomIn = iota // a join is on its way (claim)
	roomJoined                  // its joined came
	roomRejoining               // joined before a disconnect; the session rejoins it
	roomLeft                    // the server took the connection out (left, kicked, removed)
)

func (r *roomsIn) set(room string, in bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if in {
		r.mark(room, roomJoined)
	} else {
		delete(r.in, room)
	}
}

// mark records where the connection stands with room. Called with mu held.
func (r *roomsIn) mark(room string, st roomIn) {
	if r.in == nil {
		r.in = make(map[string]roomIn)
	}
	r.in[room] = st
}

// spelled returns the name of the room of the set that room names in another case (room
// names are one room whatever their case, hubbub.RoomKey), or room itself: /join General in
// general is then in general, with no join the server would refuse room_case.
func (r *roomsIn) spelled(room string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, known := r.in[room]; known {
		return room
	}
	key := hubbub.RoomKey(room)
	for name, st := range r.in {
		if st != roomLeft && hubbub.RoomKey(name) == key {
			return name
		}
	}
	return room
}

// claim reports whether room is neither in the set nor being joined, and if so marks it as
// being joined: the caller sends the join, then set(room, true) or release(room).
func (r *roomsIn) claim(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st != roomLeft {
		return false
	}
	r.mark(room, roomJoining)
	return true
}

// left records that the server took the connection out of room, for takeLeft: a room joined
// (or being rejoined) only. A room absent was left by a command (/leave, /part, which forget
// it themselves), and one being joined was joined again after it: the left answers the old
// membership, and takeLeft must not drop a line the new one takes.
func (r *roomsIn) left(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && (st == roomJoined || st == roomRejoining) {
		r.mark(room, roomLeft)
	}
}

// unroom takes room out as set(room, false) does, keeping a left's mark for takeLeft (a
// removal from a private room sends left, then the room's leaving the list).
func (r *roomsIn) unroom(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st != roomLeft {
		delete(r.in, room)
	}
}

// takeLeft reports whether the server took the connection out of room since it last joined
// it, and forgets that it did.
func (r *roomsIn) takeLeft(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomLeft {
		delete(r.in, room)
		return true
	}
	return false
}

// release ends claim's mark of a join that was not sent or failed (a joined that came
// meanwhile stays).
func (r *roomsIn) release(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomJoining {
		delete(r.in, room)
	}
}

// disconnected marks every joined room as being rejoined: the connection that was in them is
// gone, and the session joins them again on the next one.
func (r *roomsIn) disconnected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for room, st := range r.in {
		if st == roomJoined {
			r.in[room] = roomRejoining
		}
	}
}

// reconnecting turns claim's mark of a join that could not be sent (the session was
// reconnecting) into that of a room the session joins on the next connection, as it rejoins
// the others: its refusal then comes to rejoinRefused, which says it (a joined that came
// meanwhile stays).
func (r *roomsIn) reconnecting(room string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomJoining {
		r.mark(room, roomRejoining)
	}
}

// joining reports whether a join of room is on its way (claimed, not answered).
func (r *roomsIn) joining(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, known := r.in[room]
	return known && st == roomJoining
}

// rejoinRefused takes room out if it was being rejoined, and reports whether it was: the
// server refused the session's rejoin, and the session forgot the room.
func (r *roomsIn) rejoinRefused(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, known := r.in[room]; known && st == roomRejoining {
		delete(r.in, room)
		return true
	}
	return false
}

// joined reports whether the connection is in room (its joined came, no left since), or is
// being rejoined to it after a disconnect.
func (r *roomsIn) joined(room string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, known := r.in[room]
	return known && st != roomJoining && st != roomLeft
}

// echoes is what the printer has printed of each room's log (the highest log seq of a
// message, edit, delete or reaction printed) and what the chat's own acknowledged writes need
// printed (the highest acked seq). At the end of input the chat waits for the second to be
// within the first: the ack of a write comes before the write's own frame, and a server
// holds live reactions for --reaction-window (100 ms by default) to send a burst as one frame,
// so a piped chat that exited at the last ack printed only part of what it did.
type echoes struct {
	mu      sync.Mutex
	printed map[string]uint64
	sent    map[string]uint64
	changed chan struct{} // closed at the next print, for await; nil while no one waits
}

// saw records that the printer printed room's log up to seq (0: nothing new, but the room
// changed — it was left — and await should look again).
func (e *echoes) saw(room string, seq uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.printed == nil {
		e.printed = make(map[string]uint64)
	}
	e.printed[room] = max(e.printed[room], seq)
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

// expect records, if the write r stands for was stored, that its room's log holds it at its
// seq: its echo is to be printed.
func (e *echoes) expect(r *client.Receipt) {
	ack, err := r.Result()
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sent == nil {
		e.sent = make(map[string]uint64)
	}
	e.sent[r.Room] = max(e.sent[r.Room], ack.Seq)
}

// await waits until every write expected in a room the connection is still in (in) has been
// printed, giving up after timeout (--ack-timeout) in all, or when ctx ends. In all, not since
// the last print: in a busy room prints never stop, and an echo that cannot come (a
// --reaction-window longer than the timeout) would hold a piped chat for ever.
func (e *echoes) await(ctx context.Context, in func(room string) bool, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		e.mu.Lock()
		pending := false
		for room, seq := range e.sent {
			if e.printed[room] < seq && in(room) {
				pending = true
				break
			}
		}
		if !pending {
			e.mu.Unlock()
			return
		}
		if e.changed == nil {
			e.changed = make(chan struct{})
		}
		changed := e.changed
		e.mu.Unlock()
		select {
		case <-changed:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// close ends the session and waits until everything it delivered has been printed.
func (c *chat) close() {
	c.ses.Close()
	<-c.printed
}

// readLines delivers the lines of r until its end (then closes the channel) or until stop is
// closed. Reading a terminal cannot be interrupted, so on Ctrl-C the reader is abandoned to
// the exiting process.
func readLines(r io.Reader, stop <-chan struct{}) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-stop:
				return
			}
		}
	}()
	return lines
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
		if ctx.Err() == nil {
			fmt.Fprintf(c.io.Err, "* %v\n", err)
		}
		if c.piped || hubbub.ErrorCode(err) == hubbub.ECodeTooLong {
			// Refused before sending (longer than the server takes, say): counted as the
			// server's refusal would have been, so that a piped run still fails over it.
			c.refused(err)
		}
		return false
	}
	if !c.piped && c.offline.Load() {
		// The session holds it until it is connected again; without a word it seemed lost.
		fmt.Fprintln(c.io.Err, "* not connected: that line is sent once the connection is back")
	}
	c.total++
	c.sent = append(c.sent, r)
	c.compact()
	return false
}

// refused counts a line that was not sent, as one the server refused.
func (c *chat) refused(err error) {
	c.total++
	c.failed++
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
		c.failed++
		if c.firstErr == nil {
			c.firstErr = err
		}
	}
}

// command runs a /command line; it returns true for /quit.
func (c *chat) command(ctx context.Context, line string) (quit bool) {
	words := strings.Fields(line)
	arg := c.current()
	if len(words) > 1 {
		arg = words[1]
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
		if len(words) != 2 {
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
		if arg, err = c.roomArg(arg); err != nil {
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
		if arg, err = c.roomArg(arg); err != nil {
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

// notFoundHint is what to add to a dial that the server answered 404: the URL's path is not
// the WebSocket endpoint (ws://HOST/chat, or the page's path), which is /ws.
func notFoundHint(err error) string {
	var de *client.DialError
	if errors.As(err, &de) && de.Status == http.StatusNotFound {
		if u, perr := url.Parse(de.URL); perr == nil && u.Host != "" {
			return fmt.Sprintf(" (hubbub's WebSocket endpoint is /ws: %s://%s/ws)", u.Scheme, u.Host)
		}
	}
	return ""
}

// addServiceHint is what to add to a dial of several URLs that reached the add service with
// one of them (dialhint.WrongEndpoint); a dial of that URL alone says it instead (connectError).
func addServiceHint(err error) string {
	var pe *client.ProtocolError
	if _, alone := err.(*client.ProtocolError); alone || !errors.As(err, &pe) {
		return ""
	}
	if said := addServiceSaid(pe); said != "" {
		return " (" + said + ")"
	}
	return ""
}

// addServiceSaid is dialhint.WrongEndpoint's word on the endpoint pe reached: "" unless it is the add
// service.
func addServiceSaid(pe *client.ProtocolError) string {
	u, err := url.Parse(pe.URL)
	if err != nil {
		return ""
	}
	return dialhint.WrongEndpoint(u, pe.Chose, "ws")
}

// connectError is a failed connection as the chat prints it, hint appended: a hello the server
// refused as the reason and code it gave (the only refusal a connection ends on: a refused
// join leaves the room out), without the client's wrappings ("client: ws://…/ws: client:
// hello: server: unauthorized: …"); the add service dialled for the chat as what it is and
// where chat is, as hubbub add says of the chat endpoint ("client: dial ws://…/add: server
// does not speak hubbub.v1 (it chose \"\")"); a failure to reach the server as it is.
func connectError(err error, hint string) error {
	var se *wire.Error
	if errors.As(err, &se) {
		return &printedError{msg: "chat: the server refused hello: " + refusal(err) + hint, err: err}
	}
	if pe, alone := err.(*client.ProtocolError); alone {
		if said := addServiceSaid(pe); said != "" {
			return &printedError{msg: "chat: " + said, err: err}
		}
	}
	return fmt.Errorf("chat: %w%s", err, hint)
}

// printedError is err with the message the chat prints instead of err's own.
type printedError struct {
	msg string
	err error
}

func (e *printedError) Error() string { return e.msg }
func (e *printedError) Unwrap() error { return e.err }

// refusal is err as the chat prints it: a server's refusal as "reason (code)", as its error
// frames print, without the client's wrappings ("client: dm [bob]: server: not_found: …"),
// which tell the person typing nothing more and bury the reason; a request made while the
// session reconnects as "not connected (reconnecting)".
func refusal(err error) string {
	if errors.Is(err, client.ErrNotConnected) {
		// Said once, and what is happening: it read "client: search: client: not connected".
		return "not connected (reconnecting)"
	}
	var se *wire.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (%s)", localTimes(hubbub.CleanText(se.Message)), se.Code)
	}
	var he *hubbub.Error // refused by the client before sending
	if errors.As(err, &he) {
		return fmt.Sprintf("%s (%s)", he.Message, he.Code)
	}
	return err.Error()
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
	unacked := 0
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
					unacked++
				}
			}
		case <-ctx.Done():
			return nil
		}
		if unacked > 0 {
			break
		}
	}
	c.sent = nil
	if !c.piped {
		// In a terminal each refusal was said when it came: quitting is no failure over them
		// (it said them again as "1 of 1 messages were refused" and exited 1). A script's
		// refused lines fail its run. Lines never acknowledged are said either way.
		c.failed = 0
	}
	var said []string // what failed: the messages, then the commands
	first := c.firstErr
	switch {
	case unacked > 0:
		said = append(said, fmt.Sprintf("%d of %d messages were not acknowledged (no ack for %v)", unacked, c.total, timeout))
		first = nil
	case c.failed == 1:
		said = append(said, fmt.Sprintf("1 of %d messages were refused: %s", c.total, refusal(c.firstErr)))
	case c.failed > 0:
		// The refusals may differ (muted, then not in the room): name the first as the first.
		said = append(said, fmt.Sprintf("%d of %d messages were refused; the first: %s", c.failed, c.total, refusal(c.firstErr)))
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
	var wrote authors   // who wrote the messages printed, for deletions
	handle := func(f wire.Frame) {
		if c.printPeople(out, f, titles) || c.printCommandFrame(out, errw, f) {
			return
		}
		switch f := f.(type) {
		case *wire.Message:
			fmt.Fprintln(out, messageLine(f, titles.label)+filesText(f, server)) // a DM by its people
			wrote.saw(f.Room, f.Seq, f.From)
			c.numbers.saw(f.Room, f.Seq)
			c.printedMessage(f.Room, f.Seq)
			c.echoes.saw(f.Room, f.Seq)
		case *wire.Edited:
			fmt.Fprintln(out, editedLine(f, titles.label))
			c.numbers.saw(f.Room, f.Seq)
			c.echoes.saw(f.Room, f.LogSeq)
		case *wire.Deleted:
			fmt.Fprintln(out, deletedLine(f, titles.label, c.name, wrote.of(f.Room, f.Seq)))
			c.echoes.saw(f.Room, f.LogSeq)
		case *wire.Reacted:
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
			if f.Renamed == "" && c.arrivals.take(f.Room, f.Name, f.Event) {
				return // "* bob joined plans, accepting the invitation" (or "* ann removed bob …") says it
			}
			fmt.Fprint(out, presenceLine(f, titles.label(f.Room)))
		case *wire.Renamed:
			// Another device of mine, or an operator, renamed me; the session says the new
			// name when it reconnects (saying the old one would rename me back).
			c.name = f.Name
			c.names.keep(f.Name)
			fmt.Fprintf(errw, "* you are %s now, not %s: renamed on another device or by an operator\n", clean(f.Name), clean(f.Was))
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
				// A moderator's decision, not a failure of the server.
				fmt.Fprintf(errw, "* %s (%s)\n", titles.roomsNamed(localTimes(clean(f.Message))), f.Code)
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

// chatKey returns the key kept in path (default <user config dir>/hubbub/key), creating the
// file with a new random key the first time.
func chatKey(path string) (string, error) {
	if path == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no place for the key (pass --key-file): %w", err)
		}
		path = filepath.Join(dir, "hubbub", "key")
	}
	for range 2 {
		b, err := os.ReadFile(path)
		if err == nil {
			if key := strings.TrimSpace(string(b)); key != "" {
				return key, nil
			}
			return "", fmt.Errorf("key file %s is empty", path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read key: %w", err)
		}
		var raw [16]byte
		_, _ = rand.Read(raw[:])
		key := hex.EncodeToString(raw[:])
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", fmt.Errorf("create key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another hubbub chat created it first: use that one
		}
		if err != nil {
			return "", fmt.Errorf("create key: %w", err)
		}
		_, err = f.WriteString(key + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("write key: %w", err)
		}
		return key, nil
	}
	return "", fmt.Errorf("key file %s appeared and vanished", path)
}

// isTerminal reports whether r is a terminal, as opposed to a pipe, a file or /dev/null —
// which is a character device too, so the device bit alone took `hubbub chat < /dev/null`
// (a service's or cron's input) for a person typing.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// presenceLine is the line of a member's coming or going, room the room's label; "" for a
// change of state (away and back), which would only be noise in a terminal. In a DM, whose
// label is its people ("@bob"), "bob joined @bob" read as if bob had joined himself: there
// the line says who is here.
func presenceLine(f *wire.Presence, room string) string {
	name := hubbub.CleanText(f.Name)
	dm := hubbub.IsDMRoom(f.Room)
	switch {
	case f.Event == "leave" && f.Renamed != "":
		// Not a departure: the user goes by another name now (docs/protocol.md, "Renames").
		return fmt.Sprintf("* %s is now %s (%s)\n", name, hubbub.CleanText(f.Renamed), room)
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
