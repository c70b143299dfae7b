package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
)

// deleteFailingBroker is the in-process broker, but Publish of a deletion fails while fail is
// set, as a NATS broker's does while it is cut off.
type deleteFailingBroker struct {
	*inmem.Broker
	fail atomic.Bool
}

func (b *deleteFailingBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if _, ok := ev.Body.(hubbub.MessageDeleted); ok && b.fail.Load() {
		return errors.New("broker cut off")
	}
	return b.Broker.Publish(ctx, ev)
}

// A deletion is announced once: a repeated delete of a deleted message sends nothing, but the
// retry that a failed announcement asked for ("try again") does announce it.
func TestDeleteAnnouncedOnceAndOnRetry(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "h.db"), sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := &deleteFailingBroker{Broker: inmem.NewBroker()}
	h := hub.New(hub.Config{Logger: quiet}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	ctx := context.Background()
	out := join(t, h, "r", "ann", nil)
	say := func(text string) hubbub.Entry {
		m, _, err := h.Send(ctx, hubbub.Entry{Room: "r", From: "bob", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := say("regrettable")
	delivered(t, out, 1)

	broker.fail.Store(true)
	if err := h.DeleteMessage(ctx, "mod", "r", m.Seq); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("delete with the broker cut off: %v, want unavailable", err)
	}
	broker.fail.Store(false)
	for i := range 2 { // the retry, then a repeat
		if err := h.DeleteMessage(ctx, "mod", "r", m.Seq); err != nil {
			t.Fatalf("delete #%d after the broker came back: %v", i+2, err)
		}
	}
	end := say("after the deletes")
	deletions := 0
	deadline := time.After(10 * time.Second)
	var batch []*hub.Envelope
	for done := false; !done; {
		select {
		case <-out.Ready():
		case <-deadline:
			t.Fatalf("message %d never arrived", end.Seq)
		}
		batch, _, _ = out.TakeUpTo(batch[:0], 0)
		for _, e := range batch {
			if _, ok := e.Event.Body.(hubbub.MessageDeleted); ok {
				deletions++
			}
			if p := e.Event.AppendedEntry(); p != nil && p.Seq == end.Seq {
				done = true
			}
		}
	}
	if deletions != 1 {
		t.Errorf("ann was told of the deletion %d times, want once (by the retry)", deletions)
	}
}
