package api

import (
	"hubbub"
	"hubbub/internal/commands"
	"hubbub/internal/webhooks"
	"hubbub/internal/wire"
)

// The API's forms of the root's records that carry times. The root's types marshal a bare
// time.Time, which JSON writes with as many fraction digits as it has ("…28.74Z"), where the
// API promises wire.TimeFormat, three always ("…28.740Z"), as the frames of hubbub.v1 do. Each
// form embeds its record and adds a wire.Time of the same JSON name, which encoding/json
// writes in place of the embedded one (the less nested field wins).

// apiSanction is a hubbub.Sanction as the API answers it.
type apiSanction struct {
	hubbub.Sanction
	Until wire.Time `json:"until"`
}

func newAPISanctions(list []hubbub.Sanction) []apiSanction {
	return mapped(list, func(s *hubbub.Sanction) apiSanction {
		return apiSanction{Sanction: *s, Until: wire.Time{Time: s.Until}}
	})
}

// apiBot is a hubbub.Bot as the API answers it, its user as GET /api/users/{name} does.
type apiBot struct {
	hubbub.Bot
	User apiUser `json:"user"`
}

func newAPIBot(b *hubbub.Bot) apiBot { return apiBot{Bot: *b, User: newAPIUser(&b.User)} }

// apiHook is a hubbub.IncomingHook as the API answers it.
type apiHook struct {
	hubbub.IncomingHook
	Created wire.Time `json:"created"`
}

func newAPIHook(h *hubbub.IncomingHook) apiHook {
	return apiHook{IncomingHook: *h, Created: wire.Time{Time: h.Created}}
}

// apiCommand is a registered command as the API answers it.
type apiCommand struct {
	commands.Registered
	Created wire.Time `json:"created"`
}

func newAPICommand(c *commands.Registered) apiCommand {
	return apiCommand{Registered: *c, Created: wire.Time{Time: c.Created}}
}

// apiWebhook is a hubbub.Webhook as the API answers it.
type apiWebhook struct {
	hubbub.Webhook
	Created wire.Time `json:"created"`
}

func newAPIWebhook(h *hubbub.Webhook) apiWebhook {
	return apiWebhook{Webhook: *h, Created: wire.Time{Time: h.Created}}
}

// apiDelivery is a hubbub.Delivery as the API answers it.
type apiDelivery struct {
	hubbub.Delivery
	Event       apiEvent  `json:"event"`
	NextAttempt wire.Time `json:"next_attempt"`
	Created     wire.Time `json:"created"`
}

func newAPIDelivery(d *hubbub.Delivery) apiDelivery {
	return apiDelivery{Delivery: *d, Event: newAPIEvent(&d.Event),
		NextAttempt: wire.Time{Time: d.NextAttempt}, Created: wire.Time{Time: d.Created}}
}

// apiEvent is a delivery's hubbub.OutboxEvent, the stored record, as the API answers it: its
// time, its entry's and its notification's items' (as the webhook's body writes them,
// webhooks.Notification).
type apiEvent struct {
	hubbub.OutboxEvent
	Time         wire.Time              `json:"time"`
	Entry        *apiEntry              `json:"entry,omitempty"`
	Notification *webhooks.Notification `json:"notification,omitempty"`
}

func newAPIEvent(ev *hubbub.OutboxEvent) apiEvent {
	out := apiEvent{OutboxEvent: *ev, Time: wire.Time{Time: ev.Time}, Notification: webhooks.NewNotification(ev.Notification)}
	if ev.Entry != nil {
		out.Entry = &apiEntry{Entry: *ev.Entry, Time: wire.Time{Time: ev.Entry.Time}, EditedAt: wire.Time{Time: ev.Entry.EditedAt}}
	}
	return out
}

// apiEntry is a hubbub.Entry, as an outbox event holds it, as the API answers it.
type apiEntry struct {
	hubbub.Entry
	Time     wire.Time `json:"time"`
	EditedAt wire.Time `json:"edited_at,omitzero"`
}

// mapped returns f of each of list.
func mapped[T, U any](list []T, f func(*T) U) []U {
	out := make([]U, len(list))
	for i := range list {
		out[i] = f(&list[i])
	}
	return out
}
