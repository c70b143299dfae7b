package hubbub

import (
	"context"
	"strings"
	"time"
)

// Integrations (issue 18): hubbub tells other programs what happens in its rooms. An admin
// configures webhooks (Webhook): a URL, the rooms it follows and the kinds of event it wants.
// Every entry appended to a room that a webhook follows, or that may notify someone, is also
// written, in the append's own transaction, to the store's outbox (OutboxEvent), so an event
// is never lost between the room log and the outbox. One node at a time (the holder of the "dispatch" lease)
// runs the dispatcher: it fans each outbox event out into one Delivery per webhook that follows
// it (FanOut), posts the deliveries of each webhook and room in room order, and records each
// outcome (CompleteDelivery, RetryDelivery). Notifications for people who are away are
// outbox events too (EnqueueEvent), posted to the webhooks that follow HookNotification.

// HookEvent is a kind of event a webhook may follow.
type HookEvent string

// The kinds of event a webhook follows. The first seven are the kinds of room entry
// (HookEventOf); HookNotification is a batch of notifications for one user who is away.
const (
	HookMessage  HookEvent = "message"
	HookEdit     HookEvent = "edit"
	HookDelete   HookEvent = "delete"
	HookReaction HookEvent = "reaction"
	HookMember   HookEvent = "member" // joins, leaves, invitations, removals, role changes
	HookTopic    HookEvent = "topic"  // a room's topic (and other metadata) changed
	// HookSanction is a ban, mute or lift: moderation bots and audit logs follow it. Nodes
	// of the version before it read it in a webhook's list (and deliver what others fan
	// out) but write no such events themselves.
	HookSanction     HookEvent = "sanction"
	HookNotification HookEvent = "notification"
)

// HookEvents lists every HookEvent, in the order a client shows them.
var HookEvents = []HookEvent{HookMessage, HookEdit, HookDelete, HookReaction, HookMember, HookTopic, HookSanction, HookNotification}

// HookEventOf returns the HookEvent of a room entry's kind ("" for a kind no webhook follows).
func HookEventOf(k EntryKind) HookEvent {
	switch k {
	case KindMessage:
		return HookMessage
	case KindEdit:
		return HookEdit
	case KindDelete:
		return HookDelete
	case KindReaction:
		return HookReaction
	case KindMember:
		return HookMember
	case KindTopic:
		return HookTopic
	case KindSanction:
		return HookSanction
	}
	return ""
}

// Limits of webhooks.
const (
	// MaxWebhooks is how many webhooks a server keeps.
	MaxWebhooks = 100
	// MaxWebhookURLLen is the longest webhook URL, in bytes.
	MaxWebhookURLLen = 2048
	// MaxWebhookRooms is how many room patterns one webhook may list.
	MaxWebhookRooms = 100
)

// Webhook is an admin's order to post events to a URL.
type Webhook struct {
	// ID is assigned by the Store ("wh_" and random hex); never reused.
	ID string `json:"id"`
	// URL receives the events by POST (http or https; the dispatcher checks the address it
	// resolves to, not the store).
	URL string `json:"url"`
	// Rooms are the rooms followed: a room's name, a name ending in "*" for every room whose
	// name starts with what comes before it, or "*" alone for every room. A DM ("dm." rooms)
	// is followed only by a pattern that starts with "dm." (never by "*" alone), so no webhook
	// reads private conversations by accident. Empty follows no room (a notify-only webhook).
	Rooms []string `json:"rooms"`
	// Events are the kinds followed (at least one).
	Events []HookEvent `json:"events"`
	// Secret signs every request (HMAC-SHA256). Stores keep it; the API shows it only when it
	// is created or rotated.
	Secret string `json:"secret,omitempty"`
	// Paused webhooks keep receiving deliveries into their queue but get no request until
	// they are resumed.
	Paused bool `json:"paused,omitempty"`
	// CreatedBy is the admin's user id; Created when (UTC, millisecond precision).
	CreatedBy string    `json:"created_by,omitempty"`
	Created   time.Time `json:"created"`
}

// Follows reports whether the webhook wants event kind ev of room (room is "" for
// HookNotification, which follows no room).
func (w *Webhook) Follows(room string, ev HookEvent) bool {
	wanted := false
	for _, e := range w.Events {
		if e == ev {
			wanted = true
			break
		}
	}
	if !wanted {
		return false
	}
	if ev == HookNotification {
		return true
	}
	for _, p := range w.Rooms {
		if RoomPatternMatches(p, room) {
			return true
		}
	}
	return false
}

// RoomPatternMatches reports whether a webhook's or a bot's room pattern (see Webhook.Rooms)
// covers room. Room names are one room whatever their case (RoomKey), so a pattern is too:
// "Team-*" covers "team-a", and "general" the room made as "General".
func RoomPatternMatches(pattern, room string) bool {
	if IsDMRoom(room) && !IsDMRoom(pattern) {
		// "*", and a prefix such as "d*" meant for dev and design, never cover a DM.
		return false
	}
	if pattern == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(room) >= len(prefix) && strings.EqualFold(room[:len(prefix)], prefix)
	}
	return strings.EqualFold(pattern, room) // both ASCII (ValidateRoom, the pattern's check)
}

// WebhookChange is a partial update of a webhook: nil fields stay as they are.
type WebhookChange struct {
	URL    *string
	Rooms  *[]string
	Events *[]HookEvent
	Paused *bool
	// Secret replaces the secret (rotation).
	Secret *string
}

// OutboxEvent is one event to post: a room entry as it was appended, or a notification.
type OutboxEvent struct {
	// ID identifies the event for the receiver's deduplication: the entry's ID for a room
	// entry (it is unique), a fresh "nt_" id for a notification. A retried delivery carries
	// the same ID.
	ID string `json:"id"`
	// Kind is what happened.
	Kind HookEvent `json:"kind"`
	// Room and Seq place a room entry in its room's log ("" and 0 for a notification).
	Room string `json:"room,omitempty"`
	Seq  uint64 `json:"seq,omitempty"`
	// Time is when it happened (the entry's Time).
	Time time.Time `json:"time"`
	// Entry is the room entry as Append returned it (nil for a notification).
	Entry *Entry `json:"entry,omitempty"`
	// Notification is the batch for a user who is away (nil for a room entry).
	Notification *Notification `json:"notification,omitempty"`
}

// Notification tells a user who is away what they missed: the receiver (a push gateway, an
// email sender) turns it into a message to them.
type Notification struct {
	// User is the user's id; Name their name when the batch was made.
	User string `json:"user"`
	Name string `json:"name"`
	// Items are the messages that notify them, oldest first (at most MaxNotificationItems;
	// Dropped counts those left out of a longer batch).
	Items   []NotificationItem `json:"items"`
	Dropped int                `json:"dropped,omitempty"`
}

// MaxNotificationItems is the most messages one notification lists.
const MaxNotificationItems = 20

// NotificationItem is one message in a notification.
type NotificationItem struct {
	Room string `json:"room"`
	Seq  uint64 `json:"seq"`
	// Reason is why it notifies: NotifyMention, NotifyDM or NotifyAll.
	Reason string `json:"reason"`
	// From is the sender's name, Text the message's text (cut by the notifier), Time its time.
	From string    `json:"from"`
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

// Notification levels: what a user wants to hear about a room while away
// (NotifyStore.SetNotifyLevel). Reasons of a NotificationItem use NotifyMention, NotifyDM and
// NotifyAll.
const (
	// NotifyAll: every message of the room.
	NotifyAll = "all"
	// NotifyMention: messages that mention the user (the default; in a DM every message).
	NotifyMention = "mention"
	// NotifyNothing: none.
	NotifyNothing = "nothing"
	// NotifyDM is the reason of a message in a DM.
	NotifyDM = "dm"
)

// DeliveryState is where a delivery stands.
type DeliveryState string

// The states of a delivery. A delivery that succeeded is removed.
const (
	// DeliveryPending waits for its turn or its next attempt.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDead failed for longer than the dispatcher's failure window; an admin may
	// replay it (ReplayDeliveries), which makes it pending again.
	DeliveryDead DeliveryState = "dead"
)

// Delivery is one event owed to one webhook.
type Delivery struct {
	Webhook string        `json:"webhook"`
	Event   OutboxEvent   `json:"event"`
	State   DeliveryState `json:"state"`
	// Attempts counts the requests made so far; NextAttempt is when the next may be made.
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	// LastError says why the last attempt failed (an HTTP status or a network error).
	LastError string `json:"last_error,omitempty"`
	// Created is when the delivery was made (the failure window counts from it).
	Created time.Time `json:"created"`
}

// DeliverySummary sums up a webhook's deliveries in one state (SummarizeDeliveries), for an
// operator who wants to know what waits — after a receiver was down — without listing them.
type DeliverySummary struct {
	Webhook string        `json:"webhook"`
	State   DeliveryState `json:"state"`
	// Count is how many deliveries of the webhook are in the state.
	Count int `json:"count"`
	// Oldest is the earliest Created of them (zero when Count is 0): how long the oldest has
	// waited, counted as the failure window counts.
	Oldest time.Time `json:"oldest,omitzero"`
	// NextAttempt is, of pending deliveries, the earliest NextAttempt of those at the head of a
	// queue (the ones DueDeliveries hands out, paused or not): when the dispatcher may next
	// post to the webhook. Zero for dead ones, and when none is pending.
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Failed is the delivery of them that has failed the most attempts (the oldest of those
	// with as many, in Deliveries' order), and Attempts and LastError its: why they wait.
	// Failed is "" when none has failed an attempt.
	Failed    string `json:"failed,omitempty"`
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// OutboxStore keeps webhooks, the outbox and the deliveries, so that no event is lost to a
// restart or the loss of a node. Every Store is one (Store embeds it).
//
// Contract, which internal/storetest checks on every implementation:
//   - Append (Store) writes one OutboxEvent for the entry it stores, in the same transaction,
//     when something will read it, as the webhooks (paused or not: a paused one queues) are
//     at that moment: a webhook that Follows the entry's room and kind, or, for a message that
//     mentions someone, is in a DM room or in a room where someone's level is NotifyAll, a
//     webhook that follows HookNotification (the levels at fan-out still decide the
//     candidates). A duplicate or refused append writes none. A webhook created (or changed)
//     on any node gets the events of every append that begins after its creation returned.
//     EnqueueEvent writes a notification when a webhook follows HookNotification.
//   - FanOut takes up to limit outbox events not fanned out yet, oldest first, and in one
//     transaction creates a pending Delivery (NextAttempt = now) for each webhook that Follows
//     it, records the NotifyCandidates of each message event, and marks the events fanned
//     out. It returns how many events it took (0: nothing waits). An event no webhook
//     follows is marked all the same. A room's events are fanned out in seq order.
//   - A message event makes a NotifyCandidate for each user it may notify, unless their level
//     for the room is NotifyNothing, and never for its sender: each user of Entry.Mentions
//     (reason NotifyMention), every other member of a DM room (NotifyDM), every other member
//     whose level for the room is NotifyAll (NotifyAll). One candidate per user per message
//     (the first reason of that order).
//   - DueDeliveries returns, for each webhook not paused, the pending delivery with the
//     lowest seq of each room (notifications, with no room, one queue of their own, oldest
//     first) if its NextAttempt ≤ now: at most one per webhook and room, so a room's events
//     go in order; at most limit in all, taking the webhooks in turn (each one's oldest
//     NextAttempt first, then each one's next oldest, …) so that one webhook's backlog never
//     holds back another's. A dead delivery does not hold back the ones after it.
//   - CompleteDelivery removes the delivery; RetryDelivery records a failed attempt (Attempts one
//     more, LastError, NextAttempt = next) and, with dead, makes it DeliveryDead. Either on a
//     delivery that is not there (its webhook deleted) is not an error. A crash may lose the
//     last outcomes recorded (a store may record them without waiting for the disk): the
//     delivery is then made again, and receivers deduplicate by event id.
//   - Deliveries lists a webhook's deliveries in a state, oldest first, paged by the event id
//     after (""). ReplayDeliveries makes the named dead deliveries of a webhook (all of them
//     when ids is empty) pending with NextAttempt = now, Attempts 0 and Created = now (the
//     failure window starts again), and says how many. Calls about a webhook that does not
//     exist (UpdateWebhook, DeleteWebhook, Deliveries, ReplayDeliveries) fail with
//     ECodeNotFound, as does Deliveries after an event id that is not one of its deliveries.
//   - SummarizeDeliveries sums up a webhook's deliveries in a state (DeliverySummary); like
//     Deliveries, it fails with ECodeNotFound for a webhook that does not exist and
//     ECodeBadField for a state that is not one. It reads every delivery of the webhook in
//     the state: an admin's question, not the dispatcher's.
//   - DeleteWebhook removes the webhook and its deliveries.
//   - TakeLease gives the named lease to holder until now + ttl if no other holder has it
//     unexpired (renewing when holder has it), and says whether holder has it now: one
//     dispatcher in a cluster.
//   - AnnounceNode records n (ID, Name, Broker) as serving from the store until now + ttl, on
//     the store's clock, replacing the record of n.ID; a ttl of 0 removes it (a node that
//     stops). It returns the records of the other IDs unexpired now, by ID, each Until at
//     millisecond precision, UTC (it may forget expired ones): the nodes that share the store
//     with n. n.ID must not be empty (ECodeMissing); ID, Name and Broker are at most 256 bytes
//     (ECodeLimit); a ttl below 0 or under a millisecond is refused (ECodeBadField).
//   - SetNotifyLevel stores a user's level for a room (NotifyAll, NotifyMention,
//     NotifyNothing; ECodeBadField otherwise); NotifyLevel reads it (NotifyMention if never
//     set).
//   - TakeNotifyCandidates returns and removes all the candidates of up to limit users whose
//     oldest candidate has Time before before, grouped by user, each user's oldest first: the
//     notifier's batch per user.
type OutboxStore interface {
	CreateWebhook(ctx context.Context, w Webhook) (Webhook, error)
	Webhook(ctx context.Context, id string) (w Webhook, found bool, err error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	UpdateWebhook(ctx context.Context, id string, c WebhookChange) (Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error

	EnqueueEvent(ctx context.Context, ev OutboxEvent) error
	FanOut(ctx context.Context, limit int) (int, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	CompleteDelivery(ctx context.Context, webhook, eventID string) error
	RetryDelivery(ctx context.Context, webhook, eventID string, next time.Time, lastError string, dead bool) error
	Deliveries(ctx context.Context, webhook string, state DeliveryState, after string, limit int) ([]Delivery, error)
	ReplayDeliveries(ctx context.Context, webhook string, ids []string) (int, error)
	SummarizeDeliveries(ctx context.Context, webhook string, state DeliveryState) (DeliverySummary, error)

	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	AnnounceNode(ctx context.Context, n ServingNode, ttl time.Duration) (others []ServingNode, err error)

	SetNotifyLevel(ctx context.Context, user, room, level string) error
	NotifyLevel(ctx context.Context, user, room string) (string, error)
	TakeNotifyCandidates(ctx context.Context, before time.Time, limit int) ([]NotifyCandidate, error)
}

// ServingNode is a node that serves from a store, as it last said so (OutboxStore.AnnounceNode):
// nodes that share a store but not a broker store each other's messages without delivering
// them live to each other's clients, which a node learns from the others' records.
type ServingNode struct {
	// ID is unique to the process (a lease holder's name: the node's name and random hex).
	ID string
	// Name is the node's name in logs (--node).
	Name string
	// Broker says how the node reaches the others ("in-process", or NATS and its subject
	// prefix): two nodes hear each other only through one NATS under one prefix.
	Broker string
	// Until is when the record expires unless the node announces itself again.
	Until time.Time
}

// NotifyCandidate is a message that may notify a user, if they are still away when the
// notifier's batch for them is made.
type NotifyCandidate struct {
	User   string
	Room   string
	Seq    uint64
	Reason string
	From   string
	Text   string
	Time   time.Time
}
