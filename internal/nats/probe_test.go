package nats_test

import (
	"context"
	"testing"

	natsgo "github.com/nats-io/nats.go"

	"hubbub"
	"hubbub/internal/natstest"
	"hubbub/internal/testwait"
)

// TestSubscribed: Subscribed tells, in one round trip, whether anyone subscribes to a room:
// nobody at first; then a node of any version (a bare connection here, as a node of a build
// before this one holding the room); then this broker itself. The subscribers never see the
// probe.
func TestSubscribed(t *testing.T) {
	s := natstest.Start(t)
	a := connect(t, s.ClientURL(), testOptions("a"))
	b := connect(t, s.ClientURL(), testOptions("b"))
	ctx := context.Background()
	held := func(room string) bool {
		t.Helper()
		ok, err := a.Subscribed(ctx, room)
		if err != nil {
			t.Fatalf("Subscribed(%q): %v", room, err)
		}
		return ok
	}
	if held("team.dev") {
		t.Error("a room nobody subscribes to: Subscribed says someone does")
	}

	old, err := natsgo.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	sub, err := old.SubscribeSync("hubbub.room.team~2Edev")
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Flush(); err != nil {
		t.Fatal(err)
	}
	if !held("team.dev") {
		t.Error("a room another connection subscribes to: Subscribed says nobody does")
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if err := old.Flush(); err != nil {
		t.Fatal(err)
	}
	if held("team.dev") {
		t.Error("a room whose only subscriber left: Subscribed says someone subscribes")
	}

	var r recorder
	cancel, err := b.Subscribe("ops", r.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	stop, err := a.Subscribe("mine", func(hubbub.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !held("ops") || !held("mine") {
		t.Error("rooms another node, and this one, subscribe to: Subscribed says nobody does")
	}
	if err := a.Publish(ctx, typing("ops", "ann")); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the typing notice after the probe", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.events) > 0
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) != 1 {
		t.Errorf("the subscriber got %+v, want the typing notice alone", r.events)
	}
}
