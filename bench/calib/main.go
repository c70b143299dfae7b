//go:build linux

// Command calib measures how fast the CPU it runs on is right now: the CPU time (not the
// wall time) of two fixed workloads, hashing (sha256 of 16 KiB, compute-bound) and a chase
// of dependent loads through 32 MiB (memory-bound). bench/compare.sh runs it on CPU 0 and
// CPU 1 before each server's run, so that a slow run can be told from a slow machine: the
// connect + join ratio swung 0.39–0.96× for the same code within half an hour, with both of
// hubbub's processes spending ~40 % more CPU on the same work in the slow runs
// (docs/benchmarks/connect.md), and a ratio of two runs taken a minute apart cannot say
// whether the CPUs were as fast for both.
//
// Usage: taskset -c N calib — prints one line, "sha256 µs/16KiB chase ns/load". Linux only, as
// compare.sh and taskset are.
package main

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// Sizes of the two workloads: each takes ~20-40 ms of CPU here.
const (
	hashes     = 2000
	hashBytes  = 16 << 10
	chaseSlots = 8 << 20 // int32s: 32 MiB, past the caches
	chaseLoads = 2 << 20
)

// threadCPU is the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID, to the nanosecond;
// getrusage counts in scheduler ticks, 4 ms here, which a 20 ms workload cannot resolve): the
// workloads run on one locked thread, so time the scheduler gives other processes on the same
// CPU is not counted.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		fmt.Fprintln(os.Stderr, "calib: clock_gettime:", errno)
		os.Exit(1)
	}
	return time.Duration(ts.Nano())
}

func main() {
	runtime.LockOSThread()
	buf := make([]byte, hashBytes)
	// one cycle through every slot in a random order, so that each load depends on the last
	next := make([]int32, chaseSlots)
	perm := rand.New(rand.NewPCG(1, 2)).Perm(chaseSlots)
	for i, p := range perm {
		next[p] = int32(perm[(i+1)%chaseSlots])
	}
	c0 := threadCPU()
	for range hashes {
		sha256.Sum256(buf)
	}
	c1 := threadCPU()
	p := int32(0)
	for range chaseLoads {
		p = next[p]
	}
	c2 := threadCPU()
	runtime.KeepAlive(p)
	fmt.Printf("sha256 %.1f µs/16KiB chase %.1f ns/load\n",
		float64((c1-c0).Nanoseconds())/hashes/1e3, float64((c2-c1).Nanoseconds())/chaseLoads)
}
