//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package sqlite

import "os"

// lockFile takes no lock outside the Unix systems with flock(2): Options.Lock does nothing
// there, and a second server on one file is not refused.
func lockFile(path, abs string) (*os.File, error) { return nil, nil }
