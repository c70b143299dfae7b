//go:build linux

package netpoll

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Poller watches file descriptors for readability. The zero value is not usable; call New.
type Poller struct {
	epfd int
	// file is epfd as seen by Go's own poller: the wait loop parks in the runtime until the
	// epoll set has something ready, instead of blocking a thread in epoll_wait (which the
	// scheduler's monitor kept taking the thread's P back from, waking itself every 20 µs).
	file *os.File
	raw  syscall.RawConn

	mu       sync.Mutex
	handlers map[int32]registered
	nextGen  int32
	running  bool // the wait loop is running; it stops when nothing is registered
	closed   bool
	done     chan struct{} // closed by Close (Done)
	stopped  *sync.Cond    // signalled when the wait loop ends

	// The reader goroutines that finished a handler and wait for the next one (reader):
	// handing a handler to one of them, rather than starting a goroutine, keeps the
	// stack it grew. idle carries the handlers (nil: end); idleN counts the goroutines
	// waiting on it that no send has yet been meant for, so idleN+len(idle) is every reader
	// committed to a receive: reader keeps that at most maxIdle, idle's capacity, and a send
	// (only while idleN > 0) never blocks. idleLow is the fewest idleN since the wait loop
	// last trimmed them: that many were not needed.
	idle    chan func()
	idleN   int
	idleLow int
	maxIdle int
	goHeld  int // readers running a function of Go's: at most half of maxIdle (Go)
}

// registered is one registration of a descriptor. Its generation travels in the epoll event,
// so that an event or a Rearm left over from a socket that was closed cannot reach the next
// socket given the same descriptor number.
type registered struct {
	gen     int32
	handler func()
}

// Registration is one descriptor registered with a Poller, from Add until Remove.
type Registration struct {
	p   *Poller
	fd  int
	gen int32
}

// waitMillis bounds one epoll_wait, so the wait loop notices within that time that nothing is
// registered any more (and ends) or that the poller was closed.
const waitMillis = 100

// events is how many ready sockets one epoll_wait reports at most.
const events = 256

// New returns a poller. Its wait goroutine runs only while some descriptor is registered.
func New(idleReaders int) (*Poller, error) {
	if idleReaders < 0 || idleReaders > MaxIdleReaders {
		return nil, fmt.Errorf("netpoll: %d idle readers: want 0 to %d", idleReaders, MaxIdleReaders)
	}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	// Non-blocking, so that os.NewFile hands it to the runtime poller (an epoll set is itself
	// pollable: readable while it has ready descriptors).
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("netpoll: epoll set non-blocking: %w", err)
	}
	file := os.NewFile(uintptr(fd), "netpoll")
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("netpoll: %w", err)
	}
	p := &Poller{epfd: fd, file: file, raw: raw, handlers: make(map[int32]registered),
		maxIdle: idleReaders, idle: make(chan func(), idleReaders), done: make(chan struct{})}
	p.stopped = sync.NewCond(&p.mu)
	return p, nil
}

const interest = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// Add registers fd; onReadable is called in a goroutine of its own the next time fd is
// readable (or closed by the peer). After that, nothing more is reported for fd until Rearm.
func (p *Poller) Add(fd int, onReadable func()) (*Registration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	p.nextGen++
	r := &Registration{p: p, fd: fd, gen: p.nextGen}
	ev := syscall.EpollEvent{Events: interest, Fd: int32(fd), Pad: r.gen}
	// A raw call, as Rearm's: epoll_ctl never blocks, and syscall.EpollCtl's bookkeeping for
	// a call that might wakes the runtime's monitor from its sleep (every connection is added).
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(p.epfd), syscall.EPOLL_CTL_ADD,
		uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0); errno != 0 {
		return nil, fmt.Errorf("netpoll: epoll_ctl add: %w", errno)
	}
	p.handlers[int32(fd)] = registered{gen: r.gen, handler: onReadable}
	if !p.running {
		p.running = true
		go p.wait()
	}
	return r, nil
}

// current reports whether r is still the registration of its descriptor. Called with mu held.
func (r *Registration) current() bool {
	h, ok := r.p.handlers[int32(r.fd)]
	return ok && h.gen == r.gen
}

// Rearm asks for the next readability of the descriptor to be reported. If it is readable
// already, it is reported at once. After Remove it does nothing and returns ErrClosed.
func (r *Registration) Rearm() error {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !r.current() {
		return ErrClosed
	}
	ev := syscall.EpollEvent{Events: interest, Fd: int32(r.fd), Pad: r.gen}
	// A raw call: epoll_ctl never blocks, and a reader rearms after every message it reads.
	_, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(p.epfd), syscall.EPOLL_CTL_MOD,
		uintptr(r.fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	if errno != 0 {
		return fmt.Errorf("netpoll: epoll_ctl mod: %w", errno)
	}
	return nil
}

// Rebind makes onReadable the registration's handler from now on and asks for the next
// readability, as Rearm: a socket registered while its owner waited for its first bytes (the
// server's listener, for a request head) is handed on to its connection without leaving the
// epoll set and joining it again. After Remove it does nothing and returns ErrClosed.
func (r *Registration) Rebind(onReadable func()) error {
	p := r.p
	p.mu.Lock()
	if !r.current() {
		p.mu.Unlock()
		return ErrClosed
	}
	p.handlers[int32(r.fd)] = registered{gen: r.gen, handler: onReadable}
	p.mu.Unlock()
	return r.Rearm()
}

// Remove stops watching the descriptor. Call it before closing the descriptor.
func (r *Registration) Remove() {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !r.current() {
		return
	}
	delete(p.handlers, int32(r.fd))
	// raw, as Add's
	_, _, _ = syscall.RawSyscall6(syscall.SYS_EPOLL_CTL, uintptr(p.epfd), syscall.EPOLL_CTL_DEL, uintptr(r.fd), 0, 0, 0)
}

// Len reports how many descriptors are registered.
func (p *Poller) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.handlers)
}

// Close stops the poller once its wait loop has ended. Registered descriptors are forgotten,
// not closed, and no handler is dispatched after Close: Done tells whoever waits for one.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	_ = p.file.SetReadDeadline(time.Unix(1, 0)) // wake a parked wait loop now, not within waitMillis
	for p.running {
		p.stopped.Wait()
	}
	clear(p.handlers)
	p.mu.Unlock()
	return p.file.Close()
}

// Done is closed when Close is called: from then on no handler is called, so a goroutine
// waiting for one (a read of a socket the poller watched) must stop waiting and read the
// socket some other way.
func (p *Poller) Done() <-chan struct{} { return p.done }

// wait takes ready descriptors from the epoll set and calls their handlers, until nothing is
// registered or the poller is closed. It does not block a thread in epoll_wait: it asks with
// a zero timeout and, when nothing is ready, parks in the runtime's poller until the set is
// readable or a deadline (waitMillis, set again each time it passes) says to look whether it should
// end. Should the runtime's poller refuse the set, it falls back to a blocking epoll_wait.
// The deadline also bounds what a lost wake-up of the nested epoll set (older kernels had such
// bugs) could cost: a delay of waitMillis, never a socket left unread.
func (p *Poller) wait() {
	var evs [events]syscall.EpollEvent
	var n int
	var errno syscall.Errno
	poll := func(fd uintptr) bool {
		r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&evs[0])), events, 0, 0, 0)
		n, errno = int(r), e
		return e != 0 || n > 0 // false: nothing is ready, so park until the set is readable
	}
	// The deadline is set anew only once it has passed, not pushed later as the loop goes: a
	// deadline is a timer in the runtime's heap, and moving one that is waiting there marks it
	// modified, which has the scheduler look through every timer in the heap (each
	// connection's heartbeat) when it comes due. One that has fired has left the heap.
	var deadline, trimmed time.Time
	for {
		if now := time.Now(); !now.Before(deadline) {
			deadline = now.Add(waitMillis * time.Millisecond)
			p.mu.Lock()
			if !p.closed { // else Close's deadline in the past must stand
				_ = p.file.SetReadDeadline(deadline)
			}
			if !now.Before(trimmed.Add(idleTrim)) {
				trimmed = now
				p.trimIdle()
			}
			p.mu.Unlock()
		}
		n, errno = 0, 0
		if err := p.raw.Read(poll); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			var e error
			n, e = syscall.EpollWait(p.epfd, evs[:], waitMillis)
			errno, _ = e.(syscall.Errno)
		}
		p.mu.Lock()
		if p.closed || len(p.handlers) == 0 {
			p.running = false
			p.endIdle()
			p.stopped.Broadcast()
			p.mu.Unlock()
			return
		}
		if errno != 0 {
			n = 0 // EINTR
		}
		for i := range n {
			if h, ok := p.handlers[evs[i].Fd]; ok && h.gen == evs[i].Pad {
				p.dispatch(h.handler)
			}
		}
		p.mu.Unlock()
	}
}

// Go runs f in a reader goroutine waiting for a handler, or in a new one that waits for the
// next handler once f returns, as a handler's goroutine does. The server's WebSocket
// listener reads each request head this way: a new goroutine per connection grew its stack
// through the request's parse every time (2.5 % of a connect + join's CPU in copystack,
// docs/benchmarks/connect.md), where a reader keeps the stack it grew. f may block: a
// request head sent a byte at a time holds its reader up to the handshake timeout, so at most
// half of the readers kept may run Go's functions at once, and the others stay for the
// readable sockets; past that f gets a goroutine of its own, as before Go.
func (p *Poller) Go(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.goHeld >= p.maxIdle/2 {
		go f()
		return
	}
	p.goHeld++
	p.dispatch(func() {
		defer func() {
			p.mu.Lock()
			p.goHeld--
			p.mu.Unlock()
		}()
		f()
	})
}

// dispatch runs handler in a reader goroutine waiting for one, or in a new one. Called by the
// wait loop (and Go) with mu held.
func (p *Poller) dispatch(handler func()) {
	if p.idleN > 0 {
		p.idleN--
		p.idleLow = min(p.idleLow, p.idleN)
		p.idle <- handler // room for every waiting reader (reader's bound): never blocks
		return
	}
	p.idleLow = 0
	go p.reader(handler)
}

// reader runs handler, then, while the wait loop runs and fewer than maxIdle readers wait,
// waits for the next handler the loop dispatches, until it is handed nil. The readers waiting
// are idleN plus the handlers sent to idle but not yet taken (dispatch counts a reader out
// when it sends, not when the reader receives): counting idleN alone let more than maxIdle
// wait, and dispatch then block on a full channel with mu held.
func (p *Poller) reader(handler func()) {
	for handler != nil {
		handler()
		p.mu.Lock()
		if !p.running || p.idleN+len(p.idle) >= p.maxIdle {
			p.mu.Unlock()
			return
		}
		p.idleN++
		p.mu.Unlock()
		handler = <-p.idle
	}
}

// idleTrim is how often the wait loop ends the waiting readers it did not need. Longer than
// the time between two bursts of readers (one fsync of the log to the next: a few hundred ms
// under issue 19's load), or the readers a burst returns are gone before the next needs them
// (with 100 ms, more were ended than handed a handler).
const idleTrim = time.Second

// trimIdle ends as many waiting readers as never had to be handed a handler since the last
// trim (about idleTrim ago), so that a server whose load has stopped keeps none, and one
// whose readers come back in bursts (after each fsync) keeps what a burst needs. Called by
// the wait loop with mu held.
func (p *Poller) trimIdle() {
	for extra := min(p.idleN, p.idleLow); extra > 0; extra-- {
		p.idleN--
		p.idle <- nil
	}
	p.idleLow = p.idleN
}

// endIdle ends every waiting reader: the wait loop is ending, and a reader whose handler
// returns from now on ends too (running is false). Called with mu held.
func (p *Poller) endIdle() {
	for ; p.idleN > 0; p.idleN-- {
		p.idle <- nil
	}
	p.idleLow = 0
}
