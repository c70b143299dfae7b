package sqlite

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"hubbub/internal/templatefile"
)

// TestMain fails the package if any test leaves a goroutine behind, such as a writer that
// Close did not stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// emptyStore is a store with every migration applied and nothing in it: openTest copies it
// rather than migrate each new file (a second each under the race detector). The tests of
// migrations open files of their own.
var emptyStore = templatefile.New(func(path string) error {
	s, err := Open(path, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	return s.Close()
})

// openTest opens a store in a fresh file of t's temp dir (a copy of emptyStore), closes it
// when t ends, and returns it with the file's path. Logs go to the test's output.
func openTest(t testing.TB, o Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hubbub.db")
	emptyStore.CopyTo(t, path)
	return openAt(t, path, o), path
}

// openAt opens the store at path and closes it when t ends.
func openAt(t testing.TB, path string, o Options) *Store {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := Open(path, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() }) // may be the second Close
	return s
}
