package hub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHub(t *testing.T, cfg hub.Config) (*hub.Hub, *sqlite.Store, *inmem.Broker) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	cfg.Logger = quiet
	h := hub.New(cfg, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })
	return h, store, broker
}

// delivered drains out until it has n entries (of any kind, a burst of reactions counting each)
// and returns them.
func delivered(t *testing.T, out *hub.Outbox, n int) []*hubbub.Entry {
	t.Helper()
	var got []*hubbub.Entry
	var batch []*hub.Envelope
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case <-out.Ready():
		case <-deadline:
			t.Fatalf("got %d messages, want %d", len(got), n)
		}
		batch, _, _ = out.TakeUpTo(batch[:0], 0)
		for _, e := range batch {
			got = append(got, entriesOf(e)...)
		}
	}
	return got
}

// entriesOf returns the entries e carries: a burst's reactions, or its one entry, or none.
func entriesOf(e *hub.Envelope) []*hubbub.Entry {
	if len(e.Reactions) > 0 {
		return e.Reactions
	}
	if m := e.Event.AppendedEntry(); m != nil {
		return []*hubbub.Entry{m}
	}
	return nil
}

// seqs drains out until it has n entries and returns their seqs.
func seqs(t *testing.T, out *hub.Outbox, n int) []uint64 {
	t.Helper()
	var got []uint64
	for _, m := range delivered(t, out, n) {
		got = append(got, m.Seq)
	}
	return got
}

func join(t *testing.T, h *hub.Hub, room, name string, since *uint64) *hub.Outbox {
	t.Helper()
	out := hub.NewOutbox(1000, func() { t.Errorf("%s overflowed", name) })
	m := &hub.Member{Name: name, Key: "user:" + name, UserID: name, Out: out}
	if _, err := h.Join(context.Background(), hub.JoinRequest{Room: room, Member: m, Since: since}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Messages published out of seq order (as from several nodes) reach members in seq order.
func TestRoomReordersBySeq(t *testing.T) {
	h, store, broker := newHub(t, hub.Config{GapWait: time.Hour})
	out := join(t, h, "r", "ann", nil)
	ctx := context.Background()
	var msgs []hubbub.Entry
	for i := 0; i < 5; i++ {
		m, _, _, err := store.Append(ctx, &hubbub.Entry{Room: "r", From: "x", Text: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, *m)
	}
	for _, i := range []int{2, 4, 0, 3, 1, 1} { // with a duplicate
		if err := broker.Publish(ctx, hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: &msgs[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(seqs(t, out, 5)); got != "[1 2 3 4 5]" {
		t.Fatalf("delivered %s", got)
	}
}

// A seq that never arrives through the broker (its node died after storing it) is read from the
// store after GapWait.
func TestRoomFillsGapsFromStore(t *testing.T) {
	h, store, broker := newHub(t, hub.Config{GapWait: 20 * time.Millisecond})
	out := join(t, h, "r", "ann", nil)
	ctx := context.Background()
	m1, _, _, _ := store.Append(ctx, &hubbub.Entry{Room: "r", From: "x", Text: "lost in transit"})
	m2, _, _, _ := store.Append(ctx, &hubbub.Entry{Room: "r", From: "x", Text: "arrives"})
	_ = m1
	if err := broker.Publish(ctx, hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: m2}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(seqs(t, out, 2)); got != "[1 2]" {
		t.Fatalf("delivered %s", got)
	}
}

// Seqs the store does not have either (its retention removed them, or their appends failed
// after taking a seq) are skipped once GapWait says so — every such range, not only the
// first: the entries after a second missing range were held until another message came.
func TestRoomSkipsEveryRangeMissingFromTheStore(t *testing.T) {
	h, _, broker := newHub(t, hub.Config{GapWait: 20 * time.Millisecond})
	out := join(t, h, "r", "ann", nil)
	ctx := context.Background()
	for _, seq := range []uint64{3, 6} { // 1, 2, 4 and 5 are nowhere
		e := &hubbub.Entry{Room: "r", Seq: seq, From: "x", Text: fmt.Sprint("message ", seq), Time: time.Now()}
		if err := broker.Publish(ctx, hubbub.Event{Room: "r", Body: hubbub.EntryAppended{Entry: e}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(seqs(t, out, 2)); got != "[3 6]" {
		t.Fatalf("delivered %s", got)
	}
}

// Joining with since, whether the missed messages are in the room's memory or only in the
// store, replays exactly the missed ones, then live ones.
func TestJoinSinceReplaysFromMemoryAndStore(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{RoomBuffer: 8, History: 12})
	ctx := context.Background()
	keep := join(t, h, "r", "keeper", nil) // keeps the room loaded
	for i := 0; i < 30; i++ {
		if _, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "keeper", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	seqs(t, keep, 30)
	for _, since := range []uint64{0, 5, 22, 29, 30} {
		out := join(t, h, "r", fmt.Sprint("j", since), &since)
		want := int(30 - since)
		got := []uint64{}
		if want > 0 {
			got = seqs(t, out, want)
		}
		if len(got) != want || want > 0 && (got[0] != since+1 || got[want-1] != 30) {
			t.Fatalf("since %d: replayed %v", since, got)
		}
	}
	// Without since, the last History messages, from the store beyond what the ring holds.
	out := join(t, h, "r", "fresh", nil)
	if got := seqs(t, out, 12); got[0] != 19 || got[11] != 30 {
		t.Fatalf("history replay %v", got)
	}
}

func TestEmptyRoomIsForgottenAndReloaded(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{})
	ctx := context.Background()
	out := hub.NewOutbox(100, nil)
	m := &hub.Member{Name: "ann", Out: out}
	if _, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	h.Leave("r", m)
	if h.Rooms() != 0 {
		t.Fatalf("%d rooms held after the last member left", h.Rooms())
	}
	info, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: m})
	if err != nil || info.LastSeq != 1 || info.Replay != 1 {
		t.Fatalf("rejoin: %+v %v", info, err)
	}
}

func TestLimits(t *testing.T) {
	h, _, _ := newHub(t, hub.Config{MaxMembers: 1, MaxRooms: 1})
	ctx := context.Background()
	join(t, h, "a", "ann", nil)
	_, err := h.Join(ctx, hub.JoinRequest{Room: "a", Member: &hub.Member{Name: "bob", Out: hub.NewOutbox(1, nil)}})
	if hubbub.ErrorCode(err) != hubbub.ECodeRoomFull {
		t.Fatalf("second member: %v", err)
	}
	_, err = h.Join(ctx, hub.JoinRequest{Room: "b", Member: &hub.Member{Name: "bob", Out: hub.NewOutbox(1, nil)}})
	if hubbub.ErrorCode(err) != hubbub.ECodeRoomFull {
		t.Fatalf("second room: %v", err)
	}
}

// Replays read from the store count against the hub's ReplayBudget until the member's writer
// takes them: a join that would go past it waits, then fails with unavailable, and succeeds
// once the replays before it were taken (or their connection ended).
func TestReplayBudgetBoundsReplaysHeldAtOnce(t *testing.T) {
	// A join past the budget waits StoreTimeout for it before it fails; so does every store
	// read a join makes, and 100 ms failed the first join's on a busy machine ("room r is
	// unavailable"): a second bounds the waits the test means and outlasts a slow read.
	h, _, _ := newHub(t, hub.Config{RoomBuffer: 2, MaxReplay: 10, ReplayBudget: 10, StoreTimeout: time.Second})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, _, err := h.Send(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	zero := uint64(0)
	joinSince0 := func(name string) (*hub.Outbox, error) {
		out := hub.NewOutbox(100, nil)
		_, err := h.Join(ctx, hub.JoinRequest{Room: "r", Member: &hub.Member{Name: name, Out: out}, Since: &zero})
		return out, err
	}
	// first's replay, 8 messages from the store (the ring holds the newest 2), is queued and
	// not written: it holds 8 of the 10.
	first, err := joinSince0("first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := joinSince0("second"); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("second join past the budget: %v, want unavailable", err)
	}
	first.Discard() // first's connection ended: its replay is dropped, its share given back
	second, err := joinSince0("second")
	if err != nil {
		t.Fatalf("second join after the first replay was dropped: %v", err)
	}
	if _, err := joinSince0("third"); hubbub.ErrorCode(err) != hubbub.ECodeUnavailable {
		t.Fatalf("third join past the budget: %v, want unavailable", err)
	}
	if got := seqs(t, second, 10); got[0] != 1 || got[9] != 10 { // taken by its writer
		t.Fatalf("second replayed %v", got)
	}
	third, err := joinSince0("third")
	if err != nil {
		t.Fatalf("third join after the second replay was taken: %v", err)
	}
	if got := seqs(t, third, 10); got[0] != 1 || got[9] != 10 {
		t.Fatalf("third replayed %v", got)
	}
}
