package hub_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// next waits for out's next envelope and returns it.
func next(t *testing.T, out *hub.Outbox) *hub.Envelope {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if batch, _, _ := out.TakeUpTo(nil, 1); len(batch) > 0 {
			return batch[0]
		}
		select {
		case <-out.Ready():
		case <-deadline:
			t.Fatal("no envelope came")
		}
	}
}

// notice returns the user notice e carries, failing t if it carries something else.
func notice(t *testing.T, e *hub.Envelope) hubbub.UserNotified {
	t.Helper()
	n, ok := e.Event.Body.(hubbub.UserNotified)
	if !ok {
		t.Fatalf("got %T, want a user notice", e.Event.Body)
	}
	return n
}

// A user's notices reach every connection of that user attached to the hub, but the one that
// caused it, and no connection of another user; a connection detached gets none, and the
// channel serves a connection attached again.
func TestUserChannelReachesTheUsersConnections(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{})
	ctx := context.Background()
	member := func(user string) *hub.Member {
		return &hub.Member{Name: user, UserID: user, Out: hub.NewOutbox(100, func() { t.Errorf("%s overflowed", user) })}
	}
	a, b, c := member("u_a"), member("u_a"), member("u_c")
	for _, m := range []*hub.Member{a, b, c, a} { // attaching twice is harmless
		if err := h.Attach(m); err != nil {
			t.Fatal(err)
		}
	}
	if a.ConnID == "" || a.ConnID == b.ConnID {
		t.Fatalf("connection ids %q and %q", a.ConnID, b.ConnID)
	}
	if err := h.Notify(ctx, hubbub.UserNotified{User: "u_a", Room: "r", Read: 5, Skip: a.ConnID}); err != nil {
		t.Fatal(err)
	}
	if err := h.Notify(ctx, hubbub.UserNotified{User: "u_a", Room: "r", Read: 6}); err != nil {
		t.Fatal(err)
	}
	if err := h.Notify(ctx, hubbub.UserNotified{User: "u_c", Room: "s", Read: 1}); err != nil {
		t.Fatal(err)
	}
	if n := notice(t, next(t, a.Out)); n.Read != 6 {
		t.Errorf("the connection that moved it was told %+v first, want only the second notice (6)", n)
	}
	if n := notice(t, next(t, b.Out)); n.Read != 5 {
		t.Errorf("the other connection got %+v first, want read 5", n)
	}
	if n := notice(t, next(t, b.Out)); n.Read != 6 {
		t.Errorf("the other connection got %+v second, want read 6", n)
	}
	if n := notice(t, next(t, c.Out)); n.User != "u_c" || n.Read != 1 {
		t.Errorf("another user got %+v first, want only their own notice", n)
	}

	h.Detach(a)
	h.Detach(b)
	h.Detach(b) // detaching twice is harmless
	if err := h.Notify(ctx, hubbub.UserNotified{User: "u_a", Room: "r", Read: 7}); err != nil {
		t.Fatal(err)
	}
	if err := h.Attach(b); err != nil {
		t.Fatal(err)
	}
	if err := h.Notify(ctx, hubbub.UserNotified{User: "u_a", Room: "r", Read: 8}); err != nil {
		t.Fatal(err)
	}
	if n := notice(t, next(t, b.Out)); n.Read != 8 {
		t.Errorf("after detach and attach got %+v, want only read 8", n)
	}
	if a.Out.Pending() {
		t.Errorf("a detached connection was told %+v", notice(t, next(t, a.Out)))
	}
}

// nextNotice waits for out's next user notice, passing over the room's events (presence).
func nextNotice(t *testing.T, out *hub.Outbox) hubbub.UserNotified {
	t.Helper()
	for {
		if n, ok := next(t, out).Event.Body.(hubbub.UserNotified); ok {
			return n
		}
	}
}

// A room taken out of a user's list (unroom) takes each of the user's connections out of the
// room: they get the notice, their Removed hook is called, and the room's members no longer
// hold them; a connection of the user that is not in the room is told too.
func TestUnlistedRoomDropsTheUsersConnections(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{})
	ctx := context.Background()
	var removed atomic.Int32
	in := &hub.Member{Name: "ann", Key: "user:u_a", UserID: "u_a", Out: hub.NewOutbox(100, nil),
		Removed: func(room, reason string) {
			if room == "r" && reason == "" {
				removed.Add(1)
			}
		}}
	away := &hub.Member{Name: "ann", Key: "user:u_a", UserID: "u_a", Out: hub.NewOutbox(100, nil)}
	out := join(t, h, "r", "bob", nil) // another member keeps the room open
	for _, m := range []*hub.Member{in, away} {
		if err := h.Attach(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: in}); err != nil {
		t.Fatal(err)
	}
	next(t, out) // bob sees ann arrive
	if err := h.Notify(ctx, hubbub.UserNotified{User: "u_a", Room: "r", Unlisted: true}); err != nil {
		t.Fatal(err)
	}
	if n := nextNotice(t, in.Out); !n.Unlisted || n.Room != "r" {
		t.Errorf("the connection in the room got %+v, want unlisted r", n)
	}
	if n := notice(t, next(t, away.Out)); !n.Unlisted {
		t.Errorf("the connection elsewhere got %+v, want unlisted r", n)
	}
	if removed.Load() != 1 {
		t.Errorf("Removed was called %d times, want once", removed.Load())
	}
	if got := h.Members("r"); len(got) != 1 || got[0] != "bob" {
		t.Errorf("room r holds %v after the unroom, want [bob]", got)
	}
}
