package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// sanctionFailingBroker is the in-process broker, but Publish of a sanction's entry fails
// while fail is set, as a NATS broker's does while it is cut off.
type sanctionFailingBroker struct {
	*inmem.Broker
	fail atomic.Bool
}

func (b *sanctionFailingBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if e := ev.AppendedEntry(); e != nil && e.Kind == hubbub.KindSanction && b.fail.Load() {
		return errors.New("broker cut off")
	}
	return b.Broker.Publish(ctx, ev)
}

// A ban is held by the moderator's own node from the moment it is stored, not from its
// delivery: when the publish fails, the ban is stored and the answer says so, and this node
// already refuses the banned user, though no room delivered the entry.
func TestBanHeldHereThoughItsPublishFailed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := &sanctionFailingBroker{Broker: inmem.NewBroker()}
	h := hub.New(hub.Config{Logger: quiet}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	ctx := context.Background()
	join(t, h, "r", "ann", nil) // this node holds the room
	broker.fail.Store(true)
	ban := hubbub.Sanction{Room: "r", User: "bob", Name: "bob", Kind: hubbub.SanctionBan, Until: time.Now().Add(time.Hour)}
	if err := h.Sanction(ctx, hub.Actor{Log: "mod"}, ban); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("a ban with the broker cut off: %v, want unavailable", err)
	}
	if err := h.MayPost(ctx, "r", "bob", "bob"); hubbub.ErrorCode(err) != hubbub.ECodeBanned {
		t.Errorf("bob posting after the ban was stored: %v, want banned", err)
	}
}
