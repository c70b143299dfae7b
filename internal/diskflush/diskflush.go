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
package diskflush

import (
	"os"
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
// use) rather than in a blocking system call.
func (f *Flusher) Async() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.async.ok()
}

// Sync makes what was written to file durable, as file.Sync does (fsync), and returns its
// error. file stays open and owned by the caller.
func (f *Flusher) Sync(file *os.File) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.async.ok() {
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
