package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/termchat"
)

// The terminal chat client is internal/termchat; this file is its command line: the flags,
// their checks, and the sign-in that asks for a password (chat_signin.go).

func init() { subcommands["chat"] = runChat }

const chatUsage = `usage: hubbub chat [flags] URL [URL...]

A terminal chat client. It joins --room, prints its recent history and then every message as
"[room] #SEQ name: text" (SEQ numbers the message in its room; a reply shows "↪ #PARENT", an
edited text "(edited)", a message with replies "(2 replies)", reactions "[👍 2]", each file it
carries "[file: NAME (SIZE) URL]"); edits print the message's new line as the history shows
it ("[room] #SEQ name ↪ #PARENT: new text (edited) [👍 2]"), deletions and reactions a "*"
notice. Lines you type are sent to the room you joined last; these commands work too (start a
message with "//" to send a line that begins with "/"):

` + termchat.CommandList + `
With several URLs it connects to the first that answers and moves to the next one when a
connection fails. It reconnects on its own and prints every missed message once; a room the
server refuses to let it join again says why, and /join of it joins again. Kicked or removed
from the current room, the next line you type is not sent: it says so, and the room joined
before becomes current.

When standard input is not a terminal, each line is sent as a message, and a command runs once
the messages of the lines before it are acknowledged and printed (so /search finds them, and the
output reads in the script's order); at the end of input it
waits for every message to be acknowledged (exiting 1 if one is not) and for what it sent to be
printed back (a reaction comes up to the server's --reaction-window after its ack), then, with
--wait, keeps printing for that long. It exits 1 too if a line was not sent or a command failed;
the lines after a /join (/dm, /create) that failed, refused by the server or by the chat (a
name that is no room's), are refused, never sent to the room before it.

flags:`

// runChat is `hubbub chat`: a terminal client for the hubbub.v1 protocol.
func runChat(ctx context.Context, args []string, io stdio) error {
	fset := flag.NewFlagSet("chat", flag.ContinueOnError)
	fset.SetOutput(io.err)
	name := fset.String("name", os.Getenv("USER"), "your name, 1-32 printable bytes (if not given: the name this server last gave you as a guest, kept beside --key-file, else $USER)")
	// The server's room, where the page opens and text clients talk: a person who starts the chat
	// and one who opens the page, neither naming a room, meet.
	room := fset.String("room", hubbub.DefaultRoom, "the room to join at start (team, or #team); @bob (or @bob,carol) for your direct message with them, as /join takes it")
	history := fset.Int("history", 20, "how many recent messages to print when joining a room, with the room's topic, member and ban notices among them (0 = the server's default)")
	wait := fset.Duration("wait", 0, "at the end of input, after the acks, keep printing for this long")
	token := fset.String("token", os.Getenv("HUBBUB_TOKEN"), "a signed token for servers that require one ($HUBBUB_TOKEN; see hubbub token); the server takes your name from it")
	keyFile := fset.String("key-file", "", "the file that keeps your key (default <user config dir>/hubbub/key)")
	ackTimeout := fset.Duration("ack-timeout", termchat.DefaultAckTimeout, "at the end of input, give up waiting for acks after this long without one")
	signin := fset.Bool("signin", false, "sign in to the account --name (asks for its password on the terminal; see --password-file), for servers with accounts")
	passwordFile := fset.String("password-file", "", "with --signin: read the password from the first line of this file instead of asking (read again to sign in again when the session ends)")
	caFile := fset.String("ca-file", "", "PEM file of certificates to trust for wss:// besides the system's, e.g. a self-signed server certificate")
	verbose := fset.Bool("verbose", false, "log the connection's course to standard error: each connection made and lost and each reconnect attempt, with the errors in full (the chat's own lines say them in short)")
	fset.Usage = func() {
		fmt.Fprintln(io.err, chatUsage)
		fset.PrintDefaults()
	}
	// Flags may come before or after the URLs.
	var urls []string
	for {
		if err := parseFlags(fset, args); err != nil {
			return err
		}
		if args = fset.Args(); len(args) == 0 {
			break
		}
		urls, args = append(urls, args[0]), args[1:]
	}
	if err := refuseNegative(fset, nil); err != nil {
		return err
	}
	if len(urls) > 0 {
		nameGiven := false
		fset.Visit(func(f *flag.Flag) { nameGiven = nameGiven || f.Name == "name" })
		if kept := termchat.KeptName(*keyFile, urls); kept != "" && !nameGiven && *token == "" && !*signin {
			*name = kept // the name the server gave last time: $USER would rename me back
		}
	}
	switch {
	case len(urls) == 0:
		return usageError("chat: no server URL, e.g. hubbub chat ws://localhost:3434/ws")
	case *name == "" && *token == "":
		return usageError("chat: no name: pass --name or set $USER")
	case *ackTimeout <= 0:
		return usageError("chat: --ack-timeout must be positive")
	case *passwordFile != "" && !*signin:
		return usageError("chat: --password-file is for --signin")
	case *signin && *token != "":
		return usageError("chat: --signin or --token, not both")
	}
	for _, u := range urls {
		if _, err := client.WebSocketURL(u); err != nil {
			return usageError("chat: " + err.Error())
		}
	}
	if *token != "" && hubbub.ValidateName(*name) != nil {
		*name = "" // with a token the server names us; $USER need not be a valid name
	} else if err := hubbub.ValidateName(*name); err != nil {
		return usageError(fmt.Sprintf("chat: --name %q: %v", *name, err))
	}
	if err := termchat.CheckRoom(*room); err != nil {
		if strings.HasPrefix(*room, "@") { // which DM it is, the server's list says
			return usageError("chat: --room: " + err.Error())
		}
		return usageError(fmt.Sprintf("chat: --room %q: %v", *room, err))
	}
	tlsCfg, err := trustFile(*caFile)
	if err != nil {
		return usageError("chat: " + err.Error())
	}
	var cookie string
	var signInAgain func(context.Context, string) (string, error)
	if *signin {
		if cookie, err = chatSignIn(ctx, urls, *name, *passwordFile, tlsCfg, io); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var u usageError
			switch {
			case errors.As(err, &u):
				return err
			case answered(err):
				return usageError("chat: " + err.Error())
			}
			return fmt.Errorf("chat: %w", err)
		}
		signInAgain = chatSignInAgain(urls, *name, *passwordFile, tlsCfg, io)
		*name = "" // the server takes the account from the session
	}

	return termchat.Run(ctx, termchat.Options{
		URLs:          urls,
		Name:          *name,
		Token:         *token,
		SessionCookie: cookie,
		SignInAgain:   signInAgain,
		KeyFile:       *keyFile,
		Room:          *room,
		History:       *history,
		Wait:          *wait,
		AckTimeout:    *ackTimeout,
		TLSConfig:     tlsCfg,
		Verbose:       *verbose,
	}, termchat.IO{In: io.in, Out: io.out, Err: io.err, TTY: io.tty})
}
