package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
)

// userChannelFailingBroker is the in-process broker, but subscribing to a user's channel fails
// while down is set, as a NATS broker's does while it is cut off; each user channel it does
// subscribe to is sent on subscribed.
type userChannelFailingBroker struct {
	*inmem.Broker
	down       atomic.Bool
	subscribed chan string
}

func (b *userChannelFailingBroker) Subscribe(room string, handler func(hubbub.Event)) (func(), error) {
	if strings.HasPrefix(room, hubbub.UserChannelPrefix) {
		if b.down.Load() {
			return nil, errors.New("broker cut off")
		}
		defer func() { b.subscribed <- room }()
	}
	return b.Broker.Subscribe(room, handler)
}

// A connection attached while the broker refuses its user's channel is the user's all the
// same (account checks find it: UserConnections), and the hub subscribes to the channel when
// the broker is back (Resync), so that the user's notices reach it from then on.
func TestUserChannelSubscribedWhenTheBrokerIsBack(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "h.db"), sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := &userChannelFailingBroker{Broker: inmem.NewBroker(), subscribed: make(chan string, 4)}
	h := hub.New(hub.Config{Logger: quiet}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })

	broker.down.Store(true)
	m := &hub.Member{Name: "ann", UserID: "u_a", Out: hub.NewOutbox(100, func() { t.Error("ann overflowed") })}
	if err := h.Attach(m); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("Attach with the broker cut off: %v, want unavailable", err)
	}
	if conns := h.UserConnections("u_a"); len(conns) != 1 || conns[0] != m {
		t.Fatalf("ann's connections with the broker cut off: %v, want the one attached", conns)
	}

	broker.down.Store(false)
	h.Resync()
	select {
	case ch := <-broker.subscribed:
		if ch != hubbub.UserChannel("u_a") {
			t.Fatalf("subscribed to %q, want ann's channel", ch)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hub did not subscribe to ann's channel once the broker was back")
	}
	if err := h.Notify(context.Background(), hubbub.UserNotified{User: "u_a", Room: "r", Read: 3}); err != nil {
		t.Fatal(err)
	}
	if n := notice(t, next(t, m.Out)); n.Read != 3 {
		t.Fatalf("ann's notice: %+v, want read 3", n)
	}
	h.Detach(m)
	if conns := h.UserConnections("u_a"); len(conns) != 0 {
		t.Fatalf("ann's connections once detached: %v", conns)
	}
}
