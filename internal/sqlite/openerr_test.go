package sqlite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each reason SQLite reports as "unable to open database file (14)" is named: a missing
// directory, a directory given as the file, a directory the user may not write (issue 14,
// item 4).
func TestOpenSaysWhyTheFileCannotBeOpened(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, path, want string
	}{
		{"missing directory", filepath.Join(dir, "nope", "h.db"), "no such directory " + filepath.Join(dir, "nope")},
		{"a directory", dir, dir + " is a directory"},
		{"a file as the directory", filepath.Join(dir, "file", "h.db"), filepath.Join(dir, "file") + " is not a directory"},
	} {
		if c.name == "a file as the directory" {
			if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s, err := Open(c.path, Options{})
		if err == nil {
			s.Close()
			t.Errorf("%s: opened %s", c.name, c.path)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant it to say %q", c.name, err, c.want)
		}
	}

	// Root may write anywhere: the permission case cannot happen to it (and cannot be tested
	// as root without another user to switch to), so it runs only as an ordinary user.
	if os.Geteuid() == 0 {
		t.Log("running as root: skipping the read-only directory case")
		return
	}
	ro := filepath.Join(dir, "readonly")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	s, err := Open(filepath.Join(ro, "h.db"), Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened a database in a read-only directory")
	}
	if want := "permission denied: cannot create files in directory " + ro; !strings.Contains(err.Error(), want) {
		t.Errorf("read-only directory: %v\nwant it to say %q", err, want)
	}
}
