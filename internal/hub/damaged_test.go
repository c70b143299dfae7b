package hub_test

import (
	"context"
	"path/filepath"
	"testing"

	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// A room whose older history is damaged on disk stays joinable: a rejoin with since below the
// damage gets what can be read (the newest messages), flagged truncated, instead of "room is
// unavailable; try again" forever (issue 14, item 3).
func TestRejoinBelowDamagedHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Damaged(t, path, "r", 2000)
	store, err := sqlite.Open(path, sqlite.Options{Logger: quiet, SkipCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	broker := inmem.NewBroker()
	h := hub.New(hub.Config{Logger: quiet, RoomBuffer: 256}, store, broker)
	t.Cleanup(func() { h.Close(); broker.Close(); store.Close() })

	if _, err := store.Since(context.Background(), "r", 0, 2000); err == nil {
		t.Fatal("the damaged file reads every seq: the test's damage missed the history")
	}
	for _, since := range []uint64{10, 1000} {
		out := hub.NewOutbox(4000, func() { t.Error("overflow") })
		m := &hub.Member{Name: "ann", Out: out}
		info, err := h.Join(context.Background(), hub.JoinRequest{Room: "r", Member: m, Since: &since})
		if err != nil {
			t.Fatalf("join with since %d: %v", since, err)
		}
		if !info.Truncated || info.LastSeq != 2000 || info.Replay < 256 {
			t.Errorf("join with since %d: %+v, want truncated, last seq 2000, at least the 256 messages in memory", since, info)
		}
		got := seqs(t, out, info.Replay)
		if got[len(got)-1] != 2000 {
			t.Errorf("join with since %d replayed up to seq %d, want 2000", since, got[len(got)-1])
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("join with since %d replayed seqs out of order: %d after %d", since, got[i], got[i-1])
			}
		}
		h.Leave("r", m)
	}
}
