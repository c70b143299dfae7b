package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"hubbub/internal/hub"
	"hubbub/internal/servertest"
)

// request sends f (with an id) and waits for its ack, resending with the same id when the
// answer is unavailable (a shared store busy under load), as a client does.
func request(t *testing.T, c *servertest.JSONClient, f servertest.Frame) servertest.Frame {
	t.Helper()
	id := f.Str("id")
	for attempt := 1; ; attempt++ {
		c.Send(f)
		got := c.AwaitFunc("ack for "+id, func(g servertest.Frame) bool {
			return (g.Type() == "ack" || g.Type() == "error") && g.Str("id") == id
		})
		if got.Type() == "ack" {
			return got
		}
		if got.Str("code") != "unavailable" || attempt == 5 {
			t.Fatalf("%v refused: %v", f, got)
		}
	}
}

// Clients on two nodes: an edit made on node 1 reaches a member on node 2 in the room's order,
// between the messages around it, and a burst of reactions made on node 1 reaches it as one
// reacted frame rather than a frame per reaction, with every change, before the message that
// follows.
func TestEditAndReactionsReachAnotherNodeInOrder(t *testing.T) {
	// An hour's window: the burst goes out when the next message arrives, however slow the
	// machine; the default window's timer is the hub's tests' business.
	c := startClusterWith(t, 2, hub.Config{ReactionWindow: time.Hour})
	bob := servertest.DialJSON(t, c.nodes[1], "bob")
	bob.Join("log", nil)
	ann := servertest.DialJSON(t, c.nodes[0], "ann")
	ann.Join("log", nil)
	const fans = 6
	var fanClients []*servertest.JSONClient
	for i := range fans {
		f := servertest.DialJSON(t, c.nodes[0], fmt.Sprint("fan", i))
		f.Join("log", nil)
		fanClients = append(fanClients, f)
	}

	m1 := request(t, ann, servertest.Frame{"type": "send", "room": "log", "id": "m1", "text": "helo"}).Num("seq")
	request(t, ann, servertest.Frame{"type": "edit", "room": "log", "id": "e1", "seq": m1, "text": "hello"})
	m2 := request(t, ann, servertest.Frame{"type": "send", "room": "log", "id": "m2", "text": "vote"}).Num("seq")
	for i, f := range fanClients {
		request(t, f, servertest.Frame{"type": "react", "room": "log", "id": fmt.Sprint("r", i), "seq": m2, "emoji": "👍"})
	}
	request(t, ann, servertest.Frame{"type": "send", "room": "log", "id": "m3", "text": "thanks"})

	// What bob on node 2 sees of the room's log, in order, until the last message.
	var seen []string
	var logSeqs []uint64
	changes, reactedFrames := 0, 0
	for {
		f := bob.AwaitFunc("an entry of room log", func(f servertest.Frame) bool {
			switch f.Type() {
			case "message", "edited", "deleted", "reacted":
				return f.Str("room") == "log"
			}
			return false
		})
		switch f.Type() {
		case "message":
			seen = append(seen, "message "+f.Str("text"))
			logSeqs = append(logSeqs, f.Num("seq"))
		case "edited":
			seen = append(seen, fmt.Sprintf("edited %d %s", f.Num("seq"), f.Str("text")))
			logSeqs = append(logSeqs, f.Num("log_seq"))
		case "reacted":
			reactedFrames++
			list, _ := f["changes"].([]any)
			for _, ch := range list {
				ch := servertest.Frame(ch.(map[string]any))
				changes++
				logSeqs = append(logSeqs, ch.Num("log_seq"))
				if ch.Num("seq") != m2 || ch.Num("count") != uint64(changes) {
					t.Errorf("change %d of the burst: %v, want message %d counted %d", changes, ch, m2, changes)
				}
			}
			seen = append(seen, "reacted")
		default:
			seen = append(seen, f.Type())
		}
		if f.Type() == "message" && f.Str("text") == "thanks" {
			break
		}
	}
	want := fmt.Sprint([]string{"message helo", fmt.Sprintf("edited %d hello", m1), "message vote", "reacted", "message thanks"})
	if fmt.Sprint(seen) != want {
		t.Errorf("bob on node 2 saw %v, want %v", seen, want)
	}
	for i := range logSeqs {
		if logSeqs[i] != uint64(i+1) {
			t.Fatalf("bob on node 2 got the log as seqs %v, want 1 to %d in order", logSeqs, len(logSeqs))
		}
	}
	if changes != fans || reactedFrames >= fans {
		t.Errorf("%d reactions reached bob as %d changes in %d reacted frames, want all %d in fewer frames", fans, changes, reactedFrames, fans)
	}
}
