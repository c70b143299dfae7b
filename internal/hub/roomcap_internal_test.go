package hub

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// countingStore is a real store that counts its CountRooms and RoomMeta calls.
type countingStore struct {
	hubbub.Store
	counts, metas atomic.Int64
}

func (s *countingStore) RoomMeta(ctx context.Context, room string) (hubbub.RoomMeta, bool, error) {
	s.metas.Add(1)
	return s.Store.RoomMeta(ctx, room)
}

func (s *countingStore) CountRooms(ctx context.Context, limit int) (int, error) {
	s.counts.Add(1)
	return s.Store.CountRooms(ctx, limit)
}

// Two nodes share one store, each with its cap of 3 rooms: a node learns of the rooms the
// other made when it counts again (after recountAfter, or when its own rooms reach the cap),
// and then refuses a new room; rooms that exist stay joinable. Counting is not paid per join:
// many new rooms below the cap within recountAfter cost one count, and joins refused at the cap
// cost none (rooms are never deleted, so a full store stays full), nor do joins of a room the
// node knows is stored.
func TestRoomCapAcrossNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx := t.Context()
	counting := &countingStore{Store: store}
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	a, b := newRoomCap(counting, 3, log), newRoomCap(counting, 3, log)
	a.now, b.now = clock, clock
	ann, err := store.ClaimGuest(ctx, "ann", "key-ann")
	if err != nil {
		t.Fatal(err)
	}
	join := func(node *roomCap, room string) error {
		_, err := node.JoinRoom(ctx, room, ann.ID)
		return err
	}

	for _, room := range []string{"r1", "r2"} {
		if err := join(a, room); err != nil {
			t.Fatalf("node a joins %s below the cap: %v", room, err)
		}
	}
	// Opening a room with no entries (an anonymous member's join, room.load) stores nothing
	// and is not a room made: one below the cap, twenty cost no count and no read.
	metasBefore := counting.metas.Load()
	for i := range 20 {
		if err := a.mayOpen(ctx, fmt.Sprint("opened-", i)); err != nil {
			t.Fatalf("opening a new name one room below the cap: %v", err)
		}
	}
	if got := counting.metas.Load() - metasBefore; got != 0 {
		t.Errorf("20 opened names read their metadata %d times, want none", got)
	}
	if err := join(b, "r3"); err != nil {
		t.Fatalf("node b joins r3 below the cap: %v", err)
	}
	if got := counting.counts.Load(); got != 2 {
		t.Errorf("three new rooms within a second on two nodes counted %d times, want once per node", got)
	}
	now = now.Add(recountAfter)
	if err := join(a, "r4"); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Fatalf("node a, a second later, joins a fourth room: %v, want limit", err)
	}
	if err := join(b, "r5"); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Fatalf("node b, its own and a's rooms at the cap, joins a fifth: %v, want limit", err)
	}
	counted := counting.counts.Load()
	for i := range 100 {
		room := fmt.Sprint("made-up-", i)
		if err := join(a, room); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
			t.Fatalf("join of %s at the cap: %v, want limit", room, err)
		}
		if _, _, err := a.CreateRoom(ctx, hubbub.RoomMeta{Name: room}, nil); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
			t.Fatalf("creation of %s at the cap: %v, want limit", room, err)
		}
	}
	if got := counting.counts.Load(); got != counted {
		t.Errorf("200 refusals at the cap counted the rooms %d times, want none", got-counted)
	}
	if got := strings.Count(logged.String(), "the store holds the most rooms allowed"); got != 2 {
		t.Errorf("the cap reached was logged %d times by two nodes, want once each:\n%s", got, logged.String())
	}
	bob, err := store.ClaimGuest(ctx, "bob", "key-bob")
	if err != nil {
		t.Fatal(err)
	}
	for _, room := range []string{"r1", "r3"} {
		if _, err := a.JoinRoom(ctx, room, bob.ID); err != nil {
			t.Errorf("bob joins %s, which exists, at the cap: %v", room, err)
		}
	}
	// A busy room's first joins (each new guest's) read nothing more once the room is known.
	metas := counting.metas.Load()
	for range 50 {
		if _, err := b.JoinRoom(ctx, "r3", bob.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := counting.metas.Load() - metas; got != 0 {
		t.Errorf("50 joins of a room node b made read its metadata %d times, want none", got)
	}
	if n, err := store.CountRooms(ctx, 100); err != nil || n != 3 {
		t.Errorf("the store holds %d rooms (err %v), want 3", n, err)
	}
}
