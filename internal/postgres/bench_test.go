package postgres

import (
	"testing"

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
