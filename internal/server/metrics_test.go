package server_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/metrics"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// awaitMetric polls /metrics until the sample has the value.
func awaitMetric(t *testing.T, s *servertest.Server, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(servertest.Wait)
	for {
		got := servertest.Scrape(t, s)[name]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// After a scripted conversation — two clients, N sends, a slow client dropped — every
// counter of /metrics has moved by exactly what happened.
func TestMetricsMoveAfterAScriptedConversation(t *testing.T) {
	m := metrics.New()
	s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: m,
		SendQueue: 4, MaxText: 60000, ReadLimit: 70000, SendRate: 10000, SendBurst: 10000}})
	ann := servertest.DialText(t, s, "ann")
	bob := servertest.DialText(t, s, "bob")
	servertest.WaitMembers(t, s, "lobby", 2)

	const n = 5
	for i := range n {
		ann.Say("hello " + strconv.Itoa(i))
		ann.Lines(1) // each message is written alone: one frame per member and message
		bob.Lines(1)
	}
	// Frames are counted just after they are written, so the numbers may trail the reads.
	for name, want := range map[string]float64{
		`hubbub_connections{protocol="text"}`:                  2,
		`hubbub_connects_total{protocol="text"}`:               2,
		`hubbub_disconnects_total{protocol="text"}`:            0,
		`hubbub_joins_total`:                                   2,
		`hubbub_messages_in_total`:                             n,
		`hubbub_deliveries_total`:                              2 * n,
		`hubbub_messages_out_total`:                            2 * n,
		`hubbub_delivery_latency_seconds_count`:                2 * n,
		`hubbub_store_append_seconds_count`:                    n,
		`hubbub_broker_publish_seconds_count`:                  n,
		`hubbub_drops_total{reason="slow_consumer"}`:           0,
		`hubbub_connections_refused_total{reason="max_conns"}`: 0,
	} {
		awaitMetric(t, s, name, want)
	}
	got := servertest.Scrape(t, s)
	if got[`hubbub_send_queue_depth_count`] < 2*n {
		t.Errorf("queue depth observed %v times, want at least %d", got[`hubbub_send_queue_depth_count`], 2*n)
	}
	if got[`hubbub_store_read_seconds_count`] != 0 {
		// Nobody asked for history and the rooms replay from memory.
		t.Errorf("store reads = %v, want 0", got[`hubbub_store_read_seconds_count`])
	}

	// A third client that never reads is dropped as a slow consumer.
	slow := servertest.Dial(t, s.WS, "", nil)
	if err := slow.WriteMessage(websocket.TextMessage, []byte("slowpoke")); err != nil {
		t.Fatal(err)
	}
	servertest.WaitMembers(t, s, "lobby", 3)
	awaitMetric(t, s, `hubbub_connections{protocol="text"}`, 3)
	big := strings.Repeat("x", 50000)
	sent := 0
	deadline := time.Now().Add(time.Minute)
	for slices.Contains(s.Hub.Members("lobby"), "slowpoke") {
		if sent == 20000 || time.Now().After(deadline) {
			t.Fatalf("slow client still in the room after %d messages", sent)
		}
		ann.Say(big)
		sent++
		ann.Lines(1)
		bob.Lines(1)
	}
	awaitMetric(t, s, `hubbub_drops_total{reason="slow_consumer"}`, 1)
	awaitMetric(t, s, `hubbub_disconnects_total{protocol="text"}`, 1)
	awaitMetric(t, s, `hubbub_connections{protocol="text"}`, 2)
	got = servertest.Scrape(t, s)
	if v := got[`hubbub_messages_in_total`]; v != float64(n+sent) {
		t.Errorf("messages in = %v, want %d", v, n+sent)
	}
	if v := got[`hubbub_joins_total`]; v != 3 {
		t.Errorf("joins = %v, want 3", v)
	}
	// ann and bob got every message; the slow client some.
	if v, lo := got[`hubbub_deliveries_total`], float64(2*(n+sent)); v < lo || v > lo+float64(sent) {
		t.Errorf("deliveries = %v, want between %v and %v", v, lo, lo+float64(sent))
	}
	if got[`hubbub_send_queue_depth_bucket{le="+Inf"}`] == 0 || got[`go_goroutines`] == 0 {
		t.Errorf("histogram buckets or runtime metrics missing")
	}
}

// A server without metrics serves no /metrics, and pprof is off unless asked for.
func TestNoMetricsNoPprofByDefault(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	for _, path := range []string{"/metrics", "/debug/pprof/"} {
		if status, _ := s.Get(path); status != 404 {
			t.Errorf("GET %s: %d, want 404", path, status)
		}
	}
}

// With Pprof on, /debug/pprof/ answers loopback clients and refuses relayed ones.
func TestPprofServesLoopbackOnly(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{Pprof: true}})
	if status, body := s.Get("/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("GET /debug/pprof/: %d %.200s", status, body)
	}
	if status, _ := s.Get("/debug/pprof/goroutine?debug=1"); status != 200 {
		t.Fatalf("goroutine profile: %d", status)
	}
	status, _ := getWithHeader(t, s.URL+"/debug/pprof/", "X-Forwarded-For", "203.0.113.9")
	if status != 403 {
		t.Fatalf("relayed request to pprof: %d, want 403", status)
	}
}

// hubbub_delivery_latency_seconds times live deliveries only: the history a join replays is
// not a delivery, so a client that joins a room with old messages adds no observation for them
// (replaying an 8-second-old message used to record 8 s and fire the latency alert on joins).
func TestDeliveryLatencyLeavesOutJoinReplay(t *testing.T) {
	m := metrics.New()
	// A ring of 2 makes the replay part store reads, part the room's memory.
	s := servertest.Start(t, servertest.Options{Server: server.Config{Metrics: m}, Hub: hub.Config{RoomBuffer: 2}})
	ctx := context.Background()
	const stored = 5
	for i := range stored { // history nobody was there to receive
		if _, _, err := s.Hub.Send(ctx, &hubbub.Entry{Room: "past", From: "ann", Text: fmt.Sprint("old ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	bob := servertest.DialJSON(t, s, "bob")
	zero := uint64(0)
	if j := bob.Join("past", &zero); j.Num("replay") != stored {
		t.Fatalf("joined %v, want a replay of %d", j, stored)
	}
	bob.Messages("past", stored)
	// One live message after the replay was read, so it is written in a write of its own.
	if _, _, err := s.Hub.Send(ctx, &hubbub.Entry{Room: "past", From: "ann", Text: "live"}); err != nil {
		t.Fatal(err)
	}
	if live := bob.Messages("past", 1)[0]; live.Num("seq") != stored+1 {
		t.Fatalf("live message %v", live)
	}
	// A connection's writes are timed before its next write, so once the pong is read every
	// earlier write has been counted.
	bob.Send(servertest.Frame{"type": "ping", "id": "sync"})
	bob.Await("pong")
	if got := servertest.Scrape(t, s)[`hubbub_delivery_latency_seconds_count`]; got != 1 {
		t.Fatalf("delivery latency observed %v times, want 1 (the live message; the replay is history)", got)
	}
}
