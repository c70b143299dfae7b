//go:build unix

package fdlimit

import "syscall"

// Open returns how many file descriptors this process may open: its soft limit, which Go's
// runtime raised to the hard one at start (so it is the most the process can get).
func Open() (uint64, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	return uint64(lim.Cur), true
}
