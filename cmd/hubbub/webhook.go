package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/webhooks"
)

func init() { subcommands["webhook"] = runWebhook }

// webhookID is the argument naming a webhook.
var webhookID = adminArg{name: "ID", words: "the webhook's id (hubbub webhook list shows it)"}

// webhookCommand is hubbub webhook's actions, from which its usage and the check of each
// action's arguments are made.
var webhookCommand = adminCommand{
	name: "webhook",
	actions: []adminAction{
		{name: "create", args: []adminArg{{name: "URL", words: "the URL events are posted to"}}, flags: "--rooms ROOMS --events EVENTS [--paused] [--webhook-allow-private]"},
		{name: "list", note: "every webhook, oldest first"},
		{name: "pause", args: []adminArg{webhookID}},
		{name: "resume", args: []adminArg{webhookID}},
		{name: "delete", args: []adminArg{webhookID}},
		{name: "rotate", args: []adminArg{webhookID}},
		{name: "dead", args: []adminArg{webhookID}, flags: "[--after EVENT_ID] [--limit N]", note: "its dead deliveries, oldest first"},
		{name: "replay", args: []adminArg{webhookID, {name: "EVENT_ID", words: "an event's id", optional: true, many: true}}},
		{name: "pending", args: []adminArg{{name: "ID", words: "the webhook's id", optional: true}},
			note: "what waits to be posted: every webhook's (oldest first), or ID's"},
	},
	footer: `ROOMS: room names, prefixes ending in * (team-*), or * for every room but DMs, comma-separated.
EVENTS: message, edit, delete, reaction, member, topic, sanction, notification, comma-separated.
EVENT_ID: an event's id as hubbub webhook dead lists it (not its kind).
Each opens hubbub serve's store, named as serve takes it: --data or --postgres, or serve's
config file, --config FILE (HUBBUB_DATA, HUBBUB_POSTGRES, HUBBUB_CONFIG too). A running server
picks the change up within its --webhook-poll. create and rotate print the secret, which is
never shown again. hubbub webhook ACTION -h lists the flags.`,
}

// webhookCmd holds one `hubbub webhook` action's settings; the rules are webhooks.Admin's,
// shared with the REST API.
type webhookCmd struct {
	io            stdio
	store         *serveFlags
	rooms, events listFlag
	paused        bool
	allowPrivate  bool
	after         string
	limit         int
}

// runWebhook manages the server's outgoing webhooks (docs/integrations.md).
func runWebhook(ctx context.Context, args []string, io stdio) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(io.err, webhookCommand.usage())
		if len(args) == 0 {
			return webhookCommand.which()
		}
		return flag.ErrHelp
	}
	action, args := args[0], args[1:]
	c := &webhookCmd{io: io}
	fs := flag.NewFlagSet("hubbub webhook "+action, flag.ContinueOnError)
	fs.SetOutput(io.err)
	c.bindStore(fs)
	var run func(ctx context.Context, a *webhooks.Admin, args []string) error
	switch action {
	case "create":
		fs.Var(&c.rooms, "rooms", "rooms followed, comma-separated: names, prefixes ending in *, or * (every room but DMs)")
		fs.Var(&c.events, "events", "events followed, comma-separated: "+strings.Join(hookEventNames(), ", "))
		fs.BoolVar(&c.paused, "paused", false, "create it paused: deliveries wait until it is resumed")
		fs.BoolVar(&c.allowPrivate, "webhook-allow-private", false, "accept a URL on a loopback or private address (the server must run with --webhook-allow-private too)")
		run = c.create
	case "list":
		run = c.list
	case "pause":
		run = c.pause(true)
	case "resume":
		run = c.pause(false)
	case "delete":
		run = c.delete
	case "rotate":
		run = c.rotate
	case "dead":
		fs.StringVar(&c.after, "after", "", "list the dead deliveries after this event id (the next page)")
		fs.IntVar(&c.limit, "limit", webhooks.DefaultDeliveriesPage, fmt.Sprintf("most deliveries listed (at most %d)", webhooks.MaxDeliveriesPage))
		run = c.dead
	case "replay":
		run = c.replay
	case "pending":
		run = c.pending
	default:
		return webhookCommand.unknown(action)
	}
	pos, src, err := parseAdmin(fs, args, webhookCommand, action) // refuses 0 too, as user, bot, hook and command
	if err != nil {
		return err
	}
	return withAdminStore(ctx, c.store, src, "webhook", action, io.err, func(store hubbub.Store) error {
		client := egress.New(egress.Config{AllowPrivate: c.allowPrivate})
		defer client.Close()
		if err := run(ctx, webhooks.NewAdmin(store, client, nil), pos); err != nil {
			return webhookError(action, err)
		}
		return nil
	})
}

func hookEventNames() []string {
	s := make([]string, len(hubbub.HookEvents))
	for i, e := range hubbub.HookEvents {
		s[i] = string(e)
	}
	return s
}

// bindStore binds the flags that choose the store, defaulting as hubbub serve does.
func (c *webhookCmd) bindStore(fs *flag.FlagSet) {
	c.store = newServeFlags(flag.NewFlagSet("defaults", flag.ContinueOnError))
	bindStoreFlags(fs, c.store, "webhooks")
}

func (c *webhookCmd) create(ctx context.Context, a *webhooks.Admin, args []string) error {
	events := make([]hubbub.HookEvent, len(c.events))
	for i, e := range c.events {
		events[i] = hubbub.HookEvent(e)
	}
	w, err := a.Create(ctx, webhooks.Spec{URL: args[0], Rooms: c.rooms, Events: events, Paused: c.paused}, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "created %s\nsecret %s\n(the secret signs every request; it is not shown again: hubbub webhook rotate %s makes a new one)\n", w.ID, w.Secret, w.ID)
	return nil
}

func (c *webhookCmd) list(ctx context.Context, a *webhooks.Admin, _ []string) error {
	list, err := a.List(ctx)
	if err != nil {
		return err
	}
	oldestFirst(list)
	w := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tURL\tROOMS\tEVENTS\tSTATUS\tPENDING\tDEAD\tCREATED")
	for _, h := range list {
		status := "active"
		if h.Paused {
			status = "paused"
		}
		// Counted by the store (Summary), exact: read as pages of deliveries, they stopped at
		// a page's 500.
		pending, err := a.Summary(ctx, h.ID, hubbub.DeliveryPending)
		if err != nil {
			return err
		}
		dead, err := a.Summary(ctx, h.ID, hubbub.DeliveryDead)
		if err != nil {
			return err
		}
		ev := make([]string, len(h.Events))
		for i, e := range h.Events {
			ev[i] = string(e)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", h.ID, h.URL, orDash(strings.Join(h.Rooms, ",")), strings.Join(ev, ","),
			status, pending.Count, dead.Count, h.Created.UTC().Format(time.DateTime))
	}
	return w.Flush()
}

// oldestFirst sorts webhooks oldest first, as list and pending say they print them: the
// stores' order, which their contract leaves open, is not relied on (the id orders two made
// in one millisecond).
func oldestFirst(list []hubbub.Webhook) {
	slices.SortFunc(list, func(a, b hubbub.Webhook) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
}

// pending shows, per webhook, what waits to be posted: how many deliveries, how long the
// oldest has waited, when the next attempt is due, and the error of the one that failed the
// most attempts — what an operator asks once a receiver that was down is back. It reads
// only: the dispatcher of a running server posts them in their turn.
func (c *webhookCmd) pending(ctx context.Context, a *webhooks.Admin, args []string) error {
	var list []hubbub.Webhook
	if len(args) == 1 {
		h, err := a.Get(ctx, args[0])
		if err != nil {
			return err
		}
		list = []hubbub.Webhook{h}
	} else {
		var err error
		if list, err = a.List(ctx); err != nil {
			return err
		}
		oldestFirst(list)
	}
	now := time.Now()
	w := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tURL\tSTATUS\tPENDING\tOLDEST\tNEXT ATTEMPT\tATTEMPTS\tLAST ERROR")
	for _, h := range list {
		sum, err := a.Summary(ctx, h.ID, hubbub.DeliveryPending)
		if err != nil {
			return err
		}
		status := "active"
		if h.Paused {
			status = "paused"
		}
		oldest, next, attempts, lastError := "-", "-", "-", "-"
		if sum.Count > 0 {
			oldest = max(now.Sub(sum.Oldest), 0).Round(time.Second).String() + " ago"
			switch {
			case h.Paused:
				next = "none while paused"
			case !sum.NextAttempt.After(now):
				next = "due now"
			default:
				next = sum.NextAttempt.UTC().Format(time.DateTime) + " (in " + sum.NextAttempt.Sub(now).Truncate(time.Second).String() + ")"
			}
		}
		if sum.Failed != "" {
			attempts = fmt.Sprint(sum.Attempts)
			lastError = oneLine(sum.LastError)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", h.ID, h.URL, status, sum.Count, oldest, next, attempts, lastError)
	}
	return w.Flush()
}

// oneLine is a receiver's error as one line of a table: its control characters (a body's
// newlines and tabs) and runs of spaces as one space; "-" for none.
func oneLine(s string) string {
	return orDash(strings.Join(strings.Fields(hubbub.CleanText(s)), " "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *webhookCmd) pause(paused bool) func(ctx context.Context, a *webhooks.Admin, args []string) error {
	return func(ctx context.Context, a *webhooks.Admin, args []string) error {
		w, err := a.Update(ctx, args[0], webhooks.Change{Paused: &paused})
		if err != nil {
			return err
		}
		if paused {
			fmt.Fprintf(c.io.out, "paused %s: its deliveries wait until it is resumed\n", w.ID)
		} else {
			fmt.Fprintf(c.io.out, "resumed %s\n", w.ID)
		}
		return nil
	}
}

func (c *webhookCmd) delete(ctx context.Context, a *webhooks.Admin, args []string) error {
	if err := a.Delete(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "deleted %s and its deliveries\n", args[0])
	return nil
}

func (c *webhookCmd) rotate(ctx context.Context, a *webhooks.Admin, args []string) error {
	w, err := a.Rotate(ctx, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "rotated %s\nsecret %s\n(requests are signed with it from now on; the old secret no longer verifies)\n", w.ID, w.Secret)
	return nil
}

func (c *webhookCmd) dead(ctx context.Context, a *webhooks.Admin, args []string) error {
	list, err := a.Deliveries(ctx, args[0], hubbub.DeliveryDead, c.after, c.limit)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.io.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "EVENT\tKIND\tROOM\tSEQ\tATTEMPTS\tCREATED\tLAST ERROR")
	for _, d := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", d.Event.ID, d.Event.Kind, orDash(d.Event.Room), d.Event.Seq, d.Attempts,
			d.Created.UTC().Format(time.DateTime), d.LastError)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(list) == c.limit {
		fmt.Fprintf(c.io.out, "(more: hubbub webhook dead %s --after %s)\n", args[0], list[len(list)-1].Event.ID)
	}
	return nil
}

func (c *webhookCmd) replay(ctx context.Context, a *webhooks.Admin, args []string) error {
	id, events := args[0], args[1:]
	n, err := a.Replay(ctx, id, events)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "replayed %d dead deliveries of %s\n", n, id)
	if len(events) > n {
		fmt.Fprintf(c.io.out, "(%d of the events named were not dead: pending already, to be posted in their turn)\n", len(events)-n)
	}
	return nil
}

// webhookError turns an action's error into one line, a usage error for the admin's mistakes.
func webhookError(action string, err error) error {
	var he *hubbub.Error
	if errors.As(err, &he) {
		switch he.Code {
		case hubbub.ECodeBadField, hubbub.ECodeBadRoom, hubbub.ECodeMissing, hubbub.ECodeNotFound, hubbub.ECodeLimit:
			// The admin's refusal of a private URL names the server's flag; this command
			// checks the URL itself, so it takes the flag too, and saying only the server's
			// sent an operator whose server had it to look there.
			msg := strings.Replace(he.Message, "the server allows them with --webhook-allow-private",
				"pass --webhook-allow-private, and run the server with it too", 1)
			// A replay's unknown events: the dead ones that may be named are listed by
			// another action of this command, which the admin may not know of.
			var ue *webhooks.UnknownEventsError
			if errors.As(err, &ue) && len(ue.Dead) > 0 {
				msg += fmt.Sprintf(" (hubbub webhook dead %s lists them)", ue.Webhook)
			}
			return usageError(fmt.Sprintf("webhook %s: %s", action, msg))
		}
	}
	return fmt.Errorf("webhook %s: %w", action, err)
}
