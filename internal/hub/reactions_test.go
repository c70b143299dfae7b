package hub_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
)

// react sends n reactions to message target of room r, from n different users.
func react(t *testing.T, h *hub.Hub, target uint64, n int) {
	t.Helper()
	for i := range n {
		e := hubbub.Entry{Room: "r", From: fmt.Sprint("fan", i), Kind: hubbub.KindReaction, Target: target, Emoji: "👍"}
		if _, _, err := h.Send(context.Background(), &e); err != nil {
			t.Fatalf("reaction %d: %v", i, err)
		}
	}
}

// envelopesUntil drains out until an entry with seq last arrived, and returns the envelopes
// that carried entries.
func envelopesUntil(t *testing.T, out *hub.Outbox, last uint64) []*hub.Envelope {
	t.Helper()
	var got []*hub.Envelope
	var batch []*hub.Envelope
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-out.Ready():
		case <-deadline:
			t.Fatalf("seq %d never arrived; got %d envelopes", last, len(got))
		}
		batch, _, _ = out.TakeUpTo(batch[:0], 0)
		for _, e := range batch {
			es := entriesOf(e)
			if len(es) == 0 {
				continue
			}
			got = append(got, e)
			if es[len(es)-1].Seq >= last {
				return got
			}
		}
	}
}

// A burst of reactions reaches a member as a few envelopes (ReactionBatch at most each), not
// one per reaction, with every change, in log order with the messages around it.
func TestReactionBurstReachesMembersAsFewEnvelopes(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{ReactionWindow: time.Hour, ReactionBatch: 16})
	out := join(t, h, "r", "ann", nil)
	ctx := context.Background()
	m1, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "vote"})
	if err != nil {
		t.Fatal(err)
	}
	react(t, h, m1.Seq, 40)
	m2, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "closed"})
	if err != nil {
		t.Fatal(err)
	}
	envs := envelopesUntil(t, out, m2.Seq)
	var bursts []int
	next := uint64(1)
	for _, e := range envs {
		for _, en := range entriesOf(e) {
			if en.Seq != next {
				t.Fatalf("entry %d arrived where %d was due", en.Seq, next)
			}
			next++
			if en.Kind == hubbub.KindReaction && en.Count != int(en.Seq-m1.Seq) {
				t.Errorf("reaction %d carries count %d, want %d", en.Seq, en.Count, en.Seq-m1.Seq)
			}
		}
		if len(e.Reactions) > 0 {
			bursts = append(bursts, len(e.Reactions))
			if e.Event.AppendedEntry() != e.Reactions[len(e.Reactions)-1] {
				t.Errorf("a burst's event is not its last reaction")
			}
		}
	}
	if want := []int{16, 16, 8}; !reflect.DeepEqual(bursts, want) {
		t.Errorf("40 reactions came in bursts of %v, want %v (full bursts, the rest sent by the next message)", bursts, want)
	}
	if len(envs) != 5 {
		t.Errorf("2 messages and 40 reactions came in %d envelopes, want 5", len(envs))
	}
}

// A burst goes out when its window ends, without another entry to push it.
func TestReactionWindowEndSendsTheBurst(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{ReactionWindow: 5 * time.Millisecond})
	out := join(t, h, "r", "ann", nil)
	m, _, err := h.Send(context.Background(), &hubbub.Entry{Room: "r", From: "ann", Text: "vote"})
	if err != nil {
		t.Fatal(err)
	}
	react(t, h, m.Seq, 3)
	if got := fmt.Sprint(seqs(t, out, 4)); got != "[1 2 3 4]" {
		t.Errorf("delivered %s", got)
	}
}

// A join sends the held burst to the members first: the joiner's replay already holds those
// reactions (the message's state), so they never reach it twice, and the others get them
// before anything the joiner does.
func TestJoinSendsTheHeldBurstFirst(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{ReactionWindow: time.Hour})
	ctx := context.Background()
	ann := join(t, h, "r", "ann", nil)
	m, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "vote"})
	if err != nil {
		t.Fatal(err)
	}
	react(t, h, m.Seq, 3)
	bob := join(t, h, "r", "bob", nil)
	if envs := envelopesUntil(t, ann, 4); len(envs) != 2 || len(envs[1].Reactions) != 3 {
		t.Errorf("ann got %d envelopes for a message and 3 held reactions, want the message and one burst", len(envs))
	}
	end, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "closed"})
	if err != nil {
		t.Fatal(err)
	}
	got := delivered(t, bob, 2)
	if got[0].Seq != m.Seq || len(got[0].Reactions) != 1 || got[0].Reactions[0].Count != 3 || got[1].Seq != end.Seq {
		t.Errorf("bob got %+v then %+v; want message %d with 3 reactions, then message %d", *got[0], *got[1], m.Seq, end.Seq)
	}
}

// A room that closes with a burst held stops its window: nothing is left to run, and the
// hub's Close (in the cleanup) does not wait out the hour.
func TestRoomCloseStopsTheReactionWindow(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{ReactionWindow: time.Hour})
	ctx := context.Background()
	out := hub.NewOutbox(100, nil)
	m := &hub.Member{Name: "ann", Out: out}
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m}); err != nil {
		t.Fatal(err)
	}
	msg, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "vote"})
	if err != nil {
		t.Fatal(err)
	}
	react(t, h, msg.Seq, 1)
	h.Leave("r", m)
	if h.Rooms() != 0 {
		t.Fatalf("%d rooms held after the last member left", h.Rooms())
	}
}
