package storetest_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"hubbub"
)

// The memStore's outbox (hubbub.OutboxStore), for checking the suite's outbox cases. Its
// bugs: "outboxalways" writes events with no webhook, "fanoutnewest" fans out newest first,
// "outboxunfollowed" writes every entry's event while any webhook exists, "outboxnomention"
// leaves out a mention no webhook follows, "outboxfirsthooks" decides by the webhooks of the
// first append, "outboxcreateany" writes the events of CreateRoom's joins while any webhook
// exists, followed or not, "deadblocks" keeps a dead delivery at the head of its queue, "dueall" gives every pending
// delivery at once, "leaseanyone" gives a held lease away, "nodesexpired" returns serving nodes whose records expired, "notifysender" notifies a
// message's sender, "summaryallnext" sums up the next attempt of every pending delivery, not
// only of the heads of the queues.

// memOutbox is the outbox part of memData.
type memOutbox struct {
	hooks      []*hubbub.Webhook // oldest first
	firstHooks []*hubbub.Webhook // the bug "outboxfirsthooks"'s
	firstSet   bool
	creating   bool           // CreateRoom is storing its joins (the bug "outboxcreateany")
	pos        int64          // the last event's position
	events     []memEvent     // not fanned out yet, oldest first
	deliveries []*memDelivery // in pos order
	candidates []hubbub.NotifyCandidate
	levels     map[[2]string]string // by room and user
	leases     map[string]memLease
	nodes      map[string]hubbub.ServingNode // by ID
	ids        int
}

type memEvent struct {
	pos int64
	ev  hubbub.OutboxEvent
}

type memDelivery struct {
	pos int64
	d   hubbub.Delivery
}

type memLease struct {
	holder string
	until  time.Time
}

func newMemOutbox() *memOutbox {
	return &memOutbox{levels: map[[2]string]string{}, leases: map[string]memLease{}, nodes: map[string]hubbub.ServingNode{}}
}

// cloneEvent copies ev through JSON, as a store keeps it.
func cloneEvent(ev hubbub.OutboxEvent) hubbub.OutboxEvent {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	var out hubbub.OutboxEvent
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// enqueue writes ev to the outbox if a webhook exists (mu held).
func (s *memStore) enqueue(ev hubbub.OutboxEvent) {
	if len(s.out.hooks) == 0 && s.bug != "outboxalways" {
		return
	}
	s.out.pos++
	s.out.events = append(s.out.events, memEvent{pos: s.out.pos, ev: cloneEvent(ev)})
}

// enqueueEntry writes the event of stored entry e if something will read it (mu held): a
// webhook that follows its room and kind, or, for a message that mentions someone, is in a
// DM or in a room where someone's level is all, a webhook that follows notifications.
func (s *memStore) enqueueEntry(e hubbub.Entry) {
	hooks := s.out.hooks
	if s.bug == "outboxfirsthooks" { // the webhooks of the first append, never read again
		if !s.out.firstSet {
			s.out.firstHooks, s.out.firstSet = slices.Clone(hooks), true
		}
		hooks = s.out.firstHooks
	}
	if len(hooks) == 0 && s.bug != "outboxalways" {
		return
	}
	want := s.bug == "outboxunfollowed" || s.bug == "outboxalways" || s.bug == "outboxcreateany" && s.out.creating
	notify := false
	for _, w := range hooks {
		want = want || w.Follows(e.Room, hubbub.HookEventOf(e.Kind))
		notify = notify || slices.Contains(w.Events, hubbub.HookNotification)
	}
	if !want && notify && e.Kind == hubbub.KindMessage {
		want = (len(e.Mentions) > 0 && s.bug != "outboxnomention") || hubbub.IsDMRoom(e.Room)
		for k, level := range s.out.levels {
			want = want || k[0] == e.Room && level == hubbub.NotifyAll
		}
	}
	if !want {
		return
	}
	s.enqueue(hubbub.OutboxEvent{ID: e.ID, Kind: hubbub.HookEventOf(e.Kind), Room: e.Room, Seq: e.Seq, Time: e.Time, Entry: &e})
}

func (s *memStore) hook(id string) *hubbub.Webhook {
	for _, w := range s.out.hooks {
		if w.ID == id {
			return w
		}
	}
	return nil
}

// checkHook says why w cannot be kept, and returns it with its events in order and a secret.
func checkHook(w hubbub.Webhook) (hubbub.Webhook, error) {
	u, err := url.Parse(w.URL)
	if w.URL == "" || len(w.URL) > hubbub.MaxWebhookURLLen || err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return w, hubbub.Errorf(hubbub.ECodeBadField, "bad url %q", w.URL)
	}
	if len(w.Rooms) > hubbub.MaxWebhookRooms {
		return w, hubbub.Errorf(hubbub.ECodeLimit, "too many rooms")
	}
	for _, p := range w.Rooms {
		if name, _ := strings.CutSuffix(p, "*"); p != "*" && (name == "" || strings.Contains(name, "*")) {
			return w, hubbub.Errorf(hubbub.ECodeBadField, "bad pattern %q", p)
		}
	}
	var events []hubbub.HookEvent
	for _, e := range w.Events {
		if !slices.Contains(hubbub.HookEvents, e) {
			return w, hubbub.Errorf(hubbub.ECodeBadField, "bad event %q", e)
		}
	}
	for _, e := range hubbub.HookEvents {
		if slices.Contains(w.Events, e) {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		return w, hubbub.Errorf(hubbub.ECodeMissing, "no events")
	}
	w.Events, w.Rooms = events, slices.Clone(w.Rooms)
	if w.Rooms == nil {
		w.Rooms = []string{}
	}
	if w.Secret == "" {
		w.Secret = fmt.Sprint("secret-", time.Now().UnixNano())
	}
	return w, nil
}

func copyHook(w *hubbub.Webhook) hubbub.Webhook {
	out := *w
	out.Rooms, out.Events = slices.Clone(w.Rooms), slices.Clone(w.Events)
	return out
}

func (s *memStore) CreateWebhook(ctx context.Context, in hubbub.Webhook) (hubbub.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Webhook{}, err
	}
	w, err := checkHook(in)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	if len(s.out.hooks) >= hubbub.MaxWebhooks {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeLimit, "too many webhooks")
	}
	s.out.ids++
	w.ID, w.Created = fmt.Sprint("wh_", s.out.ids), s.now().UTC().Truncate(time.Millisecond)
	s.out.hooks = append(s.out.hooks, &w)
	return copyHook(&w), nil
}

func (s *memStore) Webhook(ctx context.Context, id string) (hubbub.Webhook, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Webhook{}, false, err
	}
	if w := s.hook(id); w != nil {
		return copyHook(w), true, nil
	}
	return hubbub.Webhook{}, false, nil
}

func (s *memStore) Webhooks(ctx context.Context) ([]hubbub.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var out []hubbub.Webhook
	for _, w := range s.out.hooks {
		out = append(out, copyHook(w))
	}
	return out, nil
}

func (s *memStore) UpdateWebhook(ctx context.Context, id string, c hubbub.WebhookChange) (hubbub.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Webhook{}, err
	}
	w := s.hook(id)
	if w == nil {
		return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %s", id)
	}
	next := copyHook(w)
	if c.URL != nil {
		next.URL = *c.URL
	}
	if c.Rooms != nil {
		next.Rooms = *c.Rooms
	}
	if c.Events != nil {
		next.Events = *c.Events
	}
	if c.Paused != nil {
		next.Paused = *c.Paused
	}
	if c.Secret != nil {
		if *c.Secret == "" {
			return hubbub.Webhook{}, hubbub.Errorf(hubbub.ECodeMissing, "empty secret")
		}
		next.Secret = *c.Secret
	}
	next, err := checkHook(next)
	if err != nil {
		return hubbub.Webhook{}, err
	}
	*w = next
	return copyHook(w), nil
}

func (s *memStore) DeleteWebhook(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.hook(id) == nil {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %s", id)
	}
	s.out.hooks = slices.DeleteFunc(s.out.hooks, func(w *hubbub.Webhook) bool { return w.ID == id })
	s.out.deliveries = slices.DeleteFunc(s.out.deliveries, func(d *memDelivery) bool { return d.d.Webhook == id })
	return nil
}

func (s *memStore) EnqueueEvent(ctx context.Context, ev hubbub.OutboxEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if ev.ID == "" || !slices.Contains(hubbub.HookEvents, ev.Kind) {
		return hubbub.Errorf(hubbub.ECodeBadField, "an event needs an id and a kind")
	}
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	ev.Time = ev.Time.UTC().Truncate(time.Millisecond)
	for _, w := range s.out.hooks {
		if slices.Contains(w.Events, hubbub.HookNotification) || s.bug == "outboxalways" {
			s.enqueue(ev)
			return nil
		}
	}
	return nil
}

func (s *memStore) FanOut(ctx context.Context, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	take := s.out.events[:min(max(limit, 0), len(s.out.events))]
	if s.bug == "fanoutnewest" {
		take = s.out.events[len(s.out.events)-len(take):]
		slices.Reverse(take)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	for _, e := range take {
		for _, w := range s.out.hooks {
			if w.Follows(e.ev.Room, e.ev.Kind) {
				s.out.deliveries = append(s.out.deliveries, &memDelivery{pos: e.pos, d: hubbub.Delivery{Webhook: w.ID,
					Event: cloneEvent(e.ev), State: hubbub.DeliveryPending, NextAttempt: now, Created: now}})
			}
		}
		s.addCandidates(e.ev)
	}
	n := len(take)
	if s.bug == "fanoutnewest" {
		s.out.events = s.out.events[:len(s.out.events)-n]
	} else {
		s.out.events = s.out.events[n:]
	}
	return n, nil
}

// addCandidates records the notify candidates of ev (mu held).
func (s *memStore) addCandidates(ev hubbub.OutboxEvent) {
	e := ev.Entry
	if ev.Kind != hubbub.HookMessage || e == nil {
		return
	}
	seen := map[string]bool{}
	if s.bug != "notifysender" {
		seen[e.User] = true
	}
	add := func(user, reason string) {
		if seen[user] || s.out.levels[[2]string{e.Room, user}] == hubbub.NotifyNothing {
			return
		}
		seen[user] = true
		s.out.candidates = append(s.out.candidates, hubbub.NotifyCandidate{User: user, Room: e.Room, Seq: e.Seq,
			Reason: reason, From: e.From, Text: e.Text, Time: e.Time})
	}
	for _, m := range e.Mentions {
		add(m.User, hubbub.NotifyMention)
	}
	var members []string
	for user, m := range s.members[e.Room] {
		if !m.Invited {
			members = append(members, user)
		}
	}
	slices.Sort(members)
	if hubbub.IsDMRoom(e.Room) {
		for _, u := range members {
			add(u, hubbub.NotifyDM)
		}
	}
	for _, u := range members {
		if s.out.levels[[2]string{e.Room, u}] == hubbub.NotifyAll {
			add(u, hubbub.NotifyAll)
		}
	}
}

func (s *memStore) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]hubbub.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	heads := map[[2]string]*memDelivery{}
	var out []*memDelivery
	for _, d := range s.out.deliveries { // in pos order: the first of a queue is its head
		if d.d.State == hubbub.DeliveryDead && s.bug != "deadblocks" {
			continue
		}
		if w := s.hook(d.d.Webhook); w == nil || w.Paused {
			continue
		}
		q := [2]string{d.d.Webhook, d.d.Event.Room}
		if h := heads[q]; h == nil || d.d.Event.Seq < h.d.Event.Seq {
			heads[q] = d
		}
		if s.bug == "dueall" && d.d.State == hubbub.DeliveryPending && d.d.NextAttempt.Compare(now) <= 0 {
			out = append(out, d)
		}
	}
	if s.bug != "dueall" {
		for _, h := range heads {
			if h.d.State == hubbub.DeliveryPending && h.d.NextAttempt.Compare(now) <= 0 {
				out = append(out, h)
			}
		}
	}
	oldest := func(a, b *memDelivery) int {
		if c := a.d.NextAttempt.Compare(b.d.NextAttempt); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	}
	slices.SortFunc(out, oldest)
	if s.bug != "duefifo" {
		// The webhooks in turn: each one's oldest head, then each one's next oldest, …
		turn := map[*memDelivery]int{}
		seen := map[string]int{}
		for _, d := range out {
			seen[d.d.Webhook]++
			turn[d] = seen[d.d.Webhook]
		}
		slices.SortStableFunc(out, func(a, b *memDelivery) int { return cmp.Compare(turn[a], turn[b]) })
	}
	var res []hubbub.Delivery
	for _, d := range out[:min(max(limit, 0), len(out))] {
		res = append(res, copyDelivery(d))
	}
	return res, nil
}

func copyDelivery(d *memDelivery) hubbub.Delivery {
	out := d.d
	out.Event = cloneEvent(d.d.Event)
	return out
}

func (s *memStore) delivery(webhook, id string) *memDelivery {
	for _, d := range s.out.deliveries {
		if d.d.Webhook == webhook && d.d.Event.ID == id {
			return d
		}
	}
	return nil
}

func (s *memStore) CompleteDelivery(ctx context.Context, webhook, eventID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	s.out.deliveries = slices.DeleteFunc(s.out.deliveries, func(d *memDelivery) bool {
		return d.d.Webhook == webhook && d.d.Event.ID == eventID
	})
	return nil
}

func (s *memStore) RetryDelivery(ctx context.Context, webhook, eventID string, next time.Time, lastError string, dead bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if d := s.delivery(webhook, eventID); d != nil {
		d.d.Attempts++
		d.d.LastError, d.d.NextAttempt = lastError, next.UTC().Truncate(time.Millisecond)
		if dead {
			d.d.State = hubbub.DeliveryDead
		}
	}
	return nil
}

func (s *memStore) Deliveries(ctx context.Context, webhook string, state hubbub.DeliveryState, after string, limit int) ([]hubbub.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if state != hubbub.DeliveryPending && state != hubbub.DeliveryDead {
		return nil, hubbub.Errorf(hubbub.ECodeBadField, "bad state %q", state)
	}
	if s.hook(webhook) == nil {
		return nil, hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %s", webhook)
	}
	var from int64
	if after != "" {
		d := s.delivery(webhook, after)
		if d == nil {
			return nil, hubbub.Errorf(hubbub.ECodeNotFound, "no delivery %s", after)
		}
		from = d.pos
	}
	var out []hubbub.Delivery
	for _, d := range s.out.deliveries {
		if d.d.Webhook == webhook && d.d.State == state && d.pos > from && len(out) < limit {
			out = append(out, copyDelivery(d))
		}
	}
	return out, nil
}

func (s *memStore) ReplayDeliveries(ctx context.Context, webhook string, ids []string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	if s.hook(webhook) == nil {
		return 0, hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %s", webhook)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	n := 0
	for _, d := range s.out.deliveries {
		if d.d.Webhook == webhook && d.d.State == hubbub.DeliveryDead && (len(ids) == 0 || slices.Contains(ids, d.d.Event.ID)) {
			d.d.State, d.d.Attempts, d.d.NextAttempt, d.d.Created = hubbub.DeliveryPending, 0, now, now
			n++
		}
	}
	return n, nil
}

func (s *memStore) SummarizeDeliveries(ctx context.Context, webhook string, state hubbub.DeliveryState) (hubbub.DeliverySummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := hubbub.DeliverySummary{Webhook: webhook, State: state}
	if err := s.check(ctx); err != nil {
		return sum, err
	}
	if state != hubbub.DeliveryPending && state != hubbub.DeliveryDead {
		return sum, hubbub.Errorf(hubbub.ECodeBadField, "bad state %q", state)
	}
	if s.hook(webhook) == nil {
		return sum, hubbub.Errorf(hubbub.ECodeNotFound, "no webhook %s", webhook)
	}
	heads := map[string]*memDelivery{}
	for _, d := range s.out.deliveries { // in pos order
		if d.d.Webhook != webhook || d.d.State != state {
			continue
		}
		sum.Count++
		if sum.Oldest.IsZero() || d.d.Created.Before(sum.Oldest) {
			sum.Oldest = d.d.Created
		}
		if d.d.Attempts > sum.Attempts {
			sum.Failed, sum.Attempts, sum.LastError = d.d.Event.ID, d.d.Attempts, d.d.LastError
		}
		if state == hubbub.DeliveryPending && s.bug == "summaryallnext" && (sum.NextAttempt.IsZero() || d.d.NextAttempt.Before(sum.NextAttempt)) {
			sum.NextAttempt = d.d.NextAttempt
		}
		if h := heads[d.d.Event.Room]; h == nil || d.d.Event.Seq < h.d.Event.Seq {
			heads[d.d.Event.Room] = d
		}
	}
	if state == hubbub.DeliveryPending && s.bug != "summaryallnext" {
		for _, h := range heads {
			if sum.NextAttempt.IsZero() || h.d.NextAttempt.Before(sum.NextAttempt) {
				sum.NextAttempt = h.d.NextAttempt
			}
		}
	}
	return sum, nil
}

func (s *memStore) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if name == "" || holder == "" || ttl <= 0 {
		return false, hubbub.Errorf(hubbub.ECodeBadField, "a lease needs a name, a holder and a ttl")
	}
	now := s.now()
	if l, ok := s.out.leases[name]; ok && l.holder != holder && now.Before(l.until) && s.bug != "leaseanyone" {
		return false, nil
	}
	s.out.leases[name] = memLease{holder: holder, until: now.Add(ttl)}
	return true, nil
}

func (s *memStore) AnnounceNode(ctx context.Context, n hubbub.ServingNode, ttl time.Duration) ([]hubbub.ServingNode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	switch {
	case n.ID == "":
		return nil, hubbub.Errorf(hubbub.ECodeMissing, "a serving node needs an id")
	case len(n.ID) > 256 || len(n.Name) > 256 || len(n.Broker) > 256:
		return nil, hubbub.Errorf(hubbub.ECodeLimit, "too long")
	case ttl < 0 || ttl > 0 && ttl < time.Millisecond:
		return nil, hubbub.Errorf(hubbub.ECodeBadField, "a record lasts at least a millisecond")
	}
	now := ms(s.now())
	delete(s.out.nodes, n.ID)
	if ttl > 0 {
		n.Until = now.Add(ttl.Truncate(time.Millisecond))
		s.out.nodes[n.ID] = n
	}
	var others []hubbub.ServingNode
	for id, o := range s.out.nodes {
		if id != n.ID && (o.Until.After(now) || s.bug == "nodesexpired") {
			others = append(others, o)
		}
	}
	slices.SortFunc(others, func(a, b hubbub.ServingNode) int { return strings.Compare(a.ID, b.ID) })
	return others, nil
}

func (s *memStore) SetNotifyLevel(ctx context.Context, user, room, level string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if level != hubbub.NotifyAll && level != hubbub.NotifyMention && level != hubbub.NotifyNothing {
		return hubbub.Errorf(hubbub.ECodeBadField, "bad level %q", level)
	}
	s.out.levels[[2]string{room, user}] = level
	return nil
}

func (s *memStore) NotifyLevel(ctx context.Context, user, room string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return "", err
	}
	if l, ok := s.out.levels[[2]string{room, user}]; ok {
		return l, nil
	}
	return hubbub.NotifyMention, nil
}

func (s *memStore) TakeNotifyCandidates(ctx context.Context, before time.Time, limit int) ([]hubbub.NotifyCandidate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	oldest := map[string]time.Time{}
	for _, c := range s.out.candidates {
		if o, ok := oldest[c.User]; !ok || c.Time.Before(o) {
			oldest[c.User] = c.Time
		}
	}
	var users []string
	for u, o := range oldest {
		if o.Before(before) {
			users = append(users, u)
		}
	}
	slices.SortFunc(users, func(a, b string) int {
		if c := oldest[a].Compare(oldest[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	users = users[:min(max(limit, 0), len(users))]
	var out []hubbub.NotifyCandidate
	for _, u := range users {
		var mine []hubbub.NotifyCandidate
		for _, c := range s.out.candidates {
			if c.User == u {
				mine = append(mine, c)
			}
		}
		slices.SortStableFunc(mine, func(a, b hubbub.NotifyCandidate) int {
			return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Room, b.Room), cmp.Compare(a.Seq, b.Seq))
		})
		out = append(out, mine...)
		s.out.candidates = slices.DeleteFunc(s.out.candidates, func(c hubbub.NotifyCandidate) bool { return c.User == u })
	}
	return out, nil
}
