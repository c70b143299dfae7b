package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SQLite's primary result codes for a file it cannot open or cannot write.
const (
	sqliteReadOnly = 8  // SQLITE_READONLY
	sqliteCantOpen = 14 // SQLITE_CANTOPEN
)

// explainOpen adds the cause to an error opening the database at path: SQLite says only
// "unable to open database file (14)" whether the directory is missing, not writable, or the
// path names a directory. The cause is found by looking at the file system the way SQLite
// uses it: the file, and the directory where it creates the file and its -wal and -shm
// companions.
func explainOpen(path string, err error) error {
	abs, aerr := filepath.Abs(path)
	if aerr != nil {
		return err
	}
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return err
	}
	if c := coded.Code() & 0xff; c != sqliteCantOpen && c != sqliteReadOnly {
		return err
	}
	if cause := openCause(abs); cause != "" {
		return fmt.Errorf("%s: %w", cause, err)
	}
	return err
}

// openCause says why the database file at abs cannot be opened for writing, or "" when the
// file system shows nothing wrong.
func openCause(abs string) string {
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return fmt.Sprintf("%s is a directory; name the database file, e.g. %s", abs, filepath.Join(abs, "hubbub.db"))
	}
	dir := filepath.Dir(abs)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("no such directory %s; create it (mkdir -p %s) or choose another path", dir, dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("permission denied: cannot reach directory %s", dir)
	case err != nil:
		return err.Error()
	case !fi.IsDir():
		return fmt.Sprintf("%s is not a directory", dir)
	}
	if f, err := os.OpenFile(abs, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if errors.Is(err, fs.ErrPermission) {
		return fmt.Sprintf("permission denied: %s is not writable by this user", abs)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err.Error()
	}
	// SQLite creates the file, and beside it the write-ahead log (-wal) and shared memory
	// (-shm), in the directory: it must be writable even when the file exists.
	probe, err := os.CreateTemp(dir, ".hubbub-write-check-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Sprintf("permission denied: cannot create files in directory %s (SQLite keeps the database and its -wal and -shm files there)", dir)
		}
		return fmt.Sprintf("cannot create files in directory %s: %v", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return ""
}
