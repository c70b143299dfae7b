package notify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hubbub"
	"hubbub/internal/natstest"
	"hubbub/internal/notify"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/testwait"
)

// The notifier against real servers: real clients connect, join and send, the SQLite store
// records the outbox and the candidates (FanOut, which the webhooks dispatcher calls in hubbub
// serve, is called by the test), and the notifier's rounds write the notification events, read
// back as the deliveries of a webhook that follows notifications.

// outbox is the store's outbox of s.
func outbox(t *testing.T, s *servertest.Server) hubbub.OutboxStore {
	t.Helper()
	return s.Store
}

// notifyHook creates a webhook that follows notifications only (so every append writes the
// outbox from now on).
func notifyHook(t *testing.T, ob hubbub.OutboxStore) hubbub.Webhook {
	t.Helper()
	w, err := ob.CreateWebhook(context.Background(), hubbub.Webhook{URL: "http://127.0.0.1:9/notify",
		Events: []hubbub.HookEvent{hubbub.HookNotification}, Secret: "s3cret-s3cret-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// fanOut fans every outbox event out, as the dispatcher does: deliveries, and candidates.
func fanOut(t *testing.T, ob hubbub.OutboxStore) {
	t.Helper()
	for {
		n, err := ob.FanOut(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// notifications returns the notifications the webhook is owed, oldest first, after fanning
// the outbox out.
func notifications(t *testing.T, ob hubbub.OutboxStore, hook string) []hubbub.OutboxEvent {
	t.Helper()
	fanOut(t, ob)
	ds, err := ob.Deliveries(context.Background(), hook, hubbub.DeliveryPending, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []hubbub.OutboxEvent
	for _, d := range ds {
		if d.Event.Kind == hubbub.HookNotification {
			out = append(out, d.Event)
		}
	}
	return out
}

// newNotifier is a notifier of s's node with a one-minute batch.
func newNotifier(t *testing.T, s *servertest.Server) *notify.Notifier {
	t.Helper()
	n, err := notify.New(notify.Config{Node: s.Opts.Node, Batch: time.Minute, OnlineWait: 300 * time.Millisecond}, s.Store, s.Broker())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// round makes a round as if the batch period had passed since every message of the test.
func round(t *testing.T, n *notify.Notifier) int {
	t.Helper()
	users, err := n.Round(context.Background(), time.Now().Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return users
}

// say sends text to room as c and waits for its ack.
func say(t *testing.T, c *servertest.JSONClient, room, text string) {
	t.Helper()
	id := fmt.Sprintf("m-%d", time.Now().UnixNano())
	if f := c.Say(room, id, text); f.Type() != "ack" {
		t.Fatalf("%q to %s: %v", text, room, f)
	}
}

// leave ends c's connection and waits until the server no longer lists its name in room.
func leave(t *testing.T, s *servertest.Server, c *servertest.JSONClient, name, room string) {
	t.Helper()
	c.Conn.Close()
	testwait.Until(t, name+" gone from "+room, func() bool { return !slices.Contains(s.Hub.Members(room), name) })
}

// items spells a notification's items as "room reason from: text".
func items(n *hubbub.Notification) []string {
	out := make([]string, len(n.Items))
	for i, it := range n.Items {
		out[i] = fmt.Sprintf("%s %s %s: %s", it.Room, it.Reason, it.From, it.Text)
	}
	return out
}

// Of three members mentioned, the sender gets nothing, the one connected gets nothing (they
// saw it), and the one away gets one notification listing both messages that mention them,
// oldest first, once the batch period has passed — not before, and not again.
func TestOnlyUsersWhoAreAwayAreNotifiedOnceABatch(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testOnlyUsersWhoAreAway(t, servertest.Options{}) })
	t.Run("postgres", func(t *testing.T) {
		testOnlyUsersWhoAreAway(t, servertest.Options{Postgres: servertest.PostgresSchemas.Schema(t)})
	})
}

func testOnlyUsersWhoAreAway(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ob := outbox(t, s)
	hook := notifyHook(t, ob)
	ann, bob, cy := dial(t, s, "ann"), dial(t, s, "bob"), dial(t, s, "cy")
	for _, c := range []*servertest.JSONClient{ann, bob, cy} {
		c.Join("town", nil)
	}
	leave(t, s, cy, "cy", "town")
	say(t, ann, "town", "@bob look at this")
	say(t, ann, "town", "@cy first")
	say(t, ann, "town", "nothing for anyone @ann")
	say(t, ann, "town", "@cy second")
	fanOut(t, ob)

	n := newNotifier(t, s)
	if users, err := n.Round(context.Background(), time.Now()); err != nil || users != 0 {
		t.Fatalf("a round before the batch period took %d users (%v), want none", users, err)
	}
	if users := round(t, n); users != 2 {
		t.Errorf("the round took %d users, want bob and cy", users)
	}
	got := notifications(t, ob, hook.ID)
	if len(got) != 1 {
		t.Fatalf("%d notifications, want one for cy: %+v", len(got), got)
	}
	ev := got[0]
	if !strings.HasPrefix(ev.ID, "nt_") || ev.Kind != hubbub.HookNotification || ev.Room != "" || ev.Notification == nil {
		t.Fatalf("the event %+v", ev)
	}
	nt := ev.Notification
	want := []string{"town mention ann: @cy first", "town mention ann: @cy second"}
	if nt.User != cy.User || nt.Name != "cy" || !slices.Equal(items(nt), want) || nt.Dropped != 0 {
		t.Errorf("cy's notification: %s %s %q dropped %d, want %s cy %q", nt.User, nt.Name, items(nt), nt.Dropped, cy.User, want)
	}
	if users := round(t, n); users != 0 {
		t.Errorf("a second round took %d users, want none", users)
	}
	if got := notifications(t, ob, hook.ID); len(got) != 1 {
		t.Errorf("%d notifications after the second round, want still one", len(got))
	}
}

// A user's levels decide: nothing silences even a mention, all adds every message of the room
// (a mention keeps its own reason), a DM's every message notifies its other member, and a
// member left at the default hears of no plain message.
func TestLevelsAndDirectMessages(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ob := outbox(t, s)
	hook := notifyHook(t, ob)
	ann, cy, dan := dial(t, s, "ann"), dial(t, s, "cy"), dial(t, s, "dan")
	for _, room := range []string{"quiet", "busy"} {
		for _, c := range []*servertest.JSONClient{ann, cy, dan} {
			c.Join(room, nil)
		}
	}
	ctx := context.Background()
	if err := ob.SetNotifyLevel(ctx, cy.User, "quiet", hubbub.NotifyNothing); err != nil {
		t.Fatal(err)
	}
	if err := ob.SetNotifyLevel(ctx, cy.User, "busy", hubbub.NotifyAll); err != nil {
		t.Fatal(err)
	}
	ann.Send(servertest.Frame{"type": "dm", "names": []string{"cy"}})
	dm := ann.AwaitFunc("the DM", func(f servertest.Frame) bool { return f.Type() == "room" && f["dm"] == true }).Str("room")
	ann.Join(dm, nil)
	leave(t, s, cy, "cy", "busy")
	leave(t, s, dan, "dan", "busy")

	say(t, ann, "quiet", "@cy are you there?")
	say(t, ann, "busy", "plain news")
	say(t, ann, "busy", "@cy and you")
	say(t, ann, dm, "psst")
	fanOut(t, ob)
	round(t, newNotifier(t, s))

	got := notifications(t, ob, hook.ID)
	if len(got) != 1 || got[0].Notification.User != cy.User {
		t.Fatalf("notifications %+v, want one, for cy", got)
	}
	want := []string{"busy all ann: plain news", "busy mention ann: @cy and you", dm + " dm ann: psst"}
	if have := items(got[0].Notification); !slices.Equal(have, want) {
		t.Errorf("cy's items %q, want %q", have, want)
	}
}

// A member banned from a private room stays its member, but hears nothing of it while the ban
// lasts: neither a mention of her nor, at level all, the room's other messages, whatever was
// said before the round; once the ban is lifted she is notified again. She was notified of
// both, and so read what was said after her ban.
func TestABannedMemberIsNotNotified(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testABannedMemberIsNotNotified(t, servertest.Options{}) })
	t.Run("postgres", func(t *testing.T) {
		testABannedMemberIsNotNotified(t, servertest.Options{Postgres: servertest.PostgresSchemas.Schema(t)})
	})
}

func testABannedMemberIsNotNotified(t *testing.T, opts servertest.Options) {
	s := servertest.Start(t, opts)
	ob := outbox(t, s)
	hook := notifyHook(t, ob)
	ann, cy := dial(t, s, "ann"), dial(t, s, "cy")
	// answer sends f and returns the first frame of type want, or an error.
	answer := func(c *servertest.JSONClient, f servertest.Frame, want string) servertest.Frame {
		c.Send(f)
		return c.AwaitFunc(want, func(g servertest.Frame) bool { return g.Type() == want || g.Type() == "error" })
	}
	if f := answer(ann, servertest.Frame{"type": "create", "room": "plans", "private": true}, "room"); f.Type() != "room" {
		t.Fatalf("create plans: %v", f)
	}
	ann.Join("plans", nil)
	if f := answer(ann, servertest.Frame{"type": "invite", "room": "plans", "name": "cy", "id": "i-1"}, "ack"); f.Type() != "ack" {
		t.Fatalf("invite cy: %v", f)
	}
	if f := cy.Join("plans", nil); f.Type() != "joined" {
		t.Fatalf("cy joins plans: %v", f)
	}
	if err := ob.SetNotifyLevel(context.Background(), cy.User, "plans", hubbub.NotifyAll); err != nil {
		t.Fatal(err)
	}
	leave(t, s, cy, "cy", "plans")
	say(t, ann, "plans", "before the ban")
	if f := answer(ann, servertest.Frame{"type": "ban", "room": "plans", "name": "cy", "duration": "1h"}, "moderated"); f.Type() != "moderated" {
		t.Fatalf("ban cy: %v", f)
	}
	say(t, ann, "plans", "@cy the codes are 1234")
	say(t, ann, "plans", "and the date is Friday")
	fanOut(t, ob)
	round(t, newNotifier(t, s))
	if got := notifications(t, ob, hook.ID); len(got) != 0 {
		t.Fatalf("cy, banned from plans, was notified of %q", items(got[0].Notification))
	}

	if f := answer(ann, servertest.Frame{"type": "unban", "room": "plans", "name": "cy"}, "moderated"); f.Type() != "moderated" {
		t.Fatalf("unban cy: %v", f)
	}
	say(t, ann, "plans", "@cy welcome back")
	fanOut(t, ob)
	round(t, newNotifier(t, s))
	got := notifications(t, ob, hook.ID)
	if len(got) != 1 || !slices.Equal(items(got[0].Notification), []string{"plans mention ann: @cy welcome back"}) {
		t.Fatalf("after the unban: %+v, want one notification of the mention", got)
	}
}

// A long batch lists the newest MaxNotificationItems messages and counts the older ones left
// out; a long text is cut to the notifier's TextMax characters, ending with "…".
func TestLongBatchesAreCut(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1 << 20}})
	ob := outbox(t, s)
	hook := notifyHook(t, ob)
	ann, cy := dial(t, s, "ann"), dial(t, s, "cy")
	ann.Join("busy", nil)
	cy.Join("busy", nil)
	if err := ob.SetNotifyLevel(context.Background(), cy.User, "busy", hubbub.NotifyAll); err != nil {
		t.Fatal(err)
	}
	leave(t, s, cy, "cy", "busy")
	extra := 3
	for i := range hubbub.MaxNotificationItems + extra - 1 {
		say(t, ann, "busy", fmt.Sprint("message ", i))
	}
	long := strings.Repeat("é", 250)
	say(t, ann, "busy", long)
	fanOut(t, ob)
	round(t, newNotifier(t, s))

	got := notifications(t, ob, hook.ID)
	if len(got) != 1 {
		t.Fatalf("%d notifications, want one", len(got))
	}
	nt := got[0].Notification
	if len(nt.Items) != hubbub.MaxNotificationItems || nt.Dropped != extra {
		t.Fatalf("%d items, %d dropped; want %d and %d", len(nt.Items), nt.Dropped, hubbub.MaxNotificationItems, extra)
	}
	if first := nt.Items[0].Text; first != fmt.Sprint("message ", extra) {
		t.Errorf("the first item is %q, want the oldest kept, message %d", first, extra)
	}
	last := nt.Items[len(nt.Items)-1].Text
	if utf8.RuneCountInString(last) != notify.DefaultTextMax || last != strings.Repeat("é", notify.DefaultTextMax-1)+"…" {
		t.Errorf("the long text became %d characters: %q", utf8.RuneCountInString(last), last)
	}
}

// In a cluster, a user connected to another node counts as connected: the notifier on node a
// leaves cy, connected on node b, out; once cy leaves node b, the next mention notifies them.
func TestAUserOnAnotherNodeIsConnected(t *testing.T) {
	ns := natstest.Start(t)
	a := servertest.Start(t, servertest.Options{Node: "a", NATS: ns.ClientURL()})
	b := servertest.Start(t, servertest.Options{Node: "b", NATS: ns.ClientURL(), DataPath: a.Opts.DataPath})
	ob := outbox(t, a)
	hook := notifyHook(t, ob)
	ann := dial(t, a, "ann")
	ann.Join("town", nil)
	cy := dial(t, b, "cy")
	cy.Join("town", nil)
	testwait.Until(t, "node a to see cy in town", func() bool { return slices.Contains(a.Hub.Members("town"), "cy") })
	n := newNotifier(t, a)

	say(t, ann, "town", "@cy you are on b")
	fanOut(t, ob)
	if users := round(t, n); users != 1 {
		t.Fatalf("the round took %d users, want cy", users)
	}
	if got := notifications(t, ob, hook.ID); len(got) != 0 {
		t.Fatalf("cy, connected to node b, was notified: %+v", got[0].Notification)
	}

	cy.Conn.Close()
	testwait.Until(t, "node a to see cy leave", func() bool { return !slices.Contains(a.Hub.Members("town"), "cy") })
	say(t, ann, "town", "@cy now you are away")
	fanOut(t, ob)
	round(t, n)
	got := notifications(t, ob, hook.ID)
	if len(got) != 1 || !slices.Equal(items(got[0].Notification), []string{"town mention ann: @cy now you are away"}) {
		t.Fatalf("after cy left: %+v", got)
	}
}

// Run makes the rounds on its own under the lease, every batch period, until its context ends.
func TestRunNotifiesUnderTheLease(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ob := outbox(t, s)
	hook := notifyHook(t, ob)
	ann, cy := dial(t, s, "ann"), dial(t, s, "cy")
	ann.Join("town", nil)
	cy.Join("town", nil)
	leave(t, s, cy, "cy", "town")
	say(t, ann, "town", "@cy wake up")
	fanOut(t, ob)

	n, err := notify.New(notify.Config{Node: "local", Batch: 50 * time.Millisecond, OnlineWait: 100 * time.Millisecond, LeaseTTL: time.Second}, s.Store, s.Broker())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	testwait.Until(t, "cy's notification", func() bool { return len(notifications(t, ob, hook.ID)) == 1 })
}

// A reply to the message of a member who is away notifies them as a mention does (reason
// mention), though its text does not name them: bob answers cy after cy's connection ended.
// Before, cy heard of the answer only by reading the room again.
func TestAReplyNotifiesTheAuthorWhoIsAway(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	ob := outbox(t, s)
	hook := notifyHook(t, ob)
	bob, cy := dial(t, s, "bob"), dial(t, s, "cy")
	bob.Join("town", nil)
	cy.Join("town", nil)
	ack := cy.Say("town", "c-1", "can someone restart the build?")
	if ack.Type() != "ack" {
		t.Fatalf("cy: %v", ack)
	}
	leave(t, s, cy, "cy", "town")
	bob.Send(servertest.Frame{"type": "send", "room": "town", "id": "b-1", "text": "done", "reply_to": ack.Num("seq")})
	if f := bob.AwaitFunc("ack b-1", func(f servertest.Frame) bool { return f.Type() == "ack" || f.Type() == "error" }); f.Type() != "ack" {
		t.Fatalf("bob's reply: %v", f)
	}
	fanOut(t, ob)

	if users := round(t, newNotifier(t, s)); users != 1 {
		t.Errorf("the round took %d users, want cy", users)
	}
	got := notifications(t, ob, hook.ID)
	if len(got) != 1 || got[0].Notification == nil {
		t.Fatalf("%d notifications, want one for cy: %+v", len(got), got)
	}
	if nt, want := got[0].Notification, []string{"town mention bob: done"}; nt.User != cy.User || !slices.Equal(items(nt), want) {
		t.Errorf("the notification: %s %q, want cy's (%s) %q", nt.User, items(nt), cy.User, want)
	}
}
