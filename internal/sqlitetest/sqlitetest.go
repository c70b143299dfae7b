// Package sqlitetest makes SQLite files for tests of what hubbub does with them: an empty
// store (Fresh), and a damaged one, as a disk or a careless copy leaves one.
package sqlitetest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"

	"hubbub"
	"hubbub/internal/sqlite"
	"hubbub/internal/templatefile"
)

// emptyStore is a store with every migration applied and nothing in it, made once per test
// binary.
var emptyStore = templatefile.New(func(path string) error {
	s, err := sqlite.Open(path, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	return s.Close()
})

// Fresh makes path an empty store with every migration applied, as sqlite.Open makes a new
// file, unless a file is there already: a copy of one migrated once per test binary, since
// migrating takes about a second under the race detector and hundreds of tests start a
// server on a new file. Tests of migrations themselves open new files without it.
func Fresh(tb testing.TB, path string) {
	tb.Helper()
	emptyStore.CopyTo(tb, path)
}

// Damaged writes n messages to room in a new SQLite store at path, closes it, and overwrites
// with garbage the pages of the messages table that hold the middle third of the history (as
// the fault injection of issue 14 damaged the middle of a file of 2,000 messages). The pages
// are found by SQLite's dbstat table, in key order, so that the damage hits the history
// whatever else the schema keeps in the file beside it. The newest messages and the room's
// last seq stay readable; the middle of the history does not.
func Damaged(t testing.TB, path, room string, n int) {
	t.Helper()
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Appenders in parallel share commits (one fsync for many): 2,000 appends one by one take
	// seconds.
	ctx := context.Background()
	const appenders = 50
	errs := make(chan error, appenders)
	for w := range appenders {
		go func() {
			for i := w; i < n; i += appenders {
				if _, _, _, err := s.Append(ctx, &hubbub.Entry{Room: room, From: "writer", Text: fmt.Sprintf("m%d", i)}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range appenders {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil { // the last connection copies the log into the file
		t.Fatal(err)
	}
	pageSize, pages := historyPages(t, path)
	if len(pages) < 3 {
		t.Fatalf("the history of %d messages fills %d pages: too few to damage its middle", n, len(pages))
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	garbage := make([]byte, pageSize)
	for i := range garbage {
		garbage[i] = byte(i*7 + 13)
	}
	for _, pg := range pages[len(pages)/3 : 2*len(pages)/3] {
		if _, err := f.WriteAt(garbage, (pg-1)*pageSize); err != nil {
			t.Fatal(err)
		}
	}
}

// historyPages returns the page size of the file at path and the numbers of the leaf pages of
// its messages table, in the order of their keys (a room's seqs).
func historyPages(t testing.TB, path string) (int64, []int64) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pageSize int64
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf' ORDER BY path`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pages []int64
	for rows.Next() {
		var pg int64
		if err := rows.Scan(&pg); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, pg)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pageSize, pages
}
