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
		_, _, err := appendValue(c.ctx, s, msg("r", "alice", "too late"))
		check("Append", err)
		_, err = s.Since(c.ctx, "r", 0, 10)
		check("Since", err)
		_, err = s.Before(c.ctx, "r", 0, 10)
		check("Before", err)
		_, err = s.LastSeq(c.ctx, "r")
		check("LastSeq", err)
		_, err = s.Prune(c.ctx)
		check("Prune", err)
		_, err = s.Replies(c.ctx, "r", 1, 0, 10)
		check("Replies", err)
		_, _, err = s.Revisions(c.ctx, "r", 2)
		check("Revisions", err)
		_, err = s.ReactedBy(c.ctx, "r", "alice", 0, 10)
		check("ReactedBy", err)
		for _, e := range []hubbub.Entry{
			edit("r", "alice", 2, "too late"), react("r", "alice", 2, "👍"), del("r", "alice", 2, false),
		} {
			_, _, err = appendValue(c.ctx, s, e)
			check("Append("+string(e.Kind)+")", err)
		}
	}
	if got := lastSeq(t, s, "r"); got != 2 {
		t.Errorf("LastSeq = %d, want 2: an Append with a done context stored something", got)
	}
	checkSeqs(t, "Since", since(t, s, "r", 0, 10), []uint64{1, 2})
	if got := before(t, s, "r", 0, 1); len(got) != 1 || got[0].Text != "r #2" || got[0].Deleted || len(got[0].Reactions) != 0 {
		t.Errorf("message 2 after cancelled changes: %+v", got)
	}
}

// testClose: Close succeeds once, and every call after it fails.
func testClose(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{MaxPerRoom: 1})
	appendN(t, s, "r", 1)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	if _, _, err := appendValue(ctx, s, msg("r", "alice", "after close")); err == nil {
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
	if _, err := s.Replies(ctx, "r", 1, 0, 10); err == nil {
		t.Error("Replies after Close succeeded")
	}
	if _, _, err := s.Revisions(ctx, "r", 1); err == nil {
		t.Error("Revisions after Close succeeded")
	}
	if _, err := s.ReactedBy(ctx, "r", "alice", 0, 10); err == nil {
		t.Error("ReactedBy after Close succeeded")
	}
	if _, _, err := appendValue(ctx, s, react("r", "bob", 1, "👍")); err == nil {
		t.Error("Append(reaction) after Close succeeded")
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
