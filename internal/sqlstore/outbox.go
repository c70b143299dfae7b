package sqlstore

import (
	"cmp"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"hubbub"
)

// The outbox (hubbub.OutboxStore), as both stores keep it: webhooks in a table (their rooms
// and events as JSON arrays); an outbox table of events not fanned out yet, numbered by an
// ever-growing pos, each with its OutboxEvent as JSON (EncodeEvent), written by Append in the
// entry's transaction when a webhook exists; FanOut turns each into one deliveries row per
// webhook that follows it, each carrying the event's JSON, and deletes it; a delivery's queue
// is its webhook and room, in seq order (pos for notifications, which have no room). Notify
// candidates and levels are tables of their own, leases a table of names.

// The OutboxStore operations, as errors name them.
const (
	OpCreateWebhook        Op = "create webhook"
	OpWebhook              Op = "webhook"
	OpWebhooks             Op = "webhooks"
	OpUpdateWebhook        Op = "update webhook"
	OpDeleteWebhook        Op = "delete webhook"
	OpEnqueueEvent         Op = "enqueue event"
	OpFanOut               Op = "fan out"
	OpDueDeliveries        Op = "due deliveries"
	OpCompleteDelivery     Op = "complete delivery"
	OpRetryDelivery        Op = "retry delivery"
	OpDeliveries           Op = "deliveries"
	OpReplayDeliveries     Op = "replay deliveries"
	OpSummarizeDeliveries  Op = "summarize deliveries"
	OpTakeLease            Op = "take lease"
	OpAnnounceNode         Op = "announce node"
	OpSetNotifyLevel       Op = "set notify level"
	OpNotifyLevel          Op = "notify level"
	OpTakeNotifyCandidates Op = "take notify candidates"
)

// Bounds of what the outbox stores, beyond the root's webhook limits.
const (
	// MaxPatternLen is the longest room pattern of a webhook (a room name and a '*').
	MaxPatternLen = hubbub.MaxRoomLen + 1
	// MaxSecretLen is the longest webhook secret.
	MaxSecretLen = 256
	// MaxLastErrorLen is how much of a delivery's last error is kept, in bytes.
	MaxLastErrorLen = 1024
	// MaxEventIDLen is the longest outbox event id.
	MaxEventIDLen = 128
	// MaxLeaseName is the longest lease name or holder.
	MaxLeaseName = 256
	// MaxReplayIDs is how many event ids one ReplayDeliveries may name.
	MaxReplayIDs = 1000
)

// NewWebhookID returns a fresh webhook id: "wh_" and 32 hex digits.
func NewWebhookID() string { return "wh_" + randomHex(16) }

// NewWebhookSecret returns a fresh secret for a webhook created without one: 64 hex digits.
func NewWebhookSecret() string { return randomHex(32) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// CheckWebhook returns w as a store keeps it, or why it cannot be kept: a URL of http or
// https with a host, at most hubbub.MaxWebhookURLLen bytes; at most hubbub.MaxWebhookRooms
// patterns, each a room name, a prefix ending in '*', or '*'; at least one known event (each
// once, in hubbub.HookEvents order); a secret (a fresh one when w has none). ID, CreatedBy
// and Created are copied; the store sets ID and Created on create.
func CheckWebhook(w hubbub.Webhook) (hubbub.Webhook, error) {
	if w.URL == "" {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeMissing, "a webhook needs a url")
	}
	if len(w.URL) > hubbub.MaxWebhookURLLen {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeLimit, "a webhook url is at most %d bytes", hubbub.MaxWebhookURLLen)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeBadField, "a webhook url must be an http or https url with a host")
	}
	if len(w.Rooms) > hubbub.MaxWebhookRooms {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeLimit, "a webhook follows at most %d room patterns", hubbub.MaxWebhookRooms)
	}
	rooms := make([]string, 0, len(w.Rooms))
	for _, p := range w.Rooms {
		if err := checkPattern(p); err != nil {
			return hubbub.Webhook{}, err
		}
		if !slices.Contains(rooms, p) {
			rooms = append(rooms, p)
		}
	}
	var events []hubbub.HookEvent
	for _, e := range w.Events {
		if !slices.Contains(hubbub.HookEvents, e) {
			return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeBadField, "%q is not a webhook event", e)
		}
	}
	for _, e := range hubbub.HookEvents {
		if slices.Contains(w.Events, e) {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeMissing, "a webhook follows at least one event")
	}
	secret := w.Secret
	if secret == "" {
		secret = NewWebhookSecret()
	}
	if len(secret) > MaxSecretLen {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeLimit, "a webhook secret is at most %d bytes", MaxSecretLen)
	}
	return hubbub.Webhook{ID: w.ID, URL: w.URL, Rooms: rooms, Events: events, Secret: secret, Paused: w.Paused,
		CreatedBy: w.CreatedBy, Created: w.Created}, nil
}

// checkPattern says why p cannot be a webhook's room pattern.
func checkPattern(p string) error {
	name, _ := strings.CutSuffix(p, "*")
	switch {
	case p == "*":
		return nil
	case name == "" || len(p) > MaxPatternLen:
		return hubbub.Errorf(hubbub.ECodeBadField, "room pattern %q is empty or too long", p)
	case strings.Contains(name, "*"):
		return hubbub.Errorf(hubbub.ECodeBadField, "room pattern %q may hold '*' only at its end", p)
	}
	for _, r := range name {
		if r <= ' ' || r == 0x7f || r >= utf8.RuneSelf {
			return hubbub.Errorf(hubbub.ECodeBadField, "room pattern %q holds a character no room name has", p)
		}
	}
	return nil
}

// ChangeWebhook returns w with c applied, checked as CheckWebhook checks a new one.
func ChangeWebhook(w hubbub.Webhook, c hubbub.WebhookChange) (hubbub.Webhook, error) {
	if c.URL != nil {
		w.URL = *c.URL
	}
	if c.Rooms != nil {
		w.Rooms = slices.Clone(*c.Rooms)
	}
	if c.Events != nil {
		w.Events = slices.Clone(*c.Events)
	}
	if c.Paused != nil {
		w.Paused = *c.Paused
	}
	if c.Secret != nil {
		if *c.Secret == "" {
			return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeMissing, "a rotated secret may not be empty")
		}
		w.Secret = *c.Secret
	}
	return CheckWebhook(w)
}

// NoWebhook is the refusal of a call about a webhook that does not exist.
func NoWebhook(id string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %q", id)
}

// TooManyWebhooks is the refusal of a webhook beyond hubbub.MaxWebhooks.
func TooManyWebhooks() *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeLimit, "a server keeps at most %d webhooks", hubbub.MaxWebhooks)
}

// EncodeList stores a webhook's rooms or events as a JSON array.
func EncodeList[T ~string](list []T) string {
	if len(list) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(list) // strings always encode
	return string(b)
}

// DecodeWebhook sets w's rooms and events from their stored lists (EncodeList).
func DecodeWebhook(w *hubbub.Webhook, rooms, events string) error {
	var err error
	if w.Rooms, err = DecodeList[string](rooms); err != nil {
		return err
	}
	w.Events, err = DecodeList[hubbub.HookEvent](events)
	return err
}

// DecodeList reads what EncodeList stored.
func DecodeList[T ~string](s string) ([]T, error) {
	var out []T
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("%w: a webhook list: %w", hubbub.ErrUnreadable, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// EntryEvent returns the outbox event of entry e as Append stored it.
func EntryEvent(e hubbub.Entry) hubbub.OutboxEvent {
	return hubbub.OutboxEvent{ID: e.ID, Kind: hubbub.HookEventOf(e.Kind), Room: e.Room, Seq: e.Seq, Time: e.Time, Entry: &e}
}

// CheckEvent returns ev as EnqueueEvent stores it (Time the store's now when zero, at
// millisecond precision in UTC), or why it cannot be stored: it needs an id of at most
// MaxEventIDLen bytes and a known kind, and a notification needs its Notification.
func CheckEvent(ev hubbub.OutboxEvent, now time.Time) (hubbub.OutboxEvent, error) {
	switch {
	case ev.ID == "":
		return ev, hubbub.Errorf(hubbub.ECodeMissing, "an event needs an id")
	case len(ev.ID) > MaxEventIDLen:
		return ev, hubbub.Errorf(hubbub.ECodeLimit, "an event id is at most %d bytes", MaxEventIDLen)
	case !slices.Contains(hubbub.HookEvents, ev.Kind):
		return ev, hubbub.Errorf(hubbub.ECodeBadField, "%q is not an event kind", ev.Kind)
	case ev.Kind == hubbub.HookNotification && ev.Notification == nil:
		return ev, hubbub.Errorf(hubbub.ECodeMissing, "a notification event needs its notification")
	case ev.Kind != hubbub.HookNotification && ev.Entry == nil:
		return ev, hubbub.Errorf(hubbub.ECodeMissing, "a room event needs its entry")
	}
	if ev.Time.IsZero() {
		ev.Time = now
	}
	ev.Time = Now(ev.Time)
	return ev, nil
}

// EncodeEvent stores ev as JSON.
func EncodeEvent(ev hubbub.OutboxEvent) (string, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	return string(b), nil
}

// DecodeEvent reads what EncodeEvent stored.
func DecodeEvent(s string) (hubbub.OutboxEvent, error) {
	var ev hubbub.OutboxEvent
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		return ev, fmt.Errorf("%w: an outbox event: %w", hubbub.ErrUnreadable, err)
	}
	return ev, nil
}

// CutError keeps at most MaxLastErrorLen bytes of a delivery's last error, at a rune boundary.
func CutError(s string) string {
	if len(s) <= MaxLastErrorLen {
		return s
	}
	s = s[:MaxLastErrorLen]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// CheckLease says why a lease cannot be taken with these arguments.
func CheckLease(name, holder string, ttl time.Duration) error {
	switch {
	case name == "" || holder == "":
		return hubbub.Errorf(hubbub.ECodeMissing, "a lease needs a name and a holder")
	case len(name) > MaxLeaseName || len(holder) > MaxLeaseName:
		return hubbub.Errorf(hubbub.ECodeLimit, "a lease's name and holder are at most %d bytes", MaxLeaseName)
	case ttl < time.Millisecond:
		return hubbub.Errorf(hubbub.ECodeBadField, "a lease lasts at least a millisecond")
	}
	return nil
}

// CheckNode says why n cannot be announced for ttl (hubbub.OutboxStore.AnnounceNode).
func CheckNode(n hubbub.ServingNode, ttl time.Duration) error {
	switch {
	case n.ID == "":
		return hubbub.Errorf(hubbub.ECodeMissing, "a serving node needs an id")
	case len(n.ID) > MaxLeaseName || len(n.Name) > MaxLeaseName || len(n.Broker) > MaxLeaseName:
		return hubbub.Errorf(hubbub.ECodeLimit, "a serving node's id, name and broker are at most %d bytes", MaxLeaseName)
	case ttl < 0 || ttl > 0 && ttl < time.Millisecond:
		return hubbub.Errorf(hubbub.ECodeBadField, "a serving node's record lasts at least a millisecond (0 removes it)")
	}
	return nil
}

// CheckNotifyLevel says why level is not a notification level.
func CheckNotifyLevel(user, room, level string) error {
	switch {
	case user == "" || room == "":
		return hubbub.Errorf(hubbub.ECodeMissing, "a notification level needs a user and a room")
	case level != hubbub.NotifyAll && level != hubbub.NotifyMention && level != hubbub.NotifyNothing:
		return hubbub.Errorf(hubbub.ECodeBadField, "%q is not a notification level (all, mention, nothing)", level)
	}
	return nil
}

// CheckReplayIDs says why ids cannot be replayed in one call.
func CheckReplayIDs(ids []string) error {
	if len(ids) > MaxReplayIDs {
		return hubbub.Errorf(hubbub.ECodeLimit, "replay at most %d deliveries at once", MaxReplayIDs)
	}
	return nil
}

// NotifyCandidates returns the candidates message event ev makes (see hubbub.OutboxStore):
// levels are the levels set for ev's room (by user id; others are NotifyMention) and
// members the room's members, not invitees (read only when NeedMembers says so).
func NotifyCandidates(ev hubbub.OutboxEvent, levels map[string]string, members []string) []hubbub.NotifyCandidate {
	e := ev.Entry
	if ev.Kind != hubbub.HookMessage || e == nil {
		return nil
	}
	var out []hubbub.NotifyCandidate
	seen := map[string]bool{e.User: true}
	add := func(user, reason string) {
		if user == "" || seen[user] || levels[user] == hubbub.NotifyNothing {
			return
		}
		seen[user] = true
		out = append(out, hubbub.NotifyCandidate{User: user, Room: e.Room, Seq: e.Seq, Reason: reason,
			From: e.From, Text: e.Text, Time: e.Time})
	}
	for _, m := range e.Mentions {
		add(m.User, hubbub.NotifyMention)
	}
	if hubbub.IsDMRoom(e.Room) {
		for _, u := range members {
			add(u, hubbub.NotifyDM)
		}
	}
	for _, u := range members {
		if levels[u] == hubbub.NotifyAll {
			add(u, hubbub.NotifyAll)
		}
	}
	return out
}

// NeedMembers reports whether NotifyCandidates needs the members of ev's room: in a DM, or
// when someone's level for it is NotifyAll.
func NeedMembers(ev hubbub.OutboxEvent, levels map[string]string) bool {
	if ev.Kind != hubbub.HookMessage || ev.Entry == nil {
		return false
	}
	if hubbub.IsDMRoom(ev.Room) {
		return true
	}
	for _, l := range levels {
		if l == hubbub.NotifyAll {
			return true
		}
	}
	return false
}

// DeliveryOf is the Delivery of a deliveries row.
func DeliveryOf(webhook, body string, dead bool, attempts int, next, created time.Time, lastError string) (hubbub.Delivery, error) {
	ev, err := DecodeEvent(body)
	if err != nil {
		return hubbub.Delivery{}, err
	}
	state := hubbub.DeliveryPending
	if dead {
		state = hubbub.DeliveryDead
	}
	return hubbub.Delivery{Webhook: webhook, Event: ev, State: state, Attempts: attempts, NextAttempt: next,
		LastError: lastError, Created: created}, nil
}

// CheckState says why state is not a delivery state.
func CheckState(state hubbub.DeliveryState) error {
	if state != hubbub.DeliveryPending && state != hubbub.DeliveryDead {
		return hubbub.Errorf(hubbub.ECodeBadField, "%q is not a delivery state (pending, dead)", state)
	}
	return nil
}

// Row is what reading one row needs of a query's result: *sql.Row and pgx.Row both have it.
// Scan of no row returns sql.ErrNoRows (pgx.ErrNoRows is one too: errors.Is says so).
type Row interface {
	Scan(dest ...any) error
}

// SummarySQL holds the statements of SummarizeDeliveries in one store's dialect.
type SummarySQL struct {
	// Exists asks whether webhook $1 exists (OutboxSQL.WebhookExists).
	Exists string
	// Count counts webhook $1's deliveries with dead = $2, with the earliest Created: a time
	// column as the store keeps one (at reads it), none when they are none.
	Count string
	// Failed is the one of them that failed the most attempts, the oldest of those with as
	// many: its event id, attempts and last error (OutboxSQL.SummaryFailed).
	Failed string
	// Next is the earliest NextAttempt of the heads of webhook $1's queues (only pending
	// deliveries are in one), none when there is no queue, found as the store finds the
	// deliveries due: the deliveries waiting behind their heads are due at once but not
	// posted before them, so the least NextAttempt of all would say "now" of a webhook whose
	// every queue waits for a retry.
	Next string
}

// SummarizeDeliveries sums up webhook's deliveries in state (see hubbub.OutboxStore) with the
// statements q, each run by row in one read transaction the store began, so that the count,
// the failed one and the next attempt agree. T is what the store's time columns scan into
// (Unix milliseconds, or a *time.Time for a timestamptz that may be NULL), and at the time it
// holds (the zero time for none). The caller has checked state (CheckState), and rolls back.
func SummarizeDeliveries[T any](row func(query string, args ...any) Row, q SummarySQL, webhook string, state hubbub.DeliveryState, at func(T) time.Time) (hubbub.DeliverySummary, error) {
	sum := hubbub.DeliverySummary{Webhook: webhook, State: state}
	var found bool
	if err := row(q.Exists, webhook).Scan(&found); err != nil {
		return sum, err
	}
	if !found {
		return sum, NoWebhook(webhook)
	}
	dead := state == hubbub.DeliveryDead
	var oldest T
	if err := row(q.Count, webhook, dead).Scan(&sum.Count, &oldest); err != nil {
		return sum, err
	}
	if sum.Count == 0 {
		return sum, nil
	}
	sum.Oldest = at(oldest)
	err := row(q.Failed, webhook, dead).Scan(&sum.Failed, &sum.Attempts, &sum.LastError)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return sum, err
	}
	if !dead {
		var next T
		if err := row(q.Next, webhook).Scan(&next); err != nil {
			return sum, err
		}
		sum.NextAttempt = at(next)
	}
	return sum, nil
}

// NoCursor is the refusal of a page after a delivery that is not there (any more).
func NoCursor(after string) *hubbub.Error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no delivery of event %q to page after", after)
}

// SortCandidates puts one user's candidates in the order TakeNotifyCandidates returns them:
// oldest first, then by room and seq.
func SortCandidates(cs []hubbub.NotifyCandidate) {
	slices.SortFunc(cs, func(a, b hubbub.NotifyCandidate) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := strings.Compare(a.Room, b.Room); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
}

// MaxOutboxPage bounds what one FanOut, DueDeliveries, Deliveries or TakeNotifyCandidates
// takes or returns, whatever limit the caller asks: each is one transaction or one read, which
// must stay short.
const MaxOutboxPage = 1000

// OutboxPage is limit bounded by MaxOutboxPage.
func OutboxPage(limit int) int { return min(limit, MaxOutboxPage) }

// OutboxFilter decides, inside an append's transaction, whether an entry is written to the
// outbox: only when something will read its event. That is a webhook (paused or not: a paused
// one queues) that follows the entry's room and kind (Webhook.Follows: a DM only by a "dm."
// pattern), or, for a message, a webhook that follows notifications when the message may make
// a notify candidate at fan-out — it mentions someone, it is in a DM, or someone's level for
// its room is NotifyAll (the only facts NotifyCandidates adds a candidate on). The levels at
// fan-out still decide who is a candidate; a level set to "all" between an append and its
// fan-out does not bring back an event that was not written.
type OutboxFilter struct {
	hooks  []hubbub.Webhook // Rooms and Events are what counts
	notify bool             // some webhook follows HookNotification
}

// NewOutboxFilter returns the filter of the webhooks that exist now.
func NewOutboxFilter(hooks []hubbub.Webhook) OutboxFilter {
	f := OutboxFilter{hooks: hooks}
	for i := range hooks {
		if slices.Contains(hooks[i].Events, hubbub.HookNotification) {
			f.notify = true
		}
	}
	return f
}

// Any reports whether some webhook exists (else nothing is written, and nothing asked).
func (f OutboxFilter) Any() bool { return len(f.hooks) > 0 }

// Notify reports whether some webhook follows notifications: only then may a message that
// no webhook follows need its event for its notify candidates.
func (f OutboxFilter) Notify() bool { return f.notify }

// Followed reports whether some webhook follows entry e's room and kind.
func (f OutboxFilter) Followed(e *hubbub.Entry) bool {
	ev := hubbub.HookEventOf(e.Kind)
	if ev == "" {
		return false
	}
	for i := range f.hooks {
		if f.hooks[i].Follows(e.Room, ev) {
			return true
		}
	}
	return false
}

// Wants reports whether entry e (as stored) is written to the outbox. allLevel says whether
// someone's level for a room is NotifyAll; it is asked only when that decides.
func (f OutboxFilter) Wants(e *hubbub.Entry, allLevel func(room string) (bool, error)) (bool, error) {
	if f.Followed(e) {
		return true, nil
	}
	if !f.notify || e.Kind != hubbub.KindMessage {
		return false, nil
	}
	if len(e.Mentions) > 0 || hubbub.IsDMRoom(e.Room) {
		return true, nil
	}
	return allLevel(e.Room)
}

// WebhookRow is what an append reads of each webhook to build its OutboxFilter: its rooms
// and events as EncodeList stored them.
type WebhookRow struct{ Rooms, Events string }

// FilterCache keeps the OutboxFilter of the last webhook rows read, so a batch that finds
// the same rows as the last one decodes nothing. Safe for concurrent use (PostgreSQL's
// writers run batches side by side).
type FilterCache struct {
	mu     sync.Mutex
	rows   []WebhookRow
	filter OutboxFilter
}

// Filter returns the filter of rows, decoding them only when they changed.
func (c *FilterCache) Filter(rows []WebhookRow) (OutboxFilter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows != nil && slices.Equal(c.rows, rows) {
		return c.filter, nil
	}
	hooks := make([]hubbub.Webhook, len(rows))
	for i, r := range rows {
		var err error
		if hooks[i].Rooms, err = DecodeList[string](r.Rooms); err != nil {
			return OutboxFilter{}, err
		}
		if hooks[i].Events, err = DecodeList[hubbub.HookEvent](r.Events); err != nil {
			return OutboxFilter{}, err
		}
	}
	c.rows, c.filter = slices.Clone(rows), NewOutboxFilter(hooks)
	if c.rows == nil {
		c.rows = []WebhookRow{}
	}
	return c.filter, nil
}
