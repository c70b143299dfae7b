//go:build linux

package diskflush

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// The kernel's asynchronous I/O ABI (linux/aio_abi.h).
const (
	iocbCmdFsync = 2 // IOCB_CMD_FSYNC
	iocbFlagRes  = 1 // IOCB_FLAG_RESFD: signal aio_resfd (an eventfd) on completion

	efdCloexec  = syscall.O_CLOEXEC
	efdNonblock = syscall.O_NONBLOCK
)

// iocb is struct iocb, 64 bytes, little-endian field order (aio_key before aio_rw_flags).
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

// ioEvent is struct io_event.
type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

// asyncState is an AIO context and the eventfd its completions signal. ctx 0: not in use.
type asyncState struct {
	ctx  uintptr  // aio_context_t
	done *os.File // the eventfd, non-blocking, so reads park in the runtime's poller
	efd  int
}

// openAsync sets up a context for one request at a time and its eventfd. Any failure (no
// AIO in this kernel, a sandbox that refuses it) leaves it unused.
func openAsync() asyncState {
	var ctx uintptr
	if _, _, e := syscall.Syscall(syscall.SYS_IO_SETUP, 1, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return asyncState{}
	}
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, efdCloexec|efdNonblock, 0)
	if e != 0 {
		syscall.Syscall(syscall.SYS_IO_DESTROY, ctx, 0, 0)
		return asyncState{}
	}
	// A non-blocking descriptor: os.NewFile hands it to the runtime's poller.
	return asyncState{ctx: ctx, done: os.NewFile(efd, "diskflush-eventfd"), efd: int(efd)}
}

func (a *asyncState) ok() bool { return a.ctx != 0 }

// sync submits an fsync of file and waits for it. done is false when the kernel refused the
// request itself (a file system without asynchronous fsync): the caller then does a plain
// fsync.
func (a *asyncState) sync(file *os.File) (done bool, err error) {
	raw, err := file.SyscallConn()
	if err != nil {
		return false, nil
	}
	cb := iocb{opcode: iocbCmdFsync, flags: iocbFlagRes, resfd: uint32(a.efd)}
	cbs := [1]*iocb{&cb}
	var errno syscall.Errno
	// Control keeps file open while the request is submitted; the kernel holds its own
	// reference to the file from then until the fsync is done.
	if cerr := raw.Control(func(fd uintptr) {
		cb.fildes = uint32(fd)
		// io_submit of an fsync only queues it for a kernel worker: it does not wait.
		_, _, errno = syscall.Syscall(syscall.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
	}); cerr != nil {
		return true, cerr // the file is closed
	}
	if errno != 0 {
		return false, nil // EINVAL: this file's file system has no asynchronous fsync
	}
	// Park until the completion signals the eventfd: the goroutine's processor is free.
	var count [8]byte
	if _, err := io.ReadFull(a.done, count[:]); err != nil {
		// The request is still in flight and its completion would be lost: a broken
		// eventfd is not something to retry through. Reap it blocking, then report.
		a.reap()
		return true, fmt.Errorf("diskflush: waiting for fsync: %w", err)
	}
	return true, a.reap()
}

// reap takes the completed request's event (it is in the ring before the eventfd is
// signalled) and returns its outcome.
func (a *asyncState) reap() error {
	var ev ioEvent
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_IO_GETEVENTS, a.ctx, 1, 1, uintptr(unsafe.Pointer(&ev)), 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("diskflush: io_getevents: %w", e)
		}
		if n != 1 {
			return errors.New("diskflush: io_getevents returned no event")
		}
		break
	}
	if ev.res < 0 {
		return &os.SyscallError{Syscall: "fsync", Err: syscall.Errno(-ev.res)}
	}
	return nil
}

func (a *asyncState) close() error {
	if a.ctx == 0 {
		return nil
	}
	syscall.Syscall(syscall.SYS_IO_DESTROY, a.ctx, 0, 0) // waits for nothing: Sync holds the lock
	a.ctx = 0
	return a.done.Close()
}
