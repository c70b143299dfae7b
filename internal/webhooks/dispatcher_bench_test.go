package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/egress"
)

// BenchmarkDispatch measures the dispatcher's throughput to a local receiver that answers
// 200 at once, on SQLite: b.N message events, appended before the timer starts, spread over
// rooms, delivered with Concurrency requests per webhook. One room is the sequential case
// (each event waits for the one before); several rooms go in parallel. Reported: events/s.
//
//	go test ./internal/webhooks -run XXX -bench Dispatch -benchtime 2000x
func BenchmarkDispatch(b *testing.B) {
	for _, bc := range []struct{ rooms, concurrency int }{{1, 4}, {16, 1}, {16, 4}, {16, 16}} {
		b.Run(fmt.Sprintf("rooms=%d/concurrency=%d", bc.rooms, bc.concurrency), func(b *testing.B) {
			benchDispatch(b, bc.rooms, bc.concurrency)
		})
	}
}

func benchDispatch(b *testing.B, rooms, concurrency int) {
	s, ob := openStore(b)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
	}))
	defer srv.Close()
	client := egress.New(egress.Config{AllowPrivate: true, MaxIdlePerHost: concurrency})
	defer client.Close()
	ctx := context.Background()
	if _, err := NewAdmin(ob, client, nil).Create(ctx, Spec{URL: srv.URL, Rooms: []string{"*"}, Events: []hubbub.HookEvent{hubbub.HookMessage}}, ""); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if _, _, err := s.Append(ctx, hubbub.Entry{Room: fmt.Sprintf("room-%d", i%rooms), From: "ann", Text: "benchmark message"}); err != nil {
			b.Fatal(err)
		}
	}
	d := New(Config{Node: "bench", Concurrency: concurrency, Poll: 10 * time.Millisecond, Batch: 500}, ob, client)
	b.ResetTimer()
	start := time.Now()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(rctx) }()
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
