package termchat

import (
	"errors"
	"fmt"
	"strings"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// refusedJoin is the error of a /join (/dm, /create) refused, by the server (enter's) or by
// the chat before any room was asked for (unentered's: a name that is no room's, a usage, a
// /dm of no one): printed as the refusal, then where the lines typed after it go (afterRefusal).
type refusedJoin struct {
	err    error
	room   string // the room refused, as the chat names it ("" when none was asked for)
	before string // the current room before the join ("" for none)
	// moved is true when before is not the room lines went to before the join: that one had
	// been taken from the user (kicked, removed) unnoticed, and the chat moved on from it.
	moved bool
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
	case rj.before != "" && rj.moved:
		return fmt.Sprintf("* lines you type go to %s now", before)
	case rj.before != "":
		return fmt.Sprintf("* lines you type still go to %s", before)
	case rj.moved:
		return "* you are in no room now; /join one to send"
	}
	return "* you are in no room; /join one to send"
}

// pastLeft moves the current room, in a terminal, past the rooms the server took the user out
// of (kicked, removed) that the chat has not moved on from yet (it does when the next line is
// typed), and reports whether it did. A refused /join says where lines go after it: "lines you
// type still go to general" after a ban had taken eve out of general was false, her next line
// was not sent there. A script's lines go where written (sayCurrent).
func (c *chat) pastLeft(joining string) (moved bool) {
	if c.piped {
		return false
	}
	for next := c.current(); next != ""; next = c.current() {
		// The room being joined was claimed, which a room taken out (roomLeft) allows: it is
		// current but not joined, and its refusal has just released the claim.
		if next != joining && !c.in.takeLeft(next) {
			break
		}
		c.forget(next)
		moved = true
	}
	return moved
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
	moved := c.pastLeft("")
	rj := &refusedJoin{err: err, before: c.current(), moved: moved, cmd: hubbub.CleanText(line)}
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
