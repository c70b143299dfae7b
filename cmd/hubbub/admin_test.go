package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"hubbub/internal/accounts"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// adminCommands are the admin commands' tables of actions.
var adminCommands = []adminCommand{userCommand, botCommand, hookCommand, commandCommand, webhookCommand}

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

	// Every action of every admin command, from its table: each has its line in the usage
	// the command prints, each argument its words, one argument too few names the last, one
	// too many is refused.
	actions := 0
	for _, c := range adminCommands {
		usage := c.usage()
		for _, a := range c.actions {
			actions++
			line := a.line(c.name)
			if !strings.Contains(usage, "\n  "+line+"\n") && !strings.Contains(usage, "\n  "+line+" ") {
				t.Errorf("%s %s: its line %q is not in the usage:\n%s", c.name, a.name, line, usage)
			}
			var required []adminArg
			many := false
			for _, arg := range a.args {
				if arg.name == "" || arg.words == "" {
					t.Errorf("%s %s: argument %q of %q has no words", c.name, a.name, arg.name, line)
				}
				if !arg.optional {
					required = append(required, arg)
				}
				many = many || arg.many
			}
			args := []string{c.name, a.name}
			for range required {
				args = append(args, "x")
			}
			if n := len(required); n > 0 {
				err := runArgs(args[:len(args)-1]...)
				if want := "missing " + required[n-1].words + " (usage: " + line + ")"; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("hubbub %s with one argument too few: %v, want %q", strings.Join(args, " "), err, want)
				}
			}
			if !many {
				for range len(a.args) - len(required) {
					args = append(args, "x")
				}
				err := runArgs(append(args, "extra")...)
				if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), `"extra"`) || !strings.Contains(err.Error(), "(usage: "+line+")") {
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

// TestAdminCommandsReadServesConfig: an operator who runs `hubbub serve --config
// /etc/hubbub/hubbub.conf` and then `HUBBUB_CONFIG=/etc/hubbub/hubbub.conf hubbub user list` was
// told "no database at hubbub.db", and `hubbub user list --config FILE` was refused ("flag
// provided but not defined: -config"): the admin commands read no config file. Each now takes
// serve's file, by --config or HUBBUB_CONFIG, reads from it the settings it has (data,
// sqlite-busy-timeout, argon2-*, webhook-allow-private) and skips serve's others, with serve's
// precedence: flag, environment, file, default.
func TestAdminCommandsReadServesConfig(t *testing.T) {
	for _, k := range []string{"HUBBUB_CONFIG", "HUBBUB_DATA", "HUBBUB_POSTGRES", "HUBBUB_URL", "HUBBUB_PUBLIC_URL", "HUBBUB_HOST", "HUBBUB_PORT", "HUBBUB_ARGON2_MEMORY", "HUBBUB_ARGON2_TIME"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "chat.db")
	s := servertest.Start(t, servertest.Options{DataPath: data,
		Server: server.Config{Accounts: accounts.Config{Hash: accounts.TestHashParams}}})
	writeConf := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The operator's file: serve's settings (some only serve has, one of them a secret) and
	// the store's.
	conf := writeConf("hubbub.conf", `# /etc/hubbub/hubbub.conf
host = 0.0.0.0
port = 6101
log-format = json
max-conns-per-ip = 50
token-secret = "0123456789abcdef0123456789abcdef-adminconf"
data = `+data+`
sqlite-busy-timeout = 7s
argon2-memory = 64
argon2-time = 1
webhook-allow-private = true
`)
	admin := func(stdin string, args ...string) (string, string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
		return out.String(), errOut.String(), err
	}

	// --config: the user goes into the server's file, hashed at the file's argon2 costs, and
	// signs in to the server.
	out, stderr, err := admin("correct horse\n", "user", "add", "admin", "--role", "admin", "--password-stdin", "--config", conf)
	id := regexp.MustCompile(`^added admin \((u_[0-9a-f]{32})\), role admin\n$`).FindStringSubmatch(out)
	if err != nil || id == nil || stderr != "" {
		t.Fatalf("user add --config: %v %q %q", err, out, stderr)
	}
	if st := newTestBrowser(t, s).signIn("admin", "correct horse"); st != http.StatusSeeOther {
		t.Fatalf("sign in as the admin user add --config made: %d", st)
	}
	if hash, err := s.Store.PasswordHash(t.Context(), id[1]); err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,") {
		t.Errorf("the password's hash %q (%v), want the costs of the file's argon2-memory and argon2-time", hash, err)
	}

	// HUBBUB_CONFIG, for every command that opens the store.
	t.Setenv("HUBBUB_CONFIG", conf)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "list"}, "admin"},
		{[]string{"bot", "create", "ci", "--rooms", "builds"}, "created bot ci"},
		{[]string{"bot", "list"}, "ci "},
		{[]string{"hook", "list"}, "ID"},
		{[]string{"command", "list"}, "NAME"},
		// The file's webhook-allow-private, which webhook create takes too.
		{[]string{"webhook", "create", "http://127.0.0.1:6102/hook", "--rooms", "builds", "--events", "message"}, "created wh_"},
		{[]string{"webhook", "list"}, "http://127.0.0.1:6102/hook"},
	} {
		if out, stderr, err := admin("", c.args...); err != nil || !strings.Contains(out, c.want) {
			t.Errorf("HUBBUB_CONFIG=%s hubbub %s: %v\n%s%s\nwant %q", conf, strings.Join(c.args, " "), err, out, stderr, c.want)
		}
	}
	// A link without --url begins with the file's port, as serve's own address.
	out, stderr, err = admin("", "user", "invite")
	if err != nil || !strings.HasPrefix(out, "http://localhost:6101/invite#") || !strings.Contains(stderr, "port = 6101 in "+conf+":3") {
		t.Errorf("user invite with HUBBUB_CONFIG: %v %q %q, want a link on the file's port that says so", err, out, stderr)
	}
	os.Unsetenv("HUBBUB_CONFIG")

	// Precedence as serve's: the command line, then the environment, then the file.
	other := filepath.Join(dir, "other.db")
	if _, _, err := admin("", "user", "list", "--config", conf, "--data", other); err == nil || !strings.Contains(err.Error(), "no database at "+other+":") {
		t.Errorf("--data with --config: %v, want the flag's file", err)
	}
	t.Setenv("HUBBUB_DATA", other)
	if _, _, err := admin("", "user", "list", "--config", conf); err == nil || !strings.Contains(err.Error(), "no database at "+other+" (from env HUBBUB_DATA):") {
		t.Errorf("HUBBUB_DATA with --config: %v, want the environment's file", err)
	}
	os.Unsetenv("HUBBUB_DATA")

	// A store the file names that is not there says where the name came from, and to pass
	// the file serve reads.
	missing := filepath.Join(dir, "missing.db")
	wrong := writeConf("wrong.conf", "data = "+missing+"\n")
	if _, _, err := admin("", "user", "list", "--config", wrong); err == nil || exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "no database at "+missing+" (from file "+wrong+":1)") || !strings.Contains(err.Error(), "--config FILE") {
		t.Errorf("a file naming a missing database: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("user list made %s", missing)
	}

	// The file is read as serve reads it: a bad value of a setting the command has, a key
	// serve has not, a missing file are refused, with where; a bad value of a setting only
	// serve has is serve's to refuse.
	for _, c := range []struct{ action, conf, want string }{
		{"passwd", "data = " + data + "\nargon2-time = 0\n", "invalid --argon2-time 0: want 1 or more"},
		{"list", "data = " + data + "\nsqlite-busy-timeout = soon\n", `:2: invalid sqlite-busy-timeout "soon"`},
		{"list", "data = " + data + "\nbogus = 1\n", `:2: unknown key "bogus"`},
		{"list", "data = " + data + "\ndata = " + other + "\n", `"data" set again`},
	} {
		path := writeConf("bad.conf", c.conf)
		args := []string{"user", c.action, "--config", path}
		if c.action == "passwd" {
			args = append(args, "admin", "--password-stdin")
		}
		if _, _, err := admin("a new password\n", args...); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("user %s --config with %q: %v (exit %d), want a usage error with %q", c.action, c.conf, err, exitCode(err), c.want)
		}
	}
	// argon2's settings are serve's too, and user list hashes no password: it skips them, as
	// it skips serve's own.
	hashOnly := writeConf("hash.conf", "data = "+data+"\nargon2-time = 0\n")
	if out, _, err := admin("", "user", "list", "--config", hashOnly); err != nil || !strings.Contains(out, "admin") {
		t.Errorf("user list with a bad argon2 setting it does not use: %v %q", err, out)
	}
	if _, _, err := admin("", "user", "list", "--config", filepath.Join(dir, "nothere.conf")); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "nothere.conf") {
		t.Errorf("user list --config with a missing file: %v", err)
	}
	servesOnly := writeConf("serve-only.conf", "data = "+data+"\nsend-queue = lots\n")
	if out, _, err := admin("", "user", "list", "--config", servesOnly); err != nil || !strings.Contains(out, "admin") {
		t.Errorf("user list with a bad setting only serve reads: %v %q", err, out)
	}
}

// TestAdminFlagsSharedWithServe: an admin command reads from serve's config file (and the
// environment) every flag it has that serve has too, so such a flag must mean there what it
// means to serve. Those of every action are the store's, and argon2's (user add and passwd)
// and webhook create's --webhook-allow-private; a new one of another name would take serve's value of a setting
// that is not its own.
func TestAdminFlagsSharedWithServe(t *testing.T) {
	serve := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(serve)
	same := []string{"config", "data", "postgres", "sqlite-busy-timeout", "argon2-memory", "argon2-time", "argon2-threads", "argon2-concurrency", "webhook-allow-private"}
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, c := range adminCommands {
		for _, a := range c.actions {
			var out, errOut bytes.Buffer
			if err := run(context.Background(), []string{c.name, a.name, "-h"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("hubbub %s %s -h: %v", c.name, a.name, err)
			}
			flags := flagLine.FindAllStringSubmatch(errOut.String(), -1)
			for _, m := range flags {
				if serve.Lookup(m[1]) != nil && !slices.Contains(same, m[1]) {
					t.Errorf("hubbub %s %s --%s is also a flag of serve's, which its config file sets", c.name, a.name, m[1])
				}
			}
			if !strings.Contains(errOut.String(), "  -config ") || len(flags) < 4 {
				t.Errorf("hubbub %s %s -h lists %d flags, without --config:\n%s", c.name, a.name, len(flags), errOut.String())
			}
		}
	}
}

// TestArgon2FlagsOnlyWhereAPasswordIsHashed: every admin action listed --argon2-memory,
// --argon2-time, --argon2-threads and --argon2-concurrency in its help and took them, though
// only user add and user passwd hash a password: `hubbub bot list --argon2-time 8` ran as if
// the flag meant something. The others' help no longer lists them, and one given there is a
// usage error that says which actions take it, as any flag an action has not is refused.
func TestArgon2FlagsOnlyWhereAPasswordIsHashed(t *testing.T) {
	data := filepath.Join(t.TempDir(), "hubbub.db")
	hashes := []string{"user add", "user passwd"}
	for _, c := range adminCommands {
		for _, a := range c.actions {
			name := c.name + " " + a.name
			var out, errOut bytes.Buffer
			if err := run(context.Background(), []string{c.name, a.name, "-h"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}); !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("hubbub %s -h: %v", name, err)
			}
			if lists := strings.Contains(errOut.String(), "-argon2-time"); lists != slices.Contains(hashes, name) {
				t.Errorf("hubbub %s -h lists --argon2-time: %v, want %v", name, lists, !lists)
			}
			if slices.Contains(hashes, name) {
				continue
			}
			args := []string{c.name, a.name}
			for _, arg := range a.args {
				if !arg.optional {
					args = append(args, "x")
				}
			}
			err := run(context.Background(), append(args, "--argon2-time", "3", "--data", data), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
			want := name + ": --argon2-time is a cost of hashing a password, which " + name + " does not do: only hubbub user add and hubbub user passwd take the --argon2-* flags"
			if err == nil || exitCode(err) != 2 || err.Error() != want {
				t.Errorf("hubbub %s --argon2-time 3: %v (exit %d), want a usage error %q", name, err, exitCode(err), want)
			}
		}
	}
	if _, err := os.Stat(data); err == nil {
		t.Errorf("a refused command line made %s", data)
	}
}
