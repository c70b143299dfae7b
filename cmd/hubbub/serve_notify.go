package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"hubbub"
	"hubbub/internal/lease"
	"hubbub/internal/notify"
)

// notifyFlags are the settings of notifications for people who are away (docs/integrations.md,
// "Notifications for people who are away").
type notifyFlags struct {
	cfg notify.Config
}

func (o *notifyFlags) bind(fs *flag.FlagSet) {
	c := &o.cfg
	fs.DurationVar(&c.Batch, "notify-batch", notify.DefaultBatch, "batch period of notifications for people who are away: a user is notified at most once per period, of every message that notified them in it")
	fs.DurationVar(&c.OnlineWait, "notify-online-wait", notify.DefaultOnlineWait, "how long the notifier waits for the nodes to say which users are connected; a user no node claims by then counts as away")
	fs.IntVar(&c.MaxUsers, "notify-max-users", notify.DefaultMaxUsers, "users one round of the notifier takes at most (a full round starts another at once)")
	fs.IntVar(&c.TextMax, "notify-text-max", notify.DefaultTextMax, "characters of a message's text a notification carries at most (longer texts are cut, ending with …)")
	fs.DurationVar(&c.LeaseTTL, "notify-lease-ttl", lease.DefaultTTL, "how long the notifier's lease lasts unless renewed: the longest the cluster goes without notifications after the node making them dies")
}

// Bounds of the notifier's settings (zero means the default).
const (
	minNotifyBatch    = time.Second
	maxNotifyMaxUsers = 100000
	maxNotifyTextMax  = 10000
	minNotifyLeaseTTL = time.Second
)

// check refuses settings outside their bounds: a wait for the nodes' answers as long as the
// batch period would make rounds overlap the next.
func (o *notifyFlags) check(src settingSources) error {
	c := o.cfg
	batch, wait := c.Batch, c.OnlineWait
	if batch == 0 {
		batch = notify.DefaultBatch
	}
	if wait == 0 {
		wait = notify.DefaultOnlineWait
	}
	switch {
	case c.Batch != 0 && c.Batch < minNotifyBatch:
		return usageError(fmt.Sprintf("--notify-batch %v: at least %v%s", c.Batch, minNotifyBatch, src.from("notify-batch")))
	case c.MaxUsers > maxNotifyMaxUsers:
		return usageError(fmt.Sprintf("--notify-max-users %d: at most %d%s", c.MaxUsers, maxNotifyMaxUsers, src.from("notify-max-users")))
	case c.TextMax > maxNotifyTextMax:
		return usageError(fmt.Sprintf("--notify-text-max %d: at most %d%s", c.TextMax, maxNotifyTextMax, src.from("notify-text-max")))
	case c.LeaseTTL != 0 && c.LeaseTTL < minNotifyLeaseTTL:
		return usageError(fmt.Sprintf("--notify-lease-ttl %v: at least %v%s", c.LeaseTTL, minNotifyLeaseTTL, src.from("notify-lease-ttl")))
	case wait >= batch:
		return usageError(fmt.Sprintf("--notify-online-wait %v must be shorter than --notify-batch %v", wait, batch))
	}
	return nil
}

// startNotifier runs the notifier of people who are away until the returned stop is called
// (which waits for it). Every node runs one; the store's "notify" lease lets one work at a
// time.
// enqueued wakes this node's webhooks dispatcher when notifications were written.
func (o *notifyFlags) startNotifier(store hubbub.Store, broker hubbub.Broker, node string, log *slog.Logger, enqueued func()) (stop func(), err error) {
	cfg := o.cfg
	cfg.Node, cfg.Logger, cfg.Enqueued = node, log, enqueued
	n, err := notify.New(cfg, store, broker)
	if err != nil {
		return nil, fmt.Errorf("notifications for people who are away: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}
