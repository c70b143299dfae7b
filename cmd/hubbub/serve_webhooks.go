package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/lease"
	"hubbub/internal/metrics"
	"hubbub/internal/webhooks"
)

// webhookFlags are the settings of outgoing webhooks (issue 18, docs/integrations.md).
type webhookFlags struct {
	allowPrivate bool
	cfg          webhooks.Config
}

func (w *webhookFlags) bind(fs *flag.FlagSet) {
	c := &w.cfg
	fs.BoolVar(&w.allowPrivate, "webhook-allow-private", false, "let webhooks post to loopback, private, link-local and CGNAT addresses (refused by default: server-side request forgery)")
	fs.IntVar(&c.Concurrency, "webhook-concurrency", webhooks.DefaultConcurrency, "requests one webhook has in flight at once, each for a different room (a room's events go one at a time, in order)")
	fs.DurationVar(&c.Timeout, "webhook-timeout", webhooks.DefaultTimeout, "longest one webhook request may take, answer included; past it the attempt failed")
	fs.DurationVar(&c.BackoffMin, "webhook-backoff-min", webhooks.DefaultBackoffMin, "shortest wait before a failed webhook delivery is tried again")
	fs.DurationVar(&c.BackoffMax, "webhook-backoff-max", webhooks.DefaultBackoffMax, "longest wait between two attempts of a webhook delivery (exponential backoff with full jitter up to it)")
	fs.DurationVar(&c.DeadAfter, "webhook-dead-after", webhooks.DefaultDeadAfter, "a webhook delivery still failing this long after its event is given up (dead; an admin may replay it)")
	fs.DurationVar(&c.Poll, "webhook-poll", webhooks.DefaultPoll, "longest the dispatcher waits between two looks at the outbox (events appended on this node wake it at once)")
	fs.DurationVar(&c.LeaseTTL, "webhook-lease-ttl", lease.DefaultTTL, "how long the dispatch lease lasts without renewal: in a cluster, the dispatcher moves to another node within it when its node dies")
	fs.IntVar(&c.Batch, "webhook-batch", webhooks.DefaultBatch, "outbox events fanned out, and due deliveries read, per look")
}

// Bounds of the webhook settings: past them a value is a mistake (a lease renewed every few
// milliseconds, thousands of requests at once to one receiver), refused at start.
const (
	maxWebhookConcurrency = 256
	maxWebhookBatch       = 10000
	minWebhookLeaseTTL    = time.Second
	minWebhookPoll        = 10 * time.Millisecond
)

// check refuses settings outside their bounds (zero means the default).
func (w *webhookFlags) check(src settingSources) error {
	c := w.cfg
	switch {
	case c.Concurrency > maxWebhookConcurrency:
		return usageError(fmt.Sprintf("--webhook-concurrency %d: at most %d%s", c.Concurrency, maxWebhookConcurrency, src.from("webhook-concurrency")))
	case c.Batch > maxWebhookBatch:
		return usageError(fmt.Sprintf("--webhook-batch %d: at most %d%s", c.Batch, maxWebhookBatch, src.from("webhook-batch")))
	case c.LeaseTTL != 0 && c.LeaseTTL < minWebhookLeaseTTL:
		return usageError(fmt.Sprintf("--webhook-lease-ttl %v: at least %v%s", c.LeaseTTL, minWebhookLeaseTTL, src.from("webhook-lease-ttl")))
	case c.Poll != 0 && c.Poll < minWebhookPoll:
		return usageError(fmt.Sprintf("--webhook-poll %v: at least %v%s", c.Poll, minWebhookPoll, src.from("webhook-poll")))
	case c.BackoffMax != 0 && c.BackoffMin > c.BackoffMax:
		return usageError(fmt.Sprintf("--webhook-backoff-min %v is above --webhook-backoff-max %v", c.BackoffMin, c.BackoffMax))
	}
	return nil
}

// webhookService is the dispatcher and the admin of a server's webhooks.
type webhookService struct {
	dispatcher *webhooks.Dispatcher
	admin      *webhooks.Admin
	client     *egress.Client
	done       chan struct{}
	stop       context.CancelFunc
}

// newWebhooks makes the dispatcher and the admin of store's webhooks.
func (w *webhookFlags) newWebhooks(store hubbub.Store, node, filesURL string, log *slog.Logger, m *metrics.Metrics) *webhookService {
	cfg := w.cfg
	cfg.Node, cfg.FilesURL, cfg.Logger = node, filesURL, log
	cfg.Delivered = func(_ string, _ *hubbub.OutboxEvent, err error, dead bool) { m.WebhookAttempt(err, dead) }
	cfg.LeaseChanged = m.Dispatching
	client := egress.New(egress.Config{AllowPrivate: w.allowPrivate, Timeout: cfg.Timeout, MaxIdlePerHost: max(cfg.Concurrency, egress.DefaultMaxIdlePerHost), UserAgent: "hubbub-webhooks/" + hubbub.Version})
	d := webhooks.New(cfg, store, client)
	return &webhookService{dispatcher: d, admin: webhooks.NewAdmin(store, client, d.HooksChanged), client: client}
}

// start runs the dispatcher until stop; it dispatches only while this node holds the lease.
func (s *webhookService) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		s.dispatcher.Run(ctx)
	}()
}

// close stops the dispatcher (giving its lease up) and waits for it.
func (s *webhookService) close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	s.client.Close()
}
