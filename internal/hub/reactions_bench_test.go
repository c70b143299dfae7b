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
	"hubbub/internal/session/codec"
	"hubbub/internal/sqlite"
)

// BenchmarkReactionBurst measures what a burst of 100 reactions to one message costs a room of
// 1,000 members, with the room's reaction batching on (the default window) and off: each op is
// the burst arriving from the broker, then a message (which sends a held burst at once), then
// every member's writer taking its queue and encoding each envelope in hubbub.v1 (once per
// envelope, as the server's writers do). reaction-frames/member is how many frames carried the
// burst to each member; ns/op is the hub's and the codec's CPU for the whole room.
func BenchmarkReactionBurst(b *testing.B) {
	const members, burst = 1000, 100
	for _, mode := range []struct {
		name   string
		window time.Duration
	}{{"batching=on", hub.DefaultReactionWindow}, {"batching=off", 0}} {
		b.Run(mode.name, func(b *testing.B) {
			store, err := sqlite.Open(filepath.Join(b.TempDir(), "h.db"), sqlite.Options{Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			broker := inmem.NewBroker()
			h := hub.New(hub.Config{Logger: quiet, ReactionWindow: mode.window, MaxMembers: members}, store, broker)
			defer func() { h.Close(); broker.Close(); store.Close() }()
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
			json := codec.JSONCodec{}
			reactionFrames := 0
			drain := func() {
				for _, out := range outs {
					batch, _, _ = out.TakeUpTo(batch[:0], 0)
					for _, e := range batch {
						if es := entriesOf(e); e.Frame(json) != nil && len(es) > 0 && es[0].Kind == hubbub.KindReaction {
							reactionFrames++
						}
					}
				}
			}
			drain()
			reactionFrames = 0
			now := time.Now()
			seq := uint64(0)
			publish := func(e hubbub.Entry) {
				seq++
				e.Room, e.Seq, e.ID, e.Time = "r", seq, fmt.Sprint("id", seq), now
				if err := broker.Publish(ctx, hubbub.Event{Room: "r", Node: "other", Body: hubbub.EntryAppended{Entry: &e}}); err != nil {
					b.Fatal(err)
				}
			}
			publish(hubbub.Entry{From: "m0", Text: "react to me"})
			target := seq
			b.ReportAllocs()
			for b.Loop() {
				for i := range burst {
					publish(hubbub.Entry{From: fmt.Sprint("m", i), Kind: hubbub.KindReaction, Target: target,
						Emoji: "👍", Added: true, Count: i + 1})
				}
				publish(hubbub.Entry{From: "m0", Text: "thanks"})
				drain()
			}
			b.ReportMetric(float64(reactionFrames)/float64(b.N)/members, "reaction-frames/member")
		})
	}
}
