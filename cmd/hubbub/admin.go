package main

import (
	"cmp"
	"flag"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The admin commands (hubbub user, bot, hook, command, webhook) read their command lines alike:
// parseAdmin is the one place that does it, and each command's table of actions (adminCommand)
// is the one place that says which arguments an action takes. Both the usage a command prints
// and the check of an action's arguments are made from it: a count kept beside each action
// said only "want 1 argument(s), got 0 []" and could drift from the usage printed next to it,
// and reading the count back out of the usage text tied the check to that text's layout.

// adminArg is one positional argument of an admin action.
type adminArg struct {
	name  string // as the usage shows it: "NAME"
	words string // what it stands for, for the message that says it is missing: "the user's name"
	// optional ones come after the required ones ("[EVENT_ID …]"); many says the last may be
	// repeated.
	optional, many bool
}

// placeholder is the argument as the usage line shows it: "NAME", "[NAME]", "[EVENT_ID …]".
func (a adminArg) placeholder() string {
	s := a.name
	if a.many {
		s += " …"
	}
	if a.optional {
		s = "[" + s + "]"
	}
	return s
}

// adminAction is one action of an admin command, as its usage shows it.
type adminAction struct {
	name  string
	args  []adminArg
	flags string // the flags the usage line shows after the arguments: "[--enable]"
	// note is the usage's comment on the action ("every user, by name"), in parentheses after
	// the line; one of several lines ("…\n…") goes under it.
	note string
}

// line is the action's usage line without its note: "hubbub user role NAME ROLE".
func (a adminAction) line(cmd string) string {
	parts := []string{"hubbub", cmd, a.name}
	for _, arg := range a.args {
		parts = append(parts, arg.placeholder())
	}
	if a.flags != "" {
		parts = append(parts, a.flags)
	}
	return strings.Join(parts, " ")
}

// adminCommand is an admin command's table of actions, and the text its usage ends with.
type adminCommand struct {
	name    string
	actions []adminAction
	footer  string
}

// usage is the command's usage: a line for each action, then the footer.
func (c adminCommand) usage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	// The one-line notes line up after the longest line that has one.
	width := 0
	for _, a := range c.actions {
		if a.note != "" && !strings.Contains(a.note, "\n") {
			width = max(width, utf8.RuneCountInString(a.line(c.name)))
		}
	}
	for _, a := range c.actions {
		line := a.line(c.name)
		switch {
		case a.note == "":
			fmt.Fprintf(&b, "  %s\n", line)
		case strings.Contains(a.note, "\n"):
			fmt.Fprintf(&b, "  %s\n", line)
			note := strings.ReplaceAll("("+a.note+")", "\n", "\n      ")
			fmt.Fprintf(&b, "      %s\n", note)
		default:
			fmt.Fprintf(&b, "  %s%s   (%s)\n", line, strings.Repeat(" ", width-utf8.RuneCountInString(line)), a.note)
		}
	}
	b.WriteString(c.footer)
	return b.String()
}

// action returns the action of that name.
func (c adminCommand) action(name string) (adminAction, bool) {
	for _, a := range c.actions {
		if a.name == name {
			return a, true
		}
	}
	return adminAction{}, false
}

// which is the refusal of a command line without an action: "user: which action? add, list
// or passwd".
func (c adminCommand) which() error {
	names := make([]string, len(c.actions))
	for i, a := range c.actions {
		names[i] = a.name
	}
	list := names[0]
	if n := len(names); n > 1 {
		list = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	return usageError(fmt.Sprintf("%s: which action? %s", c.name, list))
}

// unknown is the refusal of an action the command has not, with its usage.
func (c adminCommand) unknown(action string) error {
	return usageError(fmt.Sprintf("%s: unknown action %q\n%s", c.name, action, c.usage()))
}

// bindStoreFlags binds, to f (made by newServeFlags, for serve's defaults), the flags that
// choose and open the store serve opens, what being what the store keeps for this command
// ("users", "webhooks"), and --config, serve's config file, from which they are read too.
func bindStoreFlags(fs *flag.FlagSet, f *serveFlags, what string) {
	fs.StringVar(&f.data, "data", f.data, "SQLite file that keeps the "+what+" (hubbub serve's --data)")
	fs.StringVar(&f.postgres, "postgres", "", "PostgreSQL URL (hubbub serve's --postgres; replaces --data)")
	fs.DurationVar(&f.sqliteBusyTimeout, "sqlite-busy-timeout", f.sqliteBusyTimeout, "how long a write waits for a lock the running server holds on --data")
	fs.StringVar(&f.configPath, configFlag, "", "hubbub serve's config file (its --config): the flags here that serve has are read from it unless given or set as HUBBUB_*; its other settings are serve's, and skipped")
}

// parseAdmin parses the command line of action of cmd: its flags, wherever they stand among
// the arguments; the arguments, checked against the action's in the command's table; then
// the environment and hubbub serve's config file (--config, HUBBUB_CONFIG) for every flag not
// given, as serve reads them, and the refusal of 0 and negatives in its numeric flags. It
// returns the arguments and where each flag's value came from.
//
// The config file is read so that an admin command finds the store of a server run with
// --config: it read none, so `HUBBUB_CONFIG=/etc/hubbub/hubbub.conf hubbub user list` said "no
// database at hubbub.db" and `--config` was "flag provided but not defined".
func parseAdmin(fs *flag.FlagSet, args []string, cmd adminCommand, action string) ([]string, settingSources, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if e := unusedArgon2(fs, args, cmd.name, action); e != nil {
			return nil, nil, e
		}
		return nil, nil, err
	}
	a, ok := cmd.action(action)
	if !ok {
		// Each command's actions are its table's (TestAdminArgumentsSaidInWords): a new one
		// left out of it is caught there, and here says so rather than take any argument.
		return nil, nil, fmt.Errorf("%s %s: not in the command's table of actions", cmd.name, action)
	}
	if err := a.check(cmd.name, pos); err != nil {
		return nil, nil, err
	}
	keys := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(keys)
	src, err := applySourcesOf(fs, keys)
	if err != nil {
		return nil, nil, err
	}
	// No numeric flag of an admin command takes 0 (serve_zero.go): argon2's costs took 0 for
	// their defaults, so --argon2-time 0 hashed with two passes, without a word.
	if err := refuseBadNumbers(fs, src); err != nil {
		return nil, nil, err
	}
	return pos, src, nil
}

// unusedArgon2 is the refusal of an argon2 flag given to an action that hashes no password,
// when args failed to parse: the flag package's "flag provided but not defined: -argon2-time"
// would leave the operator, who may have copied the flag from serve's command line, to guess
// why a flag serve and user add take is unknown here. An unknown flag is refused, as any other
// flag an action has not; the environment's and the config file's argon2 settings, which are
// serve's too, are not read where unused.
func unusedArgon2(fs *flag.FlagSet, args []string, cmd, action string) error {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if strings.HasPrefix(arg, "-") && slices.Contains(argon2Flags, name) && fs.Lookup(name) == nil {
			return usageError(fmt.Sprintf("%s %s: --%s is a cost of hashing a password, which %s %s does not do: only hubbub user add and hubbub user passwd take the --argon2-* flags", cmd, action, name, cmd, action))
		}
	}
	return nil
}

// check checks pos, the arguments of `hubbub CMD ACTION`: one missing is named in words
// ("user disable: missing the user's name (usage: hubbub user disable NAME [--enable])"), and
// one too many quoted with what it follows.
func (a adminAction) check(cmd string, pos []string) error {
	var required []adminArg
	many := false
	for _, arg := range a.args {
		if !arg.optional {
			required = append(required, arg)
		}
		many = many || arg.many
	}
	say := func(args []adminArg) string {
		s := make([]string, len(args))
		for i, arg := range args {
			s[i] = cmp.Or(arg.words, arg.name)
		}
		if len(s) < 2 {
			return strings.Join(s, "")
		}
		return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	line := a.line(cmd)
	if len(pos) < len(required) {
		return usageError(fmt.Sprintf("%s %s: missing %s (usage: %s)", cmd, a.name, say(required[len(pos):]), line))
	}
	most := len(a.args)
	if many || len(pos) <= most {
		return nil
	}
	extra := make([]string, len(pos)-most)
	for i, p := range pos[most:] {
		extra[i] = fmt.Sprintf("%q", p)
	}
	if most == 0 {
		return usageError(fmt.Sprintf("%s %s: takes no arguments, got %s (usage: %s)", cmd, a.name, strings.Join(extra, " "), line))
	}
	return usageError(fmt.Sprintf("%s %s: unexpected %s after %s (usage: %s)", cmd, a.name, strings.Join(extra, " "), say(a.args), line))
}
