//go:build unix

package storetest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time, user and system, the process has spent so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
