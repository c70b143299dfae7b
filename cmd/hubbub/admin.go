package main

import (
	"flag"
	"fmt"
	"strings"
)

// The admin commands (hubbub user, bot, hook, command, webhook) read their command lines alike:
// parseAdmin is the one place that does it, and each command's usage text is the one place
// that says which arguments an action takes. A count kept beside each action said only "want 1
// argument(s), got 0 []" and could drift from the usage printed next to it.

// argWords names in words what each placeholder of a command's usage stands for ("NAME": "the
// user's name"), for the message that says which argument is missing.
type argWords map[string]string

// bindStoreFlags binds, to f (made by newServeFlags, for serve's defaults), the flags that
// choose and open the store serve opens, what being what the store keeps for this command
// ("users", "webhooks"), and --config, serve's config file, from which they are read too.
func bindStoreFlags(fs *flag.FlagSet, f *serveFlags, what string) {
	fs.StringVar(&f.data, "data", f.data, "SQLite file that keeps the "+what+" (hubbub serve's --data)")
	fs.StringVar(&f.postgres, "postgres", "", "PostgreSQL URL (hubbub serve's --postgres; replaces --data)")
	fs.DurationVar(&f.sqliteBusyTimeout, "sqlite-busy-timeout", f.sqliteBusyTimeout, "how long a write waits for a lock the running server holds on --data")
	fs.StringVar(&f.configPath, configFlag, "", "hubbub serve's config file (its --config): the flags here that serve has are read from it unless given or set as HUBBUB_*; its other settings are serve's, and skipped")
}

// parseAdmin parses an admin action's command line: its flags, wherever they stand among the
// arguments; the arguments, checked against the action's line in usage (actionArgs); then
// the environment and hubbub serve's config file (--config, HUBBUB_CONFIG) for every flag not
// given, as serve reads them, and the refusal of 0 and negatives in its numeric flags. It
// returns the arguments and where each flag's value came from.
//
// The config file is read so that an admin command finds the store of a server run with
// --config: it read none, so `HUBBUB_CONFIG=/etc/hubbub/hubbub.conf hubbub user list` said "no
// database at hubbub.db" and `--config` was "flag provided but not defined".
func parseAdmin(fs *flag.FlagSet, args []string, cmd, action, usage string, words argWords) ([]string, settingSources, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if err := checkArgs(cmd, action, usage, words, pos); err != nil {
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

// usageArgs is what an action's line in its command's usage says of its arguments.
type usageArgs struct {
	line     string   // "hubbub user role NAME ROLE", without the comment after it
	required []string // "NAME", "ROLE"
	optional []string // "[EVENT_ID …]": after the required ones, each may be left out
	many     bool     // the last optional one may be repeated ("…")
}

// actionArgs finds the line of `hubbub CMD ACTION` in usage and reads its placeholders: the
// words after the action up to its first flag ("--rooms …", "[--enable]") or its comment
// (after two spaces, "(…)"); a bracketed one ("[EVENT_ID …]") is optional, "…" repeatable.
func actionArgs(usage, cmd, action string) (usageArgs, bool) {
	for _, line := range strings.Split(usage, "\n") {
		line, _, _ = strings.Cut(strings.TrimSpace(line), "  (")
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "hubbub" || f[1] != cmd || f[2] != action {
			continue
		}
		a := usageArgs{line: strings.Join(f, " ")}
		for i := 3; i < len(f); i++ {
			w := f[i]
			if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[-") || strings.HasPrefix(w, "(") {
				break
			}
			if !strings.HasPrefix(w, "[") {
				a.required = append(a.required, w)
				continue
			}
			if i+1 < len(f) && f[i+1] == "…]" {
				w += " …]" // "[EVENT_ID …]"
				i++
			}
			a.many = a.many || strings.Contains(w, "…")
			a.optional = append(a.optional, strings.TrimSpace(strings.Trim(w, "[]…")))
		}
		return a, true
	}
	return usageArgs{}, false
}

// checkArgs checks pos, the arguments of `hubbub CMD ACTION`, against its line in usage: one
// missing is named in words ("user disable: missing the user's name (usage: hubbub user
// disable NAME [--enable])"), and one too many quoted with what it follows.
func checkArgs(cmd, action, usage string, words argWords, pos []string) error {
	a, ok := actionArgs(usage, cmd, action)
	if !ok {
		// Each action has a line in its usage (TestAdminArgumentsSaidInWords): a new one
		// without is caught there, and here says so rather than take any argument.
		return fmt.Errorf("%s %s: no usage line for the action", cmd, action)
	}
	say := func(names []string) string {
		s := make([]string, len(names))
		for i, n := range names {
			s[i] = n
			if w := words[n]; w != "" {
				s[i] = w
			}
		}
		if len(s) < 2 {
			return strings.Join(s, "")
		}
		return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	if len(pos) < len(a.required) {
		return usageError(fmt.Sprintf("%s %s: missing %s (usage: %s)", cmd, action, say(a.required[len(pos):]), a.line))
	}
	most := len(a.required) + len(a.optional)
	if a.many || len(pos) <= most {
		return nil
	}
	extra := make([]string, len(pos)-most)
	for i, p := range pos[most:] {
		extra[i] = fmt.Sprintf("%q", p)
	}
	if most == 0 {
		return usageError(fmt.Sprintf("%s %s: takes no arguments, got %s (usage: %s)", cmd, action, strings.Join(extra, " "), a.line))
	}
	return usageError(fmt.Sprintf("%s %s: unexpected %s after %s (usage: %s)", cmd, action, strings.Join(extra, " "),
		say(append(a.required, a.optional...)), a.line))
}
