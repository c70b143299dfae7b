//go:build unix

package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// canLimitDescriptors says whether a test may start serve in a child process with a lower
// descriptor limit (HUBBUB_TEST_NOFILE).
const canLimitDescriptors = true

// limitDescriptorsForTest lowers this process's descriptor limit, soft and hard, to
// HUBBUB_TEST_NOFILE when it is set: the child serve of a test then sees what a process
// started under `ulimit -n` sees (Go raises the soft limit to the hard one at start, so both
// are lowered).
func limitDescriptorsForTest() error {
	v := os.Getenv("HUBBUB_TEST_NOFILE")
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("HUBBUB_TEST_NOFILE=%q: %w", v, err)
	}
	lim := syscall.Rlimit{Cur: n, Max: n}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("HUBBUB_TEST_NOFILE=%d: setrlimit: %w", n, err)
	}
	return nil
}
