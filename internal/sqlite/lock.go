package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// InUseError is Open's error, with Options.Lock, for a file whose lock another Store holds.
type InUseError struct {
	Path     string // the database file, as Open was given it
	LockPath string // the lock file: the database file's absolute path + ".lock"
	PID      int    // the process holding the lock, as it wrote it into LockPath; 0 if unknown
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s is in use by another process (%s)", e.Path, e.Holder())
}

// Holder says who holds the lock: its pid when known, and the lock file.
func (e *InUseError) Holder() string {
	if e.PID > 0 {
		return fmt.Sprintf("pid %d, lock %s", e.PID, e.LockPath)
	}
	return "lock " + e.LockPath
}

// lockPath names the lock file of the database at abs. A symbolic link is followed, as SQLite
// follows it to the file it opens, so that two paths to one file share one lock.
func lockPath(abs string) string {
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs + ".lock"
}

// writePID replaces the content of the lock file f with this process's pid, for the error of
// the next Open while f is locked.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID returns the pid written in the lock file f, 0 if there is none (its holder has
// locked it but not written yet).
func readPID(f *os.File) int {
	b, err := io.ReadAll(io.LimitReader(f, 32))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil {
		return 0
	}
	return pid
}

// unlock empties the lock file f, so that it names no pid once no process holds it, and
// closes it, which releases the lock. A nil f (no lock taken) does nothing.
func unlock(f *os.File) error {
	if f == nil {
		return nil
	}
	return errors.Join(f.Truncate(0), f.Close())
}
