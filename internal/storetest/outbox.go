package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/testwait"
)

// outboxCases are the OutboxStore cases (issue 18), which RunStoreTests runs with the others.
var outboxCases = []struct {
	name string
	run  func(*testing.T, opener)
}{
	{"Webhooks", testWebhooks},
	{"OutboxOrder", testOutboxOrder},
	{"OutboxOnlyWithWebhooks", testOutboxOnlyWithWebhooks},
	{"OutboxOnlyFollowed", testOutboxOnlyFollowed},
	{"FanOutPatterns", testFanOutPatterns},
	{"NotifyCandidates", testNotifyCandidates},
	{"DueOnePerQueue", testDueOnePerQueue},
	{"DueFairAcrossWebhooks", testDueFairAcrossWebhooks},
	{"DeadAndReplay", testDeadAndReplay},
	{"SummarizeDeliveries", testSummarizeDeliveries},
	{"Lease", testLease},
	{"Nodes", testNodes},
	{"DeleteWebhookCascades", testDeleteWebhookCascades},
	{"OutboxConcurrent", testOutboxConcurrent},
	{"OutboxDoneContext", testOutboxDoneContext},
}

// later is a time every delivery made by a test is due by.
func later() time.Time { return time.Now().Add(time.Hour) }

// hook creates a webhook following rooms and events and fails t unless that works.
func hook(t testing.TB, s hubbub.Store, rooms []string, events ...hubbub.HookEvent) hubbub.Webhook {
	t.Helper()
	w, err := s.CreateWebhook(t.Context(), hubbub.Webhook{URL: "https://example.com/hook", Rooms: rooms, Events: events, CreatedBy: "u_admin"})
	if err != nil {
		t.Fatalf("CreateWebhook(%v, %v): %v", rooms, events, err)
	}
	return w
}

// allEvents are the kinds of room entry.
var allEvents = []hubbub.HookEvent{hubbub.HookMessage, hubbub.HookEdit, hubbub.HookDelete, hubbub.HookReaction, hubbub.HookMember, hubbub.HookTopic, hubbub.HookSanction}

// fanOutAll fans out every waiting event and returns how many there were.
func fanOutAll(t testing.TB, s hubbub.Store) int {
	t.Helper()
	total := 0
	for range 1000 {
		n, err := s.FanOut(t.Context(), 7)
		if err != nil {
			t.Fatalf("FanOut: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("FanOut keeps finding events")
	return total
}

// due calls DueDeliveries at later() and fails t on error.
func due(t testing.TB, s hubbub.Store, limit int) []hubbub.Delivery {
	t.Helper()
	ds, err := s.DueDeliveries(t.Context(), later(), limit)
	if err != nil {
		t.Fatalf("DueDeliveries: %v", err)
	}
	return ds
}

// pending lists a webhook's deliveries in state.
func listDeliveries(t testing.TB, s hubbub.Store, webhook string, state hubbub.DeliveryState) []hubbub.Delivery {
	t.Helper()
	ds, err := s.Deliveries(t.Context(), webhook, state, "", 1000)
	if err != nil {
		t.Fatalf("Deliveries(%s, %s): %v", webhook, state, err)
	}
	return ds
}

// eventIDs are the event ids of ds.
func eventIDs(ds []hubbub.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Event.ID
	}
	return out
}

// drain completes every delivery as DueDeliveries hands them out and returns, by webhook and
// room, the seqs in the order they were handed out; it fails t if a queue ever yields two of
// one room at once.
func drain(t testing.TB, s hubbub.Store) map[string][]uint64 {
	t.Helper()
	got := map[string][]uint64{}
	for range 10000 {
		ds := due(t, s, 50)
		if len(ds) == 0 {
			return got
		}
		queues := map[string]bool{}
		for _, d := range ds {
			q := d.Webhook + " " + d.Event.Room
			if queues[q] {
				t.Fatalf("DueDeliveries gave two deliveries of queue %q at once: %+v", q, eventIDs(ds))
			}
			queues[q] = true
			if d.Event.Room != "" {
				got[q] = append(got[q], d.Event.Seq)
			}
			if err := s.CompleteDelivery(t.Context(), d.Webhook, d.Event.ID); err != nil {
				t.Fatalf("CompleteDelivery: %v", err)
			}
		}
	}
	t.Fatal("DueDeliveries never runs dry")
	return got
}

// testWebhooks: CreateWebhook checks and stores a webhook (an id, a secret if none, the
// store's time), Webhook and Webhooks read it back, UpdateWebhook changes what it names and
// refuses what CreateWebhook refuses, and every call about an unknown webhook is not found.
func testWebhooks(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	bad := []hubbub.Webhook{
		{URL: "", Rooms: []string{"*"}, Events: allEvents},
		{URL: "ftp://example.com/", Rooms: []string{"*"}, Events: allEvents},
		{URL: "https://", Rooms: []string{"*"}, Events: allEvents},
		{URL: "https://example.com/" + strings.Repeat("x", hubbub.MaxWebhookURLLen), Rooms: []string{"*"}, Events: allEvents},
		{URL: "https://example.com/", Rooms: []string{"*"}},
		{URL: "https://example.com/", Rooms: []string{"*"}, Events: []hubbub.HookEvent{"shout"}},
		{URL: "https://example.com/", Rooms: []string{"a*b"}, Events: allEvents},
		{URL: "https://example.com/", Rooms: []string{""}, Events: allEvents},
	}
	for _, w := range bad {
		if _, err := s.CreateWebhook(ctx, w); err == nil || hubbub.ErrorCode(err) == hubbub.ECodeInternal {
			t.Errorf("CreateWebhook(%+v) = %v, want a refusal with a code", w, err)
		}
	}
	start := time.Now().Add(-time.Second)
	a, err := s.CreateWebhook(ctx, hubbub.Webhook{URL: "https://example.com/a", Rooms: []string{"general", "dev-*"},
		Events: []hubbub.HookEvent{hubbub.HookReaction, hubbub.HookMessage}, Secret: "s3cret", CreatedBy: "u_admin",
		ID: "wh_mine", Created: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "wh_") || a.ID == "wh_mine" || a.Secret != "s3cret" || a.CreatedBy != "u_admin" ||
		a.Created.Before(start) || a.Created.Location() != time.UTC || !a.Created.Equal(a.Created.Truncate(time.Millisecond)) {
		t.Errorf("created %+v: want a fresh wh_ id, the secret and creator given, the store's time in UTC ms", a)
	}
	// The list is in order of creation, kept to the millisecond (two made in one are listed by
	// id): b is made in a later one, as two webhooks an admin creates are, or the order below
	// is a coin toss on a fast machine.
	testwait.Until(t, "a millisecond after a's creation", func() bool { return time.Now().Truncate(time.Millisecond).After(a.Created) })
	b := hook(t, s, nil, hubbub.HookNotification)
	if b.Secret == "" || b.ID == a.ID || len(b.Rooms) != 0 {
		t.Errorf("created %+v: want a generated secret, an id of its own, no rooms", b)
	}
	got, found, err := s.Webhook(ctx, a.ID)
	if err != nil || !found || got.URL != a.URL || !slices.Equal(got.Rooms, a.Rooms) || !slices.Equal(got.Events, a.Events) ||
		got.Secret != a.Secret || !got.Created.Equal(a.Created) || got.Paused {
		t.Errorf("Webhook(%s) = %+v, %v, %v; want %+v", a.ID, got, found, err, a)
	}
	if _, found, err := s.Webhook(ctx, "wh_nothere"); found || err != nil {
		t.Errorf("Webhook(unknown) = found %v, %v", found, err)
	}
	list, err := s.Webhooks(ctx)
	if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Errorf("Webhooks = %+v, %v; want a then b", list, err)
	}

	paused, url, rooms := true, "http://example.org/x", []string{"*"}
	up, err := s.UpdateWebhook(ctx, a.ID, hubbub.WebhookChange{Paused: &paused, URL: &url, Rooms: &rooms})
	if err != nil || !up.Paused || up.URL != url || !slices.Equal(up.Rooms, rooms) || !slices.Equal(up.Events, a.Events) ||
		up.Secret != a.Secret || up.ID != a.ID {
		t.Errorf("UpdateWebhook = %+v, %v", up, err)
	}
	secret := "rotated"
	if up, err := s.UpdateWebhook(ctx, a.ID, hubbub.WebhookChange{Secret: &secret}); err != nil || up.Secret != secret || !up.Paused {
		t.Errorf("rotating: %+v, %v", up, err)
	}
	if got, _, _ := s.Webhook(ctx, a.ID); got.Secret != secret || !got.Paused || got.URL != url {
		t.Errorf("after updates Webhook = %+v", got)
	}
	none := []hubbub.HookEvent{}
	if _, err := s.UpdateWebhook(ctx, a.ID, hubbub.WebhookChange{Events: &none}); err == nil {
		t.Error("UpdateWebhook to no events succeeded")
	}
	if got, _, _ := s.Webhook(ctx, a.ID); len(got.Events) != 2 {
		t.Errorf("a refused update changed the webhook: %+v", got)
	}
	wantCode(t, "UpdateWebhook(unknown)", func() error {
		_, err := s.UpdateWebhook(ctx, "wh_x", hubbub.WebhookChange{Paused: &paused})
		return err
	}(), hubbub.ECodeNotFound)
	wantCode(t, "DeleteWebhook(unknown)", s.DeleteWebhook(ctx, "wh_x"), hubbub.ECodeNotFound)
	wantCode(t, "ReplayDeliveries(unknown)", func() error { _, err := s.ReplayDeliveries(ctx, "wh_x", nil); return err }(), hubbub.ECodeNotFound)
	if err := s.DeleteWebhook(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Webhooks(ctx); len(list) != 1 {
		t.Errorf("after a delete Webhooks = %+v", list)
	}
}

// testOutboxOrder: with a webhook, every entry appended (of every kind) becomes an event
// carrying the entry as Append returned it; FanOut takes them oldest first, and the
// deliveries of each room come out in seq order, one at a time.
func testOutboxOrder(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	w := hook(t, s, []string{"*"}, allEvents...)
	var appended []hubbub.Entry
	for i := range 6 {
		appended = append(appended, mustAppend(t, s, msg([]string{"a", "b"}[i%2], "alice", fmt.Sprint("m", i))))
	}
	appended = append(appended,
		mustAppend(t, s, hubbub.Entry{Room: "a", From: "alice", Kind: hubbub.KindEdit, Target: 1, Text: "m0 again"}),
		mustAppend(t, s, hubbub.Entry{Room: "b", From: "bob", Kind: hubbub.KindReaction, Target: 1, Emoji: "👍"}),
		mustAppend(t, s, hubbub.Entry{Room: "a", From: "alice", Kind: hubbub.KindDelete, Target: 2}),
		impose(t, s, hubbub.Sanction{Room: "b", User: "u_eve", Name: "eve", Kind: hubbub.SanctionBan, Until: time.Now().Add(time.Hour)}))
	if n, err := s.FanOut(t.Context(), 1); err != nil || n != 1 {
		t.Fatalf("FanOut(1) = %d, %v", n, err)
	}
	if got := eventIDs(listDeliveries(t, s, w.ID, hubbub.DeliveryPending)); !slices.Equal(got, []string{appended[0].ID}) {
		t.Fatalf("FanOut(1) made deliveries of %v, want the oldest event's only (%s)", got, appended[0].ID)
	}
	if n := 1 + fanOutAll(t, s); n != len(appended) {
		t.Fatalf("FanOut took %d events, want %d", n, len(appended))
	}
	ds := listDeliveries(t, s, w.ID, hubbub.DeliveryPending)
	if len(ds) != len(appended) {
		t.Fatalf("%d deliveries, want %d", len(ds), len(appended))
	}
	byID := map[string]hubbub.Delivery{}
	for _, d := range ds {
		byID[d.Event.ID] = d
	}
	for _, e := range appended {
		d, ok := byID[e.ID]
		if !ok {
			t.Errorf("no delivery of %+v", e)
			continue
		}
		ev := d.Event
		if ev.Kind != hubbub.HookEventOf(e.Kind) || ev.Room != e.Room || ev.Seq != e.Seq || !ev.Time.Equal(e.Time) ||
			ev.Entry == nil || ev.Entry.ID != e.ID || ev.Entry.Text != e.Text || ev.Entry.Added != e.Added ||
			ev.Entry.Count != e.Count || ev.Entry.Target != e.Target || ev.Notification != nil {
			t.Errorf("event %+v (entry %+v) does not describe %+v", ev, ev.Entry, e)
		}
		if d.State != hubbub.DeliveryPending || d.Attempts != 0 || d.Webhook != w.ID || d.NextAttempt.After(time.Now().Add(time.Minute)) {
			t.Errorf("new delivery %+v: want pending, no attempt, due now", d)
		}
	}
	got := drain(t, s)
	want := map[string][]uint64{w.ID + " a": {1, 2, 3, 4, 5}, w.ID + " b": {1, 2, 3, 4, 5}}
	for q, seqs := range want {
		if !slices.Equal(got[q], seqs) {
			t.Errorf("queue %q delivered %v, want %v", q, got[q], seqs)
		}
	}
	if n := fanOutAll(t, s); n != 0 {
		t.Errorf("FanOut after all took %d", n)
	}
}

// testOutboxOnlyWithWebhooks: no webhook, no event; a duplicate or refused append writes
// none; an event is written by each append made while a webhook (even a paused one) exists.
func testOutboxOnlyWithWebhooks(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	mustAppend(t, s, withID("a", "alice", "c-1", "before any webhook"))
	notify := hubbub.OutboxEvent{ID: "nt_1", Kind: hubbub.HookNotification, Notification: &hubbub.Notification{User: "u_bob", Name: "bob"}}
	if err := s.EnqueueEvent(ctx, notify); err != nil {
		t.Fatal(err)
	}
	if n := fanOutAll(t, s); n != 0 {
		t.Errorf("FanOut with no webhook ever took %d events", n)
	}
	w := hook(t, s, []string{"*"}, append(slices.Clone(allEvents), hubbub.HookNotification)...)
	paused := true
	if _, err := s.UpdateWebhook(ctx, w.ID, hubbub.WebhookChange{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	if _, dup, err := appendValue(ctx, s, withID("a", "alice", "c-1", "again")); err != nil || !dup {
		t.Fatalf("resend: dup %v, %v", dup, err)
	}
	if _, _, err := appendValue(ctx, s, hubbub.Entry{Room: "a", From: "alice", Kind: hubbub.KindEdit, Target: 99, Text: "x"}); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Fatalf("edit of nothing: %v", err)
	}
	if n := fanOutAll(t, s); n != 0 {
		t.Errorf("FanOut after a resend and a refusal took %d events", n)
	}
	m := mustAppend(t, s, msg("a", "alice", "with a webhook"))
	bob := newUser(t, s, "bob")
	_, joins := createRoom(t, s, hubbub.RoomMeta{Name: "new", CreatedBy: bob.ID}, member(bob, hubbub.RoomOwner))
	if err := s.EnqueueEvent(ctx, notify); err != nil {
		t.Fatal(err)
	}
	if n := fanOutAll(t, s); n != 3 {
		t.Errorf("FanOut took %d events, want the message, CreateRoom's join and the notification", n)
	}
	ds := listDeliveries(t, s, w.ID, hubbub.DeliveryPending)
	if !slices.Equal(eventIDs(ds), []string{m.ID, joins[0].ID, notify.ID}) {
		t.Errorf("paused webhook's deliveries %v, want %s, the join %s and %s: they accrue while it is paused", eventIDs(ds), m.ID, joins[0].ID, notify.ID)
	}
	if len(due(t, s, 10)) != 0 {
		t.Error("a paused webhook's delivery is due")
	}
	if err := s.EnqueueEvent(ctx, hubbub.OutboxEvent{Kind: hubbub.HookNotification, Notification: &hubbub.Notification{}}); err == nil {
		t.Error("EnqueueEvent of an event without an id succeeded")
	}
	if err := s.DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, msg("a", "alice", "after the last webhook went"))
	if n := fanOutAll(t, s); n != 0 {
		t.Errorf("FanOut after every webhook went took %d events", n)
	}
}

// testOutboxOnlyFollowed: Append writes an entry's event only when something will read it — a
// webhook (paused or not) that follows its room and kind, or, for a message that mentions
// someone, is in a DM or in a room where someone's level is all, a webhook that follows
// notifications; CreateRoom writes its joins' alike; EnqueueEvent writes a notification only
// when a webhook follows them. A webhook created later gets every event appended after it.
func testOutboxOnlyFollowed(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	alice, bob := newUser(t, s, "alice"), newUser(t, s, "bob")
	createRoom(t, s, hubbub.RoomMeta{Name: "c", CreatedBy: alice.ID}, member(alice, hubbub.RoomOwner), member(bob, hubbub.RoomMember))
	onlyA := hook(t, s, []string{"a"}, hubbub.HookMessage)
	a1 := mustAppend(t, s, msg("a", "alice", "followed"))
	mustAppend(t, s, msg("b", "alice", "no webhook follows b"))
	mustAppend(t, s, hubbub.Entry{Room: "a", From: "alice", Kind: hubbub.KindEdit, Target: a1.Seq, Text: "no webhook follows edits"})
	mustAppend(t, s, hubbub.Entry{Room: "b", From: "bob", Text: "hi @alice", Mentions: []hubbub.Mention{{User: alice.ID, Name: "alice"}}})
	if err := s.EnqueueEvent(ctx, hubbub.OutboxEvent{ID: "nt_0", Kind: hubbub.HookNotification, Notification: &hubbub.Notification{User: alice.ID}}); err != nil {
		t.Fatal(err)
	}
	// CreateRoom's joins are entries like the others: a webhook following messages, or the
	// member changes of another room, reads none of them.
	elsewhere := hook(t, s, []string{"c"}, hubbub.HookMember)
	createRoom(t, s, hubbub.RoomMeta{Name: "d", CreatedBy: alice.ID}, member(alice, hubbub.RoomOwner), member(bob, hubbub.RoomMember))
	if n := fanOutAll(t, s); n != 1 {
		t.Errorf("a webhook following room a's messages, one following c's members: FanOut took %d events, want a's message only", n)
	}
	if got := eventIDs(listDeliveries(t, s, elsewhere.ID, hubbub.DeliveryPending)); len(got) != 0 {
		t.Errorf("the webhook following c's members got deliveries %v, want none", got)
	}
	if err := s.DeleteWebhook(ctx, elsewhere.ID); err != nil {
		t.Fatal(err)
	}

	notes := hook(t, s, nil, hubbub.HookNotification)
	paused := true
	if _, err := s.UpdateWebhook(ctx, notes.ID, hubbub.WebhookChange{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNotifyLevel(ctx, bob.ID, "c", hubbub.NotifyAll); err != nil {
		t.Fatal(err)
	}
	dm := hubbub.DMRoomName([]string{alice.ID, bob.ID})
	mention := mustAppend(t, s, hubbub.Entry{Room: "b", From: "bob", User: bob.ID, Text: "hi @alice", Mentions: []hubbub.Mention{{User: alice.ID, Name: "alice"}}})
	mustAppend(t, s, hubbub.Entry{Room: "b", From: "bob", User: bob.ID, Text: "nobody to notify"})
	mustAppend(t, s, hubbub.Entry{Room: "b", From: "alice", Kind: hubbub.KindReaction, Target: mention.Seq, Emoji: "👍"})
	mustAppend(t, s, hubbub.Entry{Room: dm, From: "bob", User: bob.ID, Text: "psst"})
	loud := mustAppend(t, s, hubbub.Entry{Room: "c", From: "alice", User: alice.ID, Text: "bob hears all of c"})
	if err := s.EnqueueEvent(ctx, hubbub.OutboxEvent{ID: "nt_1", Kind: hubbub.HookNotification, Notification: &hubbub.Notification{User: alice.ID}}); err != nil {
		t.Fatal(err)
	}
	if n := fanOutAll(t, s); n != 4 {
		t.Errorf("with a (paused) webhook following notifications, FanOut took %d events; want the mention, the DM, the message of c (bob's level is all) and the notification", n)
	}
	cs, err := s.TakeNotifyCandidates(ctx, later(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []string
	for _, c := range cs {
		seqs = append(seqs, fmt.Sprintf("%s %s %d", c.User, c.Room, c.Seq))
	}
	// The DM's other member is no member here (no CreateRoom): its event is written, and
	// makes no candidate.
	want := []string{fmt.Sprintf("%s b %d", alice.ID, mention.Seq), fmt.Sprintf("%s c %d", bob.ID, loud.Seq)}
	slices.Sort(seqs)
	slices.Sort(want)
	if !slices.Equal(seqs, want) {
		t.Errorf("candidates %v, want %v", seqs, want)
	}

	later := hook(t, s, []string{"b"}, hubbub.HookMessage, hubbub.HookReaction)
	b := mustAppend(t, s, msg("b", "alice", "now b is followed"))
	r := mustAppend(t, s, hubbub.Entry{Room: "b", From: "bob", Kind: hubbub.KindReaction, Target: b.Seq, Emoji: "👍"})
	if n := fanOutAll(t, s); n != 2 {
		t.Errorf("after a webhook following b was created, FanOut took %d events, want 2", n)
	}
	if got := eventIDs(listDeliveries(t, s, later.ID, hubbub.DeliveryPending)); !slices.Equal(got, []string{b.ID, r.ID}) {
		t.Errorf("the later webhook's deliveries %v, want %v", got, []string{b.ID, r.ID})
	}
	if got := eventIDs(listDeliveries(t, s, onlyA.ID, hubbub.DeliveryPending)); !slices.Equal(got, []string{a1.ID}) {
		t.Errorf("room a's webhook's deliveries %v, want %v", got, []string{a1.ID})
	}
}

// testFanOutPatterns: FanOut makes a delivery for each webhook that follows the event (its
// kind, a room pattern: a name, a prefix, "*" but never a DM, "dm.*" for DMs), and marks an
// event no webhook follows all the same.
func testFanOutPatterns(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	all := hook(t, s, []string{"*"}, hubbub.HookMessage)
	dev := hook(t, s, []string{"dev-*", "ops"}, hubbub.HookMessage, hubbub.HookReaction)
	dms := hook(t, s, []string{"dm.*"}, hubbub.HookMessage)
	edits := hook(t, s, []string{"general"}, hubbub.HookEdit)
	notes := hook(t, s, nil, hubbub.HookNotification)

	general := mustAppend(t, s, msg("general", "alice", "hi"))
	devx := mustAppend(t, s, msg("dev-x", "alice", "build"))
	react := mustAppend(t, s, hubbub.Entry{Room: "dev-x", From: "bob", Kind: hubbub.KindReaction, Target: devx.Seq, Emoji: "👍"})
	dm := mustAppend(t, s, msg("dm.u_a.u_b", "alice", "psst"))
	mustAppend(t, s, hubbub.Entry{Room: "general", From: "alice", Kind: hubbub.KindTopic, Text: "news"})
	if err := s.EnqueueEvent(ctx, hubbub.OutboxEvent{ID: "nt_x", Kind: hubbub.HookNotification,
		Notification: &hubbub.Notification{User: "u_b", Name: "bob", Items: []hubbub.NotificationItem{{Room: "general", Seq: 1, Reason: hubbub.NotifyMention, From: "alice", Text: "hi"}}}}); err != nil {
		t.Fatal(err)
	}
	if n := fanOutAll(t, s); n != 5 {
		t.Fatalf("FanOut took %d, want 5 (the topic, which no webhook follows, is not written)", n)
	}
	for _, c := range []struct {
		w    hubbub.Webhook
		want []string
	}{
		{all, []string{general.ID, devx.ID}},
		{dev, []string{devx.ID, react.ID}},
		{dms, []string{dm.ID}},
		{edits, nil},
		{notes, []string{"nt_x"}},
	} {
		got := eventIDs(listDeliveries(t, s, c.w.ID, hubbub.DeliveryPending))
		if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("webhook %v %v gets %v, want %v", c.w.Rooms, c.w.Events, got, c.want)
		}
	}
	ds := listDeliveries(t, s, notes.ID, hubbub.DeliveryPending)
	if len(ds) == 1 {
		n := ds[0].Event.Notification
		if ds[0].Event.Kind != hubbub.HookNotification || ds[0].Event.Room != "" || ds[0].Event.Time.IsZero() || n == nil ||
			n.User != "u_b" || len(n.Items) != 1 || n.Items[0].Text != "hi" {
			t.Errorf("notification delivered as %+v", ds[0].Event)
		}
	}
}

// testNotifyCandidates: a message makes a candidate for each user it mentions, each other
// member of a DM, each other member whose level is all, never its sender nor a user whose
// level is nothing, one per user (the first reason); other kinds make none.
// TakeNotifyCandidates hands out whole users, oldest first, and removes what it hands out.
func testNotifyCandidates(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	alice, bob, carol, dave, eve := newUser(t, s, "alice"), newUser(t, s, "bob"), newUser(t, s, "carol"), newUser(t, s, "dave"), newUser(t, s, "eve")
	createRoom(t, s, hubbub.RoomMeta{Name: "team", CreatedBy: alice.ID}, member(alice, hubbub.RoomOwner), member(bob, hubbub.RoomMember),
		member(carol, hubbub.RoomMember), member(dave, hubbub.RoomMember))
	dmName := hubbub.DMRoomName([]string{alice.ID, bob.ID})
	createRoom(t, s, hubbub.RoomMeta{Name: dmName, DM: true, Private: true, CreatedBy: alice.ID}, member(alice, hubbub.RoomMember), member(bob, hubbub.RoomMember))
	hook(t, s, nil, hubbub.HookNotification) // the outbox fills only while a webhook exists

	if lvl, err := s.NotifyLevel(ctx, carol.ID, "team"); err != nil || lvl != hubbub.NotifyMention {
		t.Errorf("NotifyLevel never set = %q, %v; want mention", lvl, err)
	}
	setLevel := func(u hubbub.User, level string) {
		t.Helper()
		if err := s.SetNotifyLevel(ctx, u.ID, "team", level); err != nil {
			t.Fatal(err)
		}
	}
	setLevel(dave, hubbub.NotifyNothing)
	setLevel(eve, hubbub.NotifyAll) // not a member
	setLevel(alice, hubbub.NotifyAll)
	wantCode(t, "SetNotifyLevel(loud)", s.SetNotifyLevel(ctx, carol.ID, "team", "loud"), hubbub.ECodeBadField)

	mention := func(us ...hubbub.User) []hubbub.Mention {
		var out []hubbub.Mention
		for _, u := range us {
			out = append(out, hubbub.Mention{User: u.ID, Name: u.Name})
		}
		return out
	}
	send := func(room string, from hubbub.User, text string, mentions ...hubbub.User) hubbub.Entry {
		return mustAppend(t, s, hubbub.Entry{Room: room, From: from.Name, User: from.ID, Text: text, Mentions: mention(mentions...)})
	}
	m1 := send("team", alice, "hi @bob @dave @alice", bob, dave, alice)
	mustAppend(t, s, hubbub.Entry{Room: "team", From: alice.Name, User: alice.ID, Kind: hubbub.KindEdit, Target: m1.Seq, Text: "hey @carol", Mentions: mention(carol)})
	mustAppend(t, s, hubbub.Entry{Room: "team", From: bob.Name, User: bob.ID, Kind: hubbub.KindReaction, Target: m1.Seq, Emoji: "👍"})
	fanOutAll(t, s)                  // the levels that count are those at fan-out: carol's is still mention
	time.Sleep(3 * time.Millisecond) // so that what follows is younger than m1 at millisecond precision
	setLevel(carol, hubbub.NotifyAll)
	setLevel(alice, hubbub.NotifyMention) // back to the default: bob's messages below do not notify her
	if lvl, err := s.NotifyLevel(ctx, carol.ID, "team"); err != nil || lvl != hubbub.NotifyAll {
		t.Errorf("NotifyLevel = %q, %v; want all", lvl, err)
	}
	m2 := send("team", bob, "hello @carol", carol)
	m3 := send("team", bob, "hello all")
	d1 := send(dmName, alice, "psst")
	d2 := send(dmName, alice, "@bob psst", bob)
	fanOutAll(t, s)

	if cs, err := s.TakeNotifyCandidates(ctx, m1.Time, 10); err != nil || len(cs) != 0 {
		t.Errorf("TakeNotifyCandidates(before the first) = %+v, %v; want none", cs, err)
	}
	type cand struct {
		user, room string
		seq        uint64
		reason     string
	}
	var got []cand
	var users []string
	for range 10 {
		cs, err := s.TakeNotifyCandidates(ctx, later(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			if c.User != cs[0].User {
				t.Errorf("TakeNotifyCandidates(limit 1) gave two users: %+v", cs)
			}
			if c.From == "" || c.Time.IsZero() {
				t.Errorf("candidate %+v lacks its sender or time", c)
			}
			got = append(got, cand{c.User, c.Room, c.Seq, c.Reason})
		}
		users = append(users, cs[0].User)
	}
	want := []cand{
		{bob.ID, "team", m1.Seq, hubbub.NotifyMention}, // bob's oldest is m1
		{bob.ID, dmName, d1.Seq, hubbub.NotifyDM},
		{bob.ID, dmName, d2.Seq, hubbub.NotifyMention},
		{carol.ID, "team", m2.Seq, hubbub.NotifyMention},
		{carol.ID, "team", m3.Seq, hubbub.NotifyAll},
	}
	if !slices.Equal(got, want) {
		t.Errorf("candidates, user by user:\n got %+v\nwant %+v", got, want)
	}
	if cs, err := s.TakeNotifyCandidates(ctx, later(), 10); err != nil || len(cs) != 0 {
		t.Errorf("TakeNotifyCandidates after all were taken = %+v, %v", cs, err)
	}
}

// testDueOnePerQueue: DueDeliveries gives the head of each queue (webhook and room) if it
// is due: a delivery waiting for its retry holds back the rest of its room, not other rooms;
// limit takes the oldest NextAttempt first; a paused webhook's are not due.
func testDueOnePerQueue(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	w := hook(t, s, []string{"*"}, hubbub.HookMessage)
	appendN(t, s, "a", 3)
	appendN(t, s, "b", 2)
	fanOutAll(t, s)
	ds := due(t, s, 10)
	if len(ds) != 2 || ds[0].Event.Seq != 1 || ds[1].Event.Seq != 1 || ds[0].Event.Room == ds[1].Event.Room {
		t.Fatalf("due %+v, want seq 1 of a and of b", ds)
	}
	var a1 hubbub.Delivery
	for _, d := range ds {
		if d.Event.Room == "a" {
			a1 = d
		}
	}
	future := time.Now().Add(2 * time.Hour)
	if err := s.RetryDelivery(ctx, w.ID, a1.Event.ID, future, "HTTP 500", false); err != nil {
		t.Fatal(err)
	}
	ds = due(t, s, 10)
	if len(ds) != 1 || ds[0].Event.Room != "b" || ds[0].Event.Seq != 1 {
		t.Fatalf("with a1 waiting for its retry, due %+v; want b1 only", ds)
	}
	if ds, _ := s.DueDeliveries(ctx, future, 10); len(ds) != 2 || ds[0].Event.Room != "b" || ds[1].Event.Seq != 1 || ds[1].Attempts != 1 ||
		ds[1].LastError != "HTTP 500" || !ds[1].NextAttempt.Equal(future.Truncate(time.Millisecond)) {
		t.Errorf("due at the retry's time %+v; want b1 then a1 (1 attempt, its error and time)", ds)
	}
	if ds := due(t, s, 1); len(ds) != 1 || ds[0].Event.Room != "b" {
		t.Errorf("due(limit 1) = %+v, want b1", ds)
	}
	paused := true
	if _, err := s.UpdateWebhook(ctx, w.ID, hubbub.WebhookChange{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	if ds := due(t, s, 10); len(ds) != 0 {
		t.Errorf("a paused webhook's due deliveries: %+v", ds)
	}
	paused = false
	if _, err := s.UpdateWebhook(ctx, w.ID, hubbub.WebhookChange{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	if ds := due(t, s, 10); len(ds) != 1 {
		t.Errorf("resumed: due %+v, want b1", ds)
	}
	// A second webhook has queues of its own.
	w2 := hook(t, s, []string{"a"}, hubbub.HookMessage)
	mustAppend(t, s, msg("a", "alice", "a4"))
	fanOutAll(t, s)
	ds = due(t, s, 10)
	if len(ds) != 2 || ds[0].Webhook != w.ID || ds[0].Event.Room != "b" || ds[1].Webhook != w2.ID || ds[1].Event.Seq != 4 {
		t.Errorf("due %+v, want b1 of the first webhook (a4 waits behind a1), a4 of the second", ds)
	}
	if ds := listDeliveries(t, s, w2.ID, hubbub.DeliveryPending); len(ds) != 1 || ds[0].Event.Seq != 4 {
		t.Errorf("second webhook's deliveries %+v, want a4", ds)
	}
	if ds, _ := s.DueDeliveries(ctx, time.Now().Add(-time.Hour), 10); len(ds) != 0 {
		t.Errorf("due an hour ago: %+v", ds)
	}
}

// testDueFairAcrossWebhooks: a webhook whose receiver is slow has many rooms backed up, all
// older than another webhook's one delivery; a page smaller than the backlog still carries the
// other webhook's, because the heads are handed out taking the webhooks in turn.
func testDueFairAcrossWebhooks(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	slow := hook(t, s, []string{"s*"}, hubbub.HookMessage)
	for i := range 5 {
		appendN(t, s, fmt.Sprintf("s%d", i), 2)
	}
	fast := hook(t, s, []string{"f"}, hubbub.HookMessage)
	appendN(t, s, "f", 1)
	fanOutAll(t, s)
	ds := due(t, s, 3)
	var got []string
	for _, d := range ds {
		who := "slow"
		if d.Webhook == fast.ID {
			who = "fast"
		}
		got = append(got, who+" "+d.Event.Room)
	}
	if len(ds) != 3 || ds[0].Webhook != slow.ID || ds[1].Webhook != fast.ID || ds[2].Webhook != slow.ID {
		t.Errorf("due(3) = %v; want the slow webhook's oldest head, the fast one's, then the slow one's next", got)
	}
	if len(due(t, s, 10)) != 6 {
		t.Errorf("due(10) has %d heads, want 6 (five rooms of one webhook, one of the other)", len(due(t, s, 10)))
	}
}

// testDeadAndReplay: a dead delivery leaves its queue (the next is due), is listed as dead,
// and ReplayDeliveries makes it pending again with no attempts; Deliveries pages by event id.
func testDeadAndReplay(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	w := hook(t, s, []string{"*"}, hubbub.HookMessage)
	ms := appendN(t, s, "a", 4)
	fanOutAll(t, s)
	for _, m := range ms[:3] {
		if err := s.RetryDelivery(ctx, w.ID, m.ID, later(), "timeout", false); err != nil {
			t.Fatal(err)
		}
		if err := s.RetryDelivery(ctx, w.ID, m.ID, later(), "refused", true); err != nil {
			t.Fatal(err)
		}
	}
	if ds := due(t, s, 10); len(ds) != 1 || ds[0].Event.ID != ms[3].ID {
		t.Fatalf("due with three dead before it: %+v, want a4", ds)
	}
	dead := listDeliveries(t, s, w.ID, hubbub.DeliveryDead)
	if !slices.Equal(eventIDs(dead), []string{ms[0].ID, ms[1].ID, ms[2].ID}) {
		t.Fatalf("dead %v, want the first three", eventIDs(dead))
	}
	if d := dead[0]; d.State != hubbub.DeliveryDead || d.Attempts != 2 || d.LastError != "refused" {
		t.Errorf("dead delivery %+v", d)
	}
	page, err := s.Deliveries(ctx, w.ID, hubbub.DeliveryDead, ms[0].ID, 1)
	if err != nil || !slices.Equal(eventIDs(page), []string{ms[1].ID}) {
		t.Errorf("Deliveries after %s, limit 1 = %v, %v; want the second", ms[0].ID, eventIDs(page), err)
	}
	if _, err := s.Deliveries(ctx, w.ID, "lost", "", 10); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("Deliveries in an unknown state: %v", err)
	}
	if pend := listDeliveries(t, s, w.ID, hubbub.DeliveryPending); !slices.Equal(eventIDs(pend), []string{ms[3].ID}) {
		t.Errorf("pending %v, want a4", eventIDs(pend))
	}
	if n, err := s.ReplayDeliveries(ctx, w.ID, []string{ms[1].ID, ms[3].ID, "nothing"}); err != nil || n != 1 {
		t.Errorf("ReplayDeliveries(a2, pending a4, unknown) = %d, %v; want 1", n, err)
	}
	pend := listDeliveries(t, s, w.ID, hubbub.DeliveryPending)
	if !slices.Equal(eventIDs(pend), []string{ms[1].ID, ms[3].ID}) {
		t.Fatalf("pending after a replay %v, want a2 a4", eventIDs(pend))
	}
	if pend[0].Attempts != 0 || pend[0].State != hubbub.DeliveryPending || pend[0].NextAttempt.After(time.Now().Add(time.Minute)) {
		t.Errorf("replayed %+v: want pending, 0 attempts, due now", pend[0])
	}
	if ds := due(t, s, 10); len(ds) != 1 || ds[0].Event.ID != ms[1].ID {
		t.Errorf("due after the replay %+v, want a2 (it comes before a4 again)", ds)
	}
	if n, err := s.ReplayDeliveries(ctx, w.ID, nil); err != nil || n != 2 {
		t.Errorf("ReplayDeliveries(all) = %d, %v; want 2", n, err)
	}
	if dead := listDeliveries(t, s, w.ID, hubbub.DeliveryDead); len(dead) != 0 {
		t.Errorf("dead after replaying all: %v", eventIDs(dead))
	}
	if got := drain(t, s)[w.ID+" a"]; !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Errorf("delivered %v after the replay, want 1 2 3 4", got)
	}
	if err := s.RetryDelivery(ctx, w.ID, ms[0].ID, later(), "gone", true); err != nil {
		t.Errorf("RetryDelivery of a completed delivery: %v", err)
	}
	if err := s.CompleteDelivery(ctx, w.ID, ms[0].ID); err != nil {
		t.Errorf("CompleteDelivery twice: %v", err)
	}
}

// testSummarizeDeliveries: a webhook's deliveries in a state are counted with the oldest's
// Created; the next attempt is the earliest of the heads of its queues, not of the deliveries
// waiting behind them (due at once, but not posted first); the failed one is the one with the
// most attempts; another webhook's deliveries do not count.
func testSummarizeDeliveries(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	w := hook(t, s, []string{"*"}, hubbub.HookMessage)
	summary := func(state hubbub.DeliveryState) hubbub.DeliverySummary {
		t.Helper()
		sum, err := s.SummarizeDeliveries(ctx, w.ID, state)
		if err != nil {
			t.Fatalf("SummarizeDeliveries(%s): %v", state, err)
		}
		if sum.Webhook != w.ID || sum.State != state {
			t.Errorf("SummarizeDeliveries(%s) of %s: %+v", state, w.ID, sum)
		}
		return sum
	}
	if sum := summary(hubbub.DeliveryPending); sum.Count != 0 || !sum.Oldest.IsZero() || !sum.NextAttempt.IsZero() || sum.Failed != "" {
		t.Errorf("nothing pending: %+v", sum)
	}
	if _, err := s.SummarizeDeliveries(ctx, "wh_nothing", hubbub.DeliveryPending); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("SummarizeDeliveries of an unknown webhook: %v, want not_found", err)
	}
	if _, err := s.SummarizeDeliveries(ctx, w.ID, "lost"); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("SummarizeDeliveries in an unknown state: %v, want bad_field", err)
	}
	a := appendN(t, s, "a", 3)
	b := appendN(t, s, "b", 2)
	fanOutAll(t, s)
	pending := listDeliveries(t, s, w.ID, hubbub.DeliveryPending)
	oldest, first := pending[0].Created, pending[0].NextAttempt
	for _, d := range pending {
		if d.Created.Before(oldest) {
			oldest = d.Created
		}
		if d.NextAttempt.Before(first) {
			first = d.NextAttempt
		}
	}
	if sum := summary(hubbub.DeliveryPending); sum.Count != 5 || !sum.Oldest.Equal(oldest) || !sum.NextAttempt.Equal(first) || sum.Failed != "" || sum.Attempts != 0 {
		t.Errorf("five pending, none tried: %+v, want 5, oldest %v, next %v", sum, oldest, first)
	}

	// Both heads wait for their retry: the next attempt is a1's, the sooner, though a2, a3
	// and b2 behind them have been due since they were made.
	retry := time.Now().Add(2 * time.Hour).Truncate(time.Millisecond)
	for _, r := range []struct {
		id    string
		next  time.Time
		error string
	}{{a[0].ID, retry, "HTTP 500"}, {b[0].ID, retry.Add(time.Hour), "timeout"}, {b[0].ID, retry.Add(time.Hour), "refused"}} {
		if err := s.RetryDelivery(ctx, w.ID, r.id, r.next, r.error, false); err != nil {
			t.Fatal(err)
		}
	}
	sum := summary(hubbub.DeliveryPending)
	if sum.Count != 5 || !sum.NextAttempt.Equal(retry) || sum.Failed != b[0].ID || sum.Attempts != 2 || sum.LastError != "refused" {
		t.Errorf("a1 and b1 retried: %+v; want 5, next attempt %v (a1's), failed b1 (2 attempts, refused)", sum, retry)
	}
	// b1 given up: b2 heads its queue, due now; a1 is the one that failed.
	if err := s.RetryDelivery(ctx, w.ID, b[0].ID, later(), "gone", true); err != nil {
		t.Fatal(err)
	}
	sum = summary(hubbub.DeliveryPending)
	if sum.Count != 4 || sum.NextAttempt.After(time.Now()) || sum.Failed != a[0].ID || sum.Attempts != 1 || sum.LastError != "HTTP 500" {
		t.Errorf("b1 dead: pending %+v; want 4, due now (b2), failed a1 (1 attempt, HTTP 500)", sum)
	}
	dead := listDeliveries(t, s, w.ID, hubbub.DeliveryDead)
	if sum := summary(hubbub.DeliveryDead); len(dead) != 1 || sum.Count != 1 || !sum.Oldest.Equal(dead[0].Created) || !sum.NextAttempt.IsZero() ||
		sum.Failed != b[0].ID || sum.Attempts != 3 || sum.LastError != "gone" {
		t.Errorf("dead: %+v; want b1 (3 attempts, gone), no next attempt", sum)
	}

	// A paused webhook's still say when its next would be (and it still queues); another
	// webhook's are its own.
	paused := true
	if _, err := s.UpdateWebhook(ctx, w.ID, hubbub.WebhookChange{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	w2 := hook(t, s, []string{"c"}, hubbub.HookMessage)
	appendN(t, s, "c", 2)
	fanOutAll(t, s)
	if sum := summary(hubbub.DeliveryPending); sum.Count != 6 || sum.NextAttempt.IsZero() || sum.Failed != a[0].ID {
		t.Errorf("paused: %+v; want 6 (it queues c's two too) and a next attempt", sum)
	}
	if sum, err := s.SummarizeDeliveries(ctx, w2.ID, hubbub.DeliveryPending); err != nil || sum.Count != 2 || sum.Failed != "" {
		t.Errorf("the second webhook's: %+v, %v; want 2", sum, err)
	}
}

// testNodes: a node's announcement lists the other nodes' unexpired records, not its own, by
// id; a record ends when it expires or its node announces a ttl of 0.
func testNodes(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	announce := func(id string, ttl time.Duration) []hubbub.ServingNode {
		t.Helper()
		others, err := s.AnnounceNode(t.Context(), hubbub.ServingNode{ID: id, Name: "name-" + id, Broker: "broker-" + id}, ttl)
		if err != nil {
			t.Fatalf("AnnounceNode(%s, %v): %v", id, ttl, err)
		}
		return others
	}
	ids := func(nodes []hubbub.ServingNode) []string {
		var out []string
		for _, n := range nodes {
			out = append(out, n.ID)
		}
		return out
	}
	if others := announce("n2", time.Hour); len(others) != 0 {
		t.Fatalf("the first node's announcement lists %v, want nobody", ids(others))
	}
	before := time.Now()
	others := announce("n1", time.Hour)
	if len(others) != 1 {
		t.Fatalf("the second node's announcement lists %v, want n2", ids(others))
	}
	o := others[0]
	if o.ID != "n2" || o.Name != "name-n2" || o.Broker != "broker-n2" {
		t.Errorf("n2's record reads %+v", o)
	}
	// The store's clock may be a database server's: near this one's, not equal to it.
	if o.Until.Location() != time.UTC || !o.Until.Equal(o.Until.Truncate(time.Millisecond)) ||
		o.Until.Before(before.Add(50*time.Minute)) || o.Until.After(before.Add(70*time.Minute)) {
		t.Errorf("n2's record lasts until %v, want about an hour after %v, UTC, to the millisecond", o.Until, before)
	}
	if got := ids(announce("n3", time.Hour)); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Errorf("the third node's announcement lists %v, want n1 n2 (by id)", got)
	}
	if got := ids(announce("n2", time.Hour)); !slices.Equal(got, []string{"n1", "n3"}) {
		t.Errorf("n2's second announcement lists %v, want n1 n3: not itself", got)
	}
	if got := ids(announce("n4", time.Millisecond)); len(got) != 3 {
		t.Errorf("n4's announcement lists %v, want n1 n2 n3", got)
	}
	time.Sleep(20 * time.Millisecond)
	if got := ids(announce("n1", time.Hour)); !slices.Equal(got, []string{"n2", "n3"}) {
		t.Errorf("after n4's record expired, n1's announcement lists %v, want n2 n3", got)
	}
	if got := ids(announce("n3", 0)); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Errorf("n3's leaving lists %v, want n1 n2", got)
	}
	if got := ids(announce("n1", time.Hour)); !slices.Equal(got, []string{"n2"}) {
		t.Errorf("after n3 left, n1's announcement lists %v, want n2", got)
	}

	ctx := t.Context()
	_, err := s.AnnounceNode(ctx, hubbub.ServingNode{Name: "x"}, time.Hour)
	wantCode(t, "AnnounceNode without an id", err, hubbub.ECodeMissing)
	_, err = s.AnnounceNode(ctx, hubbub.ServingNode{ID: "x"}, -time.Second)
	wantCode(t, "AnnounceNode with a negative ttl", err, hubbub.ECodeBadField)
	_, err = s.AnnounceNode(ctx, hubbub.ServingNode{ID: strings.Repeat("x", 257)}, time.Hour)
	wantCode(t, "AnnounceNode with a 257-byte id", err, hubbub.ECodeLimit)
	if got := ids(announce("n1", time.Hour)); !slices.Equal(got, []string{"n2"}) {
		t.Errorf("after refused announcements, n1's lists %v, want n2", got)
	}
}

// testLease: one holder at a time, renewed by its holder, taken by another once expired.
func testLease(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	take := func(name, holder string, ttl time.Duration) bool {
		t.Helper()
		ok, err := s.TakeLease(ctx, name, holder, ttl)
		if err != nil {
			t.Fatalf("TakeLease(%s, %s): %v", name, holder, err)
		}
		return ok
	}
	if !take("dispatch", "n1", time.Hour) {
		t.Fatal("a free lease was not given")
	}
	if take("dispatch", "n2", time.Hour) {
		t.Error("a held lease was given to another")
	}
	if !take("dispatch", "n1", time.Hour) {
		t.Error("its holder could not renew")
	}
	if !take("notify", "n2", time.Hour) {
		t.Error("another lease's name is held by the first")
	}
	if !take("short", "n1", time.Millisecond) {
		t.Fatal("a free lease was not given")
	}
	time.Sleep(20 * time.Millisecond)
	if !take("short", "n2", time.Hour) {
		t.Error("an expired lease was not given to another")
	}
	if take("short", "n1", time.Hour) {
		t.Error("the old holder took back a lease another holds")
	}
	if _, err := s.TakeLease(ctx, "x", "n1", 0); err == nil {
		t.Error("TakeLease with no ttl succeeded")
	}
	// Many at once: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			ok, err := s.TakeLease(ctx, "race", fmt.Sprint("n", i), time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d holders took one lease at once", won)
	}
}

// testDeleteWebhookCascades: deleting a webhook removes its deliveries (pending and dead);
// another webhook's stay; completing or retrying one of them afterwards is not an error.
func testDeleteWebhookCascades(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	w1 := hook(t, s, []string{"*"}, hubbub.HookMessage)
	w2 := hook(t, s, []string{"*"}, hubbub.HookMessage)
	ms := appendN(t, s, "a", 2)
	fanOutAll(t, s)
	if err := s.RetryDelivery(ctx, w1.ID, ms[0].ID, later(), "x", true); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, w1.ID); err != nil {
		t.Fatal(err)
	}
	for _, d := range due(t, s, 10) {
		if d.Webhook == w1.ID {
			t.Errorf("a deleted webhook's delivery is due: %+v", d)
		}
	}
	if _, err := s.Deliveries(ctx, w1.ID, hubbub.DeliveryDead, "", 10); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("Deliveries of a deleted webhook: %v, want not found", err)
	}
	if err := s.CompleteDelivery(ctx, w1.ID, ms[1].ID); err != nil {
		t.Errorf("CompleteDelivery after the delete: %v", err)
	}
	if err := s.RetryDelivery(ctx, w1.ID, ms[1].ID, later(), "x", false); err != nil {
		t.Errorf("RetryDelivery after the delete: %v", err)
	}
	if got := eventIDs(listDeliveries(t, s, w2.ID, hubbub.DeliveryPending)); !slices.Equal(got, []string{ms[0].ID, ms[1].ID}) {
		t.Errorf("the other webhook's deliveries %v", got)
	}
	// A webhook created again with the same URL starts with an empty queue.
	w3 := hook(t, s, []string{"*"}, hubbub.HookMessage)
	if ds := listDeliveries(t, s, w3.ID, hubbub.DeliveryPending); len(ds) != 0 {
		t.Errorf("a new webhook has deliveries: %v", eventIDs(ds))
	}
}

// testOutboxConcurrent: appends from many goroutines to a few rooms, fanned out while they
// run, come out of every room's queue complete and in seq order.
func testOutboxConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	ctx := t.Context()
	w := hook(t, s, []string{"*"}, hubbub.HookMessage, hubbub.HookReaction)
	rooms := []string{"r0", "r1", "r2"}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	done, stop := make(chan struct{}), make(chan struct{})
	var fanErr error
	go func() { // fans out while the appends run
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := s.FanOut(ctx, 16)
			if err != nil {
				fanErr = err
				return
			}
			if n == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				room := rooms[(g+i)%len(rooms)]
				if _, _, err := appendValue(ctx, s, msg(room, fmt.Sprint("u", g), fmt.Sprint(i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-done
	if fanErr != nil {
		t.Fatal(fanErr)
	}
	fanOutAll(t, s)
	got := drain(t, s)
	total := 0
	for _, room := range rooms {
		seqs := got[w.ID+" "+room]
		last, _ := s.LastSeq(ctx, room)
		if uint64(len(seqs)) != last {
			t.Errorf("room %s: %d deliveries, last seq %d", room, len(seqs), last)
		}
		for i, seq := range seqs {
			if seq != uint64(i+1) {
				t.Errorf("room %s delivered %v, want 1..%d in order", room, seqs, last)
				break
			}
		}
		total += len(seqs)
	}
	if total != writers*each {
		t.Errorf("%d deliveries, want %d", total, writers*each)
	}
}

// testOutboxDoneContext: every OutboxStore call fails with a done context and after Close.
func testOutboxDoneContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	w := hook(t, s, []string{"*"}, hubbub.HookMessage)
	for _, closed := range []bool{false, true} {
		ctx := t.Context()
		if closed {
			_ = s.Close()
		} else {
			c, cancel := context.WithCancel(ctx)
			cancel()
			ctx = c
		}
		calls := map[string]error{}
		_, calls["CreateWebhook"] = s.CreateWebhook(ctx, hubbub.Webhook{URL: "https://x.example/", Rooms: []string{"*"}, Events: allEvents})
		_, _, calls["Webhook"] = s.Webhook(ctx, w.ID)
		_, calls["Webhooks"] = s.Webhooks(ctx)
		_, calls["UpdateWebhook"] = s.UpdateWebhook(ctx, w.ID, hubbub.WebhookChange{})
		calls["DeleteWebhook"] = s.DeleteWebhook(ctx, w.ID)
		calls["EnqueueEvent"] = s.EnqueueEvent(ctx, hubbub.OutboxEvent{ID: "nt_1", Kind: hubbub.HookNotification, Notification: &hubbub.Notification{}})
		_, calls["FanOut"] = s.FanOut(ctx, 10)
		_, calls["DueDeliveries"] = s.DueDeliveries(ctx, later(), 10)
		calls["CompleteDelivery"] = s.CompleteDelivery(ctx, w.ID, "x")
		calls["RetryDelivery"] = s.RetryDelivery(ctx, w.ID, "x", later(), "", false)
		_, calls["Deliveries"] = s.Deliveries(ctx, w.ID, hubbub.DeliveryPending, "", 10)
		_, calls["ReplayDeliveries"] = s.ReplayDeliveries(ctx, w.ID, nil)
		_, calls["TakeLease"] = s.TakeLease(ctx, "l", "n1", time.Hour)
		calls["SetNotifyLevel"] = s.SetNotifyLevel(ctx, "u", "r", hubbub.NotifyAll)
		_, calls["NotifyLevel"] = s.NotifyLevel(ctx, "u", "r")
		_, calls["TakeNotifyCandidates"] = s.TakeNotifyCandidates(ctx, later(), 10)
		for name, err := range calls {
			if err == nil {
				t.Errorf("%s succeeded (closed %v)", name, closed)
			}
		}
	}
}

// testOutboxTwoNodes: a webhook created on one node makes the other's appends write events
// at once; both nodes fanning out while both append take every event exactly once, and each
// room's deliveries still come out in seq order; a lease held on one node is refused on the
// other; the webhook deleted on one node stops the other's events.
func testOutboxTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	ctx := t.Context()
	w := hook(t, nodes[0], []string{"*"}, hubbub.HookMessage, hubbub.HookNotification)
	mustAppend(t, nodes[1], msg("a", "alice", "first"))
	if err := nodes[1].EnqueueEvent(ctx, hubbub.OutboxEvent{ID: "nt_1", Kind: hubbub.HookNotification,
		Notification: &hubbub.Notification{User: "u_b"}}); err != nil {
		t.Fatal(err)
	}
	if n := fanOutAll(t, nodes[0]); n != 2 {
		t.Fatalf("node 0 fanned out %d events of node 1, want 2 (the message, the notification)", n)
	}

	const each = 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	fanned := 0
	stop := make(chan struct{})
	var fanners sync.WaitGroup
	for _, s := range nodes {
		fanners.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := s.FanOut(ctx, 5)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				fanned += n
				mu.Unlock()
				if n == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	for i, s := range nodes {
		wg.Go(func() {
			for j := range each {
				if _, _, err := appendValue(ctx, s, msg([]string{"a", "b"}[j%2], fmt.Sprint("n", i), fmt.Sprint(j))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	fanners.Wait()
	fanned += fanOutAll(t, nodes[1])
	if fanned != 2*each {
		t.Errorf("the two nodes fanned out %d events, want %d (each once)", fanned, 2*each)
	}
	got := drain(t, nodes[1])
	for room, n := range map[string]int{"a": each + 1, "b": each} {
		seqs := got[w.ID+" "+room]
		want := make([]uint64, n)
		for i := range want {
			want[i] = uint64(i + 1)
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("room %s delivered %v, want 1..%d in order", room, seqs, n)
		}
	}

	got = drain(t, nodes[0]) // the notification nt_1
	if ok, err := nodes[0].TakeLease(ctx, "dispatch", "node0", time.Hour); err != nil || !ok {
		t.Fatalf("TakeLease on node 0 = %v, %v", ok, err)
	}
	if ok, err := nodes[1].TakeLease(ctx, "dispatch", "node1", time.Hour); err != nil || ok {
		t.Errorf("node 1 took the lease node 0 holds: %v, %v", ok, err)
	}
	if err := nodes[1].DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, nodes[0], msg("a", "alice", "after the delete"))
	if n := fanOutAll(t, nodes[0]); n != 0 {
		t.Errorf("node 0 wrote %d events after node 1 deleted the last webhook", n)
	}
}

// testOutboxFollowTwoNodes: a webhook created on one node gets every event the other node
// appends after the creation returned, while that node appends all along (each batch looks
// at the webhooks again, inside its transaction).
func testOutboxFollowTwoNodes(t *testing.T, open SharedOpener) {
	nodes := twoNodes(t, open)
	ctx := t.Context()
	hook(t, nodes[0], []string{"a"}, hubbub.HookMessage)
	mustAppend(t, nodes[0], msg("b", "alice", "no webhook follows b yet"))
	if n := fanOutAll(t, nodes[1]); n != 0 {
		t.Fatalf("FanOut took %d events of room b, which no webhook follows", n)
	}
	var created atomic.Bool
	var mu sync.Mutex
	var after []string // ids of the appends that began after CreateWebhook returned
	done, going := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100000 {
			if i == 10 {
				close(going)
			}
			began := created.Load()
			e, _, err := appendValue(ctx, nodes[0], msg("b", "alice", fmt.Sprint(i)))
			if err != nil {
				t.Error(err)
				return
			}
			if began {
				mu.Lock()
				after = append(after, e.ID)
				n := len(after)
				mu.Unlock()
				if n >= 20 {
					return
				}
			}
		}
	}()
	select { // some appends go before the webhook exists
	case <-going:
	case <-done:
	}
	w := hook(t, nodes[1], []string{"b"}, hubbub.HookMessage)
	created.Store(true)
	<-done
	fanOutAll(t, nodes[1])
	got := eventIDs(listDeliveries(t, nodes[1], w.ID, hubbub.DeliveryPending))
	mu.Lock()
	defer mu.Unlock()
	if len(after) == 0 {
		t.Fatal("no append began after the webhook was created")
	}
	for _, id := range after {
		if !slices.Contains(got, id) {
			t.Errorf("event %s, appended on node 0 after node 1 created the webhook, was not delivered (%d of %d delivered)", id, len(got), len(after))
			break
		}
	}
}

// testOutboxAfterReopen: events not fanned out, deliveries (pending and dead), levels,
// candidates and leases survive a restart.
func testOutboxAfterReopen(t *testing.T, open SharedOpener) {
	first, again := open(t)
	ctx := t.Context()
	w := hook(t, first, []string{"*"}, hubbub.HookMessage)
	bob := hubbub.Mention{User: "u_bob", Name: "bob"}
	ms := []hubbub.Entry{
		mustAppend(t, first, msg("a", "alice", "one")),
		mustAppend(t, first, hubbub.Entry{Room: "a", From: "alice", Text: "@bob two", Mentions: []hubbub.Mention{bob}}),
	}
	if _, err := first.FanOut(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := first.RetryDelivery(ctx, w.ID, ms[0].ID, later(), "down", true); err != nil {
		t.Fatal(err)
	}
	if err := first.SetNotifyLevel(ctx, "u_carol", "a", hubbub.NotifyNothing); err != nil {
		t.Fatal(err)
	}
	if ok, err := first.TakeLease(ctx, "dispatch", "node0", time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	s := again(t)
	if n := fanOutAll(t, s); n != 1 {
		t.Errorf("after a restart FanOut took %d, want the one left", n)
	}
	if dead := listDeliveries(t, s, w.ID, hubbub.DeliveryDead); len(dead) != 1 || dead[0].Event.ID != ms[0].ID || dead[0].LastError != "down" {
		t.Errorf("dead after a restart: %+v", dead)
	}
	if pend := listDeliveries(t, s, w.ID, hubbub.DeliveryPending); len(pend) != 1 || pend[0].Event.ID != ms[1].ID || pend[0].Event.Entry.Text != "@bob two" {
		t.Errorf("pending after a restart: %+v", pend)
	}
	if lvl, err := s.NotifyLevel(ctx, "u_carol", "a"); err != nil || lvl != hubbub.NotifyNothing {
		t.Errorf("level after a restart: %q, %v", lvl, err)
	}
	if cs, err := s.TakeNotifyCandidates(ctx, later(), 10); err != nil || len(cs) != 1 || cs[0].User != "u_bob" {
		t.Errorf("candidates after a restart: %+v, %v", cs, err)
	}
	if ok, err := s.TakeLease(ctx, "dispatch", "node1", time.Hour); err != nil || ok {
		t.Errorf("a lease held before the restart was given to another: %v, %v", ok, err)
	}
}
