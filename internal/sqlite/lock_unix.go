//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes the exclusive lock of the database at abs (Options.Lock), given as path, and
// returns the open lock file that holds it until it is closed.
//
// The lock is flock(2) on a sibling file rather than on the database file itself. SQLite
// locks the database with fcntl(2) locks, which belong to the process and are all dropped
// when any descriptor of the file in the process is closed: a descriptor of our own on it
// would drop SQLite's locks when closed, and on the BSDs flock and fcntl locks of one file
// conflict. flock locks belong to the open file, so a second Open in this same process is
// refused as well, and the file is closed on exec (os.OpenFile's O_CLOEXEC), so a child
// process does not keep the lock after the server exits.
func lockFile(path, abs string) (*os.File, error) {
	lp := lockPath(abs)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if cause := openCause(abs); cause != "" { // as explainOpen says it of SQLite's open
			return nil, fmt.Errorf("%s: %w", cause, err)
		}
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		pid := readPID(f)
		f.Close()
		return nil, &InUseError{Path: path, LockPath: lp, PID: pid}
	}
	if err == nil {
		err = writePID(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", lp, err)
	}
	return f, nil
}
