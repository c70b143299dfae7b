package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// joinHoldingBroker is the in-process broker, but the publish of a join (not a state) of the
// name hold waits, once, until release is closed: a join publishes its name after it lets go of
// the room's lock, and a rename may run meanwhile.
type joinHoldingBroker struct {
	*inmem.Broker
	hold    string
	held    chan struct{}
	release chan struct{}
}

func (b *joinHoldingBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if j, ok := ev.Body.(hubbub.MemberJoined); ok && j.State == "" && j.Name == b.hold {
		b.hold = "" // once; only the joining goroutine publishes this name's join
		close(b.held)
		<-b.release
	}
	return b.Broker.Publish(ctx, ev)
}

// A rename that runs between a join's taking of its claim and the join's announcement of its
// name leaves no one listing the old name: the members are told the new name and that the old
// one was renamed, and the join's late announcement of the old name, which no connection holds
// here any more, is not shown to them ("join ann" after "leave ann" put ann back in their lists
// for good: no leave would ever follow).
func TestRenameDuringAJoinLeavesNoGhost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := &joinHoldingBroker{Broker: inmem.NewBroker(), hold: "ann", held: make(chan struct{}), release: make(chan struct{})}
	h := hub.New(hub.Config{Logger: quiet, PresenceWindow: -1}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	ctx := context.Background()

	watch := hub.NewOutbox(1000, nil)
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "watcher", Key: "user:w", UserID: "w", Out: watch}}); err != nil {
		t.Fatal(err)
	}
	ann := &hub.Member{Name: "ann", Key: "user:u1", UserID: "u1", Out: hub.NewOutbox(1000, nil)}
	if err := h.Attach(ann); err != nil {
		t.Fatal(err)
	}
	joined := make(chan error, 1)
	go func() {
		_, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: ann})
		joined <- err
	}()
	<-broker.held // ann holds her claim; her join is not announced yet
	if n := h.RenameUser("u1", "anna"); n != 1 {
		t.Fatalf("RenameUser renamed %d connections, want 1", n)
	}
	close(broker.release)
	if err := <-joined; err != nil {
		t.Fatal(err)
	}

	if got := fmt.Sprint(h.Members("r")); got != "[anna watcher]" {
		t.Errorf("the room lists %s, want [anna watcher]", got)
	}
	h.Who("r") // queues what the room holds
	// What the watcher was told, applied to its list as a client does.
	list := []string{}
	var told []string
	for _, e := range must(watch.TakeUpTo(nil, 0)) {
		switch b := e.Event.Body.(type) {
		case hubbub.MemberJoined:
			told = append(told, "join "+b.Name+" "+b.State)
			if !slices.Contains(list, b.Name) {
				list = append(list, b.Name)
			}
		case hubbub.MemberLeft:
			told = append(told, "leave "+b.Name)
			list = slices.DeleteFunc(list, func(n string) bool { return n == b.Name })
			if b.Renamed != "" && !slices.Contains(list, b.Renamed) {
				list = append(list, b.Renamed)
			}
		}
	}
	slices.Sort(list)
	if got := fmt.Sprint(list); got != "[anna watcher]" {
		t.Errorf("the watcher lists %s, want [anna watcher]; it was told %q", got, told)
	}
}

// A name a rename gave a user while a keyless connection showed it too is the keyless
// connection's again, for MemberUsers, once the user no longer goes by it: a message's mention
// of it, or a moderator's ban of it (session.findTarget), reaches the connection that shows it,
// not the user who was renamed away from it (who was banned in its place).
func TestMemberUsersAfterARenameAwayFromASharedName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	h := hub.New(hub.Config{Logger: quiet, PresenceWindow: -1}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	ctx := context.Background()
	keyless := &hub.Member{Name: "sam", Key: "user:" + hubbub.AnonymousUserID("sam"), UserID: hubbub.AnonymousUserID("sam"),
		Out: hub.NewOutbox(1000, nil)}
	uma := &hub.Member{Name: "uma", Key: "user:u1", UserID: "u1", Out: hub.NewOutbox(1000, nil)}
	for _, m := range []*hub.Member{keyless, uma} {
		if err := h.Attach(m); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m}); err != nil {
			t.Fatal(err)
		}
	}
	h.RenameUser("u1", "sam") // the store gave u1 the name the keyless connection uses
	if got := h.MemberUsers("r", []string{"sam"})["sam"]; got != "u1" {
		t.Errorf("MemberUsers of sam once u1 goes by it = %q, want u1", got)
	}
	h.RenameUser("u1", "zed")
	want := map[string]string{"sam": hubbub.AnonymousUserID("sam"), "zed": "u1"}
	if got := h.MemberUsers("r", []string{"sam", "zed"}); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MemberUsers once u1 goes by zed = %v, want %v", got, want)
	}
}

// A user renamed on one node to the name their connection on another node goes by already is
// held under it on both: when the other connection leaves, the name stays in the room, where
// it left until the first node restated its members (hourly here).
func TestRenameToANameShownOnAnotherNodeKeepsItWhenThatOneLeaves(t *testing.T) {
	a, b := twoNodes(t, hub.Config{PresenceInterval: time.Hour, PresenceWindow: -1})
	ctx := context.Background()
	join := func(h *hub.Hub, m *hub.Member) {
		t.Helper()
		if err := h.Attach(m); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m}); err != nil {
			t.Fatal(err)
		}
	}
	join(b, &hub.Member{Name: "watcher", Key: "user:w", UserID: "w", Out: hub.NewOutbox(1000, nil)})
	onA := &hub.Member{Name: "ann", Key: "user:u1", UserID: "u1", Out: hub.NewOutbox(1000, nil)}
	join(a, onA)
	onB := &hub.Member{Name: "anna", Key: "user:u1", UserID: "u1", Out: hub.NewOutbox(1000, nil)}
	join(b, onB) // her second device, with the new name
	if n := a.RenameUser("u1", "anna"); n != 1 {
		t.Fatalf("RenameUser on a renamed %d connections, want 1", n)
	}
	b.Leave("r", onB)
	if got := fmt.Sprint(b.Members("r")); got != "[anna watcher]" {
		t.Errorf("node b lists %s once anna's device there left, want [anna watcher]: she is still in the room on a", got)
	}
}
