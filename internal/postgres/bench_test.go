package postgres

import (
	"fmt"
	"sync/atomic"
	"testing"

	"hubbub"
)

// reportAppends adds throughput and the mean batch size to the benchmark's figures.
func reportAppends(b *testing.B, s *Store) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if n := s.w.batches.Load(); n > 0 {
		b.ReportMetric(float64(b.N)/float64(n), "appends/commit")
	}
}

// BenchmarkAppend measures one appender waiting for each durable append: the latency of a
// batch transaction (three round trips and a WAL flush). Group commit cannot help a lone
// appender.
func BenchmarkAppend(b *testing.B) {
	s, _ := openTest(b, Options{})
	m := hubbub.Message{Room: "bench", From: "alice", Text: "hello, this is a typical chat message"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.Append(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportAppends(b, s)
}

// BenchmarkAppendParallel measures many concurrent appenders (16 per CPU, over 8 rooms, as
// a busy server would have), where group commit shares each transaction among a batch.
func BenchmarkAppendParallel(b *testing.B) {
	s, _ := openTest(b, Options{})
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1)
		m := hubbub.Message{Room: fmt.Sprint("room", g%8), From: fmt.Sprint("user", g), Text: "hello, this is a typical chat message"}
		for pb.Next() {
			if _, _, err := s.Append(b.Context(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportAppends(b, s)
}
