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
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/dialhint"
	"hubbub/internal/wire"
)

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
	// again when the server ends that session (see client.SessionOptions), as the account's
	// name now: the one it signed in with, or the one a rename since gave it (/name, the
	// account page, an operator), which it signs in under from then on.
	SessionCookie string
	SignInAgain   func(ctx context.Context, name string) (string, error)
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

// CheckRoom reports whether room is one Options.Room takes: a room's name (team, or #team),
// or a direct message as @bob, @bob,carol or @"bob smith",carol (which DM it is, the server's list of the user's
// rooms says).
func CheckRoom(room string) error {
	if name, ok := strings.CutPrefix(room, "#"); ok && name != "" {
		room = name
	}
	if people, dm := strings.CutPrefix(room, "@"); dm {
		_, err := dmPeople(people)
		return err
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
	var connected atomic.Pointer[client.Session]
	var signInAgain func(context.Context) (string, error)
	if o.SignInAgain != nil {
		signInAgain = func(ctx context.Context) (string, error) {
			name := ""
			if ses := connected.Load(); ses != nil {
				name = ses.Name()
			}
			return o.SignInAgain(ctx, name)
		}
	}
	ses, err := client.Connect(ctx, client.SessionOptions{
		URLs:          o.URLs,
		Name:          o.Name,
		Key:           key,
		Token:         o.Token,
		SessionCookie: o.SessionCookie,
		SignInAgain:   signInAgain,
		History:       o.History,
		Notices:       true, // the history a join prints reads as the room went: its topic, members and bans among the messages
		Dial:          client.Options{TLSConfig: o.TLSConfig},
		Logger:        slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: logLevel})),
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while connecting
		}
		return connectError(err, dialhint.For(err)+notFoundHint(err)+addServiceHint(err)+signInHint(err, o.SessionCookie != "" || o.Token != ""))
	}
	connected.Store(ses)
	c := &chat{ses: ses, io: io, name: o.Name, names: names, signedIn: o.SessionCookie != "", printed: make(chan struct{}), caughtUp: make(chan chan struct{}),
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
			// A reconnect the server refused (a disabled user, an expired token) is said as a
			// refusal at start is, without the client's wrappings.
			err := ses.Err()
			return connectError(err, signInHint(err, o.SessionCookie != "" || o.Token != ""))
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

// flushReads has what was printed count as read on the server, for --ack-timeout at most: the
// printer prints what the session delivered (the history a piped run printed may still be on
// its way to the terminal), and the session writes the read positions and waits for the server
// to take them. At the end of input, so that the chat does not exit first (a piped run left the
// history it printed unread), and before /rooms, whose counts must leave out what it printed.
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
