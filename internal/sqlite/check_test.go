package sqlite_test

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
)

// A damaged file is refused at Open with what to do, where it used to open, accept messages
// and fail every read of its damaged part; SkipCheck opens it anyway, and a check that runs out
// of time lets the file open with a warning (issue 14, item 3).
func TestOpenRefusesADamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hubbub.db")
	sqlitetest.Damaged(t, path, "r", 2000)

	s, err := sqlite.Open(path, sqlite.Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened a damaged file")
	}
	if !errors.Is(err, sqlite.ErrDamaged) || !strings.Contains(err.Error(), "quick_check") ||
		!strings.Contains(err.Error(), "backup") || !strings.Contains(err.Error(), ".recover") {
		t.Fatalf("Open of a damaged file: %v\nwant ErrDamaged saying what was found and what to do", err)
	}

	s, err = sqlite.Open(path, sqlite.Options{SkipCheck: true})
	if err != nil {
		t.Fatalf("Open with SkipCheck: %v", err)
	}
	s.Close()

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err = sqlite.Open(path, sqlite.Options{CheckTimeout: time.Nanosecond, Logger: log})
	if err != nil {
		t.Fatalf("Open with a check that cannot finish: %v", err)
	}
	s.Close()
	if !strings.Contains(logs.String(), "integrity check did not finish") {
		t.Errorf("no warning about the unfinished check in the log:\n%s", logs.String())
	}

	// A sound file opens, checked.
	s, err = sqlite.Open(filepath.Join(t.TempDir(), "sound.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
