package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hubbub/internal/chattest"
	"hubbub/internal/servertest"
)

// An operator's --reaction-window decides how bob sees ann's quick reactions: 0 sends each
// in a reacted frame of its own, as --presence-window 0 does for presence (it once fell back
// to the 100 ms default, and the negative value the help offered was refused at start); a long
// window holds them until the next message of the room, which sends them first, as one frame.
func TestServeReactionWindowFlag(t *testing.T) {
	for _, tc := range []struct {
		window string
		frames []int // reactions per reacted frame bob gets
	}{
		{"0", []int{1, 1, 1, 1, 1}},
		{"1h", []int{5}},
	} {
		t.Run(tc.window, func(t *testing.T) {
			chattest.LeakCheck(t)
			addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--reaction-window", tc.window)
			s := &servertest.Server{WS: "ws://" + addr + "/ws"}
			ann, bob := servertest.DialJSON(t, s, "ann"), servertest.DialJSON(t, s, "bob")
			ann.Join("r", nil)
			bob.Join("r", nil)
			if f := ann.Say("r", "m1", "vote with an emoji"); f.Type() != "ack" {
				t.Fatalf("ann's message: %v", f)
			}
			bob.Await("message")
			for i, emoji := range []string{"👍", "🎉", "👀", "🚀", "✅"} {
				ann.Send(servertest.Frame{"type": "react", "room": "r", "seq": 1, "id": fmt.Sprint("x", i), "emoji": emoji})
			}
			for i := range 5 {
				if f := ann.Await("ack"); f.Str("id") != fmt.Sprint("x", i) {
					t.Fatalf("ack %d: %v", i, f)
				}
			}
			if f := ann.Say("r", "m2", "counting"); f.Type() != "ack" {
				t.Fatalf("ann's second message: %v", f)
			}
			var got []int
			for n := 0; n < 5; {
				f := bob.Await("reacted")
				changes, _ := f["changes"].([]any)
				got = append(got, len(changes))
				n += len(changes)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.frames) {
				t.Errorf("--reaction-window %s: bob got reacted frames of %v reactions, want %v", tc.window, got, tc.frames)
			}
			if m := bob.Await("message"); m.Str("text") != "counting" {
				t.Errorf("after the reactions bob got %v, want ann's second message", m)
			}
		})
	}
}

// An operator who lowers --send-queue below the presence batch keeps the members of a busy
// room: ten joins held for an hour-long window reach ann, who reads at once, in pushes that
// fit her queue of 8 (the batch is at most half of it), not in one push of ten that her queue
// cannot take and that dropped her as too slow.
func TestServePresenceBatchFitsTheSendQueue(t *testing.T) {
	chattest.LeakCheck(t)
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"),
		"--send-queue", "8", "--presence-window", "1h")
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	for i := range 10 {
		c := servertest.DialJSON(t, s, fmt.Sprint("guest", i))
		c.Join("r", nil)
	}
	if f := ann.Say("r", "m1", "welcome, everyone"); f.Type() != "ack" {
		t.Fatalf("ann's message: %v", f)
	}
	joins := 0
	for {
		f := ann.Next()
		if f.Type() == "presence" && f.Str("event") == "join" && strings.HasPrefix(f.Str("name"), "guest") {
			joins++
		}
		if f.Type() == "message" && f.Str("text") == "welcome, everyone" {
			break
		}
	}
	if joins != 10 {
		t.Errorf("ann saw %d joins before her message, want 10", joins)
	}
}

// An operator's --presence-window-max is how late a busy room's presence may come: after four
// guests join at once (a full --presence-batch, so a busy window), a fifth guest's join is held
// for the hour-long window, not the one-second one — ann's ping is answered before it — and
// comes, first, with ann's next message. (With a 100 ms window, four joins that each store a
// membership could span two windows on a busy machine, neither busy.)
func TestServePresenceWindowMaxFlag(t *testing.T) {
	chattest.LeakCheck(t)
	addr := serveForTest(t, "--data", filepath.Join(t.TempDir(), "h.db"),
		"--presence-window", "1s", "--presence-window-max", "1h", "--presence-batch", "4")
	s := &servertest.Server{WS: "ws://" + addr + "/ws"}
	ann := servertest.DialJSON(t, s, "ann")
	ann.Join("r", nil)
	ann.AwaitFunc("ann's own join", func(f servertest.Frame) bool { return f.Type() == "presence" && f.Str("name") == "ann" })
	var guests []*servertest.JSONClient
	for i := range 4 {
		guests = append(guests, servertest.DialJSON(t, s, fmt.Sprint("guest", i)))
	}
	for _, g := range guests { // at once: the four joins fill the batch
		g.Send(servertest.Frame{"type": "join", "room": "r"})
	}
	for _, g := range guests {
		g.Await("joined")
	}
	for i := range 4 {
		if f := ann.Await("presence"); f.Str("event") != "join" || !strings.HasPrefix(f.Str("name"), "guest") {
			t.Fatalf("presence %d: %v", i, f)
		}
	}
	late := servertest.DialJSON(t, s, "late")
	late.Join("r", nil)
	time.Sleep(2 * time.Second) // two short windows
	lateJoinOr := func(typ string) func(servertest.Frame) bool {
		return func(f servertest.Frame) bool {
			return f.Type() == typ || f.Type() == "presence" && f.Str("name") == "late"
		}
	}
	ann.Send(servertest.Frame{"type": "ping"})
	if f := ann.AwaitFunc("pong or late's join", lateJoinOr("pong")); f.Type() != "pong" {
		t.Fatalf("two seconds after late's join ann got %v before the pong: want it held for the busy room's window", f)
	}
	if f := ann.Say("r", "m1", "welcome"); f.Type() != "ack" {
		t.Fatalf("ann's message: %v", f)
	}
	if f := ann.AwaitFunc("message or late's join", lateJoinOr("message")); f.Type() != "presence" {
		t.Errorf("ann got %v before late's join, want the join first", f)
	}
	if f := ann.Await("message"); f.Str("text") != "welcome" {
		t.Errorf("after late's join ann got %v, want her message", f)
	}
}
