package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// Entries of every kind made on one node reach a member on another in the room's seq order,
// with the messages around them: an edit between two messages, and a burst of reactions that
// arrives as one envelope (one frame) rather than one per reaction, with every change.
func TestEntriesReachAnotherNodeInOrder(t *testing.T) {
	// An hour's window: the burst goes out when the next message arrives, whatever the pace
	// of a busy machine.
	c := startClusterWith(t, 2, hub.Config{ReactionWindow: time.Hour})
	a, b := c.nodes[0].Hub, c.nodes[1].Hub
	ctx := context.Background()
	out := hub.NewOutbox(1000, func() { t.Error("bob's outbox overflowed") })
	if _, err := b.Join(ctx, hub.JoinRequest{Room: "log", Member: &hub.Member{Name: "bob", Out: out}}); err != nil {
		t.Fatal(err)
	}
	send := func(e hubbub.Entry) hubbub.Entry {
		t.Helper()
		e.Room = "log"
		stored, _, err := a.Send(ctx, &e)
		if err != nil {
			t.Fatalf("send %+v on node 1: %v", e, err)
		}
		return *stored
	}
	m1 := send(hubbub.Entry{From: "ann", Text: "helo"})
	send(hubbub.Entry{From: "ann", Kind: hubbub.KindEdit, Target: m1.Seq, Text: "hello"})
	m2 := send(hubbub.Entry{From: "ann", Text: "vote!"})
	const reactions = 20
	for i := range reactions {
		send(hubbub.Entry{From: fmt.Sprint("fan", i), Kind: hubbub.KindReaction, Target: m2.Seq, Emoji: "👍"})
	}
	end := send(hubbub.Entry{From: "ann", Text: "thanks"})

	var got []*hubbub.Entry
	envelopes := 0
	var batch []*hub.Envelope
	deadline := time.After(20 * time.Second)
	for len(got) == 0 || got[len(got)-1].Seq < end.Seq {
		select {
		case <-out.Ready():
		case <-deadline:
			t.Fatalf("bob on node 2 got %d entries, the last %d; want up to %d", len(got), len(got)-1, end.Seq)
		}
		batch, _, _ = out.TakeUpTo(batch[:0], 0)
		for _, e := range batch {
			if len(e.Reactions) > 0 {
				got = append(got, e.Reactions...)
			} else if en := e.Event.AppendedEntry(); en != nil {
				got = append(got, en)
			} else {
				continue
			}
			envelopes++
		}
	}
	var kinds []string
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("bob got seq %d as entry %d: out of order or missing", e.Seq, i+1)
		}
		if e.Kind == hubbub.KindReaction && e.Count != i+1-int(m2.Seq) {
			t.Errorf("reaction %d says %d reacted, want %d", e.Seq, e.Count, i+1-int(m2.Seq))
		}
		if e.Kind != hubbub.KindReaction {
			kinds = append(kinds, fmt.Sprintf("%s %q", e.Kind, e.Text))
		}
	}
	if want := `[ "helo" edit "hello"  "vote!"  "thanks"]`; fmt.Sprint(kinds) != want {
		t.Errorf("bob got %v around the reactions, want %s", kinds, want)
	}
	if envelopes >= len(got) || envelopes != 5 {
		t.Errorf("%d entries reached bob in %d envelopes, want 5: the messages, the edit, and the reactions in one", len(got), envelopes)
	}
}
