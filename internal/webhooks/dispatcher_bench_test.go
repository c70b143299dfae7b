package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/pgtest"
	"hubbub/internal/postgres"
)

// BenchmarkDispatch measures the dispatcher's throughput to a local receiver that answers
// 200 at once, on SQLite and (with HUBBUB_TEST_POSTGRES) PostgreSQL: b.N message events, appended before the timer starts, spread over
// rooms, delivered with Concurrency requests per webhook. One room is the sequential case
// (each event waits for the one before); several rooms go in parallel. Reported: events/s.
//
//	go test ./internal/webhooks -run XXX -bench Dispatch -benchtime 2000x
func BenchmarkDispatch(b *testing.B) {
	stores := []string{"sqlite"}
	if pgtest.Wanted() {
		stores = append(stores, "postgres")
	}
	for _, store := range stores {
		for _, bc := range []struct{ rooms, concurrency int }{{1, 4}, {16, 1}, {16, 4}, {16, 16}} {
			b.Run(fmt.Sprintf("store=%s/rooms=%d/concurrency=%d", store, bc.rooms, bc.concurrency), func(b *testing.B) {
				benchDispatch(b, store, bc.rooms, bc.concurrency)
			})
		}
	}
}

func benchDispatch(b *testing.B, store string, rooms, concurrency int) {
	var s hubbub.Store
	if store == "postgres" {
		pg, err := postgres.Open(context.Background(), pgtest.FreshSchema(b), postgres.Options{Logger: testLogger(b)})
		if err != nil {
			b.Fatal(err)
		}
		defer pg.Close()
		s = pg
	} else {
		s, _ = openStore(b)
	}
	ob := s
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
		if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: fmt.Sprintf("room-%d", i%rooms), From: "ann", Text: "benchmark message"}); err != nil {
			b.Fatal(err)
		}
	}
	d := New(Config{Node: "bench", Logger: slog.New(slog.DiscardHandler), Concurrency: concurrency, Poll: 10 * time.Millisecond, Batch: 500}, ob, client)
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
