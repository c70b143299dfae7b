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
	"hubbub/internal/sqlitetest"
)

// kindFailingBroker is the in-process broker, but Publish of an entry of one kind fails while
// fail is set, as a NATS broker's does while it is cut off.
type kindFailingBroker struct {
	*inmem.Broker
	kind hubbub.EntryKind
	fail atomic.Bool
}

func (b *kindFailingBroker) Publish(ctx context.Context, ev hubbub.Event) error {
	if e := ev.AppendedEntry(); e != nil && e.Kind == b.kind && b.fail.Load() {
		return errors.New("broker cut off")
	}
	return b.Broker.Publish(ctx, ev)
}

// newKindFailingHub starts a hub on a fresh SQLite file whose broker fails to publish
// entries of kind while its fail is set.
func newKindFailingHub(t *testing.T, kind hubbub.EntryKind) (*hub.Hub, *kindFailingBroker) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := &kindFailingBroker{Broker: inmem.NewBroker(), kind: kind}
	h := hub.New(hub.Config{Logger: quiet}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	return h, broker
}

// A deletion reaches the members once: a repeated delete of a deleted message stores nothing
// and its publish is dropped by the rooms, and the retry that a failed announcement asked for
// ("try again") delivers it.
func TestDeleteAnnouncedOnceAndOnRetry(t *testing.T) {
	h, broker := newKindFailingHub(t, hubbub.KindDelete)
	ctx := context.Background()
	out := join(t, h, "r", "ann", nil)
	say := func(text string) hubbub.Entry {
		m, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "bob", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return *m
	}
	m := say("regrettable")
	delivered(t, out, 1)

	del := hubbub.Entry{Room: "r", From: "mod", Kind: hubbub.KindDelete, Target: m.Seq, Moderator: true, ClientID: "d-1"}
	broker.fail.Store(true)
	if _, _, err := h.Send(ctx, &del); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("delete with the broker cut off: %v, want unavailable", err)
	}
	broker.fail.Store(false)
	var first hubbub.Entry
	for i, clientID := range []string{"d-1", "d-2"} { // the retry, then a repeat by another request
		del.ClientID = clientID
		got, dup, err := h.Send(ctx, &del)
		if err != nil || !dup {
			t.Fatalf("delete #%d after the broker came back: %+v, duplicate %v, %v; want the first delete, duplicate", i+2, got, dup, err)
		}
		if i == 0 {
			first = *got
		} else if got.Seq != first.Seq {
			t.Errorf("the repeated delete answers entry %d, the retry %d: want the delete that made the tombstone", got.Seq, first.Seq)
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
			for _, en := range entriesOf(e) {
				if en.Kind == hubbub.KindDelete {
					deletions++
				}
				if en.Seq == end.Seq {
					done = true
				}
			}
		}
	}
	if deletions != 1 {
		t.Errorf("ann was told of the deletion %d times, want once (by the retry)", deletions)
	}
	if msgs, _, err := h.History(ctx, "r", 0, 10, "ann"); err != nil || len(msgs) != 2 || !msgs[0].Deleted || msgs[0].Text != "" {
		t.Errorf("history after the delete: %+v, %v; want the first message a tombstone", msgs, err)
	}
}
