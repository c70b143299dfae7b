package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// adminUsages are the admin commands with their usage texts and the words of their
// placeholders.
var adminUsages = []struct {
	cmd, usage string
	words      argWords
}{
	{"user", userUsage, userArgs},
	{"bot", botUsage, botArgs},
	{"hook", hookUsage, hookArgs},
	{"command", commandUsage, commandArgs},
	{"webhook", webhookUsage, webhookArgs},
}

// TestAdminArgumentsSaidInWords: an admin action given too few arguments said "user disable:
// want 1 argument(s), got 0 []" and printed the command's whole usage; it now names what is
// missing in words, with the action's own usage line, and one given too many quotes the extra.
// Each action's arguments are read from its line in the usage it prints, so the two cannot
// disagree; every action of every usage is run here with one argument too few and one too
// many.
func TestAdminArgumentsSaidInWords(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	runArgs := func(args ...string) error {
		var out, errOut bytes.Buffer
		return run(context.Background(), append(slices.Clone(args), "--data", data), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "disable"}, "user disable: missing the user's name (usage: hubbub user disable NAME [--enable])"},
		{[]string{"user", "role"}, "user role: missing the user's name and the role (admin, moderator or member) (usage: hubbub user role NAME ROLE)"},
		{[]string{"user", "role", "ann"}, "user role: missing the role (admin, moderator or member) (usage: hubbub user role NAME ROLE)"},
		{[]string{"user", "rename", "ann"}, "user rename: missing the new name (usage: hubbub user rename NAME NEWNAME)"},
		{[]string{"user", "add", "ann", "smith"}, `user add: unexpected "smith" after the user's name (usage: hubbub user add NAME `},
		{[]string{"user", "list", "ann", "bob"}, `user list: takes no arguments, got "ann" "bob" (usage: hubbub user list)`},
		{[]string{"bot", "create", "--rooms", "builds"}, "bot create: missing the bot's name (usage: hubbub bot create NAME --rooms ROOM,PATTERN*,…)"},
		{[]string{"bot", "create", "ci", "builds"}, `bot create: unexpected "builds" after the bot's name (usage: hubbub bot create NAME --rooms ROOM,PATTERN*,…)`},
		{[]string{"bot", "rooms", "ci"}, "bot rooms: missing its rooms (ROOM,PATTERN*,…; '' for none) (usage: hubbub bot rooms NAME ROOM,PATTERN*,…)"},
		{[]string{"hook", "delete"}, "hook delete: missing the hook's id (hubbub hook list shows it) (usage: hubbub hook delete ID)"},
		{[]string{"hook", "create", "alerts", "--room", "alerts"}, `hook create: takes no arguments, got "alerts" (usage: hubbub hook create --room ROOM [--bot NAME] [--url https://chat.example.com])`},
		{[]string{"command", "add", "deploy"}, "command add: missing the URL each use is posted to (usage: hubbub command add NAME URL [--description TEXT] [--bot NAME])"},
		{[]string{"webhook", "create", "--rooms", "a", "--events", "message"}, "webhook create: missing the URL events are posted to (usage: hubbub webhook create URL --rooms ROOMS"},
		{[]string{"webhook", "replay"}, "webhook replay: missing the webhook's id (hubbub webhook list shows it) (usage: hubbub webhook replay ID [EVENT_ID …])"},
		{[]string{"webhook", "dead", "wh_1", "wh_2"}, `webhook dead: unexpected "wh_2" after the webhook's id (hubbub webhook list shows it) (usage: hubbub webhook dead ID [--after EVENT_ID] [--limit N])`},
	} {
		err := runArgs(c.args...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("hubbub %s: %v (exit %d), want one line with %q", strings.Join(c.args, " "), err, exitCode(err), c.want)
		}
	}

	// Every action of every admin command, from its usage: each placeholder has its words,
	// one argument too few names the last, one too many is refused.
	actions := 0
	for _, u := range adminUsages {
		for _, line := range strings.Split(u.usage, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[0] != "hubbub" || f[1] != u.cmd {
				continue
			}
			actions++
			action := f[2]
			a, ok := actionArgs(u.usage, u.cmd, action)
			if !ok {
				t.Fatalf("%s %s: no usage line", u.cmd, action)
			}
			for _, p := range append(a.required, a.optional...) {
				if p == "" || u.words[p] == "" && !slices.Contains(a.optional, p) {
					t.Errorf("%s %s: placeholder %q of %q has no words", u.cmd, action, p, a.line)
				}
			}
			args := []string{u.cmd, action}
			for range a.required {
				args = append(args, "x")
			}
			if n := len(a.required); n > 0 {
				err := runArgs(args[:len(args)-1]...)
				if want := "missing " + u.words[a.required[n-1]] + " (usage: " + a.line + ")"; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("hubbub %s with one argument too few: %v, want %q", strings.Join(args, " "), err, want)
				}
			}
			if !a.many {
				for range a.optional {
					args = append(args, "x")
				}
				err := runArgs(append(args, "extra")...)
				if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), `"extra"`) || !strings.Contains(err.Error(), "(usage: "+a.line+")") {
					t.Errorf("hubbub %s extra: %v (exit %d), want a usage error quoting the extra argument", strings.Join(args, " "), err, exitCode(err))
				}
			}
		}
	}
	if actions < 20 {
		t.Errorf("found %d actions in the admin commands' usage, want every one", actions)
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("a refused command line made %s: the arguments are checked before the store is opened", data)
	}
}
