package termchat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hubbub"
)

// chatNotifyHelp lists the notification command for /help and the usage text.
const chatNotifyHelp = `  /notify [all|mention|nothing]
                   what notifies you of the current room while you are away (through the
                   server's notification webhook): every message, mentions and DMs (the
                   default) or nothing; without a level, shows it`

// notifyCommand runs /notify and reports whether line was it.
func (c *chat) notifyCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	if cmd != "/notify" {
		return false, nil
	}
	args := strings.Fields(strings.TrimPrefix(line, cmd))
	level := ""
	switch {
	case len(args) > 1:
		return true, errors.New("usage: /notify [all|mention|nothing]")
	case len(args) == 1:
		level = args[0]
		if level != hubbub.NotifyAll && level != hubbub.NotifyMention && level != hubbub.NotifyNothing {
			return true, fmt.Errorf("%q is not a level: all, mention or nothing", level)
		}
	}
	room := c.current()
	if room == "" {
		return true, c.noRoom()
	}
	ctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
	defer cancel()
	got, err := c.ses.NotifyLevel(ctx, room, level)
	if err != nil { // a refusal prints as "reason (code)"
		return true, err
	}
	fmt.Fprintf(c.io.Err, "* notifications of %s while you are away: %s\n", c.titles.label(room), levelSays(got))
	return true, nil
}

// levelSays spells a notification level for the terminal.
func levelSays(level string) string {
	switch level {
	case hubbub.NotifyAll:
		return "every message (all)"
	case hubbub.NotifyMention:
		return "mentions and DMs (mention)"
	case hubbub.NotifyNothing:
		return "none (nothing)"
	}
	return hubbub.CleanText(level)
}
