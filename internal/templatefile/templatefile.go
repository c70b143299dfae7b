// Package templatefile makes a file once per test binary and copies it wherever a test needs
// one. Tests use it for an empty SQLite store: migrating a new file takes about a second
// under the race detector (modernc's SQLite is Go, instrumented like the rest; 50 ms
// without), hundreds of tests start from an empty store, and a copy of one migrated once
// opens in a quarter of the time.
package templatefile

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Template is a file made once, by create, on first use.
type Template struct {
	create func(path string) error

	once sync.Once
	data []byte
	err  error
}

// New returns a template that create writes at the path it is given (in a temporary folder
// of its own, removed once the file is read).
func New(create func(path string) error) *Template { return &Template{create: create} }

// CopyTo writes the template at path, unless a file is there already (a test that reopens
// its own file keeps it). It fails tb if the template cannot be made or written.
func (t *Template) CopyTo(tb testing.TB, path string) {
	tb.Helper()
	if _, err := os.Lstat(path); err == nil {
		return
	}
	t.once.Do(func() { t.data, t.err = t.build() })
	if t.err != nil {
		tb.Fatalf("templatefile: %v", t.err)
	}
	if err := os.WriteFile(path, t.data, 0o644); err != nil {
		tb.Fatalf("templatefile: %v", err)
	}
}

func (t *Template) build() ([]byte, error) {
	dir, err := os.MkdirTemp("", "hubbub-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template")
	if err := t.create(path); err != nil {
		return nil, fmt.Errorf("making the template: %w", err)
	}
	// Only the file itself is copied: whatever create left beside it (a SQLite log) would be lost.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(entries) != 1 {
		return nil, fmt.Errorf("making the template left %d files, want 1 (closed?)", len(entries))
	}
	return os.ReadFile(path)
}
