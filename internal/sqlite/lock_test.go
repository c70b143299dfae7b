//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hubbub"
)

// A second Store with Options.Lock on a file is refused while the first is open, naming the
// holder's pid; a Store without Lock opens and writes the file meanwhile; once the first is
// closed the lock is free for the next one.
func TestLockRefusesASecondLockingStore(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir()) // the lock file is named by the real path
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "h.db")
	first := openAt(t, path, Options{Lock: true})

	_, err = Open(path, Options{Lock: true})
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("second Open with Lock: %v, want an *InUseError", err)
	}
	if inUse.PID != os.Getpid() || inUse.LockPath != path+".lock" || inUse.Path != path {
		t.Errorf("in use: %+v, want pid %d and lock %s.lock", inUse, os.Getpid(), path)
	}

	tool := openAt(t, path, Options{SkipCheck: true}) // as `hubbub user add` beside the server
	if _, _, _, err := tool.Append(context.Background(), &hubbub.Entry{Room: "r", From: "ann", Text: "hi"}); err != nil {
		t.Fatalf("Append without Lock beside the locked Store: %v", err)
	}
	if err := tool.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{Lock: true}); !errors.As(err, &inUse) {
		t.Fatalf("Open with Lock after the unlocked Store closed: %v, want still in use", err)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path + ".lock"); err != nil || len(b) != 0 {
		t.Errorf("lock file after Close: %q, %v; want empty", b, err)
	}
	next := openAt(t, path, Options{Lock: true})
	if seq, err := next.LastSeq(context.Background(), "r"); err != nil || seq != 1 {
		t.Fatalf("LastSeq after reopening: %d, %v", seq, err)
	}
}

// Open with Lock in a directory that does not exist says so, as Open without it does.
func TestLockInMissingDirectorySaysWhy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "h.db")
	_, err := Open(path, Options{Lock: true})
	if err == nil || !strings.Contains(err.Error(), "no such directory") {
		t.Fatalf("Open: %v, want no such directory", err)
	}
}
