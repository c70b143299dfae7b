package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

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
