package nats_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/natstest"
	"hubbub/internal/testwait"
)

// TestManyRoomsShareDispatch subscribes one node to many rooms and has another node publish to
// all of them at once: the subscriptions add no goroutine each (a node serves thousands of
// rooms), every room receives its own events and no other's, in the order its publisher sent
// them, and every one of the concurrent publishes is confirmed.
func TestManyRoomsShareDispatch(t *testing.T) {
	const rooms, perRoom = 300, 20
	s := natstest.Start(t)
	sub := connect(t, s.ClientURL(), testOptions("a"))
	// Hundreds of publishers at once on a shared, race-checked machine: a roomy timeout, since
	// what is checked is that every publish is confirmed and delivered, not how fast.
	opts := testOptions("b")
	opts.PublishTimeout = 20 * time.Second
	pub := connect(t, s.ClientURL(), opts)

	before := runtime.NumGoroutine()
	got := make([]recorder, rooms)
	for i := range rooms {
		cancel, err := sub.Subscribe(fmt.Sprintf("room-%d", i), got[i].handle)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		t.Cleanup(cancel)
	}
	if added := runtime.NumGoroutine() - before; added > rooms/10 {
		t.Errorf("%d subscriptions added %d goroutines; want them to share a few", rooms, added)
	}

	var wg sync.WaitGroup
	errs := make(chan error, rooms)
	for i := range rooms {
		wg.Go(func() {
			room := fmt.Sprintf("room-%d", i)
			for n := range perRoom {
				if err := pub.Publish(context.Background(), typing(room, strconv.Itoa(n))); err != nil {
					errs <- fmt.Errorf("publish %d to %s: %w", n, room, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range rooms {
		room := fmt.Sprintf("room-%d", i)
		testwait.Until(t, room+"'s events", func() bool {
			got[i].mu.Lock()
			defer got[i].mu.Unlock()
			return len(got[i].events) >= perRoom
		})
		got[i].mu.Lock()
		for n, ev := range got[i].events {
			if b, ok := ev.Body.(hubbub.MemberTyping); ev.Room != room || !ok || b.Name != strconv.Itoa(n) {
				t.Errorf("%s: event %d is %+v, want typing %d in this room", room, n, ev, n)
				break
			}
		}
		if len(got[i].events) != perRoom {
			t.Errorf("%s: %d events, want %d", room, len(got[i].events), perRoom)
		}
		got[i].mu.Unlock()
	}
}

// TestCancelledRoomGetsNothingQueued cancels a room's subscription while its events wait
// behind a busy handler of a room that shares its dispatch queue: none of them reaches it.
func TestCancelledRoomGetsNothingQueued(t *testing.T) {
	s := natstest.Start(t)
	b := connect(t, s.ClientURL(), testOptions("a"))
	release := make(chan struct{})
	var blocked recorder
	stopBlocked, err := b.Subscribe("r", func(ev hubbub.Event) {
		blocked.handle(ev)
		<-release
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer stopBlocked()
	var cancelled recorder
	stop, err := b.Subscribe("r", cancelled.handle)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if err := b.Publish(context.Background(), typing("r", "first")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	testwait.Until(t, "the busy handler to start", func() bool { return blocked.has("first") })
	// Both subscriptions are of room r, so they share a queue, and "second" waits there for
	// both behind the busy handler.
	if err := b.Publish(context.Background(), typing("r", "second")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	stop()
	close(release)
	testwait.Until(t, "the busy handler to get the second event", func() bool { return blocked.has("second") })
	if cancelled.has("second") {
		t.Errorf("a cancelled subscription got an event queued before it was cancelled")
	}
}
