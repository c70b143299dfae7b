package templatefile_test

import (
	"os"
	"path/filepath"
	"testing"

	"hubbub/internal/templatefile"
)

// The template is made once, copied to every path that has no file, and leaves a file that
// is there alone.
func TestCopyToMakesOnceAndKeepsAnExistingFile(t *testing.T) {
	made := 0
	tmpl := templatefile.New(func(path string) error {
		made++
		return os.WriteFile(path, []byte("migrated"), 0o600)
	})
	dir := t.TempDir()
	for _, name := range []string{"a.db", "b.db"} {
		tmpl.CopyTo(t, filepath.Join(dir, name))
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != "migrated" {
			t.Fatalf("%s: %q %v", name, b, err)
		}
	}
	kept := filepath.Join(dir, "kept.db")
	if err := os.WriteFile(kept, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl.CopyTo(t, kept)
	if b, _ := os.ReadFile(kept); string(b) != "mine" {
		t.Errorf("an existing file became %q", b)
	}
	if made != 1 {
		t.Errorf("the template was made %d times, want 1", made)
	}
}
