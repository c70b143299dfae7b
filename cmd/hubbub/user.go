package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"hubbub"
	"hubbub/internal/accounts"
	"hubbub/internal/postgres"
)

func init() { subcommands["user"] = runUser }

// userName is the argument naming a user.
var userName = adminArg{name: "NAME", words: "the user's name"}

// userCommand is hubbub user's actions, from which its usage and the check of each action's
// arguments are made.
var userCommand = adminCommand{
	name: "user",
	actions: []adminAction{
		{name: "add", args: []adminArg{userName}, flags: "[--role admin|moderator|member] [--password-stdin | --password-file F]"},
		{name: "list", note: "every user, by name, with when their last connection ended"},
		{name: "passwd", args: []adminArg{userName}, flags: "[--password-stdin | --password-file F]"},
		{name: "disable", args: []adminArg{userName}, flags: "[--enable]"},
		{name: "role", args: []adminArg{userName, {name: "ROLE", words: "the role (admin, moderator or member)"}}},
		{name: "rename", args: []adminArg{userName, {name: "NEWNAME", words: "the new name"}}},
		{name: "invite", flags: "[--role R] [--expires 72h] [--url https://chat.example.com] [--by NAME]"},
	},
	footer: `Each opens hubbub serve's store, named as serve takes it: --data or --postgres, or serve's
config file, --config FILE (HUBBUB_DATA, HUBBUB_POSTGRES, HUBBUB_CONFIG too).
A running server may hold the SQLite file meanwhile. hubbub user ACTION -h lists the flags.`,
}

// runUser manages the server's users: the logic is internal/accounts', this file reads the
// command line and prints the outcome.
func runUser(ctx context.Context, args []string, io stdio) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(io.err, userCommand.usage())
		if len(args) == 0 {
			return userCommand.which()
		}
		return flag.ErrHelp
	}
	action, args := args[0], args[1:]
	c := &userCmd{io: io, cmd: "user", action: action}
	fs := flag.NewFlagSet("hubbub user "+action, flag.ContinueOnError)
	fs.SetOutput(io.err)
	c.bindStore(fs)
	var run func(ctx context.Context, users hubbub.UserStore, args []string) error
	switch action {
	case "add":
		fs.StringVar(&c.role, "role", hubbub.RoleMember, "the server-wide role: admin, moderator or member")
		c.bindPassword(fs)
		c.hash.bind(fs)
		run = c.add
	case "list":
		run = c.list
	case "passwd":
		c.bindPassword(fs)
		c.hash.bind(fs)
		run = c.passwd
	case "disable":
		fs.BoolVar(&c.enable, "enable", false, "enable the user again instead")
		run = c.disable
	case "role":
		run = c.setRole
	case "rename":
		run = c.rename
	case "invite":
		fs.StringVar(&c.role, "role", hubbub.RoleMember, "the role of the account the link creates: admin, moderator or member")
		fs.DurationVar(&c.expires, "expires", accounts.DefaultInviteTTL, fmt.Sprintf("how long the link works (at most %v); it also stops once used", accounts.MaxInviteTTL))
		fs.StringVar(&c.url, "url", "", "the server's address as people's browsers reach it, for the link (default: hubbub serve's, from HUBBUB_PUBLIC_URL, or HUBBUB_HOST and HUBBUB_PORT, or those settings in the --config file, else http://localhost:3434)")
		fs.StringVar(&c.by, "by", "", "the name of the admin the invite is from (default: none, the operator)")
		run = c.invite
	default:
		return userCommand.unknown(action)
	}
	pos, src, err := parseAdmin(fs, args, userCommand, action)
	if err != nil {
		return err
	}
	if fs.Lookup(argon2Flags[0]) != nil {
		if c.hasher, err = c.hash.hasher(); err != nil {
			return usageError(err.Error() + src.outsideCommandLine(fs))
		}
	}
	return withAdminStore(ctx, c.store, src, c.cmd, c.action, io.err, func(store hubbub.Store) error {
		if err := run(ctx, store, pos); err != nil {
			return userError(action, err)
		}
		return nil
	})
}

// userCmd holds one `hubbub user` action's settings.
type userCmd struct {
	io             stdio
	cmd, action    string      // "user" and "add", "bot" and "list", …
	store          *serveFlags // the store's flags, with serve's defaults
	hash           hashFlags
	hasher         *accounts.Hasher
	role, url, by  string
	passwordStdin  bool
	passwordFile   string
	enable         bool
	expires        time.Duration
	passwordPrompt func() (string, error) // tests replace the terminal
}

// bindStore binds the flags that choose the store, defaulting as hubbub serve does. argon2's
// are bound by the actions that hash a password (hashFlags.bind), alone.
func (c *userCmd) bindStore(fs *flag.FlagSet) {
	c.store = newServeFlags(flag.NewFlagSet("defaults", flag.ContinueOnError))
	bindStoreFlags(fs, c.store, "users")
}

func (c *userCmd) bindPassword(fs *flag.FlagSet) {
	fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password from the first line of standard input (default: ask, without echo, on a terminal)")
	// The flag hubbub chat --signin takes, so that one file serves both.
	fs.StringVar(&c.passwordFile, "password-file", "", "read the password from the first line of this file (as hubbub chat --signin --password-file)")
}

// needData refuses a --data file that does not exist to every action of cmd but those that
// make something (add, create, invite): opening it would create an empty database, so an
// operator who forgot the server's --data was shown an empty list, or told there is no such
// user, and left a stray hubbub.db in the current folder. The making actions still create it,
// so that the first admin can be added before the server first runs; it returns the file they
// will make, for settle. A --postgres database without the store's tables is refused and made
// alike: opening it made every table there (a URL naming another database, or a search_path
// another schema) and listed nothing. src says where --data and --postgres came from (a config
// file's line), for the refusal.
func needData(ctx context.Context, f *serveFlags, src settingSources, cmd, action string) (*newData, error) {
	making := action == "add" || action == "create" || action == "invite"
	if f.postgres != "" {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // as openStore allows
		defer cancel()
		has, err := postgres.HasStore(ctx, f.postgres)
		switch {
		case err != nil:
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		case has:
			return nil, nil
		case making:
			return &newData{path: maskValue("postgres", f.postgres), what: cmd + " " + action, postgres: true}, nil
		}
		return nil, usageError(fmt.Sprintf("%s: no hubbub tables in the PostgreSQL database at %s (on its search_path)%s: pass the URL hubbub serve uses (its --postgres) as --postgres URL, or serve's config file as --config FILE (or set HUBBUB_POSTGRES or HUBBUB_CONFIG)", strings.TrimSpace(cmd+" "+action), maskValue("postgres", f.postgres), src.from("postgres")))
	}
	if _, err := os.Stat(f.data); !errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if making {
		return &newData{path: f.data, what: cmd + " " + action}, nil
	}
	return nil, usageError(fmt.Sprintf("%s: no database at %s%s: pass the file hubbub serve keeps (its --data) as --data PATH, or serve's config file as --config FILE (or set HUBBUB_DATA or HUBBUB_CONFIG)", strings.TrimSpace(cmd+" "+action), f.data, src.from("data")))
}

// newData is the SQLite file an action made because --data named none, or the PostgreSQL
// database (its URL, password masked) it made the tables of.
type newData struct {
	path     string
	what     string // "user add", …
	postgres bool
}

// settle ends an action (err its outcome) that may have made its database (n; nil if not):
// one that succeeded keeps the file and says, on errOut, that it is new — with a mistyped
// --data, "added" alone would name a user the running server never sees —; one that failed
// (a short password, an unknown role) removes it, so that the corrected command finds no file
// and says so again, rather than adding into the stray one without a word. The tables made in
// a PostgreSQL database stay (dropping tables is no job for a failed user add).
func (n *newData) settle(err error, errOut io.Writer) error {
	if n == nil {
		return err
	}
	if n.postgres {
		if err == nil {
			fmt.Fprintf(errOut, "hubbub: %s: there were no hubbub tables in the PostgreSQL database at %s: made them (if hubbub serve uses another database or schema, pass its URL as --postgres URL, or serve's config file as --config FILE)\n", n.what, n.path)
		}
		return err
	}
	if err != nil {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			_ = os.Remove(n.path + suffix)
		}
		return err
	}
	fmt.Fprintf(errOut, "hubbub: %s: there was no database at %s: made a new one (if hubbub serve keeps another file, pass it as --data PATH, or serve's config file as --config FILE)\n", n.what, n.path)
	return nil
}

// withAdminStore runs do on the store f names (src saying where its settings came from), for
// action of cmd (hubbub user, bot, hook, command, webhook), and closes it: a --data file that
// does not exist is refused or made as needData says, and one it made is kept or removed by
// do's outcome (newData.settle). The store is opened without the integrity check, which the
// server makes at its start: an admin command should not wait minutes on a large file.
func withAdminStore(ctx context.Context, f *serveFlags, src settingSources, cmd, action string, errOut io.Writer, do func(hubbub.Store) error) error {
	made, err := needData(ctx, f, src, cmd, action)
	if err != nil {
		return err
	}
	f.sqliteSkipCheck = true
	log, err := newLogger("text", "warn", errOut, 0, 0)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, f, log)
	if err == nil {
		err = do(store)
		_ = store.Close()
	}
	return made.settle(err, errOut)
}

func (c *userCmd) add(ctx context.Context, users hubbub.UserStore, args []string) error {
	if err := hubbub.ValidateName(args[0]); err != nil {
		return err // before asking for a password
	}
	pw, err := c.password(args[0])
	if err != nil {
		return err
	}
	u, err := accounts.AddUser(ctx, users, c.hasher, args[0], c.role, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "added %s (%s), role %s\n", u.Name, u.ID, u.Role)
	return nil
}

func (c *userCmd) list(ctx context.Context, users hubbub.UserStore, _ []string) error {
	// The store pages in id order, which the API's cursor (after=ID) and the cache's preload
	// need; ids are random, so a person reads the list sorted here, by name.
	var all []hubbub.User
	after := ""
	for {
		page, err := users.Users(ctx, after, 500)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	slices.SortFunc(all, func(a, b hubbub.User) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	w := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
	// The store's last seen is when the user's last connection ended (the hub writes it then,
	// not at connect), and who is connected now only the running nodes know: under "LAST SEEN"
	// a user online now read as gone since their previous visit. The column says what it is.
	fmt.Fprintln(w, "NAME\tID\tKIND\tROLE\tSTATUS\tCREATED\tLAST DISCONNECT")
	for _, u := range all {
		status, seen := "active", "-"
		if u.Disabled {
			status = "disabled"
		}
		if !u.LastSeen.IsZero() {
			seen = u.LastSeen.UTC().Format(time.DateTime)
		}
		role := u.Role
		if role == "" {
			role = hubbub.RoleMember
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.ID, u.Kind, role, status, u.Created.UTC().Format(time.DateTime), seen)
	}
	return w.Flush()
}

func (c *userCmd) passwd(ctx context.Context, users hubbub.UserStore, args []string) error {
	u, err := accounts.FindUser(ctx, users, args[0])
	if err != nil {
		return err
	}
	pw, err := c.password(u.Name)
	if err != nil {
		return err
	}
	if _, err := accounts.SetPassword(ctx, users, c.hasher, u.Name, pw); err != nil {
		return err
	}
	if u.Kind == hubbub.UserGuest {
		// The guest's key no longer signs them in: say so, since their device will be refused.
		fmt.Fprintf(c.io.out, "password of %s set: %s was a guest and is now an account (same id, name and history); the guest key no longer signs them in and their open connections end: they sign in with the password\n", u.Name, u.Name)
		return nil
	}
	fmt.Fprintf(c.io.out, "password of %s set; their sessions are signed out and their open connections end\n", u.Name)
	return nil
}

func (c *userCmd) disable(ctx context.Context, users hubbub.UserStore, args []string) error {
	u, err := accounts.SetDisabled(ctx, users, args[0], !c.enable)
	if err != nil {
		return err
	}
	if c.enable {
		fmt.Fprintf(c.io.out, "%s is enabled\n", u.Name)
	} else {
		fmt.Fprintf(c.io.out, "%s is disabled and signed out everywhere; a running server closes their open connections within seconds\n", u.Name)
	}
	return nil
}

func (c *userCmd) setRole(ctx context.Context, users hubbub.UserStore, args []string) error {
	u, err := accounts.SetRole(ctx, users, args[0], args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "%s is now %s; a running server closes their open connections within seconds, and they reconnect with it\n", u.Name, u.Role)
	return nil
}

func (c *userCmd) rename(ctx context.Context, users hubbub.UserStore, args []string) error {
	old, err := accounts.FindUser(ctx, users, args[0])
	if err != nil {
		return err
	}
	u, err := accounts.Rename(ctx, users, old.Name, args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "%s (%s) is now %s; a running server gives their open connections the new name within seconds\n", old.Name, u.ID, u.Name)
	return nil
}

func (c *userCmd) invite(ctx context.Context, users hubbub.UserStore, _ []string) error {
	base, note, err := linkBase(c.url, c.store.configPath)
	if err != nil {
		return err
	}
	if _, err := accounts.InviteURL(base, "x"); err != nil {
		return err // before anything is stored
	}
	by := ""
	if c.by != "" {
		u, err := accounts.FindUser(ctx, users, c.by)
		if err != nil {
			return err
		}
		by = u.ID
	}
	code, inv, err := accounts.NewInvite(ctx, users, by, c.role, c.expires)
	if err != nil {
		return err
	}
	link, _ := accounts.InviteURL(base, code)
	fmt.Fprintln(c.io.out, link)
	if note != "" {
		fmt.Fprintf(c.io.err, "note: %s\n", note)
	}
	fmt.Fprintf(c.io.err, "creates one %s account; works until %s\n", inv.Role, inv.Expires.Format(time.RFC3339))
	return nil
}

// password reads the new password for name: the first line of --password-file, or of
// standard input with --password-stdin, else twice from the terminal without echo.
func (c *userCmd) password(name string) (string, error) {
	var pw string
	switch {
	case c.passwordFile != "" && c.passwordStdin:
		return "", usageError("user: give the password by --password-file or --password-stdin, not both")
	case c.passwordFile != "":
		f, err := os.Open(c.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		if pw, err = firstLine(f); pw == "" {
			return "", hubbub.Errorf(hubbub.ECodeMissing, "--password-file %s: no password on its first line (%v)", c.passwordFile, err)
		}
	case c.passwordStdin:
		line, err := firstLine(c.io.in)
		if err != nil {
			return "", hubbub.Errorf(hubbub.ECodeMissing, "no password on standard input")
		}
		pw = line
	case c.passwordPrompt != nil:
		var err error
		if pw, err = c.passwordPrompt(); err != nil {
			return "", err
		}
	default:
		f, ok := c.io.in.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", hubbub.Errorf(hubbub.ECodeMissing, "no password: run in a terminal, or pass --password-stdin and the password on standard input")
		}
		read := func(prompt string) (string, error) { return askPassword(f, c.io.err, prompt) }
		first, err := read("Password for " + name + ": ")
		if err != nil {
			return "", err
		}
		if err := accounts.CheckPassword(first); err != nil {
			return "", err
		}
		again, err := read("Again: ")
		if err != nil {
			return "", err
		}
		if again != first {
			return "", hubbub.Errorf(hubbub.ECodeBadField, "the two passwords differ")
		}
		pw = first
	}
	return pw, accounts.CheckPassword(pw)
}

// userError turns an action's error into one line: the person's mistakes (a bad name,
// password or role, an unknown user, a taken name) exit with status 2 like other command-line
// mistakes, the store's failures with 1.
func userError(action string, err error) error {
	var he *hubbub.Error
	if errors.As(err, &he) {
		switch he.Code {
		case hubbub.ECodeBadField, hubbub.ECodeBadName, hubbub.ECodeMissing, hubbub.ECodeNotFound,
			hubbub.ECodeNameTaken, hubbub.ECodeBadDuration:
			return usageError(fmt.Sprintf("user %s: %s", action, he.Message))
		}
	}
	return fmt.Errorf("user %s: %w", action, err)
}

// parseInterspersed parses flags placed before, between or after the positional arguments
// (hubbub user add ann --role admin) and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// hashFlags are the argon2id costs of new password hashes, shared by hubbub serve (sign-up
// by invite, password changes) and hubbub user add and passwd, the only admin actions that
// hash a password: the others' help listed the costs too, and took them without effect.
type hashFlags struct {
	memory, time, threads, concurrency int
}

// argon2Flags are the names hashFlags.bind binds.
var argon2Flags = []string{"argon2-memory", "argon2-time", "argon2-threads", "argon2-concurrency"}

func (h *hashFlags) bind(fs *flag.FlagSet) {
	fs.IntVar(&h.memory, "argon2-memory", accounts.DefaultHashMemory, "memory one password hash uses, KiB (argon2id m; at most 1 GiB)")
	fs.IntVar(&h.time, "argon2-time", accounts.DefaultHashTime, "passes of one password hash over its memory (argon2id t)")
	fs.IntVar(&h.threads, "argon2-threads", accounts.DefaultHashThreads, "threads of one password hash (argon2id p, 1 to 255)")
	fs.IntVar(&h.concurrency, "argon2-concurrency", accounts.DefaultMaxHashes, "password hashes computed at once; more wait (each holds --argon2-memory)")
}

// params returns the flags as accounts' parameters, or why they are refused.
func (h *hashFlags) params() (accounts.HashParams, error) {
	const maxUint32 = 1<<32 - 1
	switch {
	case h.memory > maxUint32:
		return accounts.HashParams{}, fmt.Errorf("--argon2-memory %d is out of range (at most 1048576 KiB)", h.memory)
	case h.time > maxUint32:
		return accounts.HashParams{}, fmt.Errorf("--argon2-time %d is out of range", h.time)
	case h.threads > 255:
		return accounts.HashParams{}, fmt.Errorf("--argon2-threads %d is out of range (1 to 255)", h.threads)
	}
	p := accounts.HashParams{Memory: uint32(h.memory), Time: uint32(h.time), Threads: uint8(h.threads)}
	if err := p.Validate(); err != nil {
		return p, errors.New(strings.TrimPrefix(err.Error(), "accounts: "))
	}
	return p, nil
}

func (h *hashFlags) hasher() (*accounts.Hasher, error) {
	p, err := h.params()
	if err != nil {
		return nil, err
	}
	return accounts.NewHasher(p, h.concurrency)
}
