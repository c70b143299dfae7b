//go:build unix

package sqlite

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"hubbub"
)

// BenchmarkAppendManyRooms measures the store's side of issue 19's many small rooms: 2,000
// concurrent appenders over 1,000 rooms, each message with a client id (as the load
// generator sends them), and reports the process's CPU per append (user and system: the
// statements, the log's page writes, its sync, the search index behind). Run it pinned to
// one CPU to compare two commits: GOMAXPROCS=1 taskset -c 0 (docs/benchmarks.md, "One CPU").
func BenchmarkAppendManyRooms(b *testing.B) {
	s, _ := openTest(b, Options{})
	ctx := b.Context()
	const appenders, rooms = 2000, 1000
	var next atomic.Int64
	var before, after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &before); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for a := range appenders {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				_, _, err := s.Append(ctx, hubbub.Entry{Room: fmt.Sprintf("room-%04d", (int(i)*7919+a)%rooms), From: "alice",
					User: "u_alice", ClientID: fmt.Sprintf("c-%d", i), Text: "a message of about the length people write, say sixty bytes"})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &after); err != nil {
		b.Fatal(err)
	}
	cpu := after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/append")
}
