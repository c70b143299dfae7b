package webhooks

import (
	"context"
	"slices"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/signing"
)

// Paging of deliveries (Admin.Deliveries).
const (
	DefaultDeliveriesPage = 50
	MaxDeliveriesPage     = 500
)

// MaxReplayIDs is the most event ids one replay names.
const MaxReplayIDs = 1000

// Admin holds the rules of creating and changing webhooks, shared by the REST API and the
// CLI: it checks what an admin gives, makes secrets, and keeps secrets out of what it lists.
type Admin struct {
	store  hubbub.OutboxStore
	client *egress.Client // CheckURL: the address rules the dispatcher applies
	// changed, if not nil, is called after a change (Dispatcher.HooksChanged).
	changed func()
}

// NewAdmin returns the admin of store's webhooks; client checks URLs as the dispatcher's does;
// changed (may be nil) is called after each change.
func NewAdmin(store hubbub.OutboxStore, client *egress.Client, changed func()) *Admin {
	return &Admin{store: store, client: client, changed: changed}
}

// Spec is what an admin gives to create a webhook.
type Spec struct {
	URL    string             `json:"url"`
	Rooms  []string           `json:"rooms"`
	Events []hubbub.HookEvent `json:"events"`
	Paused bool               `json:"paused,omitempty"`
}

// Change is a partial update of a webhook by an admin: nil fields stay as they are.
type Change struct {
	URL    *string             `json:"url,omitempty"`
	Rooms  *[]string           `json:"rooms,omitempty"`
	Events *[]hubbub.HookEvent `json:"events,omitempty"`
	Paused *bool               `json:"paused,omitempty"`
}

func (a *Admin) notify() {
	if a.changed != nil {
		a.changed()
	}
}

// CheckURL refuses a URL the dispatcher would never post to.
func (a *Admin) CheckURL(raw string) error {
	if len(raw) > hubbub.MaxWebhookURLLen {
		return hubbub.Errorf(hubbub.ECodeBadField, "the URL is longer than %d bytes", hubbub.MaxWebhookURLLen)
	}
	if _, err := a.client.CheckURL(raw); err != nil {
		return hubbub.Errorf(hubbub.ECodeBadField, "url: %s", strings.TrimPrefix(a.client.WithSetting(err, allowPrivateFlag).Error(), "egress: "))
	}
	return nil
}

// CheckRooms refuses a list of room patterns that is too long or holds a bad pattern, and
// returns it without duplicates.
func CheckRooms(rooms []string) ([]string, error) {
	if len(rooms) > hubbub.MaxWebhookRooms {
		return nil, hubbub.Errorf(hubbub.ECodeBadField, "a webhook follows at most %d room patterns, not %d", hubbub.MaxWebhookRooms, len(rooms))
	}
	out := make([]string, 0, len(rooms))
	for _, p := range rooms {
		if err := checkPattern(p); err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// checkPattern accepts "*", a room's name, or the start of a room's name followed by "*".
func checkPattern(p string) error {
	if p == "*" {
		return nil
	}
	name, wild := strings.CutSuffix(p, "*")
	if strings.Contains(name, "*") {
		return hubbub.Errorf(hubbub.ECodeBadRoom, "room pattern %q: \"*\" may only end a pattern", p)
	}
	check := name
	if wild && len(name) < hubbub.MaxRoomLen {
		check = name + "x" // a prefix may end with '.' or '-'; any room it covers is longer
	}
	if err := hubbub.ValidateRoom(check); err != nil {
		return hubbub.Errorf(hubbub.ECodeBadRoom, "room pattern %q: %s", p, hubbub.ErrorMessage(err))
	}
	return nil
}

// CheckEvents refuses an empty list or an unknown kind, and returns the list without
// duplicates, in the order of hubbub.HookEvents.
func CheckEvents(events []hubbub.HookEvent) ([]hubbub.HookEvent, error) {
	if len(events) == 0 {
		return nil, hubbub.Errorf(hubbub.ECodeMissing, "a webhook follows at least one kind of event (%s)", eventNames())
	}
	for _, e := range events {
		if !slices.Contains(hubbub.HookEvents, e) {
			return nil, hubbub.Errorf(hubbub.ECodeBadField, "unknown event %q: want %s", e, eventNames())
		}
	}
	var out []hubbub.HookEvent
	for _, e := range hubbub.HookEvents {
		if slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func eventNames() string {
	s := make([]string, len(hubbub.HookEvents))
	for i, e := range hubbub.HookEvents {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

// checkCoverage refuses room events with no room: such a webhook would never get one.
func checkCoverage(rooms []string, events []hubbub.HookEvent) error {
	if len(rooms) > 0 {
		return nil
	}
	for _, e := range events {
		if e != hubbub.HookNotification {
			return hubbub.Errorf(hubbub.ECodeMissing, "a webhook that follows %s events needs rooms (a name, a prefix ending in *, or * for every room but DMs)", e)
		}
	}
	return nil
}

// Create checks spec and stores the webhook with a fresh secret; the webhook returned carries
// the secret, which no later read shows. by is the admin's user id ("" for the operator).
func (a *Admin) Create(ctx context.Context, spec Spec, by string) (hubbub.Webhook, error) {
	if err := a.CheckURL(spec.URL); err != nil {
		return hubbub.Webhook{}, err
	}
	rooms, err := CheckRooms(spec.Rooms)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	events, err := CheckEvents(spec.Events)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	if err := checkCoverage(rooms, events); err != nil {
		return hubbub.Webhook{}, err
	}
	list, err := a.store.Webhooks(ctx)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	if len(list) >= hubbub.MaxWebhooks {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeLimit, "the server keeps at most %d webhooks; delete one first", hubbub.MaxWebhooks)
	}
	w, err := a.store.CreateWebhook(ctx, hubbub.Webhook{URL: spec.URL, Rooms: rooms, Events: events,
		Secret: signing.NewSecret(), Paused: spec.Paused, CreatedBy: by, Created: time.Now().UTC().Truncate(time.Millisecond)})
	if err != nil {
		return hubbub.Webhook{}, err
	}
	a.notify()
	return w, nil
}

// List returns every webhook, without secrets.
func (a *Admin) List(ctx context.Context) ([]hubbub.Webhook, error) {
	list, err := a.store.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Secret = ""
	}
	if list == nil {
		list = []hubbub.Webhook{}
	}
	return list, nil
}

// Get returns one webhook, without its secret (not_found if there is none).
func (a *Admin) Get(ctx context.Context, id string) (hubbub.Webhook, error) {
	w, found, err := a.store.Webhook(ctx, id)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	if !found {
		return hubbub.Webhook{}, notFound(id)
	}
	w.Secret = ""
	return w, nil
}

func notFound(id string) error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %q", id)
}

// Update checks and applies c, and returns the webhook without its secret.
func (a *Admin) Update(ctx context.Context, id string, c Change) (hubbub.Webhook, error) {
	cur, err := a.Get(ctx, id)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	wc := hubbub.WebhookChange{URL: c.URL, Paused: c.Paused}
	if c.URL != nil {
		if err := a.CheckURL(*c.URL); err != nil {
			return hubbub.Webhook{}, err
		}
	}
	rooms, events := cur.Rooms, cur.Events
	if c.Rooms != nil {
		if rooms, err = CheckRooms(*c.Rooms); err != nil {
			return hubbub.Webhook{}, err
		}
		wc.Rooms = &rooms
	}
	if c.Events != nil {
		if events, err = CheckEvents(*c.Events); err != nil {
			return hubbub.Webhook{}, err
		}
		wc.Events = &events
	}
	if err := checkCoverage(rooms, events); err != nil {
		return hubbub.Webhook{}, err
	}
	w, err := a.store.UpdateWebhook(ctx, id, wc)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	a.notify()
	w.Secret = ""
	return w, nil
}

// Rotate gives the webhook a fresh secret and returns it with it. Requests signed after it
// carry the new secret's signature; the old one stops working at once.
func (a *Admin) Rotate(ctx context.Context, id string) (hubbub.Webhook, error) {
	if _, err := a.Get(ctx, id); err != nil {
		return hubbub.Webhook{}, err
	}
	secret := signing.NewSecret()
	w, err := a.store.UpdateWebhook(ctx, id, hubbub.WebhookChange{Secret: &secret})
	if err != nil {
		return hubbub.Webhook{}, err
	}
	a.notify()
	w.Secret = secret
	return w, nil
}

// Delete removes the webhook and the deliveries it was owed.
func (a *Admin) Delete(ctx context.Context, id string) error {
	if _, err := a.Get(ctx, id); err != nil {
		return err
	}
	if err := a.store.DeleteWebhook(ctx, id); err != nil {
		return err
	}
	a.notify()
	return nil
}

// Summary sums up a webhook's deliveries in state (pending if ""): how many, the oldest, the
// next attempt and why they fail (hubbub.DeliverySummary); not_found if there is no webhook id.
func (a *Admin) Summary(ctx context.Context, id string, state hubbub.DeliveryState) (hubbub.DeliverySummary, error) {
	if state == "" {
		state = hubbub.DeliveryPending
	}
	if state != hubbub.DeliveryDead && state != hubbub.DeliveryPending {
		return hubbub.DeliverySummary{}, hubbub.Errorf(hubbub.ECodeBadField, "state must be %s or %s, not %q", hubbub.DeliveryDead, hubbub.DeliveryPending, state)
	}
	return a.store.SummarizeDeliveries(ctx, id, state)
}

// Deliveries lists a webhook's deliveries in state (dead by default), oldest first, a page of
// at most limit (DefaultDeliveriesPage if 0) after the event id after.
func (a *Admin) Deliveries(ctx context.Context, id string, state hubbub.DeliveryState, after string, limit int) ([]hubbub.Delivery, error) {
	if state == "" {
		state = hubbub.DeliveryDead
	}
	if state != hubbub.DeliveryDead && state != hubbub.DeliveryPending {
		return nil, hubbub.Errorf(hubbub.ECodeBadField, "state must be %s or %s, not %q", hubbub.DeliveryDead, hubbub.DeliveryPending, state)
	}
	if limit == 0 {
		limit = DefaultDeliveriesPage
	}
	if limit < 0 || limit > MaxDeliveriesPage {
		return nil, hubbub.Errorf(hubbub.ECodeBadField, "limit must be 1 to %d", MaxDeliveriesPage)
	}
	if _, err := a.Get(ctx, id); err != nil {
		return nil, err
	}
	list, err := a.store.Deliveries(ctx, id, state, after, limit)
	if list == nil && err == nil {
		list = []hubbub.Delivery{}
	}
	return list, err
}

// Replay makes the named dead deliveries of a webhook (all of them when ids is empty)
// pending again, to be posted at once, and says how many. A named id that is no delivery of
// the webhook, dead or pending, refuses the whole replay with an *UnknownEventsError before
// anything changes: the store skips ids it does not find, so a mistyped id (or an event kind
// where an event id goes) answered "replayed 0" as if all were well. An id already pending
// is no error; it is simply not counted.
func (a *Admin) Replay(ctx context.Context, id string, ids []string) (int, error) {
	// The bound comes first: past it, no id is read.
	if len(ids) > MaxReplayIDs {
		return 0, hubbub.Errorf(hubbub.ECodeBadField, "a replay names at most %d events, not %d", MaxReplayIDs, len(ids))
	}
	if _, err := a.Get(ctx, id); err != nil {
		return 0, err
	}
	if err := a.knownEvents(ctx, id, ids); err != nil {
		return 0, err
	}
	n, err := a.store.ReplayDeliveries(ctx, id, ids)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		a.notify()
	}
	return n, nil
}

// shownDead is how many of a webhook's dead events an *UnknownEventsError lists.
const shownDead = 5

// knownEvents returns an *UnknownEventsError naming the ids that are no delivery of webhook
// id, which the caller has read (Get) already: each id is read from the store directly, not
// through Deliveries, which would read the webhook again per id.
func (a *Admin) knownEvents(ctx context.Context, id string, ids []string) error {
	var unknown []string
	for _, ev := range ids {
		// A page after the event is the store's check that the webhook has a delivery of
		// it, dead or pending; one it has not is ECodeNotFound.
		_, err := a.store.Deliveries(ctx, id, hubbub.DeliveryDead, ev, 1)
		switch {
		case hubbub.ErrorCode(err) == hubbub.ECodeNotFound:
			if !slices.Contains(unknown, ev) {
				unknown = append(unknown, ev)
			}
		case err != nil:
			return err
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	// The dead events are what may be named. A webhook deleted since Get fails this read
	// with its own not_found, which then explains every id above.
	dead, err := a.store.Deliveries(ctx, id, hubbub.DeliveryDead, "", shownDead+1)
	if err != nil {
		return err
	}
	e := &UnknownEventsError{Webhook: id, IDs: unknown, More: len(dead) > shownDead}
	for _, d := range dead[:min(len(dead), shownDead)] {
		e.Dead = append(e.Dead, d.Event.ID)
	}
	return e
}

// UnknownEventsError refuses a replay that names event ids the webhook has no delivery of.
// It unwraps to a hubbub.Error with ECodeNotFound, so the API answers 404 and the CLI a
// usage error, each with Error's text.
type UnknownEventsError struct {
	Webhook string   // the webhook's id
	IDs     []string // the ids named that are none of its deliveries, in the order named
	Dead    []string // the oldest of its dead events' ids (at most 5): what a replay may name
	More    bool     // it has more dead events than Dead
}

// Error names the unknown ids and the dead events that may be named instead, and says when
// an id is an event kind (replay takes event ids).
func (e *UnknownEventsError) Error() string {
	var b strings.Builder
	b.WriteString("unknown event")
	if len(e.IDs) > 1 {
		b.WriteString("s")
	}
	b.WriteString(" " + strings.Join(e.IDs, ", "))
	if i := slices.IndexFunc(e.IDs, func(id string) bool { return slices.Contains(hubbub.HookEvents, hubbub.HookEvent(id)) }); i >= 0 {
		b.WriteString(" (replay takes event ids; " + e.IDs[i] + " is a kind of event)")
	}
	if len(e.Dead) == 0 {
		b.WriteString("; " + e.Webhook + " has no dead deliveries to replay")
		return b.String()
	}
	b.WriteString("; its dead events are: " + strings.Join(e.Dead, ", "))
	if e.More {
		b.WriteString(", …")
	}
	return b.String()
}

// Unwrap returns the refusal as a hubbub.Error (ECodeNotFound), the form the API and the CLI
// map to their answers.
func (e *UnknownEventsError) Unwrap() error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "%s", e.Error())
}

// allowPrivateFlag is the setting that lets webhooks post to private addresses, which a
// refusal of one names (egress.Client.WithSetting).
const allowPrivateFlag = "--webhook-allow-private"
