package termchat

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"hubbub"
	"hubbub/internal/wire"
)

// Slash commands in `hubbub chat`: a line "/name args" whose name the server registered (the
// welcome lists them; /commands asks again) is sent as a command frame, not as a message;
// what the command shows the user alone (an ephemeral answer, "working…", a failure) is
// printed as it comes. The chat's own commands come first: their names cannot be registered.

// chatCommandsHelp is the help of slash commands in the chat's usage.
const chatCommandsHelp = `  /commands        list the server's slash commands (an admin registers them)
  /NAME ARGS       use the server's command NAME in the current room: its answer comes to the
                   room from its bot, or to you alone`

// chatSlash is the server's list of commands, written by the printer and read by the input.
type chatSlash struct {
	mu   sync.Mutex
	list []wire.CommandInfo
	uses int // numbers the uses, for their ids
}

func (s *chatSlash) set(list []wire.CommandInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = slices.Clone(list)
}

// has reports whether name is a registered command, and numbers a use of it.
func (s *chatSlash) use(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.list, func(c wire.CommandInfo) bool { return c.Name == name }) {
		return "", false
	}
	s.uses++
	return fmt.Sprintf("cmd-%d", s.uses), true
}

func (s *chatSlash) names() []wire.CommandInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// slashCommand sends word (a "/name") with the rest of line as a command frame, if the server
// has that command; handled false otherwise.
func (c *chat) slashCommand(ctx context.Context, word, line string) (handled bool, err error) {
	if word == "/commands" {
		list := c.slash.names()
		if len(list) == 0 {
			fmt.Fprintln(c.io.Err, "* the server has no commands")
		}
		for _, cmd := range list {
			if d := hubbub.CleanText(cmd.Description); d != "" {
				fmt.Fprintf(c.io.Err, "* /%s %s\n", cmd.Name, d)
			} else {
				fmt.Fprintf(c.io.Err, "* /%s\n", cmd.Name)
			}
		}
		return true, c.ses.Commands(ctx) // and ask again, for the next time
	}
	name := strings.TrimPrefix(word, "/")
	id, ok := c.slash.use(name)
	if !ok {
		return false, nil
	}
	room := c.current()
	if room == "" {
		return true, c.noRoom()
	}
	args := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), word))
	return true, c.ses.Command(ctx, room, name, args, id)
}

// printCommandFrame prints the frames of slash commands; false for any other frame.
func (c *chat) printCommandFrame(out, errw io.Writer, f wire.Frame) bool {
	clean := hubbub.CleanText
	switch f := f.(type) {
	case *wire.Commands:
		c.slash.set(f.Commands)
	case *wire.Notice:
		switch f.Kind {
		case hubbub.NoticeAnswer:
			fmt.Fprintf(out, "[%s] %s (/%s, to you only): %s\n", c.titles.label(f.Room), clean(f.From), f.Command, clean(f.Text))
		default:
			fmt.Fprintf(errw, "* [%s] %s\n", c.titles.label(f.Room), clean(f.Text)) // a DM as @bob, as its messages
		}
	case *wire.Error:
		if f.Request != wire.TypeCommand {
			return false
		}
		fmt.Fprintf(errw, "* command refused: %s (%s)\n", clean(f.Message), f.Code)
	default:
		return false
	}
	return true
}
