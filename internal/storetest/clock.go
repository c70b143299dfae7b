package storetest

import (
	"sync"
	"testing"
	"time"

	"hubbub"
)

// ClockOpener opens a fresh, empty store whose entry times come from now and which keeps
// messages by ret.
type ClockOpener func(t *testing.T, now func() time.Time, ret hubbub.Retention) hubbub.Store

// MaxAgeWithClock checks Retention.MaxAge against an injected clock, to the millisecond,
// where the contract suite (RunStoreTests) can only sleep. A store that takes a clock runs
// it from a test of its own.
func MaxAgeWithClock(t *testing.T, open ClockOpener) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 2, 3, 4, 5, 678_900_000, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	s := open(t, clock, hubbub.Retention{MaxAge: time.Hour})
	ctx := t.Context()
	add := func(room string) hubbub.Entry {
		t.Helper()
		m, _, err := appendValue(ctx, s, hubbub.Entry{Room: room, From: "alice", Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	first := add("a")
	if want := clock().Truncate(time.Millisecond); !first.Time.Equal(want) {
		t.Fatalf("Time = %v, want the injected clock %v", first.Time, want)
	}
	add("b")
	advance(30 * time.Minute)
	add("a")
	// A change to the first message, younger than MaxAge, goes with it.
	if _, _, err := appendValue(ctx, s, hubbub.Entry{Room: "a", From: "bob", Kind: hubbub.KindReaction, Target: first.Seq, Emoji: "👍"}); err != nil {
		t.Fatal(err)
	}
	advance(30 * time.Minute) // the first two are exactly an hour old: kept
	if n, err := s.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("Prune at exactly MaxAge = %d, %v; want 0", n, err)
	}
	advance(time.Millisecond) // now they are older
	if n, err := s.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	if msgs, _ := s.Since(ctx, "a", 0, 10); len(msgs) != 1 || msgs[0].Seq != 2 {
		t.Errorf("room a after Prune: %+v, want seq 2 only (the reaction to seq 1 went with it)", msgs)
	}
	if m := add("b"); m.Seq != 2 {
		t.Errorf("Append to emptied room b got seq %d, want 2", m.Seq)
	}
}
