package notify

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"

	"hubbub"
	"hubbub/internal/lease"
)

// Defaults of Config.
const (
	// DefaultBatch is the batch period: a user hears at most once per period, of every
	// message that notified them in it (--notify-batch).
	DefaultBatch = 30 * time.Second
	// DefaultMaxUsers is how many users' batches one round makes at most; a round that
	// makes that many starts another at once (--notify-max-users).
	DefaultMaxUsers = 1000
	// DefaultTextMax is the most characters of a message's text a notification carries; a
	// longer text is cut and ends with "…" (--notify-text-max).
	DefaultTextMax = 200
	// DefaultStoreTimeout bounds each call to the store.
	DefaultStoreTimeout = 10 * time.Second
	// maxHeld bounds the notifications kept to write again after the store refused them.
	maxHeld = 10000
)

// LeaseName is the store lease (hubbub.OutboxStore.TakeLease) held by the one node that makes
// the cluster's notifications: its own, apart from the dispatcher's, so either may move on
// its own.
const LeaseName = "notify"

// Config configures a Notifier. The zero value of each field takes its default.
type Config struct {
	// Node is this node's id: the lease's holder is named after it (lease.Holder), and the
	// questions to the other nodes carry it.
	Node string
	// Batch is the batch period (default DefaultBatch): a round runs every Batch and takes
	// the candidates of the users whose oldest candidate is older than Batch.
	Batch time.Duration
	// LeaseTTL is how long the lease lasts unless renewed (default lease.DefaultTTL): about
	// how long the cluster goes without notifications after the holder dies.
	LeaseTTL time.Duration
	// OnlineWait bounds the wait for the nodes' answers to "who is connected?" (default
	// DefaultOnlineWait).
	OnlineWait time.Duration
	// MaxUsers is the most users one round takes (default DefaultMaxUsers).
	MaxUsers int
	// TextMax is the most characters of a message's text in a notification (default
	// DefaultTextMax).
	TextMax int
	// StoreTimeout bounds each store call (default DefaultStoreTimeout).
	StoreTimeout time.Duration
	// Logger receives the notifier's logs (default: discarded).
	Logger *slog.Logger
	// Enqueued, when set, is called after a round wrote notifications, to wake the webhooks
	// dispatcher of this node (webhooks.Dispatcher.Nudge); it must not block.
	Enqueued func()
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = lease.DefaultTTL
	}
	if c.OnlineWait <= 0 {
		c.OnlineWait = DefaultOnlineWait
	}
	if c.MaxUsers <= 0 {
		c.MaxUsers = DefaultMaxUsers
	}
	if c.TextMax <= 0 {
		c.TextMax = DefaultTextMax
	}
	if c.StoreTimeout <= 0 {
		c.StoreTimeout = DefaultStoreTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Store is what the notifier needs of the store: the outbox (candidates, events, the lease,
// the webhooks), the users' names and the rooms' bans. A hubbub.Store is one.
type Store interface {
	hubbub.OutboxStore
	UsersByID(ctx context.Context, ids []string) ([]hubbub.User, error)
	Sanctions(ctx context.Context, room string) ([]hubbub.Sanction, error)
}

// Notifier makes the notifications of people who are away. Run it on every node: the lease
// lets one of them work at a time (if two ever overlap, each candidate is still taken once:
// TakeNotifyCandidates removes what it returns).
type Notifier struct {
	cfg      Config
	store    Store
	presence *Presence
	log      *slog.Logger
	// held are notifications the store refused, written again (with the same ids, so a
	// receiver drops a copy) at the next round; only Run's goroutine touches it.
	held []hubbub.OutboxEvent
}

// New returns a notifier that reads candidates from store and asks the nodes through broker
// who is connected.
func New(cfg Config, store Store, broker hubbub.Broker) (*Notifier, error) {
	cfg = cfg.withDefaults()
	if store == nil {
		return nil, errors.New("notify: no store")
	}
	if broker == nil {
		return nil, ErrNoBroker
	}
	return &Notifier{cfg: cfg, store: store, log: cfg.Logger.With("component", "notify"),
		presence: &Presence{Broker: broker, Node: cfg.Node, Wait: cfg.OnlineWait}}, nil
}

// Run works while this process holds the "notify" lease (internal/lease), until ctx ends: a
// round every Batch (and at once again after a round that took MaxUsers users). Store
// failures are logged and retried at the next period. It returns when ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	lease.Hold(ctx, n.store, lease.Config{Name: LeaseName, Holder: lease.Holder(n.cfg.Node), TTL: n.cfg.LeaseTTL,
		Logger: n.log}, n.work)
}

// work makes the rounds while the lease is held (ctx ends when it is lost).
func (n *Notifier) work(ctx context.Context) {
	t := time.NewTicker(n.cfg.Batch)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			users, err := n.Round(ctx, time.Now())
			if err != nil {
				if ctx.Err() == nil {
					n.log.Warn("notify round failed", "err", err)
				}
				break
			}
			if users < n.cfg.MaxUsers {
				break
			}
		}
	}
}

// Round makes one batch: it takes the candidates of up to MaxUsers users whose oldest
// candidate is older than now − Batch, and writes one notification event for each of those
// users who has no live connection anywhere; the others' candidates are dropped (they saw the
// messages). It returns how many users it took. When no webhook follows notifications the
// candidates are dropped without asking who is connected.
func (n *Notifier) Round(ctx context.Context, now time.Time) (users int, err error) {
	n.retryHeld(ctx)
	sctx, cancel := context.WithTimeout(ctx, n.cfg.StoreTimeout)
	cands, err := n.store.TakeNotifyCandidates(sctx, now.Add(-n.cfg.Batch), n.cfg.MaxUsers)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("take notify candidates: %w", err)
	}
	if len(cands) == 0 {
		return 0, nil
	}
	byUser, order := group(cands)
	wanted, err := n.anyNotifyHook(ctx)
	if err != nil {
		n.log.Warn("notify: reading the webhooks failed; notifying all the same", "err", err)
		wanted = true // the event is written only if a webhook exists: nothing is lost
	}
	if !wanted {
		n.log.Debug("notify: no webhook follows notifications; candidates dropped", "users", len(order))
		return len(order), nil
	}
	online, err := n.presence.Connected(ctx, order)
	if err != nil {
		// Users not asked count as away: a notification too many, never one lost.
		n.log.Warn("notify: asking who is connected failed for some users", "err", err)
	}
	var away []string
	for _, u := range order {
		if !online[u] {
			away = append(away, u)
		}
	}
	away = n.dropBanned(ctx, away, byUser)
	if len(away) == 0 {
		return len(order), nil
	}
	names, disabled := n.names(ctx, away)
	wrote := 0
	for _, u := range away {
		if disabled[u] {
			continue
		}
		ev := hubbub.OutboxEvent{ID: newEventID(), Kind: hubbub.HookNotification, Time: now.UTC(),
			Notification: n.notification(u, names[u], byUser[u])}
		if err := n.enqueue(ctx, ev); err != nil {
			n.log.Warn("notify: writing a notification failed; kept for the next round", "user", u, "err", err)
			if len(n.held) < maxHeld {
				n.held = append(n.held, ev)
			}
			continue
		}
		wrote++
	}
	if wrote > 0 && n.cfg.Enqueued != nil {
		n.cfg.Enqueued()
	}
	n.log.Debug("notify round", "users", len(order), "away", len(away), "notified", wrote)
	return len(order), nil
}

// retryHeld writes again the notifications the store refused before.
func (n *Notifier) retryHeld(ctx context.Context) {
	held := n.held
	n.held = nil
	for i, ev := range held {
		if err := n.enqueue(ctx, ev); err != nil {
			n.held = append(n.held, held[i:]...)
			return
		}
	}
}

func (n *Notifier) enqueue(ctx context.Context, ev hubbub.OutboxEvent) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StoreTimeout)
	defer cancel()
	return n.store.EnqueueEvent(ctx, ev)
}

// anyNotifyHook reports whether some webhook (paused ones too: they queue) follows
// notifications.
func (n *Notifier) anyNotifyHook(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StoreTimeout)
	defer cancel()
	hooks, err := n.store.Webhooks(ctx)
	if err != nil {
		return false, err
	}
	for i := range hooks {
		if hooks[i].Follows("", hubbub.HookNotification) {
			return true, nil
		}
	}
	return false, nil
}

// dropBanned takes out of byUser the candidates of each of users in a room whose ban of them is
// in force now, and returns the users who still have some. A banned member of a private room
// or a DM stays its member, whom its mentions (and their level) made candidates: notified,
// they read what was said after the ban, which nothing else of the server shows them. A
// room's bans that cannot be read leave its candidates in (logged): a notification too many
// rather than one lost, as for presence.
func (n *Notifier) dropBanned(ctx context.Context, users []string, byUser map[string][]hubbub.NotifyCandidate) []string {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StoreTimeout)
	defer cancel()
	bans := map[string]map[string]bool{} // room → banned user ids, read once a round
	banned := func(room, user string) bool {
		in, read := bans[room]
		if !read {
			list, err := n.store.Sanctions(ctx, room)
			if err != nil {
				n.log.Warn("notify: reading a room's bans failed; its messages notify all the same", "room", room, "err", err)
			}
			in = map[string]bool{}
			now := time.Now()
			for _, sn := range list {
				if sn.Kind == hubbub.SanctionBan && sn.Active(now) {
					in[sn.User] = true
				}
			}
			bans[room] = in
		}
		return in[user]
	}
	kept := users[:0:0]
	for _, u := range users {
		cands := slices.DeleteFunc(byUser[u], func(c hubbub.NotifyCandidate) bool { return banned(c.Room, u) })
		if byUser[u] = cands; len(cands) > 0 {
			kept = append(kept, u)
		}
	}
	return kept
}

// names returns the names of users, and which are disabled (they get no notification). A
// failed read leaves the names empty: the notification still goes, with the user's id.
func (n *Notifier) names(ctx context.Context, users []string) (names map[string]string, disabled map[string]bool) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.StoreTimeout)
	defer cancel()
	names, disabled = make(map[string]string, len(users)), make(map[string]bool)
	us, err := n.store.UsersByID(ctx, users)
	if err != nil {
		n.log.Warn("notify: reading the users' names failed", "err", err)
		return names, disabled
	}
	for _, u := range us {
		names[u.ID] = u.Name
		if u.Disabled {
			disabled[u.ID] = true
		}
	}
	return names, disabled
}

// notification is the batch of user: the newest MaxNotificationItems of their candidates,
// oldest first, each text cut to TextMax characters; Dropped counts the older ones left out.
func (n *Notifier) notification(user, name string, cands []hubbub.NotifyCandidate) *hubbub.Notification {
	nt := &hubbub.Notification{User: user, Name: name}
	if len(cands) > hubbub.MaxNotificationItems {
		nt.Dropped = len(cands) - hubbub.MaxNotificationItems
		cands = cands[nt.Dropped:]
	}
	nt.Items = make([]hubbub.NotificationItem, len(cands))
	for i, c := range cands {
		nt.Items[i] = hubbub.NotificationItem{Room: c.Room, Seq: c.Seq, Reason: c.Reason, From: c.From,
			Text: cut(c.Text, n.cfg.TextMax), Time: c.Time}
	}
	return nt
}

// group splits candidates by user, keeping the order of the users' first appearance and each
// user's candidates oldest first (by time, then room and seq).
func group(cands []hubbub.NotifyCandidate) (map[string][]hubbub.NotifyCandidate, []string) {
	by := make(map[string][]hubbub.NotifyCandidate)
	var order []string
	for _, c := range cands {
		if _, ok := by[c.User]; !ok {
			order = append(order, c.User)
		}
		by[c.User] = append(by[c.User], c)
	}
	for _, cs := range by {
		sortOldestFirst(cs)
	}
	return by, order
}

// cut returns s cut to at most max characters, ending with "…" when it was cut.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == max-1 {
			break
		}
		count++
	}
	return s[:i] + "…"
}

// newEventID is a fresh notification event id: "nt_" and 128 random bits in hex.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "nt_" + hex.EncodeToString(b[:])
}

// sortOldestFirst orders one user's candidates by time, then room and seq.
func sortOldestFirst(cs []hubbub.NotifyCandidate) {
	slices.SortStableFunc(cs, func(a, b hubbub.NotifyCandidate) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Room, b.Room), cmp.Compare(a.Seq, b.Seq))
	})
}
