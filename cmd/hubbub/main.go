// Command hubbub is the hubbub chat server and its companion tools, in one binary.
//
//	hubbub [serve] [flags]   run the server (the default)
//	hubbub chat [flags] URL  a terminal chat client
//	hubbub add [flags] URL   a client for the add service
//	hubbub bench [flags]     the load generator
//	hubbub token [flags]     mint a signed token for a user
//	hubbub user ACTION …     manage accounts: add, list, passwd, disable, role, invite
//	hubbub webhook ACTION …  manage outgoing webhooks: create, list, pause, resume, delete, rotate, dead, replay
//	hubbub bot ACTION …      manage bots: create, list, rooms, rotate, …
//	hubbub hook ACTION …     manage incoming webhooks: create, list, delete
//	hubbub command ACTION …  manage slash commands: add, list, delete, rotate
//	hubbub restore [flags]   prepare a database restored from a backup for serving
//	hubbub version           print the version (or hubbub --version)
//
// Each subcommand lives in its own file (serve.go, chat.go, add.go, bench.go) as a function
// run<Name>(ctx, args, stdio) error that registers itself in subcommands, so main stays a
// dispatcher and tests can run a subcommand in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"hubbub"
)

// stdio is what a subcommand reads from and writes to; tests pass buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	// tty says in is a person's terminal whatever it is (tests type into a pipe as a person
	// would); otherwise in is one if it is a terminal device.
	tty bool
}

// subcommand runs one of hubbub's tools until ctx is cancelled or its work is done.
type subcommand func(ctx context.Context, args []string, io stdio) error

// subcommands maps a name to its tool; each tool's file adds itself in an init function, so a
// new tool touches no other file.
var subcommands = map[string]subcommand{}

func main() {
	ctx, stop := signalContext()
	err := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "hubbub:", err)
		os.Exit(exitCode(err))
	}
}

// signalContext is the context hubbub runs in: SIGINT and SIGTERM cancel it, which a server
// answers with a clean shutdown and a client by ending. The test binary's child server
// (kill_test.go) runs in it too, so the signals a test sends end it as they end the real binary.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// run picks the subcommand; with none (or only flags) it serves, like `hubbub serve`, unless
// those flags are followed by a command (commandAfterFlags).
func run(ctx context.Context, args []string, io stdio) error {
	name := "serve"
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		name = "version" // the flag every tool answers, besides the subcommand
	} else if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	} else if err := commandAfterFlags(args); err != nil {
		return err
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(io.err, usage) // `hubbub -h`: the subcommands first, then serve's flags
	}
	switch name {
	case "version":
		fmt.Fprintln(io.out, "hubbub", hubbub.Version)
		return nil
	case "help":
		fmt.Fprintln(io.out, usage)
		return nil
	}
	cmd, ok := subcommands[name]
	if !ok {
		return usageError(fmt.Sprintf("unknown command %q\n%s", name, usage))
	}
	return cmd(ctx, args, io)
}

// commandAfterFlags catches a command written after flags (`hubbub --data x.db user list`,
// `hubbub --name ann chat URL`): those flags go to the implicit serve, which would refuse the
// command as a stray argument, or a flag of the command as unknown, and leave the person
// wondering why the server speaks at all. It walks the arguments as serve's flag set reads
// them and, if the first one that is not a flag or a flag's value names a command, says to put
// the command first, as the command line that works. Otherwise it returns nil and serve parses
// (and judges) the arguments itself.
func commandAfterFlags(args []string) error {
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	newServeFlags(fs)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil // what follows is arguments, whatever they say
		}
		if len(a) < 2 || a[0] != '-' {
			if isCommand(a) {
				fixed := append(append([]string{"hubbub"}, args[i:]...), args[:i]...)
				return usageError(fmt.Sprintf("the command comes first: %s (flags before it are the server's)",
					strings.Join(fixed, " ")))
			}
			return nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if hasValue || i+1 >= len(args) {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			// Not a server flag: the command's own, with its value next unless that is the
			// command (`hubbub --signin chat URL`).
			if !isCommand(args[i+1]) {
				i++
			}
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			i++ // the flag's value, which may look like a command (`--node chat`)
		}
	}
	return nil
}

// isCommand says whether s names a subcommand (serve too: `hubbub --data x serve` is serve's
// flags before its name).
func isCommand(s string) bool {
	_, ok := subcommands[s]
	return ok
}

const usage = `usage:
  hubbub [serve] [flags]     run the server (hubbub serve -h lists the flags)
  hubbub chat [flags] URL    terminal chat client, e.g. hubbub chat --name ann ws://localhost:3434/ws
  hubbub add [flags] URL     add-service client, e.g. hubbub add ws://localhost:3434/add
  hubbub bench [flags]       load generator (hubbub bench -h)
  hubbub token [flags]       mint a signed token, e.g. hubbub token --user 42 --name ann --ttl 1h
  hubbub user ACTION …       manage accounts, e.g. hubbub user add admin --role admin (hubbub user -h)
  hubbub webhook ACTION …    manage outgoing webhooks, e.g. hubbub webhook create https://ci.example.com/hook --rooms '*' --events message (hubbub webhook -h)
  hubbub bot ACTION …        manage bots, e.g. hubbub bot create ci --rooms 'builds,deploy-*' (hubbub bot -h)
  hubbub hook ACTION …       manage incoming webhooks, e.g. hubbub hook create --room alerts (hubbub hook -h)
  hubbub command ACTION …    manage slash commands, e.g. hubbub command add deploy https://ops.example.com/deploy (hubbub command -h)
  hubbub restore [flags]     after restoring a backup, before serving: moves every room's seqs on (hubbub restore -h)
  hubbub version             print the version (also hubbub --version)
  hubbub help                this list`

// usageError is a mistake on the command line; it exits with status 2 like the flag package.
type usageError string

func (e usageError) Error() string { return string(e) }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// parseFlags parses a subcommand's flags: a bad flag is a usage error of one line (exit
// status 2), as for every other mistake on the command line; -h prints the flags and is
// flag.ErrHelp (exit status 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard) // the flag package would print the error and every flag
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		if usage != nil {
			usage()
		} else {
			fmt.Fprintf(out, "usage of %s:\n", fs.Name())
			fs.PrintDefaults()
		}
		return err
	}
	name := strings.TrimPrefix(fs.Name(), "hubbub ")
	return usageError(fmt.Sprintf("%s: %v (hubbub %s -h lists the flags)", name, err, name))
}
