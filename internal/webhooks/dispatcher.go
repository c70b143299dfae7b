// Package webhooks posts the events of the store's outbox to the webhooks that follow them
// (issue 18): the dispatcher, which runs on the one node holding the "dispatch" lease, and
// Admin, the rules of creating and changing webhooks that the REST API and the CLI share.
//
// The dispatcher's loop: fan the outbox's new events out into deliveries (one per webhook
// that follows each), take the due deliveries (at most one per webhook and room, so a room's
// events reach a webhook in order), post each through the egress client (SSRF rules, a
// timeout), signed, at most Concurrency at once per webhook, and record each outcome: a 2xx
// removes the delivery, anything else schedules a retry with exponential backoff and full
// jitter, and a delivery still failing DeadAfter after it was made is dead until an admin
// replays it. A retried request carries the same event id, so a receiver that deduplicates by
// it sees each event once.
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/lease"
)

// LeaseName is the lease the dispatcher runs under.
const LeaseName = "dispatch"

// Defaults of Config.
const (
	DefaultConcurrency = 4
	DefaultTimeout     = 10 * time.Second
	DefaultBackoffMin  = time.Second
	DefaultBackoffMax  = 10 * time.Minute
	DefaultDeadAfter   = 24 * time.Hour
	DefaultPoll        = time.Second
	DefaultBatch       = 100
)

// maxLastError bounds the reason stored with a failed attempt.
const maxLastError = 300

// Config configures a Dispatcher. Zero fields take their defaults.
type Config struct {
	// Node names this node; the lease holder is it and random hex (lease.Holder).
	Node string
	// Concurrency is how many requests one webhook has in flight at once, each for a
	// different room (default DefaultConcurrency).
	Concurrency int
	// Timeout bounds each request (default DefaultTimeout).
	Timeout time.Duration
	// BackoffMin and BackoffMax bound the wait before a retry: after the nth failed attempt
	// it is drawn uniformly between BackoffMin and min(BackoffMax, BackoffMin·2^(n-1))
	// (defaults DefaultBackoffMin, DefaultBackoffMax).
	BackoffMin, BackoffMax time.Duration
	// DeadAfter is how long after its creation a delivery that keeps failing is given up:
	// made dead, until an admin replays it (default DefaultDeadAfter).
	DeadAfter time.Duration
	// Poll is the longest the dispatcher sleeps between two looks at the outbox; Nudge
	// wakes it sooner (default DefaultPoll). Webhook changes made on another node take
	// effect within it.
	Poll time.Duration
	// LeaseTTL is the lease's time to live (default lease.DefaultTTL): a node that dies is
	// replaced within it.
	LeaseTTL time.Duration
	// Batch is how many outbox events one FanOut takes, and how many due deliveries one
	// look reads beyond those in flight (default DefaultBatch).
	Batch int
	// FilesURL is the base of attachments' URLs in the frames (as the server's codec).
	FilesURL string
	// Logger receives the dispatcher's logs (default slog.Default()).
	Logger *slog.Logger
	// Delivered, if not nil, is called after each attempt with its webhook, event and
	// outcome (nil: delivered; dead: the delivery was given up): metrics.
	Delivered func(webhook string, ev *hubbub.OutboxEvent, err error, dead bool)
	// LeaseChanged, if not nil, is called with true when this node starts dispatching (it
	// took the lease) and false when it stops: metrics.
	LeaseChanged func(held bool)
}

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = DefaultBackoffMin
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	c.BackoffMax = max(c.BackoffMax, c.BackoffMin)
	if c.DeadAfter <= 0 {
		c.DeadAfter = DefaultDeadAfter
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = lease.DefaultTTL
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Dispatcher posts the outbox's events to webhooks. Create it with New and run it with Run.
type Dispatcher struct {
	cfg     Config
	store   hubbub.OutboxStore
	client  *egress.Client
	log     *slog.Logger
	holder  string
	wake    chan struct{} // Nudge; buffered 1
	changed chan struct{} // HooksChanged; buffered 1
	// hooksGen counts HooksChanged's calls. The loop reads the webhooks again when it moved
	// since they were read, also between reading the due deliveries and posting them: a
	// select that finds a nudge and a change both ready may take the nudge first, and an
	// event appended after a rotation returned was then posted signed with the old secret.
	hooksGen atomic.Uint64
	// idle is set while the dispatching loop knows no webhook that is not paused: a nudge
	// then has nothing to post and is dropped where it is made, so a server with no webhook
	// spends no wake-up and no outbox query per appended entry (on one CPU, 18 % of the CPU
	// of 1,000 busy rooms went there). The loop still looks at each poll.
	idle atomic.Bool
}

// New returns a dispatcher of store's outbox that posts through client.
func New(cfg Config, store hubbub.OutboxStore, client *egress.Client) *Dispatcher {
	cfg = cfg.withDefaults()
	return &Dispatcher{
		cfg:     cfg,
		store:   store,
		client:  client,
		log:     cfg.Logger.With("component", "webhooks"),
		holder:  lease.Holder(cfg.Node),
		wake:    make(chan struct{}, 1),
		changed: make(chan struct{}, 1),
	}
}

// Nudge wakes the dispatcher (if this node holds the lease) to look at the outbox now: an
// entry was appended, or a notification enqueued. It never blocks.
func (d *Dispatcher) Nudge() {
	if d.idle.Load() {
		return
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// HooksChanged tells the dispatcher a webhook was created, changed or deleted on this node, so
// it reads them again now rather than at its next poll. It never blocks.
func (d *Dispatcher) HooksChanged() {
	d.hooksGen.Add(1)
	d.idle.Store(false)
	select {
	case d.changed <- struct{}{}:
	default:
	}
	d.Nudge()
}

// Run dispatches while this node holds the lease, until ctx ends; then it gives the lease up
// and returns once its requests have ended.
func (d *Dispatcher) Run(ctx context.Context) {
	lease.Hold(ctx, d.store, lease.Config{Name: LeaseName, Holder: d.holder, TTL: d.cfg.LeaseTTL, Logger: d.log,
		Changed: d.cfg.LeaseChanged}, d.loop)
}

// queue names a webhook's queue of one room ("" for its notifications).
type queue struct{ webhook, room string }

// loop is the dispatcher's work while it holds the lease; ctx ends when the lease is lost.
func (d *Dispatcher) loop(ctx context.Context) {
	var (
		wg       sync.WaitGroup
		inFlight = map[queue]bool{}
		perHook  = map[string]int{}
		done     = make(chan queue, 64)
		hooks    map[string]hubbub.Webhook
		hooksAt  time.Time
		hooksGen uint64 // d.hooksGen when hooks were read
	)
	reqCtx, cancelRequests := context.WithCancel(ctx)
	defer func() {
		// Requests in flight when the lease is lost are abandoned unrecorded: the next
		// holder makes them again (at least once).
		cancelRequests()
		wg.Wait()
		d.idle.Store(false)
	}()
	poll := time.NewTimer(0)
	defer poll.Stop()
	finish := func(q queue) {
		delete(inFlight, q)
		perHook[q.webhook]--
		if perHook[q.webhook] <= 0 {
			delete(perHook, q.webhook)
		}
	}
	d.log.Info("webhooks: dispatching", "holder", d.holder)
	for {
		// A finished request alone does not look for new events: the outbox is read when
		// nudged and at each poll, so a room's next delivery costs no fan-out transaction.
		fan := true
		select {
		case <-ctx.Done():
			return
		case q := <-done:
			finish(q)
			fan = false
		case <-d.wake:
		case <-d.changed:
			hooks = nil
		case <-poll.C:
		}
		// Take every other finished request too, so one look serves them all.
	drain:
		for {
			select {
			case q := <-done:
				finish(q)
			default:
				break drain
			}
		}
		if fan {
			poll.Reset(d.cfg.Poll)
		}
		if err := d.fanOutIf(ctx, fan); err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Warn("webhooks: fan-out failed", "err", err)
			continue
		}
		if hooks == nil || d.hooksGen.Load() != hooksGen || time.Since(hooksAt) >= d.cfg.Poll || d.idle.Load() {
			gen := d.hooksGen.Load()
			fresh, err := d.loadHooks(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				d.log.Warn("webhooks: reading webhooks failed", "err", err)
				continue
			}
			hooks, hooksAt, hooksGen = fresh, time.Now(), gen
			d.idle.Store(!anyActive(hooks))
		}
		due, err := d.store.DueDeliveries(ctx, time.Now(), d.cfg.Batch+len(inFlight))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Warn("webhooks: reading due deliveries failed", "err", err)
			continue
		}
		if d.hooksGen.Load() != hooksGen {
			// Changed while the deliveries were read, which may be of events appended after
			// the change: none is posted with the webhooks as they were. The change's signal
			// is pending (it came after this look's), so the loop looks again at once.
			hooks = nil
			continue
		}
		for i := range due {
			dl := &due[i]
			q := queue{dl.Webhook, dl.Event.Room}
			if inFlight[q] || perHook[dl.Webhook] >= d.cfg.Concurrency {
				continue
			}
			hook, ok := hooks[dl.Webhook]
			if !ok {
				// Created since the last read: read again at the next look.
				hooks = nil
				continue
			}
			if hook.Paused {
				continue
			}
			inFlight[q] = true
			perHook[dl.Webhook]++
			wg.Add(1)
			go func(dl hubbub.Delivery, hook hubbub.Webhook) {
				defer wg.Done()
				d.deliver(reqCtx, hook, &dl)
				select {
				case done <- q:
				case <-reqCtx.Done(): // the loop has stopped reading
				}
			}(*dl, hook)
		}
	}
}

// fanOutIf turns every waiting outbox event into deliveries, when fan is true.
func (d *Dispatcher) fanOutIf(ctx context.Context, fan bool) error {
	for fan {
		n, err := d.store.FanOut(ctx, d.cfg.Batch)
		if err != nil || n < d.cfg.Batch {
			return err
		}
	}
	return nil
}

// anyActive reports whether hooks holds a webhook that is not paused.
func anyActive(hooks map[string]hubbub.Webhook) bool {
	for _, h := range hooks {
		if !h.Paused {
			return true
		}
	}
	return false
}

func (d *Dispatcher) loadHooks(ctx context.Context) (map[string]hubbub.Webhook, error) {
	list, err := d.store.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]hubbub.Webhook, len(list))
	for _, w := range list {
		m[w.ID] = w
	}
	return m, nil
}

// errInterrupted marks an attempt this node stopped (the lease lost, a shutdown): not the
// receiver's failure, and not recorded.
var errInterrupted = errors.New("interrupted")

// deliver makes one attempt at dl and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, hook hubbub.Webhook, dl *hubbub.Delivery) {
	err := d.post(ctx, hook, dl)
	if errors.Is(err, errInterrupted) {
		return
	}
	// The outcome is recorded even if the lease is lost meanwhile: a success recorded late
	// spares the next holder a duplicate.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	defer cancel()
	now := time.Now()
	log := d.log.With("webhook", hook.ID, "event", dl.Event.ID, "room", dl.Event.Room, "seq", dl.Event.Seq)
	if err == nil {
		if rerr := d.store.CompleteDelivery(rctx, hook.ID, dl.Event.ID); rerr != nil {
			log.Warn("webhooks: recording a delivery failed; it will be posted again", "err", rerr)
		}
		log.Debug("webhooks: delivered", "attempts", dl.Attempts+1)
		if d.cfg.Delivered != nil {
			d.cfg.Delivered(hook.ID, &dl.Event, nil, false)
		}
		return
	}
	attempts := dl.Attempts + 1
	dead := now.Sub(dl.Created) >= d.cfg.DeadAfter
	next := now.Add(d.backoff(attempts))
	// The admin reads this (hubbub webhook dead, the API's deliveries): a refused address says
	// what lifts it.
	reason := d.client.WithSetting(err, allowPrivateFlag).Error()
	if len(reason) > maxLastError {
		reason = reason[:maxLastError]
	}
	if rerr := d.store.RetryDelivery(rctx, hook.ID, dl.Event.ID, next, reason, dead); rerr != nil {
		log.Warn("webhooks: recording a failed attempt failed", "err", rerr)
	}
	if dead {
		log.Warn("webhooks: delivery dead (an admin may replay it)", "attempts", attempts, "err", reason)
	} else {
		log.Info("webhooks: delivery failed; retrying", "attempts", attempts, "next", next.Format(time.RFC3339), "err", reason)
	}
	if d.cfg.Delivered != nil {
		d.cfg.Delivered(hook.ID, &dl.Event, err, dead)
	}
}

// post makes the request; nil means a 2xx answer.
func (d *Dispatcher) post(ctx context.Context, hook hubbub.Webhook, dl *hubbub.Delivery) error {
	header, body, err := Request(&dl.Event, hook.Secret, d.cfg.FilesURL, time.Now())
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	resp, err := d.client.Post(rctx, hook.URL, header, body)
	if ctx.Err() != nil {
		return errInterrupted
	}
	if err != nil {
		return err
	}
	if !resp.OK() {
		return fmt.Errorf("HTTP %d", resp.Status)
	}
	return nil
}

// backoff is the wait after the nth failed attempt: full jitter between BackoffMin and
// min(BackoffMax, BackoffMin·2^(n-1)), so receivers coming back are not met by every
// webhook's retries at once.
func (d *Dispatcher) backoff(n int) time.Duration {
	lo, hi := d.cfg.BackoffMin, d.cfg.BackoffMax
	ceiling := lo
	for i := 1; i < n && ceiling < hi; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, hi)
	if ceiling <= lo {
		return lo
	}
	return lo + rand.N(ceiling-lo)
}
