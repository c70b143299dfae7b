package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"hubbub"
	"hubbub/internal/commands"
	"hubbub/internal/egress"
)

func init() { subcommands["command"] = runCommand }

// commandName is the argument naming a slash command.
var commandName = adminArg{name: "NAME", words: "the command's name (without its /)"}

// commandCommand is hubbub command's actions, from which its usage and the check of each
// action's arguments are made.
var commandCommand = adminCommand{
	name: "command",
	actions: []adminAction{
		{name: "add", args: []adminArg{commandName, {name: "URL", words: "the URL each use is posted to"}}, flags: "[--description TEXT] [--bot NAME]"},
		{name: "list", note: "every command, by name"},
		{name: "delete", args: []adminArg{commandName}},
		{name: "rotate", args: []adminArg{commandName}},
	},
	footer: `Slash commands: a user's "/NAME args" is posted to URL, signed with the command's secret
(printed by add and rotate, once), and the answer is posted as the command's bot user
(docs/integrations.md).
Each opens hubbub serve's store, named as serve takes it: --data or --postgres, or serve's
config file, --config FILE (HUBBUB_DATA, HUBBUB_POSTGRES, HUBBUB_CONFIG too). A running server
sees the change at once.`,
}

// runCommand manages the server's slash commands: the logic is internal/commands', this file
// reads the command line and prints the outcome.
func runCommand(ctx context.Context, args []string, io stdio) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(io.err, commandCommand.usage())
		if len(args) == 0 {
			return commandCommand.which()
		}
		return flag.ErrHelp
	}
	action, args := args[0], args[1:]
	c := &userCmd{io: io, cmd: "command", action: action} // its store flags and opening
	fs := flag.NewFlagSet("hubbub command "+action, flag.ContinueOnError)
	fs.SetOutput(io.err)
	c.bindStore(fs)
	var description, bot string
	var run func(ctx context.Context, store hubbub.Store, args []string) error
	switch action {
	case "add":
		fs.StringVar(&description, "description", "", "what the command does, for the clients' list")
		fs.StringVar(&bot, "bot", "", "the name of the bot user its answers are posted as (default: the command's name; commands may share a bot)")
		run = func(ctx context.Context, store hubbub.Store, args []string) error {
			// The syntax of the URL only: the server's dial checks the address it resolves to
			// (--command-allow-private).
			check := egress.New(egress.Config{AllowPrivate: true})
			defer check.Close()
			reg, err := commands.Add(ctx, store, func(raw string) error { _, err := check.CheckURL(raw); return err },
				commands.AddRequest{Name: args[0], URL: args[1], Description: description, Bot: bot})
			if err != nil {
				return err
			}
			fmt.Fprintf(io.out, "added /%s → %s, answering as %s (%s)\nsecret: %s\n", reg.Name, reg.URL, reg.BotName, reg.Bot, reg.Secret)
			// The store takes any address, since only the server knows whether it may reach
			// it; one it refuses by default was taken without a word, and each use then said
			// "not allowed (loopback)" to the user, naming no setting.
			strict := egress.New(egress.Config{})
			defer strict.Close()
			var refused *egress.RefusedError
			if _, err := strict.CheckURL(reg.URL); errors.As(err, &refused) {
				fmt.Fprintf(io.err, "note: %s is a %s address: the server posts /%s there only if it runs with --command-allow-private\n", refused.Addr, refused.Reason, reg.Name)
			}
			return nil
		}
	case "list":
		run = func(ctx context.Context, store hubbub.Store, _ []string) error {
			list, err := commands.List(ctx, store)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tURL\tBOT\tCREATED\tDESCRIPTION")
			for _, c := range list {
				fmt.Fprintf(w, "/%s\t%s\t%s\t%s\t%s\n", c.Name, c.URL, c.BotName, c.Created.UTC().Format(time.DateTime), c.Description)
			}
			return w.Flush()
		}
	case "delete":
		run = func(ctx context.Context, store hubbub.Store, args []string) error {
			if err := store.DeleteCommand(ctx, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(io.out, "deleted /%s (its bot user stays)\n", args[0])
			return nil
		}
	case "rotate":
		run = func(ctx context.Context, store hubbub.Store, args []string) error {
			reg, err := commands.Rotate(ctx, store, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(io.out, "rotated the secret of /%s\nsecret: %s\n", reg.Name, reg.Secret)
			return nil
		}
	default:
		return commandCommand.unknown(action)
	}
	// The store's flags, bound as hubbub user binds them, refuse as there.
	pos, src, err := parseAdmin(fs, args, commandCommand, action)
	if err != nil {
		return err
	}
	return withAdminStore(ctx, c.store, src, "command", action, io.err, func(store hubbub.Store) error {
		if err := run(ctx, store, pos); err != nil {
			// A mistake on the command line (a bad name or URL, a command that exists or
			// does not) exits 2 with one line, as hubbub user, bot and hook do; the rest
			// exits 1.
			return botError("command "+action, err)
		}
		return nil
	})
}
