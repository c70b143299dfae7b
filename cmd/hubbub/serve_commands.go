package main

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"hubbub/internal/commands"
	"hubbub/internal/egress"
	"hubbub/internal/server"
)

// commandFlags are the settings of slash commands (internal/commands).
type commandFlags struct {
	publicURL    string
	allowPrivate bool
	timeout      time.Duration
	responseTTL  time.Duration
	concurrency  int
}

func (c *commandFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.publicURL, "public-url", "", "this server's address as other machines reach it (https://chat.example.com), which slash commands' response URLs begin with (default: http://HOST:PORT of --host and --port, localhost for 127.0.0.1, ::1 or every interface)")
	fs.BoolVar(&c.allowPrivate, "command-allow-private", false, "let slash commands' URLs be loopback, private, link-local or CGNAT addresses (commands served beside hubbub); refused by default (server-side request forgery)")
	fs.DurationVar(&c.timeout, "command-timeout", commands.DefaultTimeout, "how long a slash command's URL has to answer before the user is told it is working (it may answer later through its response URL)")
	fs.DurationVar(&c.responseTTL, "command-response-ttl", commands.DefaultResponseTTL, "how long a slash command's response URL works")
	fs.IntVar(&c.concurrency, "command-concurrency", commands.DefaultMaxRunning, "slash commands' requests one node makes at once (past it: rate_limited)")
}

// check refuses settings apply would refuse, before the store is opened and before
// --print-config prints them as a configuration serve accepts.
func (c *commandFlags) check() error {
	if c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError(fmt.Sprintf("invalid --public-url %q: want http(s)://host[:port]", c.publicURL))
		}
	}
	if c.concurrency < 1 {
		return usageError("invalid --command-concurrency " + strconv.Itoa(c.concurrency) + ": want 1 or more")
	}
	return nil
}

// apply sets the server's commands from the flags (which check accepted); local is the
// server's own address (listenBaseURL), the response URLs' without --public-url.
func (c *commandFlags) apply(srv *server.Config, local string) error {
	if err := c.check(); err != nil {
		return err
	}
	public := c.publicURL
	if public == "" {
		public = local
	}
	srv.Commands = commands.Config{
		Client:      egress.New(egress.Config{AllowPrivate: c.allowPrivate, Timeout: c.timeout + time.Second}),
		Timeout:     c.timeout,
		ResponseTTL: c.responseTTL,
		PublicURL:   public,
		MaxRunning:  c.concurrency,
	}
	return nil
}
