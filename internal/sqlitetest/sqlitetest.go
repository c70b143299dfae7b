// Package sqlitetest makes SQLite files for tests of what hubbub does with them: a damaged
// database, as a disk or a careless copy leaves one.
package sqlitetest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"hubbub"
	"hubbub/internal/sqlite"
)

// Damaged writes n messages to room in a new SQLite store at path,
// closes it, and overwrites DamageSize bytes in the middle of the file with garbage, as in
// the fault injection of issue 14 (64 KiB in the middle of a file of 2,000 messages). The
// newest messages and the room's last seq stay readable; the middle of the history does not.
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
				if _, _, err := s.Append(ctx, hubbub.Entry{Room: room, From: "writer", Text: fmt.Sprintf("m%d", i)}); err != nil {
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
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, DamageSize)
	for i := range garbage {
		garbage[i] = byte(i*7 + 13)
	}
	if _, err := f.WriteAt(garbage, fi.Size()/2-DamageSize/2); err != nil {
		t.Fatal(err)
	}
}

// DamageSize is how many bytes Damaged overwrites.
const DamageSize = 64 << 10
