package sqlite

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"hubbub"
	"hubbub/internal/testwait"
)

// The writer syncs the log itself (so the fsync does not hold the Go processor), and an
// Append is answered only after that sync: when it fails, the Append fails, and the store
// reports itself unready; after a failed fsync no append is answered as durable until the
// store is opened again.
func TestAppendWaitsForTheLogSync(t *testing.T) {
	s, path := openTest(t, Options{})
	if s.w.wal == nil {
		t.Fatal("the writer leaves the log's fsync to SQLite")
	}
	if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "one"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}

	s.w.wal.file.Close() // every sync from now on fails
	_, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "two"})
	if err == nil || !strings.Contains(err.Error(), "fsync") {
		t.Fatalf("Append whose log sync failed: %v, want an fsync error", err)
	}
	if err := s.Check(t.Context()); err == nil {
		t.Fatal("Check passes while the log cannot be synced")
	}
	if _, err := s.Prune(t.Context()); err == nil {
		t.Fatal("a write on the writer between batches succeeded though its sync failed")
	}

	// The log's file works again, but what the failed fsync held may be gone: no later
	// append is answered as durable until the store is opened again.
	f, err := os.OpenFile(path+"-wal", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.w.wal.file = f
	_, _, _, err = s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "three"})
	if err == nil || !strings.Contains(err.Error(), "opened again") {
		t.Fatalf("Append after a failed fsync, the file usable again: %v, want the first failure", err)
	}
}

// While the log's fsync is slow, the writer goes on committing the batches that queue, and
// the next fsync covers all of them: an append committed meanwhile waits for the slow sync
// and one more, not for one sync per batch before it (syncAhead).
func TestBatchesCommittedDuringASlowSyncShareTheNextSync(t *testing.T) {
	s, _ := openTest(t, Options{})
	if s.w.wal == nil {
		t.Fatal("the writer leaves the log's fsync to SQLite")
	}
	slow := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(slow) }) }
	t.Cleanup(release) // before the store's close, which waits for the syncer
	var syncs atomic.Int64
	s.w.wal.beforeSync = func() {
		if syncs.Add(1) == 1 {
			<-slow
		}
	}
	first := appendAsync(t.Context(), s, hubbub.Entry{Room: "r", From: "u", Text: "first"})
	testwait.Until(t, "the first batch's sync starts", func() bool { return syncs.Load() == 1 })
	var later []<-chan result
	for i := range 3 {
		later = append(later, appendAsync(t.Context(), s, hubbub.Entry{Room: "r", From: "u", Text: fmt.Sprint("later ", i)}))
		// Handed over, not only committed: the count of batches rises before the hand-over.
		testwait.Until(t, "the writer commits a batch and hands it over while the sync is slow", func() bool { return len(s.w.toSync) == i+1 })
	}
	for _, ch := range append(later, first) {
		select {
		case res := <-ch:
			t.Fatalf("an append was answered (%+v) before the fsync that makes it durable ended", res)
		default:
		}
	}
	release()
	for _, ch := range append(later, first) {
		if res := <-ch; res.err != nil {
			t.Fatal(res.err)
		}
	}
	if n := syncs.Load(); n != 2 {
		t.Errorf("%d fsyncs for a slow one and three batches committed during it, want 2", n)
	}
}
