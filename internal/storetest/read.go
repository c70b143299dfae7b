package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"hubbub"
)

// testSince: messages after a seq, oldest first, at most limit.
func testSince(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	all := appendN(t, s, "r", 10)
	appendN(t, s, "noise", 3)
	checkStored(t, "Since(0, 100)", since(t, s, "r", 0, 100), all)
	checkStored(t, "Since(3, 4)", since(t, s, "r", 3, 4), all[3:7])
	checkStored(t, "Since(8, 5)", since(t, s, "r", 8, 5), all[8:])
	checkSeqs(t, "Since(0, 1)", since(t, s, "r", 0, 1), []uint64{1})
	checkSeqs(t, "Since(10, 5)", since(t, s, "r", 10, 5), nil)
	checkSeqs(t, "Since(50, 5)", since(t, s, "r", 50, 5), nil)
	checkSeqs(t, "Since on an unknown room", since(t, s, "nowhere", 0, 5), nil)
}

// testBefore: the newest messages below a seq (0 = the newest of all), oldest first.
func testBefore(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	all := appendN(t, s, "r", 10)
	appendN(t, s, "noise", 12)
	checkStored(t, "Before(0, 3)", before(t, s, "r", 0, 3), all[7:])
	checkStored(t, "Before(0, 100)", before(t, s, "r", 0, 100), all)
	checkStored(t, "Before(5, 3)", before(t, s, "r", 5, 3), all[1:4])
	checkStored(t, "Before(11, 2)", before(t, s, "r", 11, 2), all[8:])
	checkSeqs(t, "Before(2, 10)", before(t, s, "r", 2, 10), []uint64{1})
	checkSeqs(t, "Before(1, 10)", before(t, s, "r", 1, 10), nil)
	checkSeqs(t, "Before on an unknown room", before(t, s, "nowhere", 0, 5), nil)
}

// testLastSeq: 0 for a room that never had a message, else the highest seq.
func testLastSeq(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	if got := lastSeq(t, s, "nowhere"); got != 0 {
		t.Errorf("LastSeq of an unknown room = %d, want 0", got)
	}
	appendN(t, s, "r", 3)
	if got := lastSeq(t, s, "r"); got != 3 {
		t.Errorf("LastSeq = %d, want 3", got)
	}
	if got := lastSeq(t, s, "R"); got != 0 {
		t.Errorf("LastSeq(%q) = %d, want 0: room names are case-sensitive", "R", got)
	}
}

// testReadsDuringAppends: readers racing appenders only ever see a gap-free prefix of the
// room that holds at least everything LastSeq reported before, and LastSeq never goes back.
func testReadsDuringAppends(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	var writing atomic.Bool
	writing.Store(true)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer writing.Store(false)
		AppendConcurrently(t, s, "", 4, 50, func(int, int) string { return "r" })
	})
	var prev uint64
	for reads := 0; writing.Load() || reads < 2; reads++ {
		// No t.Fatal here: the appenders still use the store.
		var err error
		if prev, err = checkPrefix(t, s, "r", prev); err != nil {
			t.Error(err)
			break
		}
	}
	wg.Wait()
	if got := lastSeq(t, s, "r"); got != 200 {
		t.Errorf("LastSeq after the appends = %d, want 200", got)
	}
}

// checkPrefix reads LastSeq and then the whole room, and reports an error unless LastSeq is
// at least prev and the room is a gap-free run of seqs from 1 holding at least LastSeq
// messages. It returns the LastSeq it read.
func checkPrefix(t *testing.T, s hubbub.Store, room string, prev uint64) (uint64, error) {
	last, err := s.LastSeq(t.Context(), room)
	if err != nil {
		return prev, fmt.Errorf("LastSeq: %w", err)
	}
	if last < prev {
		return prev, fmt.Errorf("LastSeq went back from %d to %d", prev, last)
	}
	msgs, err := s.Since(t.Context(), room, 0, 1000)
	if err != nil {
		return last, fmt.Errorf("Since: %w", err)
	}
	if uint64(len(msgs)) < last {
		return last, fmt.Errorf("Since returned %d messages after LastSeq reported %d", len(msgs), last)
	}
	if got, want := seqsOf(msgs), span(1, uint64(len(msgs))); !slices.Equal(got, want) {
		return last, fmt.Errorf("Since during appends returned seqs %v, want a gap-free prefix", got)
	}
	return last, nil
}
