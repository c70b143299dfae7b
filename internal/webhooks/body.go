package webhooks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"hubbub"
	"hubbub/internal/signing"
	"hubbub/internal/wire"
)

// Body is what a webhook receives, as JSON: the event's id (the same on every retry, for the
// receiver's deduplication), its kind, when it happened, and where in its room's log it sits
// (room and seq, absent for a notification); Data is the hubbub.v1 frame a client in the room
// receives for the entry (internal/wire), or the hubbub.Notification (as Notification). Every
// time in it is in wire.TimeFormat, as in the frames.
type Body struct {
	ID   string           `json:"id"`
	Kind hubbub.HookEvent `json:"kind"`
	Time wire.Time        `json:"time"`
	Room string           `json:"room,omitempty"`
	Seq  uint64           `json:"seq,omitempty"`
	Data any              `json:"data"`
}

// Notification is a hubbub.Notification as webhooks receive it and the API lists it: its
// items' times in wire.TimeFormat, three fraction digits always, where a bare time.Time is
// written with as many as it has ("…12.74Z"). Items, of the same JSON name, is written in
// place of the embedded record's (the less nested field wins).
type Notification struct {
	hubbub.Notification
	Items []NotificationItem `json:"items"`
}

// NotificationItem is a hubbub.NotificationItem with its time in wire.TimeFormat.
type NotificationItem struct {
	hubbub.NotificationItem
	Time wire.Time `json:"time"`
}

// NewNotification returns n as webhooks and the API write it (nil for nil).
func NewNotification(n *hubbub.Notification) *Notification {
	if n == nil {
		return nil
	}
	out := &Notification{Notification: *n}
	if n.Items != nil {
		out.Items = make([]NotificationItem, len(n.Items))
		for i, it := range n.Items {
			out.Items[i] = NotificationItem{NotificationItem: it, Time: wire.Time{Time: it.Time}}
		}
	}
	return out
}

// NewBody returns the body of ev; filesURL is the base of attachments' URLs, as in the
// frames clients receive.
func NewBody(ev *hubbub.OutboxEvent, filesURL string) (Body, error) {
	b := Body{ID: ev.ID, Kind: ev.Kind, Time: wire.Time{Time: ev.Time}, Room: ev.Room, Seq: ev.Seq}
	switch {
	case ev.Kind == hubbub.HookNotification:
		if ev.Notification == nil {
			return b, fmt.Errorf("webhooks: notification event %s has no notification", ev.ID)
		}
		b.Data = NewNotification(ev.Notification)
	case ev.Entry != nil:
		b.Data = wire.NewEntryFrame(ev.Entry, filesURL)
		if b.Data == nil {
			return b, fmt.Errorf("webhooks: event %s: entry kind %q has no frame", ev.ID, ev.Entry.Kind)
		}
	default:
		return b, fmt.Errorf("webhooks: event %s (%s) has no entry", ev.ID, ev.Kind)
	}
	return b, nil
}

// Request returns the headers and body of the POST that delivers ev to a webhook with secret,
// signed at now.
func Request(ev *hubbub.OutboxEvent, secret, filesURL string, now time.Time) (http.Header, []byte, error) {
	b, err := NewBody(ev, filesURL)
	if err != nil {
		return nil, nil, err
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: encoding event %s: %w", ev.ID, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(signing.HeaderEventID, ev.ID)
	h.Set(signing.HeaderEvent, string(ev.Kind))
	signing.SetHeaders(h, secret, now, body)
	return h, body, nil
}
