package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"hubbub"
)

// Check fails while appends fail to commit and a test write fails too, and passes again once a
// test write succeeds, with no append in between (issue 14, item 2). The writes fail for real:
// another connection holds the file's write lock.
func TestCheckFollowsFailingWrites(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t, Options{BusyTimeout: 20 * time.Millisecond})
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check of a fresh store: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check before any append failed: %v (it writes only once a commit failed)", err)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "hi"}); err == nil {
		t.Fatal("Append succeeded while another connection held the write lock")
	}
	if err := s.Check(ctx); err == nil {
		t.Fatal("Check passed while writes fail")
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check once writes work again: %v", err)
	}
	if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "ann", Text: "hi"}); err != nil {
		t.Fatalf("Append after the lock was released: %v", err)
	}
}
