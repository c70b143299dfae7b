package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"hubbub"
	"hubbub/internal/bots"
	"hubbub/internal/storecache"
)

func init() {
	subcommands["bot"] = runBot
	subcommands["hook"] = runHook
}

// botName is the argument naming a bot.
var botName = adminArg{name: "NAME", words: "the bot's name"}

// botCommand and hookCommand are hubbub bot's and hubbub hook's actions, from which their
// usages and the check of each action's arguments are made.
var (
	botCommand = adminCommand{
		name: "bot",
		actions: []adminAction{
			{name: "create", args: []adminArg{botName}, flags: "--rooms ROOM,PATTERN*,…", note: "prints the bot's API token, once"},
			{name: "list", note: "every bot, by name"},
			{name: "rooms", args: []adminArg{botName, {name: "ROOM,PATTERN*,…", words: "its rooms (ROOM,PATTERN*,…; '' for none)"}}, note: "replaces its rooms"},
			{name: "rotate", args: []adminArg{botName}, note: "a new token; the old one stops working: see below"},
			{name: "delete", args: []adminArg{botName}, note: "its token and hooks go; its user is disabled"},
		},
		footer: `Each opens hubbub serve's store, named as serve takes it: --data or --postgres, or serve's
config file, --config FILE (HUBBUB_DATA, HUBBUB_POSTGRES, HUBBUB_CONFIG too).
A bot signs in with its token (hello's token, /ws?token=, Authorization: Bearer) in the rooms its
patterns cover ("deploy-*" covers every room starting "deploy-"; "*" every room but DMs).
rooms, rotate and delete change the store; each running server sees the change at its next read
of the store's generations, within its --store-cache-poll (250ms by default), and the bot's open
connections within about a second. The API (/api/bots) changes it at once.`,
	}
	hookCommand = adminCommand{
		name: "hook",
		actions: []adminAction{
			{name: "create", flags: "--room ROOM [--bot NAME] [--url https://chat.example.com]",
				note: `prints the hook's URL with its secret, once; without --url it
begins with hubbub serve's address: HUBBUB_PUBLIC_URL, or
HUBBUB_HOST and HUBBUB_PORT, or those settings in the --config
file, else http://localhost:3434`},
			{name: "list", note: "every hook, by room, then oldest first"},
			{name: "delete", args: []adminArg{{name: "ID", words: "the hook's id (hubbub hook list shows it)"}}},
		},
		footer: `POST {"text": "…", "id": "…"?, "name": "…"?} to the URL posts a message into ROOM as the bot NAME
(made if no user holds the name; default hook-ROOM).
Each opens hubbub serve's store, named as serve takes it: --data or --postgres, or serve's
config file, --config FILE (HUBBUB_DATA, HUBBUB_POSTGRES, HUBBUB_CONFIG too).`,
	}
)

// botCmd holds one `hubbub bot` or `hubbub hook` action's settings: the store's flags and
// the hook's.
type botCmd struct {
	user  userCmd // the store's flags and opening, as hubbub user's
	rooms string
	room  string
	bot   string
	url   string
}

// runBotLike parses args for an action of cmd (hubbub bot or hook) and runs it on the store.
func runBotLike(ctx context.Context, cmd adminCommand, args []string, io stdio,
	bind func(c *botCmd, action string, fs *flag.FlagSet) (run func(*botCmd, context.Context, hubbub.Store, []string) error)) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(io.err, cmd.usage())
		if len(args) == 0 {
			return cmd.which()
		}
		return flag.ErrHelp
	}
	action, args := args[0], args[1:]
	c := &botCmd{user: userCmd{io: io, cmd: cmd.name, action: action}}
	fs := flag.NewFlagSet("hubbub "+cmd.name+" "+action, flag.ContinueOnError)
	fs.SetOutput(io.err)
	c.user.bindStore(fs)
	run := bind(c, action, fs)
	if run == nil {
		return cmd.unknown(action)
	}
	// The store's flags, bound as hubbub user binds them, refuse as there.
	pos, src, err := parseAdmin(fs, args, cmd, action)
	if err != nil {
		return err
	}
	return withAdminStore(ctx, c.user.store, src, cmd.name, action, io.err, func(store hubbub.Store) error {
		if err := run(c, ctx, store, pos); err != nil {
			return botError(cmd.name+" "+action, err)
		}
		return nil
	})
}

func runBot(ctx context.Context, args []string, io stdio) error {
	return runBotLike(ctx, botCommand, args, io, func(c *botCmd, action string, fs *flag.FlagSet) func(*botCmd, context.Context, hubbub.Store, []string) error {
		switch action {
		case "create":
			fs.StringVar(&c.rooms, "rooms", "", "the rooms the bot may enter, comma-separated: names, prefixes ending in *, or * for every room but DMs")
			return (*botCmd).create
		case "list":
			return (*botCmd).list
		case "rooms":
			return (*botCmd).setRooms
		case "rotate":
			return (*botCmd).rotate
		case "delete":
			return (*botCmd).delete
		}
		return nil
	})
}

// splitRooms reads a comma-separated list of room patterns.
func splitRooms(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *botCmd) create(ctx context.Context, s hubbub.Store, args []string) error {
	rooms := splitRooms(c.rooms)
	if len(rooms) == 0 {
		// A bot with no patterns may join and post nowhere, and its token is shown only now:
		// an admin who forgot --rooms would find out from the bot's first forbidden join.
		return usageError("--rooms is required: a bot may enter only the rooms its patterns cover " +
			"(--rooms ROOM,PATTERN*,… or '*' for every room but DMs)")
	}
	b, token, err := bots.Create(ctx, s, args[0], rooms)
	if err != nil {
		return err
	}
	out := c.user.io.out
	fmt.Fprintf(out, "created bot %s (%s), rooms %s\n", b.User.Name, b.User.ID, strings.Join(b.Rooms, ","))
	fmt.Fprintf(out, "token (shown once; the server keeps only its hash): %s\n", token)
	return nil
}

func (c *botCmd) list(ctx context.Context, s hubbub.Store, _ []string) error {
	list, err := s.Bots(ctx)
	if err != nil {
		return err
	}
	// The store lists bots in id order, which is random: a person reads them by name, as
	// hubbub user list shows users (any case; the id orders two names that differ in case only).
	slices.SortFunc(list, func(a, b hubbub.Bot) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.User.Name), strings.ToLower(b.User.Name)), cmp.Compare(a.User.ID, b.User.ID))
	})
	w := tabwriter.NewWriter(c.user.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tID\tTOKEN\tSTATUS\tROOMS\tCREATED")
	for _, b := range list {
		token, status := "no", "active"
		if b.Token {
			token = "yes"
		}
		if b.User.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", hubbub.CleanText(b.User.Name), b.User.ID, token, status,
			strings.Join(b.Rooms, ","), b.User.Created.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func (c *botCmd) setRooms(ctx context.Context, s hubbub.Store, args []string) error {
	b, err := bots.Find(ctx, s, args[0])
	if err != nil {
		return err
	}
	rooms := splitRooms(args[1])
	if b, err = s.UpdateBot(ctx, b.User.ID, hubbub.BotChange{Rooms: &rooms}); err != nil {
		return err
	}
	if len(b.Rooms) == 0 {
		fmt.Fprintf(c.user.io.out, "bot %s may now enter no room (its joins and posts are forbidden until given some)\n", b.User.Name)
	} else {
		fmt.Fprintf(c.user.io.out, "bot %s may now enter %s\n", b.User.Name, strings.Join(b.Rooms, ","))
	}
	c.cachedBotNote("lets the bot into the rooms it had", "PATCH /api/bots/"+url.PathEscape(b.User.Name)+" changes them at once")
	return nil
}

// cachedBotNote says, after a change of a bot on the store, how late a running server learns
// of it (docs/integrations.md, "Bots"): no broker event tells the nodes, but the change moves
// the store's users' generation, and each node that reads it moved (every --store-cache-poll)
// forgets the bots it cached, then re-reads its bots' open connections in its next account
// pass (at most one a second). "the old one no longer works" said nothing of that delay to an
// admin rotating a leaked token; the API's call, which tells every node, acts at once.
func (c *botCmd) cachedBotNote(late, atOnce string) {
	fmt.Fprintf(c.user.io.err, "note: a running server %s for up to its --store-cache-poll (%v by default; about a second for the bot's open connections); %s\n",
		late, storecache.DefaultPoll, atOnce)
}

func (c *botCmd) rotate(ctx context.Context, s hubbub.Store, args []string) error {
	b, err := bots.Find(ctx, s, args[0])
	if err != nil {
		return err
	}
	b, token, err := bots.Rotate(ctx, s, b.User.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.user.io.out, "new token for %s (shown once; the old one stops working): %s\n", b.User.Name, token)
	c.cachedBotNote("takes the old token", "POST /api/bots/"+url.PathEscape(b.User.Name)+"/token rotates it at once")
	return nil
}

func (c *botCmd) delete(ctx context.Context, s hubbub.Store, args []string) error {
	b, err := bots.Find(ctx, s, args[0])
	if err != nil {
		return err
	}
	if err := s.DeleteBot(ctx, b.User.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.user.io.out, "deleted bot %s (%s): its hooks no longer work, nor its token (below)\n", b.User.Name, b.User.ID)
	c.cachedBotNote("takes its token", "DELETE /api/bots/"+url.PathEscape(b.User.Name)+" deletes it at once")
	return nil
}

func runHook(ctx context.Context, args []string, io stdio) error {
	return runBotLike(ctx, hookCommand, args, io, func(c *botCmd, action string, fs *flag.FlagSet) func(*botCmd, context.Context, hubbub.Store, []string) error {
		switch action {
		case "create":
			fs.StringVar(&c.room, "room", "", "the room the hook posts into (required)")
			fs.StringVar(&c.bot, "bot", "", "the bot the hook posts as: an existing bot, or a new one of this name (default hook-ROOM)")
			fs.StringVar(&c.url, "url", "", "the server's address as the sending tool reaches it, for the printed URL (default: hubbub serve's, from HUBBUB_PUBLIC_URL, or HUBBUB_HOST and HUBBUB_PORT, or those settings in the --config file, else http://localhost:3434)")
			return (*botCmd).createHook
		case "list":
			return (*botCmd).listHooks
		case "delete":
			return (*botCmd).deleteHook
		}
		return nil
	})
}

func (c *botCmd) createHook(ctx context.Context, s hubbub.Store, _ []string) error {
	if c.room == "" {
		return hubbub.Errorf(hubbub.ECodeMissing, "--room is required")
	}
	base, note, err := linkBase(c.url, c.user.store.configPath) // before anything is stored
	if err != nil {
		return err
	}
	h, secret, err := bots.CreateHook(ctx, s, c.room, c.bot)
	if err != nil {
		return err
	}
	out := c.user.io.out
	fmt.Fprintf(out, "created incoming webhook %s into %s, posting as %s\n", h.ID, h.Room, h.BotName)
	if _, found, err := s.RoomMeta(ctx, h.Room); err == nil && !found {
		// Not refused: a hook may be made before its room. But a misspelt name would quietly
		// post into a new room nobody is in.
		fmt.Fprintf(c.user.io.err, "note: room %s does not exist yet; the hook's first post will create it (check the name)\n", h.Room)
	}
	if note != "" {
		fmt.Fprintf(c.user.io.err, "note: %s\n", note)
	}
	fmt.Fprintf(out, "URL (shown once; the server keeps only its secret's hash): %s%s\n", base, bots.HookPath(h.ID, secret))
	return nil
}

func (c *botCmd) listHooks(ctx context.Context, s hubbub.Store, _ []string) error {
	list, err := s.IncomingHooks(ctx)
	if err != nil {
		return err
	}
	// The store lists hooks in id order, which is random: a person finds a room's hooks
	// together, by room as bot list shows bots by name (any case), and a room's oldest first;
	// the id orders two made in one millisecond.
	slices.SortFunc(list, func(a, b hubbub.IncomingHook) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Room), strings.ToLower(b.Room)), cmp.Compare(a.Room, b.Room),
			a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	w := tabwriter.NewWriter(c.user.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tROOM\tBOT\tCREATED")
	for _, h := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", h.ID, h.Room, hubbub.CleanText(h.BotName), h.Created.Format("2006-01-02 15:04"))
	}
	return w.Flush()
}

func (c *botCmd) deleteHook(ctx context.Context, s hubbub.Store, args []string) error {
	if err := s.DeleteIncomingHook(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.user.io.out, "deleted incoming webhook %s\n", args[0])
	return nil
}

// botError is userError for bot and hook actions: the person's mistakes exit with status 2.
func botError(action string, err error) error {
	var he *hubbub.Error
	if errors.As(err, &he) {
		switch he.Code {
		case hubbub.ECodeBadField, hubbub.ECodeBadName, hubbub.ECodeBadRoom, hubbub.ECodeMissing, hubbub.ECodeNotFound,
			hubbub.ECodeNameTaken, hubbub.ECodeLimit, hubbub.ECodeExists, hubbub.ECodeForbidden:
			return usageError(fmt.Sprintf("%s: %s", action, he.Message))
		}
	}
	return fmt.Errorf("%s: %w", action, err)
}
