package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

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
			chatLeakCheck(t)
			addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"), "--reaction-window", tc.window)
			defer func() {
				if err := stop(); err != nil {
					t.Errorf("serve: %v", err)
				}
			}()
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
	chatLeakCheck(t)
	addr, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"),
		"--send-queue", "8", "--presence-window", "1h")
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
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
