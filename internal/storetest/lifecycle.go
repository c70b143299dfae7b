package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"hubbub"
)

// testCancelledContext: every method fails with ctx's error once ctx is done, and Append
// stores nothing then.
func testCancelledContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 1})
	appendN(t, s, "r", 2)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()

	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, c.want) {
				t.Errorf("%s with a done context: error %v, want one wrapping %v", op, err, c.want)
			}
		}
		_, _, err := s.Append(c.ctx, msg("r", "alice", "too late"))
		check("Append", err)
		_, err = s.Since(c.ctx, "r", 0, 10)
		check("Since", err)
		_, err = s.Before(c.ctx, "r", 0, 10)
		check("Before", err)
		_, err = s.LastSeq(c.ctx, "r")
		check("LastSeq", err)
		_, err = s.Prune(c.ctx)
		check("Prune", err)
	}
	if got := lastSeq(t, s, "r"); got != 2 {
		t.Errorf("LastSeq = %d, want 2: an Append with a done context stored something", got)
	}
	checkSeqs(t, "Since", since(t, s, "r", 0, 10), []uint64{1, 2})
}

// testClose: Close succeeds once, and every call after it fails.
func testClose(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 1})
	appendN(t, s, "r", 1)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	if _, _, err := s.Append(ctx, msg("r", "alice", "after close")); err == nil {
		t.Error("Append after Close succeeded")
	}
	if _, err := s.Since(ctx, "r", 0, 10); err == nil {
		t.Error("Since after Close succeeded")
	}
	if _, err := s.Before(ctx, "r", 0, 10); err == nil {
		t.Error("Before after Close succeeded")
	}
	if _, err := s.LastSeq(ctx, "r"); err == nil {
		t.Error("LastSeq after Close succeeded")
	}
	if _, err := s.Prune(ctx); err == nil {
		t.Error("Prune after Close succeeded")
	}
}

// testCheck: Check answers nil while the store is open, fails with ctx's error once ctx is
// done, and fails after Close.
func testCheck(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check of an open store: %v", err)
	}
	appendN(t, s, "r", 1)
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check of a store holding a message: %v", err)
	}
	done, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Check(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with a done context: %v, want one wrapping %v", err, context.Canceled)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(t.Context()); err == nil {
		t.Error("Check after Close succeeded")
	}
}
