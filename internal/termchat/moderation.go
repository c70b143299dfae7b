package termchat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// Moderation in `hubbub chat`: a server moderator or admin (or a room's owner or moderators)
// kicks, bans and mutes people in the current room, and lifts bans and mutes, as the page's
// member menu does. The server decides who may; its refusal is printed as any command's.

// chatModerationHelp lists the moderation commands for /help and the usage text.
const chatModerationHelp = `  moderators and admins, and a room's owner and moderators there (a NAME with a space in
  quotes: "Ann Lee"):
  /kick NAME [REASON]  take NAME out of the current room (they may join again)
  /ban NAME [FOR] [REASON]
                   keep NAME out of the current room for FOR (30m, 12h, 7d: at most 366d),
                   or until lifted: without FOR (a REASON's first word is no length) or
                   with FOR "forever"
  /mute NAME [FOR] [REASON]
                   let NAME read the current room but not write there, for FOR or until
                   lifted
  /unban NAME, /unmute NAME
                   lift NAME's ban or mute in the current room`

// moderationCommand runs a moderation command and reports whether line was one.
func (c *chat) moderationCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	switch cmd {
	case "/kick", "/ban", "/mute", "/unban", "/unmute":
	default:
		return false, nil
	}
	args := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), cmd))
	name, rest, ok := cutQuotedWord(args) // "Ann Lee": a name with a space is quoted
	if !ok {
		return true, errors.New(moderationUsage(cmd) + ` (the closing " is missing)`)
	}
	timed := cmd == "/ban" || cmd == "/mute"
	var d time.Duration
	var reason string
	switch {
	case cmd == "/kick" && name != "":
		reason = rest
	case timed && name != "":
		// "/ban eve 2d spam", "/ban eve forever", "/ban eve spam" (until lifted: a word that
		// is no length starts the reason), "/ban eve" (until lifted, no reason).
		d = client.UntilLifted
		period, after := cutWord(rest)
		switch {
		case period == "forever":
			reason = after
		case period != "" && startsLength(period):
			reason = after
			if d, err = parseSanctionDuration(period); err != nil {
				return true, err
			}
		default:
			reason = rest
		}
	case (cmd == "/unban" || cmd == "/unmute") && name != "" && rest == "":
	default:
		return true, errors.New(moderationUsage(cmd))
	}
	if err := hubbub.ValidateName(name); err != nil {
		return true, fmt.Errorf("%q is not a name: %s", name, hubbub.ErrorMessage(err))
	}
	room := c.current()
	if room == "" {
		return true, c.noRoom()
	}
	ctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
	defer cancel()
	removes := cmd == "/kick" || cmd == "/ban"
	if removes {
		// Their leave may come before the confirmation: expect it first, so that one kick
		// prints one line ("* you kicked bob in team"), not that and "* bob left team".
		c.removals.expect(room, name)
	}
	var done *client.Moderated
	switch cmd {
	case "/kick":
		done, err = c.ses.Kick(ctx, room, name, reason)
	case "/ban":
		done, err = c.ses.Ban(ctx, room, name, d, reason)
	case "/mute":
		done, err = c.ses.Mute(ctx, room, name, d, reason)
	case "/unban":
		done, err = c.ses.Unban(ctx, room, name)
	case "/unmute":
		done, err = c.ses.Unmute(ctx, room, name)
	}
	if removes {
		c.removals.settle(room, name, err == nil)
	}
	if err != nil {
		return true, err
	}
	if done.Name != "" {
		name = done.Name // the name the member shows: "/kick ann" kicks Ann
	}
	fmt.Fprintf(c.io.Err, "* you %s %s in %s%s\n", moderatedVerb(cmd), name, c.titles.phrase(room), untilText(done.Until))
	if done.Note != "" {
		fmt.Fprintf(c.io.Err, "*   but %s\n", hubbub.CleanText(done.Note))
	}
	return true, nil
}

// moderationUsage is the usage line of a moderation command.
func moderationUsage(cmd string) string {
	switch cmd {
	case "/kick":
		return "usage: /kick NAME [REASON]"
	case "/ban", "/mute":
		return "usage: " + cmd + " NAME [FOR] [REASON] (FOR such as 30m, 12h or 7d; without it, until lifted)"
	}
	return "usage: " + cmd + " NAME"
}

// moderatedVerb is what the chat says a command did.
func moderatedVerb(cmd string) string {
	return map[string]string{"/kick": "kicked", "/ban": "banned", "/mute": "muted", "/unban": "unbanned", "/unmute": "unmuted"}[cmd]
}

// untilText says when a ban or mute ends, in local time ("" for none): " until lifted" for
// one with no end (hubbub.UntilLifted).
func untilText(until string) string {
	t, err := time.Parse(wire.TimeFormat, until)
	if until == "" || err != nil {
		return ""
	}
	if hubbub.IsUntilLifted(t) {
		return " until lifted"
	}
	return " until " + t.Local().Format("Mon 2 Jan 15:04")
}

// startsLength reports whether word is meant as a length of time (it starts with a digit:
// "30m", "7d", "0m" and "1x" too, which parseSanctionDuration then refuses), not as the first
// word of a reason.
func startsLength(word string) bool { return word[0] >= '0' && word[0] <= '9' }

// serverTime matches the UTC times the server writes in its messages ("muted … until
// 2026-12-05T15:49:00Z").
var serverTime = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b`)

// localTimes writes the server's UTC times in text as local ones, as the chat shows the end
// of a ban it made ("Mon 2 Jan 15:04"), so that both ends of a sanction read the same; the
// end of one until lifted (hubbub.UntilLifted) as "lifted" ("banned … until lifted").
func localTimes(text string) string {
	return serverTime.ReplaceAllStringFunc(text, func(s string) string {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		if hubbub.IsUntilLifted(t) {
			return "lifted"
		}
		return t.Local().Format("Mon 2 Jan 15:04")
	})
}

// parseSanctionDuration reads a ban's or mute's length: a Go duration (30m, 12h, 1h30m) or a
// number of days (7d), positive and at most hubbub's limit (366 days).
func parseSanctionDuration(s string) (time.Duration, error) {
	const limit = 366 * 24 * time.Hour
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a length of time: say 30m, 12h or 7d", s)
		}
		d = time.Duration(min(max(n, -367), 367)) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a length of time: say 30m, 12h or 7d", s)
		}
	}
	switch {
	case d <= 0:
		return 0, fmt.Errorf("%q is no time at all: say how long, such as 30m, 12h or 7d", s)
	case d > limit:
		return 0, fmt.Errorf("%q is too long: at most 366d", s)
	}
	return d, nil
}

// removalGrace is how long after a /kick or /ban is confirmed the member's leave is still
// taken for its own: the server sends presence up to --presence-window-max (500 ms by
// default) late. One that never comes (the member was not connected) is forgotten then, so
// that their next leave prints.
const removalGrace = 5 * time.Second

// removals are the members this chat's /kick and /ban are taking out of a room: their leave
// is the command's own line, said by the command, so the printer prints nothing for it.
type removals struct {
	mu   sync.Mutex
	want map[string]time.Time // by removalKey: until when a leave is expected
}

// removalKey names a member of a room whatever the spelling: "/kick BOB" removes Bob.
func removalKey(room, name string) string {
	if k, err := hubbub.NameKey(name); err == nil {
		name = k
	}
	return hubbub.RoomKey(room) + "\x00" + name
}

// expect records that name's leave of room is coming, until the command is settled.
func (r *removals) expect(room, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.want == nil {
		r.want = make(map[string]time.Time)
	}
	r.want[removalKey(room, name)] = time.Now().Add(chatCommandTimeout + removalGrace)
}

// settle ends the wait of a command: a refused one expects no leave, a confirmed one its
// leave for removalGrace more.
func (r *removals) settle(room, name string, done bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := removalKey(room, name)
	if _, ok := r.want[k]; !ok {
		return // its leave came already
	}
	if !done {
		delete(r.want, k)
		return
	}
	r.want[k] = time.Now().Add(removalGrace)
}

// take reports whether name's leave of room is one this chat's command said, and forgets it.
func (r *removals) take(room, name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := removalKey(room, name)
	until, ok := r.want[k]
	delete(r.want, k)
	return ok && time.Now().Before(until)
}
