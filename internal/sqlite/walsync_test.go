package sqlite

import (
	"strings"
	"testing"
	"time"

	"hubbub"
)

// The writer syncs the log itself (so the fsync does not hold the Go processor), and an
// Append is answered only after that sync: when it fails, the Append fails, and the store
// reports itself unready until a write succeeds again.
func TestAppendWaitsForTheLogSync(t *testing.T) {
	s, _ := openTest(t, Options{})
	if s.w.wal == nil {
		t.Fatal("the writer leaves the log's fsync to SQLite")
	}
	if _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "one"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(t.Context()); err != nil {
		t.Fatal(err)
	}

	s.w.wal.file.Close() // every sync from now on fails
	_, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "two"})
	if err == nil || !strings.Contains(err.Error(), "fsync") {
		t.Fatalf("Append whose log sync failed: %v, want an fsync error", err)
	}
	if err := s.Check(t.Context()); err == nil {
		t.Fatal("Check passes while the log cannot be synced")
	}
	err = s.SetSanction(t.Context(), hubbub.Sanction{Room: "r", User: "u", Kind: hubbub.SanctionMute, Until: time.Now().Add(time.Hour)})
	if err == nil {
		t.Fatal("a write on the writer between batches succeeded though its sync failed")
	}
}
