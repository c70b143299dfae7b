//go:build unix

package sqlite

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hubbub"
)

// BenchmarkAppendManyRooms measures the store's side of issue 19's many small rooms: 2,000
// concurrent appenders over 1,000 rooms, each message with a client id (as the load
// generator sends them), and reports the process's CPU per append (user and system: the
// statements, the log's page writes, its sync, the search index behind). Run it pinned to
// one CPU to compare two commits: GOMAXPROCS=1 taskset -c 0 (docs/benchmarks.md, "One CPU").
// It also reports the appends' latency (p50, p99, p999), where a commit that stalls (a
// checkpoint, the search index catching up) shows.
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
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	for a := range appenders {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				start := time.Now()
				_, _, _, err := s.Append(ctx, &hubbub.Entry{Room: fmt.Sprintf("room-%04d", (int(i)*7919+a)%rooms), From: "alice",
					User: "u_alice", ClientID: fmt.Sprintf("c-%d", i), Text: "a message of about the length people write, say sixty bytes"})
				if err != nil {
					b.Error(err)
					return
				}
				lat[i-1] = time.Since(start)
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
	slices.Sort(lat)
	for _, q := range []struct {
		name string
		at   float64
	}{{"p50-ms", 0.5}, {"p99-ms", 0.99}, {"p999-ms", 0.999}} {
		b.ReportMetric(float64(lat[int(q.at*float64(len(lat)-1))])/1e6, q.name)
	}
}

// BenchmarkAppendPaced offers appends at issue 19's rooms rate (1,000 rooms × 10 members at
// 0.2 msg/s each: 2,000 a second) rather than as fast as the store takes them, so that the
// latency it reports is the store's own at that load: where a commit that stalls shows (SQLite's
// checkpoint, the search index catching up), not a queue that is always full. b.N appends
// take b.N/2,000 seconds; run it with -test.benchtime 20000x (10 s), pinned to one CPU. The
// first 1,000 appends create the rooms (a slower path): short runs measure mostly that.
func BenchmarkAppendPaced(b *testing.B) {
	s, _ := openTest(b, Options{})
	ctx := b.Context()
	const rooms, perSecond = 1000, 2000
	lat := make([]time.Duration, b.N)
	var before, after syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &before); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range b.N {
		due := start.Add(time.Duration(i) * time.Second / perSecond)
		time.Sleep(time.Until(due))
		wg.Go(func() {
			t0 := time.Now()
			_, _, _, err := s.Append(ctx, &hubbub.Entry{Room: fmt.Sprintf("room-%04d", (i*7919)%rooms), From: "alice",
				User: "u_alice", ClientID: fmt.Sprintf("p-%d", i), Text: "a message of about the length people write, say sixty bytes"})
			if err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	b.StopTimer()
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &after); err != nil {
		b.Fatal(err)
	}
	cpu := after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/append")
	slices.Sort(lat)
	for _, q := range []struct {
		name string
		at   float64
	}{{"p50-ms", 0.5}, {"p99-ms", 0.99}, {"p999-ms", 0.999}, {"max-ms", 1}} {
		b.ReportMetric(float64(lat[int(q.at*float64(len(lat)-1))])/1e6, q.name)
	}
}

// BenchmarkCountRooms measures what the hub's room cap (--max-stored-rooms, hub.roomCap)
// costs a room that does not exist yet, in a store at the default cap: 100,000 rooms, half
// with messages and half with metadata only (joined, nothing said), counted up to the cap.
func BenchmarkCountRooms(b *testing.B) {
	const rooms = 100_000
	path := b.TempDir() + "/rooms.db"
	s := openAt(b, path, Options{})
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db := rawDB(b, path)
	for _, q := range []string{
		`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
			INSERT INTO rooms (name, last_seq, msgs) SELECT printf('room%06d', i), i % 2, i % 2 FROM n`,
		`INSERT INTO room_meta (name) SELECT name FROM rooms WHERE last_seq = 0`,
	} {
		if _, err := db.Exec(q, rooms); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	s = openAt(b, path, Options{})
	for b.Loop() {
		n, err := s.CountRooms(b.Context(), rooms)
		if err != nil || n != rooms {
			b.Fatalf("CountRooms = %d, %v; want %d", n, err, rooms)
		}
	}
}
