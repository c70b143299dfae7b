package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
)

// helloDroppingBroker is the in-process broker, but while drop is set it loses node's hello
// (the announcement a node makes as it starts): the other nodes were away from the broker
// when it started.
type helloDroppingBroker struct {
	*inmem.Broker
	node string
	drop atomic.Bool
}

func (b *helloDroppingBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if a, ok := ev.Body.(hubbub.NodeAnnounced); ok && a.Hello && ev.Node == b.node && b.drop.Load() {
		return nil
	}
	return b.Broker.Publish(ctx, ev)
}

// A node that starts again under its name with its clock set back numbers its presence events
// below those of its run before. A node that missed its hello learns from its next
// announcement that it started again, and lists its members from its next statement on,
// rather than dropping its events as older than the old ones for as long as it talks.
func TestANodeRestartedWithItsClockSetBackIsListedAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	broker := &helloDroppingBroker{Broker: inmem.NewBroker(), node: "b"}
	cfg := Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PresenceInterval: 20 * time.Millisecond,
		PresenceExpiry: time.Minute, PresenceWindow: -1}
	cfg.Node = "a"
	a := New(cfg, store, broker)
	cfg.Node = "b"
	b := New(cfg, store, broker)
	var again *Hub
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
	join := func(h *Hub, name string) *Member {
		t.Helper()
		m := &Member{Name: name, Key: "user:" + name, UserID: name, Out: NewOutbox(1000, nil)}
		if _, err := h.Join(ctx, JoinRequest{Room: "r", Member: m}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	join(a, "watcher")
	ann := join(b, "ann")
	testwait.Until(t, "node a to list ann", func() bool { return slices.Contains(a.Members("r"), "ann") })
	b.Drain()
	b.Leave("r", ann)
	b.Close()
	if got := fmt.Sprint(a.Members("r")); got != "[watcher]" {
		t.Fatalf("node a lists %s once b stopped, want [watcher]", got)
	}

	presenceClock = func() time.Time { return time.Now().Add(-time.Hour) }
	t.Cleanup(func() { presenceClock = time.Now })
	broker.drop.Store(true)
	again = New(cfg, store, broker) // node b again, an hour earlier by its clock
	join(again, "ann")              // below the order of her leave before the restart
	testwait.Until(t, "node a to list ann, who joined again on b after its restart", func() bool {
		return slices.Contains(a.Members("r"), "ann")
	})
}
