package session_test

import (
	"fmt"
	"testing"
	"time"

	"hubbub/internal/hub"
	"hubbub/internal/servertest"
)

// roomFrames reads c's frames of room r up to and including the first that last matches,
// as "join ann", "leave ann", "message hi" or the frame's type.
func roomFrames(c *servertest.JSONClient, r string, last func(servertest.Frame) bool) []string {
	var got []string
	for {
		f := c.Next()
		if f.Str("room") != r {
			continue
		}
		switch f.Type() {
		case "presence":
			got = append(got, f.Str("event")+" "+f.Str("name"))
		case "message":
			got = append(got, "message "+f.Str("text"))
		default:
			got = append(got, f.Type())
		}
		if last(f) {
			return got
		}
	}
}

// pingPong makes a round trip: the server has handled every frame c sent before it (a join
// and the announcement of it).
func pingPong(c *servertest.JSONClient, id string) {
	c.Send(servertest.Frame{"type": "ping", "id": id})
	c.AwaitFunc("pong "+id, func(f servertest.Frame) bool { return f.Type() == "pong" })
}

// With a presence window the notices of a room are held and sent together, and each member
// still sees what it saw without the window, in the same order: a message flushes the held
// notices ahead of it; a member that leaves gets those said while it was there before its
// `left`; a member that joins gets none of those said before its join. The window here is an
// hour, so only the room's own traffic sends them.
func TestPresenceWindowKeepsEachMembersOrder(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{PresenceWindow: time.Hour}})
	watcher := servertest.DialJSON(t, s, "watcher")
	ann := servertest.DialJSON(t, s, "ann")
	bob := servertest.DialJSON(t, s, "bob")
	cid := servertest.DialJSON(t, s, "cid")
	for _, c := range []*servertest.JSONClient{watcher, ann, bob} {
		c.Join("r", nil)
		pingPong(c, "joined")
	}
	ann.Send(servertest.Frame{"type": "leave", "room": "r"})
	if got := fmt.Sprint(roomFrames(ann, "r", func(f servertest.Frame) bool { return f.Type() == "left" })); got != "[join ann join bob left]" {
		t.Errorf("ann, leaving, got %s; want the notices from her join on, then left", got)
	}
	if j := cid.Join("r", nil); fmt.Sprint(j["members"]) != "[bob cid watcher]" {
		t.Errorf("cid joined r with members %v", j["members"])
	}
	pingPong(cid, "joined")

	if ack := bob.Say("r", "m1", "hi"); ack.Type() != "ack" {
		t.Fatalf("bob's send: %v", ack)
	}
	isHi := func(f servertest.Frame) bool { return f.Type() == "message" && f.Str("text") == "hi" }
	for _, tc := range []struct {
		c    *servertest.JSONClient
		want string
	}{
		{watcher, "[join watcher join ann join bob leave ann join cid message hi]"},
		{bob, "[join bob leave ann join cid message hi]"},
		{cid, "[join cid message hi]"},
	} {
		if got := fmt.Sprint(roomFrames(tc.c, "r", isHi)); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

// Without other traffic the held notices go out when the window ends; a typing notice sends
// them first.
func TestPresenceWindowEnds(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Hub: hub.Config{PresenceWindow: 20 * time.Millisecond}})
	watcher := servertest.DialJSON(t, s, "watcher")
	watcher.Join("r", nil)
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	if got := fmt.Sprint(roomFrames(watcher, "r", func(f servertest.Frame) bool { return f.Str("name") == "ann" })); got != "[join watcher join ann]" {
		t.Errorf("watcher got %s once the window ended", got)
	}

	s2 := servertest.Start(t, servertest.Options{Hub: hub.Config{PresenceWindow: time.Hour}})
	watcher = servertest.DialJSON(t, s2, "watcher")
	watcher.Join("r", nil)
	ann = servertest.DialJSON(t, s2, "ann")
	ann.Join("r", nil)
	ann.Send(servertest.Frame{"type": "typing", "room": "r"})
	if got := fmt.Sprint(roomFrames(watcher, "r", func(f servertest.Frame) bool { return f.Type() == "typing" })); got != "[join watcher join ann typing]" {
		t.Errorf("watcher got %s before ann's typing", got)
	}
}
