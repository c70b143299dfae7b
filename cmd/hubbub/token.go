package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"hubbub/internal/auth"
)

func init() { subcommands["token"] = runToken }

// tokenSecretEnv is where `hubbub token` finds the secret when --secret is not given; it is the
// variable `hubbub serve` reads for --token-secret, so one export serves both.
const tokenSecretEnv = "HUBBUB_TOKEN_SECRET"

// runToken mints a signed token for a user and prints it, for deployments that require tokens
// (hubbub serve --token-secret) and for trying them out.
func runToken(ctx context.Context, args []string, io stdio) error {
	fs := flag.NewFlagSet("hubbub token", flag.ContinueOnError)
	fs.SetOutput(io.err)
	secret := fs.String("secret", "", "the server's --token-secret, at least 32 bytes (default $"+tokenSecretEnv+")")
	user := fs.String("user", "", "the user's id in your application (the token's sub; required)")
	name := fs.String("name", "", "the user's display name, 1-32 printable bytes (required)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	role := fs.String("role", "", "admin, moderator or member (default member)")
	var rooms listFlag
	fs.Var(&rooms, "room", "a room the user may join (repeatable or comma-separated; default: every room)")
	fs.Usage = func() {
		fmt.Fprintln(io.err, "usage: hubbub token --user ID --name NAME [--ttl 1h] [--role moderator] [--room a --room b]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("token takes no arguments, got %q", fs.Args()))
	}
	if *secret == "" {
		*secret = os.Getenv(tokenSecretEnv)
	}
	switch {
	case *secret == "":
		return usageError("token: no secret: pass --secret or set " + tokenSecretEnv)
	case *user == "":
		return usageError("token: --user is required")
	case *name == "":
		return usageError("token: --name is required")
	case *ttl <= 0:
		return usageError(fmt.Sprintf("token: --ttl must be positive, got %v", *ttl))
	}
	tok, err := auth.Mint([]byte(*secret), auth.Claims{UserID: *user, Name: *name, Role: *role, Rooms: rooms}, *ttl)
	if err != nil {
		return usageError("token: " + trimAuthPrefix(err.Error()))
	}
	fmt.Fprintln(io.out, tok)
	return nil
}

// trimAuthPrefix drops the package prefix from auth's errors, which read better without it on
// the command line.
func trimAuthPrefix(s string) string {
	const p = "auth: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
