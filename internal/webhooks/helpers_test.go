package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/egress"
	"hubbub/internal/signing"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// openStore opens a fresh SQLite store: the dispatcher is tested on a real outbox.
func openStore(t testing.TB) (hubbub.Store, hubbub.OutboxStore) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hubbub.db")
	sqlitetest.Fresh(t, path)
	s, err := sqlite.Open(path, sqlite.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s
}

// testLogger sends logs to t.Log, shown with -v or when the test fails; a benchmark's are
// discarded.
func testLogger(t testing.TB) *slog.Logger {
	if _, bench := t.(*testing.B); bench {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// action is what the receiver does with one request.
type action int

const (
	answerOK   action = iota // record the event, answer 200
	answerFail               // answer 503 without recording it
	answerLost               // record the event, then never answer (the dispatcher times out)
)

// receiver is a webhook's receiver, a real HTTP server: it verifies every signature,
// deduplicates events by id as docs/integrations.md tells receivers to, and records the order
// in which each room's events first arrived.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	behave func(n int) action // n counts requests from 1

	mu          sync.Mutex
	secret      string
	requests    int
	seen        map[string]bool
	firstSeen   map[string][]uint64 // room → seqs in order of first arrival
	bodies      map[string]Body
	kinds       map[string]string // event id → X-Hubbub-Event
	badSig      int
	roomBusy    map[string]int // requests of a room being answered
	overlap     int            // times two requests of one room were answered at once
	inFlight    int
	maxInFlight int
	release     chan struct{} // closed at cleanup: lost requests end
}

func newReceiver(t testing.TB, behave func(n int) action) *receiver {
	r := &receiver{t: t, behave: behave, seen: map[string]bool{}, firstSeen: map[string][]uint64{},
		bodies: map[string]Body{}, kinds: map[string]string{}, roomBusy: map[string]int{}, release: make(chan struct{})}
	if r.behave == nil {
		r.behave = func(int) action { return answerOK }
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		close(r.release)
		r.srv.Close()
	})
	return r
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.requests++
	act := r.behave(r.requests)
	if err := signing.Verify(req.Header, r.secret, body, time.Now(), 0); err != nil {
		r.badSig++
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b Body
	if err := json.Unmarshal(body, &b); err != nil || b.ID == "" || req.Header.Get(signing.HeaderEventID) != b.ID {
		r.mu.Unlock()
		r.t.Errorf("a request whose body does not parse or whose id header differs: %q", body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if act == answerFail {
		r.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
	r.roomBusy[b.Room]++
	if r.roomBusy[b.Room] > 1 {
		r.overlap++
	}
	if !r.seen[b.ID] {
		r.seen[b.ID] = true
		r.firstSeen[b.Room] = append(r.firstSeen[b.Room], b.Seq)
		r.bodies[b.ID] = b
		r.kinds[b.ID] = req.Header.Get(signing.HeaderEvent)
	}
	r.mu.Unlock()
	done := func() {
		r.mu.Lock()
		r.inFlight--
		r.roomBusy[b.Room]--
		r.mu.Unlock()
	}
	if act == answerLost {
		done() // the dispatcher may try again as soon as it gives up on this one
		select {
		case <-req.Context().Done():
		case <-r.release:
		}
		return
	}
	done()
	w.WriteHeader(http.StatusOK)
}

// count returns how many distinct events arrived.
func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// runDispatcher runs a dispatcher of store until the test ends.
func runDispatcher(t testing.TB, cfg Config, store hubbub.OutboxStore, allowPrivate bool) *Dispatcher {
	t.Helper()
	if cfg.Poll == 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = 5*time.Millisecond, 40*time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	cfg.Node = "test"
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	client := egress.New(egress.Config{AllowPrivate: allowPrivate, Timeout: cfg.Timeout})
	d := New(cfg, store, client)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		client.Close()
	})
	return d
}

// pending returns how many deliveries of webhook are in state.
func deliveries(t testing.TB, store hubbub.OutboxStore, webhook string, state hubbub.DeliveryState) []hubbub.Delivery {
	t.Helper()
	list, err := store.Deliveries(context.Background(), webhook, state, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// appendMessages appends n messages to each room, in turns, and returns them.
func appendMessages(t testing.TB, s hubbub.Store, rooms []string, n int) []hubbub.Entry {
	t.Helper()
	var out []hubbub.Entry
	for i := range n {
		for _, room := range rooms {
			m, _, _, err := s.Append(context.Background(), &hubbub.Entry{Room: room, From: "ann", Text: "message " + string(rune('a'+i%26))})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, *m)
		}
	}
	return out
}

// checkDelivered fails t unless every entry arrived, each room's in seq order, with no bad
// signature and no two requests of one room at once.
func checkDelivered(t testing.TB, r *receiver, entries []hubbub.Entry) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	want := map[string][]uint64{}
	for _, e := range entries {
		want[e.Room] = append(want[e.Room], e.Seq)
		if !r.seen[e.ID] {
			t.Errorf("event %s (%s #%d) never arrived", e.ID, e.Room, e.Seq)
		}
	}
	for room, seqs := range want {
		got := r.firstSeen[room]
		if len(got) != len(seqs) {
			t.Errorf("room %s: %d events arrived, want %d", room, len(got), len(seqs))
			continue
		}
		for i := range seqs {
			if got[i] != seqs[i] {
				t.Errorf("room %s: events arrived in order %v, want %v", room, got, seqs)
				break
			}
		}
	}
	if r.badSig != 0 {
		t.Errorf("%d requests carried a bad signature", r.badSig)
	}
	if r.overlap != 0 {
		t.Errorf("two requests of one room were in flight at once %d times", r.overlap)
	}
}
