package sqlite

import (
	"log/slog"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind, such as a writer that
// Close did not stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTest opens a store in a fresh file of t's temp dir, closes it when t ends, and returns
// it with the file's path. Logs go to the test's output.
func openTest(t testing.TB, o Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hubbub.db")
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
