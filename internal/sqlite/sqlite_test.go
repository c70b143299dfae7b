package sqlite

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/storetest"
)

// TestStoreContract runs the hubbub.Store contract suite on real files.
func TestStoreContract(t *testing.T) {
	storetest.RunStoreTests(t, func(t *testing.T, ret hubbub.Retention) hubbub.Store {
		s, _ := openTest(t, Options{Retention: ret})
		return s
	})
}

// TestReopen: a store opened again on its file keeps messages, numbering and idempotency
// keys, also after retention removed messages.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hubbub.db")
	opts := Options{Retention: hubbub.Retention{MaxPerRoom: 3}}
	s := openAt(t, path, opts)
	var stored []hubbub.Entry
	for i := range 5 {
		m, _, _, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: string(rune('a' + i)), Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, *m)
	}
	if n, err := s.Prune(ctx); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, opts)
	if last, err := s.LastSeq(ctx, "r"); err != nil || last != 5 {
		t.Fatalf("LastSeq after reopen = %d, %v; want 5", last, err)
	}
	got, err := s.Since(ctx, "r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !reflect.DeepEqual(got[0], stored[2]) || !reflect.DeepEqual(got[2], stored[4]) {
		t.Errorf("after reopen read %+v, want %+v", got, stored[2:])
	}
	m, _, outcome, err := s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", ClientID: "e", Text: "retry"})
	dup := outcome == hubbub.Duplicate
	if err != nil || !dup || !reflect.DeepEqual(*m, stored[4]) {
		t.Errorf("retry after reopen = %+v, dup %v, %v; want the stored %+v", m, dup, err, stored[4])
	}
	m, _, _, err = s.Append(ctx, &hubbub.Entry{Room: "r", From: "alice", Text: "new"})
	if err != nil || m.Seq != 6 {
		t.Errorf("Append after reopen = seq %d, %v; want 6", m.Seq, err)
	}
}

// TestMigrationsIdempotent: opening a file again applies no migration twice and leaves the
// schema as it was; a file from a newer build is refused.
func TestMigrationsIdempotent(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("loadMigrations = %d migrations, %v", len(ms), err)
	}
	path := filepath.Join(t.TempDir(), "hubbub.db")
	schema := func() (version int, objects string) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow("SELECT group_concat(type || ' ' || name || ': ' || sql, '\n') FROM sqlite_schema").Scan(&objects); err != nil {
			t.Fatal(err)
		}
		return version, objects
	}
	for i := range 3 {
		if err := openAt(t, path, Options{}).Close(); err != nil {
			t.Fatalf("open #%d: close: %v", i+1, err)
		}
		v, objects := schema()
		if v != len(ms) {
			t.Fatalf("after open #%d user_version = %d, want %d", i+1, v, len(ms))
		}
		if !strings.Contains(objects, "table messages") || !strings.Contains(objects, "index messages_client_id") {
			t.Fatalf("after open #%d schema lacks messages or its index:\n%s", i+1, objects)
		}
		if i == 0 {
			continue
		}
		if _, again := schema(); again != objects {
			t.Fatalf("schema changed on open #%d", i+1)
		}
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open of a schema from the future: %v, want an error saying it is newer", err)
	}
}

// TestOpenBadFile: Open says clearly why it cannot use a file, and leaves the file alone.
func TestOpenBadFile(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	content := bytes.Repeat([]byte("this is a text file, not a database\n"), 200)
	if err := os.WriteFile(notDB, content, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, want string
	}{
		{notDB, "not an SQLite database"},
		{filepath.Join(dir, "no", "such", "dir.db"), "unable to open"},
		{":memory:", "must name a file"},
		{"", "must name a file"},
	} {
		s, err := Open(c.path, Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", c.path)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "sqlite: open "+c.path+":") {
			t.Errorf("Open(%q) = %q, want it to start with the operation and path and say %q", c.path, msg, c.want)
		}
	}
	if got, _ := os.ReadFile(notDB); !bytes.Equal(got, content) {
		t.Error("a failed Open changed the file")
	}
}

// TestDurabilitySettings: the writer runs in WAL mode with synchronous=NORMAL and syncs the
// log itself after each commit (walsync.go; SQLite's FULL did it before), which is what makes
// a returned Append survive power loss; readers cannot write.
func TestDurabilitySettings(t *testing.T) {
	s, _ := openTest(t, Options{})
	ctx := t.Context()
	var mode string
	var sync int
	if err := s.w.conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := s.w.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 1 || s.w.wal == nil {
		t.Errorf("writer: journal_mode %q, synchronous %d, syncs the log itself: %v; want wal, 1 (NORMAL) and true",
			mode, sync, s.w.wal != nil)
	}
	if _, err := s.rdb.ExecContext(ctx, "DELETE FROM messages"); err == nil {
		t.Error("a read connection could write")
	}
}

// TestWALPages: the writer checkpoints after the number of log pages Options.WALPages asks
// for, the default when it is zero, and never past MaxWALPages.
func TestWALPages(t *testing.T) {
	for _, c := range []struct{ ask, want int }{{0, DefaultWALPages}, {100, 100}, {MaxWALPages + 1, MaxWALPages}} {
		s, _ := openTest(t, Options{WALPages: c.ask})
		var pages int
		if err := s.w.conn.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil {
			t.Fatal(err)
		}
		if pages != c.want {
			t.Errorf("WALPages %d: wal_autocheckpoint %d, want %d", c.ask, pages, c.want)
		}
	}
}

// TestOpenOddPath: a path with characters that mean something in a URI is still one file.
func TestOpenOddPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a b?c=d&e#f%20g.db")
	s := openAt(t, path, Options{})
	if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r", From: "u", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left in the directory: %q, want just the database", names)
	}
}

// TestMaxAgeWithClock checks MaxAge against the injected clock (storetest.MaxAgeWithClock).
func TestMaxAgeWithClock(t *testing.T) {
	storetest.MaxAgeWithClock(t, func(t *testing.T, now func() time.Time, ret hubbub.Retention) hubbub.Store {
		s, _ := openTest(t, Options{Now: now, Retention: ret})
		return s
	})
}

// TestCloseTwice: the second Close reports ErrClosed rather than pretending.
func TestCloseTwice(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if _, _, _, err := s.Append(t.Context(), &hubbub.Entry{Room: "r"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}
