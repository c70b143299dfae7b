package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"hubbub"
	"hubbub/internal/storetest"
	"hubbub/internal/testwait"
)

// indexedSeq returns how far the search index holds room (search_rooms.indexed, 0 for a
// room it does not know), read through a connection of its own.
func indexedSeq(t *testing.T, db *sql.DB, room string) int {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT indexed FROM search_rooms WHERE room = ?`, room).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return n
}

// TestSearchLagNeverMissed: messages the index does not hold yet (Options.SearchLag, no
// timer) are found by a search that begins after their appends returned, an edit of one is
// found by its new text only and a deleted one not at all, and a room new to the index is
// searched too; the search leaves the rooms it read indexed.
func TestSearchLagNeverMissed(t *testing.T) {
	s, path := openTest(t, Options{SearchLag: 1000, SearchDelay: -1})
	db := rawDB(t, path)
	add(t, s, text("r", "alice", "apple one"))   // r/1
	add(t, s, text("r", "alice", "banana two"))  // r/2
	add(t, s, edit("r", "alice", 1, "cherry"))   // r/3
	add(t, s, del("r", "alice", 2, false))       // r/4
	add(t, s, text("r", "bob", "apple five"))    // r/5
	add(t, s, text("other", "bob", "apple six")) // other/1: not searched below
	if n := indexedSeq(t, db, "r"); n != 0 {
		t.Fatalf("the index holds r up to %d before any search, want 0 (lagging)", n)
	}
	for q, want := range map[string][]string{"apple": {"r/5"}, "cherry": {"r/1"}, "banana": nil, "one": nil} {
		if got := searchSeqs(t, s, []string{"r"}, q); !slices.Equal(got, want) {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
	if n := indexedSeq(t, db, "r"); n != 5 {
		t.Errorf("after a search of r, the index holds it up to %d, want 5", n)
	}
	if n := indexedSeq(t, db, "other"); n != 0 {
		t.Errorf("a search of r indexed the room other up to %d, want 0: it searched no more than its rooms", n)
	}
	// Once indexed, the triggers keep the index in step with an edit and a delete.
	add(t, s, edit("r", "bob", 5, "durian"))
	if got := searchSeqs(t, s, []string{"r", "other"}, "apple"); !slices.Equal(got, []string{"other/1"}) {
		t.Errorf("search apple after the edit: %v, want [other/1]", got)
	}
	checkSearchIndex(t, s)
}

// TestSearchLagBounds: the writer indexes on its own once SearchLag messages wait, or once
// the first has waited SearchDelay, or when the store closes.
func TestSearchLagBounds(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		s, path := openTest(t, Options{SearchLag: 3, SearchDelay: -1})
		db := rawDB(t, path)
		add(t, s, text("r", "alice", "one"))
		add(t, s, text("r", "alice", "two"))
		if n := indexedSeq(t, db, "r"); n != 0 {
			t.Fatalf("2 messages of 3 indexed up to %d, want 0", n)
		}
		add(t, s, text("r", "alice", "three"))
		testwait.Until(t, "the third message indexed", func() bool { return indexedSeq(t, db, "r") == 3 })
	})
	t.Run("delay", func(t *testing.T) {
		s, path := openTest(t, Options{SearchLag: 1000, SearchDelay: 1})
		db := rawDB(t, path)
		add(t, s, text("r", "alice", "one"))
		testwait.Until(t, "the message indexed after the delay", func() bool { return indexedSeq(t, db, "r") == 1 })
		add(t, s, text("r", "alice", "two")) // the timer arms again
		testwait.Until(t, "the next message indexed after the delay", func() bool { return indexedSeq(t, db, "r") == 2 })
	})
	t.Run("close", func(t *testing.T) {
		s, path := openTest(t, Options{SearchLag: 1000, SearchDelay: -1})
		add(t, s, text("r", "alice", "one"))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n := indexedSeq(t, rawDB(t, path), "r"); n != 1 {
			t.Errorf("after Close the index holds r up to %d, want 1", n)
		}
	})
}

// TestSearchLagCrash: a store that stops between an append and its indexing (the file as it
// is on disk while the store runs, copied) leaves the message unindexed, and the next Open
// indexes it (catchUpSearch).
func TestSearchLagCrash(t *testing.T) {
	s, path := openTest(t, Options{SearchLag: 1000, SearchDelay: -1})
	add(t, s, text("r", "alice", "apple one"))
	if got := searchSeqs(t, s, []string{"r"}, "apple"); len(got) != 1 { // indexes r/1
		t.Fatalf("search: %v", got)
	}
	add(t, s, text("r", "alice", "apple two")) // r/2: acknowledged, not indexed
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if n := indexedSeq(t, rawDB(t, crashed), "r"); n != 1 {
		t.Fatalf("the crashed file's index holds r up to %d, want 1", n)
	}
	s2 := openAt(t, crashed, Options{SearchLag: 1000, SearchDelay: -1})
	if n := indexedSeq(t, rawDB(t, crashed), "r"); n != 2 {
		t.Errorf("after Open the index holds r up to %d, want 2", n)
	}
	if got := searchSeqs(t, s2, []string{"r"}, "apple"); !slices.Equal(got, []string{"r/2", "r/1"}) {
		t.Errorf("search after the crash: %v, want [r/2 r/1]", got)
	}
	checkSearchIndex(t, s2)
}

// TestSearchCatchUpSlices: a catch-up of the search index (SearchLag messages waiting)
// indexes them a slice of about SearchSlice at a time, and an append queued during the
// catch-up commits between two slices instead of after the whole catch-up; every message
// is indexed once the catch-up ends, the late one too, and the watermarks say so.
func TestSearchCatchUpSlices(t *testing.T) {
	const lag, slice = 200, 10
	s, path := openTest(t, Options{SearchLag: lag, SearchSlice: slice, SearchDelay: -1})
	db := rawDB(t, path)
	for i := range lag - 1 { // one message a room, so that a slice is exactly SearchSlice messages
		add(t, s, text(fmt.Sprintf("r%03d", i), "alice", fmt.Sprintf("apple %d", i)))
	}
	if s.w.slices.Load() != 0 {
		t.Fatalf("%d slices indexed before the lag filled up", s.w.slices.Load())
	}

	// After the first slice, an append queues (its caller waits); the hook returns once it
	// is queued, so the writer sees it waiting. The batches counted at each slice show
	// whether it committed before the catch-up ended.
	var (
		mu      sync.Mutex
		batches []int64 // s.w.batches at the end of each slice
	)
	lateDone := make(chan error, 1)
	s.w.afterSlice = func() { // the writer's goroutine
		mu.Lock()
		batches = append(batches, s.w.batches.Load())
		first := len(batches) == 1
		mu.Unlock()
		if !first {
			return
		}
		go func() {
			e := text("late", "bob", "apple late")
			_, _, _, err := s.Append(context.Background(), &e)
			lateDone <- err
		}()
		for s.w.q.Len() == 0 && len(lateDone) == 0 {
			runtime.Gosched()
		}
	}
	add(t, s, text(fmt.Sprintf("r%03d", lag-1), "alice", "apple last")) // fills the lag: the catch-up begins
	if err := <-lateDone; err != nil {
		t.Fatalf("the append queued during the catch-up: %v", err)
	}
	var indexed int
	testwait.Until(t, "every room of the catch-up indexed", func() bool {
		if err := db.QueryRow(`SELECT count(*) FROM search_rooms WHERE indexed = 1 AND room LIKE 'r%'`).Scan(&indexed); err != nil {
			t.Fatal(err)
		}
		return indexed == lag
	})
	mu.Lock()
	defer mu.Unlock()
	if n := len(batches); n < lag/slice {
		t.Fatalf("the catch-up of %d messages took %d slices, want at least %d of %d", lag+1, n, lag/slice, slice)
	}
	if first, last := batches[0], batches[len(batches)-1]; last <= first {
		t.Errorf("batches of appends committed during the catch-up: %d (at the first slice %d, the last %d); want the late append's between two slices", last-first, first, last)
	}
	for room, want := range map[string][]string{"late": {"late/1"}, "r000": {"r000/1"}, "r199": {"r199/1"}} {
		if got := searchSeqs(t, s, []string{room}, "apple"); !slices.Equal(got, want) {
			t.Errorf("search apple in %s: %v, want %v", room, got, want)
		}
	}
	if err := db.QueryRow(`SELECT count(*) FROM search_rooms WHERE indexed = 1`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed != lag+1 {
		t.Errorf("%d rooms indexed, want %d", indexed, lag+1)
	}
	checkSearchIndex(t, s)
}

// TestSearchCatchUpKeepsPace: a batch larger than a slice is indexed before the next batch,
// even though appends queue meanwhile, down to less than SearchLag: under sustained load,
// with full batches larger than a slice, the index would otherwise fall a batch less a slice
// further behind at each batch (a search then indexes its rooms' lag first).
func TestSearchCatchUpKeepsPace(t *testing.T) {
	const lag, slice, batch = 20, 10, 60
	s, path := openTest(t, Options{SearchLag: lag, SearchSlice: slice, SearchDelay: -1})
	release, first := blockWriter(t, s, path, "first") // a batch of its own
	var results []<-chan result
	for i := range batch { // one message a room, so that a slice is exactly SearchSlice messages
		results = append(results, appendAsync(t.Context(), s, text(fmt.Sprintf("b%02d", i), "alice", fmt.Sprintf("apple %d", i))))
	}
	testwait.Until(t, "the batch queues", func() bool { return s.w.q.Len() == batch })

	// From the first slice on, an append waits in the queue; record the lag after each slice
	// and how many batches had committed by then.
	type sliceEnd struct{ batches, lagging int64 }
	var (
		mu   sync.Mutex
		ends []sliceEnd
	)
	lateDone := make(chan error, 1)
	s.w.afterSlice = func() { // the writer's goroutine
		s.w.lag.mu.Lock()
		end := sliceEnd{s.w.batches.Load(), int64(s.w.lag.total)}
		s.w.lag.mu.Unlock()
		mu.Lock()
		ends = append(ends, end)
		firstSlice := len(ends) == 1
		mu.Unlock()
		if !firstSlice {
			return
		}
		go func() {
			_, _, _, err := s.Append(context.Background(), new(text("late", "bob", "apple late")))
			lateDone <- err
		}()
		for s.w.q.Len() == 0 && len(lateDone) == 0 {
			runtime.Gosched()
		}
	}
	release()
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	for _, ch := range results {
		if r := <-ch; r.err != nil {
			t.Fatal(r.err)
		}
	}
	if err := <-lateDone; err != nil {
		t.Fatalf("the append queued during the catch-up: %v", err)
	}
	// Batch 1 is "first", batch 2 the 60, batch 3 the late append: every slice between 2 and
	// 3 has ended. (The searches below may run slices too: mu is not held then.)
	mu.Lock()
	ends23 := slices.Clone(ends)
	mu.Unlock()
	last := sliceEnd{lagging: -1}
	for _, e := range ends23 {
		if e.batches == 2 {
			last = e
		}
	}
	if last.lagging < 0 || last.lagging >= lag {
		t.Errorf("slices before the late append's batch: %+v; want the last of them to leave fewer than %d lagging", ends23, lag)
	}
	for room, want := range map[string][]string{"late": {"late/1"}, "b00": {"b00/1"}, "b59": {"b59/1"}} {
		if got := searchSeqs(t, s, []string{room}, "apple"); !slices.Equal(got, want) {
			t.Errorf("search apple in %s: %v, want %v", room, got, want)
		}
	}
	checkSearchIndex(t, s)
}

// TestSearchIndexOff: a store opened with NoSearchIndex indexes nothing and refuses every
// search; the next Open with the index indexes what was appended meanwhile (storetest), both
// when the index lags behind the appends and when each batch indexes its own.
func TestSearchIndexOff(t *testing.T) {
	for _, lag := range []int{0, -1} {
		t.Run(fmt.Sprint("lag", lag), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hubbub.db")
			storetest.RunSearchIndexOff(t, func(t *testing.T, index bool) hubbub.Store {
				return openAt(t, path, Options{SearchLag: lag, NoSearchIndex: !index})
			})
		})
	}
}

// TestToolOpenLeavesTheCatchUpToTheServer: an admin command opening the file beside a server
// run without the index (SkipSearchCatchUp) indexes nothing of what that server appended — it
// held the write lock beside the server for as long as that took — and the server's next Open
// with the index finds every message.
func TestToolOpenLeavesTheCatchUpToTheServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hubbub.db")
	server := openAt(t, path, Options{NoSearchIndex: true})
	for i := range 3 {
		if _, _, _, err := server.Append(t.Context(), &hubbub.Entry{Room: "r", From: "ann", Text: fmt.Sprintf("zebra %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}

	tool := openAt(t, path, Options{SkipSearchCatchUp: true})
	var behind int
	if err := tool.rdb.QueryRowContext(t.Context(), "SELECT count(*) FROM ("+searchBehindSQL+")").Scan(&behind); err != nil {
		t.Fatal(err)
	}
	if behind != 1 {
		t.Errorf("after a tool's Open %d rooms wait for the index, want 1: the tool indexed the server's messages", behind)
	}
	if err := tool.Close(); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path, Options{})
	p, err := s.Search(t.Context(), hubbub.SearchQuery{Rooms: []string{"r"}, Text: "zebra"})
	if err != nil || len(p.Hits) != 3 {
		t.Fatalf("search after the server's Open: %d hits, %v; want 3", len(p.Hits), err)
	}
}
