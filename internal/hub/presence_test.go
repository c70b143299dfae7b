package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
)

// twoNodes returns two hubs that share one store and one broker, as two nodes of a cluster do.
func twoNodes(t *testing.T, cfg hub.Config) (a, b *hub.Hub) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	cfg.Logger = quiet
	cfg.Node = "a"
	a = hub.New(cfg, store, broker)
	cfg.Node = "b"
	b = hub.New(cfg, store, broker)
	t.Cleanup(func() { a.Close(); b.Close(); broker.Close(); store.Close() })
	return a, b
}

// presence drains out and returns the presence events in it as "join ann" / "leave bob".
func presence(out *hub.Outbox) []string {
	var got []string
	batch, _, _ := out.TakeUpTo(nil, 0)
	for _, e := range batch {
		switch b := e.Event.Body.(type) {
		case hubbub.MemberJoined:
			got = append(got, "join "+b.Name)
		case hubbub.MemberLeft:
			got = append(got, "leave "+b.Name)
		}
	}
	return got
}

func TestPresenceSpansNodesAndExpiresDeadNodes(t *testing.T) {
	a, b := twoNodes(t, hub.Config{PresenceInterval: 20 * time.Millisecond, PresenceExpiry: 100 * time.Millisecond})
	ctx := context.Background()
	annOut := hub.NewOutbox(1000, nil)
	if _, err := a.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "ann", Out: annOut}}); err != nil {
		t.Fatal(err)
	}
	bobOut := hub.NewOutbox(1000, nil)
	info, err := b.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "bob", Out: bobOut}})
	if err != nil {
		t.Fatal(err)
	}
	// B asked A who is there when it opened the room; A answers soon after.
	testwait.Until(t, "bob's node to see ann", func() bool { return fmt.Sprint(b.Members("r")) == "[ann bob]" })
	testwait.Until(t, "ann's node to see bob", func() bool { return fmt.Sprint(a.Members("r")) == "[ann bob]" })
	_ = info

	// A message sent on one node reaches members on the other.
	if _, _, err := a.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "hi bob"}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "bob to get ann's message", func() bool {
		for _, e := range must(bobOut.TakeUpTo(nil, 0)) {
			if m := e.Event.AppendedEntry(); m != nil && m.Text == "hi bob" {
				return true
			}
		}
		return false
	})

	// Node B dies without a word: A forgets bob within the expiry and tells ann.
	presence(annOut)
	b.Close()
	testwait.Until(t, "bob to expire", func() bool { return fmt.Sprint(a.Members("r")) == "[ann]" })
	var seen []string
	testwait.Until(t, "ann to be told bob left", func() bool {
		seen = append(seen, presence(annOut)...)
		return fmt.Sprint(seen) == "[leave bob]"
	})
}

// A node whose store is slow still expires a dead node's members on time: writing when its
// users were last seen (Store.SeenAt, a durable write, up to StoreTimeout) happens beside the
// presence loop, not in it. In the loop, a write stuck on a busy store held the expiry with
// it, and a node killed meanwhile kept its members in the room here for as long.
func TestDeadNodeExpiresWhileLastSeenWriteIsStuck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	stuck := &stuckSeenStore{Store: store, entered: make(chan struct{}), release: make(chan struct{})}
	broker := inmem.NewBroker()
	bBroker := &cutBroker{Broker: broker}
	// The store's timeout is longer than the test waits: a write stuck in the loop holds it.
	cfg := hub.Config{Logger: quiet, PresenceInterval: 20 * time.Millisecond, PresenceExpiry: 100 * time.Millisecond, StoreTimeout: time.Minute}
	cfg.Node = "a"
	a := hub.New(cfg, stuck, broker)
	cfg.Node = "b"
	b := hub.New(cfg, store, bBroker)
	t.Cleanup(func() { a.Close(); b.Close(); broker.Close(); store.Close() })
	t.Cleanup(func() { close(stuck.release) }) // first: Close writes the last seen too

	ctx := context.Background()
	annOut := hub.NewOutbox(1000, nil)
	if _, err := a.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "ann", Out: annOut}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "bob", Out: hub.NewOutbox(1000, nil)}}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "ann's node to see bob", func() bool { return fmt.Sprint(a.Members("r")) == "[ann bob]" })

	// A user of node A goes offline: A's next flush writes their last seen, and gets stuck.
	a.Connect("u_gone").End()
	select {
	case <-stuck.entered:
	case <-time.After(testwait.Timeout):
		t.Fatal("node A never wrote the last seen of its user who went offline")
	}

	// Node B dies without a word: A forgets bob within the expiry and tells ann.
	presence(annOut)
	bBroker.cut.Store(true)
	var seen []string
	testwait.Until(t, "ann to be told bob left, the last-seen write still stuck", func() bool {
		seen = append(seen, presence(annOut)...)
		return fmt.Sprint(seen) == "[leave bob]"
	})
}

// stuckSeenStore is a store whose SeenAt waits for release (or its context): a store too busy
// to take the write.
type stuckSeenStore struct {
	*sqlite.Store
	once             sync.Once
	entered, release chan struct{}
}

func (s *stuckSeenStore) SeenAt(ctx context.Context, id string, t time.Time) error {
	s.once.Do(func() { close(s.entered) })
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.SeenAt(ctx, id, t)
}

// cutBroker is a node's broker that, once cut, sends nothing more, as if the node were killed.
type cutBroker struct {
	hubbub.Broker
	cut atomic.Bool
}

func (b *cutBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if b.cut.Load() {
		return nil
	}
	return b.Broker.Publish(ctx, ev)
}

// A user on two nodes shows once, and leaving one of them announces nothing.
func TestPresenceOfOneUserOnTwoNodes(t *testing.T) {
	a, b := twoNodes(t, hub.Config{PresenceInterval: time.Hour})
	ctx := context.Background()
	watch := hub.NewOutbox(1000, nil)
	if _, err := a.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "watcher", Out: watch}}); err != nil {
		t.Fatal(err)
	}
	onA := &hub.Member{Name: "ann", Key: "k", Out: hub.NewOutbox(1000, nil)}
	onB := &hub.Member{Name: "ann", Key: "k", Out: hub.NewOutbox(1000, nil)}
	if _, err := a.Join(ctx, hub.JoinRequest{Room: "r", Member: onA}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(ctx, hub.JoinRequest{Room: "r", Member: onB}); err != nil {
		t.Fatal(err)
	}
	b.Leave("r", onB)
	a.Leave("r", onA)
	if got := fmt.Sprint(presence(watch)); got != "[join watcher join ann leave ann]" {
		t.Fatalf("watcher saw %s", got)
	}
}

func must[T any](v T, _ int, _ bool) T { return v }

// Past PresenceLimit connections a room stops announcing arrivals and lists only that many
// names on join, but still gives the true count.
func TestCrowdedRoomStopsAnnouncingPresence(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{PresenceLimit: 2})
	ctx := context.Background()
	first := hub.NewOutbox(100, nil)
	for i, name := range []string{"a", "b", "c", "d"} {
		out := hub.NewOutbox(100, nil)
		if i == 0 {
			out = first
		}
		info, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: name, Out: out}})
		if err != nil {
			t.Fatal(err)
		}
		if info.MemberCount != i+1 || len(info.Members) != min(i+1, 2) {
			t.Fatalf("join %d: members %v, count %d", i, info.Members, info.MemberCount)
		}
	}
	// a saw itself and b arrive; c's arrival made three (over the limit), so no more.
	if got := fmt.Sprint(presence(first)); got != "[join a join b]" {
		t.Fatalf("first member saw %s", got)
	}
}

// A crowded room gives each join the same few names (it keeps the list rather than picking
// and sorting anew for every join), but never a name that has left: here, or on another node.
func TestCrowdedRoomListsOnlyPresentNames(t *testing.T) {
	a, b := twoNodes(t, hub.Config{PresenceLimit: 2, PresenceInterval: time.Hour})
	ctx := context.Background()
	members := map[string]*hub.Member{}
	join := func(h *hub.Hub, name string) hub.JoinInfo {
		t.Helper()
		m := &hub.Member{Name: name, Key: "key-" + name, Out: hub.NewOutbox(100, nil)}
		info, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m})
		if err != nil {
			t.Fatal(err)
		}
		members[name] = m
		return info
	}
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		join(a, name)
	}
	first := join(a, "n5").Members
	if again := join(a, "n6").Members; fmt.Sprint(again) != fmt.Sprint(first) || len(first) != 2 {
		t.Fatalf("two joins in a crowded room were given %v and %v, want the same two names", first, again)
	}
	left := first[0]
	a.Leave("r", members[left])
	info := join(a, "n7")
	if len(info.Members) != 2 || !slices.IsSorted(info.Members) || slices.Contains(info.Members, left) {
		t.Fatalf("after %s left, a join was given %v (count %d): want two sorted names, %s not among them",
			left, info.Members, info.MemberCount, left)
	}

	// Node b learns a's names once it opens the room; one of them leaving on a drops it from
	// b's list. m1 joins b's room on three connections: one name here, so the list's other
	// name is one of a's.
	join(b, "m1")
	testwait.Until(t, "node b to see node a's members", func() bool { return len(b.Members("r")) == 7 })
	onB := join(b, "m1").Members
	if len(onB) != 2 {
		t.Fatalf("node b gave %v, want two names", onB)
	}
	for _, name := range onB {
		if m := members[name]; m != nil && name[0] == 'n' {
			a.Leave("r", m)
			testwait.Until(t, "node b to hear that "+name+" left", func() bool { return !slices.Contains(b.Members("r"), name) })
			if got := join(b, "m1").Members; slices.Contains(got, name) || len(got) != 2 {
				t.Fatalf("after %s left on node a, node b gave %v", name, got)
			}
			return
		}
	}
	t.Fatalf("node b's list %v holds none of node a's names", onB)
}

// A draining node (its server shutting down) still tells the other nodes that its members
// left, but not its own members, who are leaving too.
func TestDrainPublishesLeavesButAnnouncesNoneHere(t *testing.T) {
	a, b := twoNodes(t, hub.Config{PresenceInterval: time.Hour})
	ctx := context.Background()
	ann := &hub.Member{Name: "ann", Out: hub.NewOutbox(1000, nil)}
	amy := &hub.Member{Name: "amy", Out: hub.NewOutbox(1000, nil)}
	bob := &hub.Member{Name: "bob", Out: hub.NewOutbox(1000, nil)}
	for _, j := range []struct {
		h *hub.Hub
		m *hub.Member
	}{{a, ann}, {a, amy}, {b, bob}} {
		if _, err := j.h.Join(ctx, hub.JoinRequest{Room: "r", Member: j.m}); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, "both nodes to see everyone", func() bool {
		return fmt.Sprint(a.Members("r")) == "[amy ann bob]" && fmt.Sprint(b.Members("r")) == "[amy ann bob]"
	})
	presence(amy.Out)
	presence(bob.Out)

	a.Drain()
	a.Leave("r", ann)
	var bobSaw []string
	testwait.Until(t, "bob to be told ann left", func() bool {
		bobSaw = append(bobSaw, presence(bob.Out)...)
		return fmt.Sprint(bobSaw) == "[leave ann]"
	})
	// Bob leaves next; once amy hears of it, she would have heard of ann before.
	b.Leave("r", bob)
	var amySaw []string
	testwait.Until(t, "amy to be told bob left", func() bool {
		amySaw = append(amySaw, presence(amy.Out)...)
		return len(amySaw) > 0 && amySaw[len(amySaw)-1] == "leave bob"
	})
	if fmt.Sprint(amySaw) != "[leave bob]" {
		t.Errorf("amy, on the draining node, was told %v; want only bob's leave", amySaw)
	}
}

// A draining hub drops the presence notices its rooms hold, and holds no more: its members are
// leaving, and a window ending later would write to connections being closed. Close then stops
// the windows at once, whatever their length, leaving no timer behind (goleak).
func TestDrainDropsHeldPresence(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{PresenceWindow: time.Hour})
	ctx := context.Background()
	watch := hub.NewOutbox(1000, nil)
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "watcher", Out: watch}}); err != nil {
		t.Fatal(err)
	}
	ann := &hub.Member{Name: "ann", Out: hub.NewOutbox(1000, nil)}
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: ann}); err != nil {
		t.Fatal(err)
	}
	if got := presence(watch); len(got) != 0 {
		t.Fatalf("watcher got %v within an hour's window", got)
	}
	h.Drain()
	if err := h.Typing(ctx, "r", "ann"); err != nil { // would send held notices first
		t.Fatal(err)
	}
	h.Leave("r", ann)
	if got := presence(watch); len(got) != 0 {
		t.Fatalf("watcher got %v after the hub drained", got)
	}
	closesWithoutWaiting(t, h)
}

// Without Drain, Close too stops a room's window at once.
func TestCloseStopsPresenceWindow(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{PresenceWindow: time.Hour})
	for _, name := range []string{"ann", "bob"} {
		if _, err := h.Join(context.Background(), hub.JoinRequest{Room: "r", Member: &hub.Member{Name: name, Out: hub.NewOutbox(1000, nil)}}); err != nil {
			t.Fatal(err)
		}
	}
	closesWithoutWaiting(t, h)
}

// closesWithoutWaiting fails t unless h.Close returns well before an hour-long presence
// window would end.
func closesWithoutWaiting(t *testing.T, h *hub.Hub) {
	t.Helper()
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for a presence window")
	}
}

// A room busy with joins holds its presence notices for the long window, and a quiet one is
// back to the short window at once: after a burst of joins (a full batch here), the next join
// waits for the hour-long window or anything else the room sends, and once a window has held
// a single notice the next join is announced within the short window again.
//
// The short window is half a second so that the burst's four joins fill one batch however
// busy the machine (with 10 ms, a join held up that long split them over two windows, neither
// busy, and the late join came within the short one).
func TestBusyRoomHoldsPresenceLonger(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{PresenceWindow: 500 * time.Millisecond, PresenceWindowMax: time.Hour, PresenceBatch: 4})
	ctx := context.Background()
	watch := hub.NewOutbox(1000, nil)
	join := func(name string) {
		t.Helper()
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: name, Out: watchless()}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "watcher", Out: watch}}); err != nil {
		t.Fatal(err)
	}
	var saw []string
	awaitSaw := func(want string) {
		t.Helper()
		testwait.Until(t, want, func() bool {
			saw = append(saw, presence(watch)...)
			return fmt.Sprint(saw) == want
		})
		saw = nil
	}
	for i := range 3 {
		join(fmt.Sprint("guest", i))
	}
	// The watcher is told of its own join too: four notices, a full batch.
	awaitSaw("[join watcher join guest0 join guest1 join guest2]")

	join("late")
	time.Sleep(time.Second) // two short windows
	if got := presence(watch); len(got) != 0 {
		t.Fatalf("after a burst of joins the watcher got %v within the long window", got)
	}
	if err := h.Typing(ctx, "r", "guest0"); err != nil { // sends the held notice first
		t.Fatal(err)
	}
	awaitSaw("[join late]")

	join("quiet") // the last window held one notice: the short window again
	awaitSaw("[join quiet]")
}

// watchless is the outbox of a member whose frames the test does not read.
func watchless() *hub.Outbox { return hub.NewOutbox(1000, nil) }
