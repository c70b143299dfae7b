// Package diskflush makes a file's written data durable (fsync) without holding the Go
// scheduler's processor while the disk works.
//
// An ordinary fsync is a blocking system call, and the goroutine that makes it keeps its
// processor (P): the runtime takes a P back from a system call only when its monitor (sysmon)
// sees the same call on two of its wake-ups, and a monitor that has had nothing to take back
// for a while wakes only every 10 ms, so a 0.5-3 ms fsync keeps the P to its end. With one P
// (a one-CPU machine, or GOMAXPROCS=1) nothing else in the process runs meanwhile. On Linux a
// Flusher instead submits the fsync with the kernel's asynchronous I/O (io_submit,
// IOCB_CMD_FSYNC, done by a kernel worker) and waits for its completion on an eventfd through
// the runtime's poller, like a socket read: the goroutine parks and the P runs others.
// Where that is not available (another system, or a kernel or sandbox refusing io_setup) it
// falls back to a plain fsync, with the same guarantee.
//
// Only on one CPU (one P, or a process pinned to one CPU): with more, a plain fsync is the
// faster wait. The thread that blocks in it leaves the other Ps running everything else, and
// it sees the end of the fsync at once; the asynchronous path hears of it only once the kernel
// worker that runs the fsync has been scheduled and a P has polled the eventfd, which the
// runtime does only when a P runs out of work or its monitor looks (every 10 ms at most).
// Under a saturating load on two CPUs, as at issue 19's fan-out maximum, that added 10-20 ms
// to every append of the SQLite writer, whose syncer syncs one commit after another, so that
// ten senders could not send fast enough to keep the fan-out busy (docs/benchmarks.md,
// "Fan-out"). On one CPU there is no other CPU for the P the blocked thread leaves: it is
// handed over and back at every sync, which cost 1.22× the CPU per delivery at 100 msgs/s ×
// 1,010 members, pinned.
package diskflush

import (
	"os"
	"runtime"
	"sync"
)

// Flusher flushes files to disk. Its methods are safe for concurrent use; flushes run one at
// a time.
type Flusher struct {
	mu    sync.Mutex
	async asyncState // the kernel's asynchronous I/O, when available
}

// New returns a Flusher, using asynchronous I/O where the system offers it.
func New() *Flusher {
	f := &Flusher{}
	f.async = openAsync()
	return f
}

// Async reports whether flushes wait without holding a processor (asynchronous I/O is in
// use, and the process runs on one CPU: see the package's comment) rather than in a
// blocking system call.
func (f *Flusher) Async() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.useAsync()
}

// useAsync reports whether the next flush goes through asynchronous I/O: only when it is
// available and the process runs on one CPU — one P (runtime.GOMAXPROCS, read at each
// flush, since a program may change it) or one CPU to run on (runtime.NumCPU, which counts
// the CPUs of the process's affinity mask at its start: taskset -c 0). The caller holds f.mu.
func (f *Flusher) useAsync() bool {
	return f.async.ok() && (runtime.GOMAXPROCS(0) == 1 || runtime.NumCPU() == 1)
}

// Sync makes what was written to file durable, as file.Sync does (fsync), and returns its
// error. file stays open and owned by the caller.
func (f *Flusher) Sync(file *os.File) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.useAsync() {
		if done, err := f.async.sync(file); done {
			return err
		}
	}
	return file.Sync()
}

// Close releases the asynchronous I/O context; Sync falls back to a blocking fsync after it.
func (f *Flusher) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.async.close()
}
