package storetest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time, user and kernel, the process has spent so far.
func processCPU() time.Duration {
	var creation, exit, kernel, user syscall.Filetime
	self, _ := syscall.GetCurrentProcess()
	_ = syscall.GetProcessTimes(self, &creation, &exit, &kernel, &user)
	ticks := func(f syscall.Filetime) time.Duration { // 100 ns each
		return time.Duration(int64(f.HighDateTime)<<32|int64(f.LowDateTime)) * 100
	}
	return ticks(kernel) + ticks(user)
}
