package storetest

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"hubbub"
)

// benchMessage is the message the append benchmarks store: a typical line of chat.
const benchMessage = "hello, this is a typical chat message"

// BenchmarkAppend measures one appender waiting for each append of s to return, one after
// the other: the latency of one durable commit, which group commit cannot shorten. s must
// be open and is left open. commits, if not nil, returns how many batch transactions s has
// committed so far; the benchmark then reports appends/commit as well as appends/s. The
// benchmark fails b at the first error.
func BenchmarkAppend(b *testing.B, s hubbub.Store, commits func() int64) {
	m := hubbub.Entry{Room: "bench", From: "alice", Text: benchMessage}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := appendValue(b.Context(), s, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportAppends(b, commits)
}

// BenchmarkAppendParallel measures many concurrent appenders on s (16 per CPU, over 8
// rooms, as a busy server would have, each message with a client id as hubbub.v1's are),
// where group commit shares each commit among a batch. s, commits and the figures reported are as for BenchmarkAppend; an appender stops
// at its first error, which fails b.
func BenchmarkAppendParallel(b *testing.B, s hubbub.Store, commits func() int64) {
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1)
		m := hubbub.Entry{Room: fmt.Sprint("room", g%8), From: fmt.Sprint("user", g), Text: benchMessage}
		for i := 0; pb.Next(); i++ {
			m.ClientID = strconv.Itoa(i) // as hubbub.v1 sends carry: each append checks for a resend
			if _, _, err := appendValue(b.Context(), s, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportAppends(b, commits)
}

// reportAppends adds throughput and, if commits is set, the mean batch size to the
// benchmark's figures.
func reportAppends(b *testing.B, commits func() int64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if commits == nil {
		return
	}
	if n := commits(); n > 0 {
		b.ReportMetric(float64(b.N)/float64(n), "appends/commit")
	}
}

// BenchmarkAppendOutbox compares the cost of an append when one webhook follows every room
// (every entry is also written to the outbox, in its transaction), when one webhook follows
// no room the appends go to (no event is written: the batch reads the webhooks and decides),
// and with none, in one run: sub-benchmarks "hook", "unfollowed" and "nohook", alternated
// because a busy machine drifts, each on a fresh store from open (which also returns the
// store's batch counter, or nil), each BenchmarkAppendCost. The outbox is not fanned out
// meanwhile: what is measured is the append's own work.
func BenchmarkAppendOutbox(b *testing.B, open func(b *testing.B) (hubbub.Store, func() int64)) {
	for range 3 {
		for _, rooms := range [][]string{nil, {"*"}, {"elsewhere"}} {
			name := "nohook"
			switch {
			case len(rooms) == 0:
			case rooms[0] == "*":
				name = "hook"
			default:
				name = "unfollowed"
			}
			b.Run(name, func(b *testing.B) {
				s, commits := open(b)
				if len(rooms) > 0 {
					if _, err := s.CreateWebhook(b.Context(), hubbub.Webhook{URL: "https://example.com/hook", Rooms: rooms,
						Events: []hubbub.HookEvent{hubbub.HookMessage}}); err != nil {
						b.Fatal(err)
					}
				}
				BenchmarkAppendCost(b, s, commits)
			})
		}
	}
}
