package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// statementHoldingBroker is the in-process broker, but the first presence statement of node
// holds in Publish until release is closed: a node reads its members under the room's lock
// and publishes after letting go of it, so a change (a leave) can reach the broker first.
type statementHoldingBroker struct {
	*inmem.Broker
	node      string
	once      sync.Once
	held      chan struct{} // closed when the statement is held
	release   chan struct{}
	published chan struct{} // closed when the held statement has been delivered
}

func (b *statementHoldingBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if _, ok := ev.Body.(hubbub.PresenceReported); !ok || ev.Node != b.node {
		return b.Broker.Publish(ctx, ev)
	}
	hold := false
	b.once.Do(func() { hold = true })
	if !hold {
		return b.Broker.Publish(ctx, ev)
	}
	close(b.held)
	<-b.release
	defer close(b.published)
	return b.Broker.Publish(ctx, ev)
}

// A node's statement of its members that reaches the other nodes after a leave it was read
// before does not list the member again: ann, who left on b, stays out of a's list (with
// presence restated hourly, the ghost would have stayed for the hour; it was the occasional
// failure of TestPresenceOfOneUserOnTwoNodes).
func TestAStatementReadBeforeALeaveDoesNotBringTheMemberBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := &statementHoldingBroker{Broker: inmem.NewBroker(), node: "b", held: make(chan struct{}),
		release: make(chan struct{}), published: make(chan struct{})}
	cfg := hub.Config{Logger: quiet, PresenceInterval: time.Hour, PresenceWindow: -1}
	cfg.Node = "a"
	a := hub.New(cfg, store, broker)
	cfg.Node = "b"
	b := hub.New(cfg, store, broker)
	t.Cleanup(func() { a.Close(); b.Close(); broker.Close(); store.Close() })
	ctx := context.Background()

	ann := &hub.Member{Name: "ann", Key: "user:u1", UserID: "u1", Out: hub.NewOutbox(1000, nil)}
	if _, err := b.Join(ctx, hub.JoinRequest{Room: "r", Member: ann}); err != nil {
		t.Fatal(err)
	}
	// The room opens on a, which asks the other nodes who is in it; b reads ann and its
	// answer is held on the way.
	watch := hub.NewOutbox(1000, nil)
	joined := make(chan error, 1)
	go func() {
		_, err := a.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: "watcher", Key: "user:w", UserID: "w", Out: watch}})
		joined <- err
	}()
	select {
	case <-broker.held:
	case <-time.After(10 * time.Second):
		t.Fatal("node b never answered a's question about the room")
	}
	b.Leave("r", ann) // published at once, ahead of the answer
	close(broker.release)
	<-broker.published
	if err := <-joined; err != nil {
		t.Fatal(err)
	}

	if got := fmt.Sprint(a.Members("r")); got != "[watcher]" {
		t.Errorf("node a lists %s after ann left on b, want [watcher]", got)
	}
	told := presence(watch)
	for _, p := range told {
		if p == "join ann" {
			t.Errorf("the watcher was told %v: ann is back", told)
		}
	}
}

// A node restarted under the same name numbers its presence events above those of its run
// before, which the other nodes hold against it: its members are listed there again, rather
// than dropped as older than what the node said before it stopped.
func TestANodeRestartedUnderItsNameIsListedAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	cfg := hub.Config{Logger: quiet, PresenceInterval: time.Hour, PresenceWindow: -1}
	cfg.Node = "a"
	a := hub.New(cfg, store, broker)
	cfg.Node = "b"
	b := hub.New(cfg, store, broker)
	var again *hub.Hub
	t.Cleanup(func() {
		a.Close()
		b.Close()
		if again != nil {
			again.Close()
		}
		broker.Close()
		store.Close()
	})
	ctx := context.Background()
	join := func(h *hub.Hub, name string) *hub.Member {
		t.Helper()
		m := &hub.Member{Name: name, Key: "user:" + name, UserID: name, Out: hub.NewOutbox(1000, nil)}
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	join(a, "watcher")
	ann := join(b, "ann")
	bob := join(b, "bob")
	b.Leave("r", ann)
	if got := fmt.Sprint(a.Members("r")); got != "[bob watcher]" {
		t.Fatalf("node a lists %s, want [bob watcher]", got)
	}
	b.Drain() // as the server does at a shutdown, whose connections then leave
	b.Leave("r", bob)
	b.Close()
	if got := fmt.Sprint(a.Members("r")); got != "[watcher]" {
		t.Fatalf("node a lists %s once b stopped, want [watcher]", got)
	}

	again = hub.New(cfg, store, broker) // node b again
	join(again, "ann")
	if got := fmt.Sprint(a.Members("r")); got != "[ann watcher]" {
		t.Errorf("node a lists %s once b started again and ann joined there, want [ann watcher]", got)
	}
}
