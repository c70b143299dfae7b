package postgres

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/storetest"
)

// BenchmarkAppend measures one appender waiting for each durable append: the latency of a
// batch transaction (three round trips and a WAL flush). Group commit cannot help a lone
// appender.
func BenchmarkAppend(b *testing.B) {
	s, _ := openTest(b, Options{})
	storetest.BenchmarkAppend(b, s, s.w.batches.Load)
}

// BenchmarkAppendParallel measures many concurrent appenders (16 per CPU, over 8 rooms, as
// a busy server would have), where group commit shares each transaction among a batch.
func BenchmarkAppendParallel(b *testing.B) {
	s, _ := openTest(b, Options{})
	storetest.BenchmarkAppendParallel(b, s, s.w.batches.Load)
}

// BenchmarkReactParallel measures a burst of reactions on one message (16 appenders per CPU,
// each a user toggling their reaction): every toggle reads and changes the same message row
// under one room lock, so this is what group commit saves when a room reacts at once.
func BenchmarkReactParallel(b *testing.B) {
	s, _ := openTest(b, Options{})
	m, _, err := s.Append(b.Context(), hubbub.Entry{Room: "bench", From: "alice", Text: "react to me"})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		e := hubbub.Entry{Room: "bench", From: fmt.Sprint("user", next.Add(1)), Kind: hubbub.KindReaction, Target: m.Seq, Emoji: "👍"}
		for i := 0; pb.Next(); i++ {
			e.ClientID = strconv.Itoa(i)
			if _, _, err := s.Append(b.Context(), e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reactions/s")
	b.ReportMetric(float64(b.N)/float64(s.w.batches.Load()), "reactions/commit")
}
