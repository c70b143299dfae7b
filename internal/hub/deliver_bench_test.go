package hub_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
)

// BenchmarkDeliver measures the hub's share of a message's fan-out: a message event arrives from
// the broker, the room orders it and queues it in every member's outbox. No store write, no
// socket; allocs/op is what one message costs the hub, whatever the number of members.
func BenchmarkDeliver(b *testing.B) {
	for _, members := range []int{10, 100} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			h, broker := benchHub(b)
			ctx := context.Background()
			outs := make([]*hub.Outbox, members)
			for i := range outs {
				outs[i] = hub.NewOutbox(1<<20, func() { b.Error("outbox overflowed") })
				m := &hub.Member{Name: fmt.Sprint("m", i), Out: outs[i]}
				if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m}); err != nil {
					b.Fatal(err)
				}
			}
			var batch []*hub.Envelope
			drain := func() {
				for _, out := range outs {
					batch, _, _ = out.TakeUpTo(batch[:0], 0)
				}
			}
			drain()
			msg := hubbub.Entry{Room: "r", ID: "id", From: "m0", Text: "hello everyone in the room", Time: time.Now()}
			b.ReportAllocs()
			seq := uint64(0)
			for b.Loop() {
				seq++
				m := msg
				m.Seq = seq
				if err := broker.Publish(ctx, hubbub.Event{Room: "r", Node: "other", Body: hubbub.EntryAppended{Entry: &m}}); err != nil {
					b.Fatal(err)
				}
				if seq%256 == 0 {
					drain()
				}
			}
		})
	}
}

// BenchmarkRejoin measures a resume's share of the hub in a room of 100, as a reconnect storm
// brings each member back: the 100th member joins with since (its greeting lists the 100
// names, its own among them) and leaves again. No store read: the room's ring holds what it
// missed.
func BenchmarkRejoin(b *testing.B) {
	h, _ := benchHub(b)
	ctx := context.Background()
	for i := range 99 {
		m := &hub.Member{Name: fmt.Sprint("m", i), Out: hub.NewOutbox(1<<20, func() {})}
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m, NoReplay: true}); err != nil {
			b.Fatal(err)
		}
	}
	out := hub.NewOutbox(1<<20, func() { b.Error("outbox overflowed") })
	var batch []*hub.Envelope
	since := uint64(0)
	greet := func(info hub.JoinInfo) *hub.Envelope { return hub.NewRaw([]byte(fmt.Sprint(len(info.Members)))) }
	b.ReportAllocs()
	for b.Loop() {
		m := &hub.Member{Name: "back", Out: out}
		if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m, Since: &since, Greet: greet}); err != nil {
			b.Fatal(err)
		}
		h.Leave("r", m)
		batch, _, _ = out.TakeUpTo(batch[:0], 0)
	}
}

// benchHub returns a hub on a fresh SQLite file and its in-process broker, closed when b ends.
func benchHub(b *testing.B) (*hub.Hub, *inmem.Broker) {
	b.Helper()
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "h.db"), sqlite.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	broker := inmem.NewBroker()
	h := hub.New(hub.Config{Logger: quiet}, store, broker)
	b.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	return h, broker
}
