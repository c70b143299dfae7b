//go:build linux

package netpoll

import (
	"fmt"
	"sync"
	"syscall"
)

// Poller watches file descriptors for readability. The zero value is not usable; call New.
type Poller struct {
	epfd int

	mu       sync.Mutex
	handlers map[int32]func()
	running  bool // the wait loop is running; it stops when nothing is registered
	closed   bool
	stopped  *sync.Cond // signalled when the wait loop ends
}

// waitMillis bounds one epoll_wait, so the wait loop notices within that time that nothing is
// registered any more (and ends) or that the poller was closed.
const waitMillis = 100

// events is how many ready sockets one epoll_wait reports at most.
const events = 256

// New returns a poller. Its wait goroutine runs only while some descriptor is registered.
func New() (*Poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	p := &Poller{epfd: fd, handlers: make(map[int32]func())}
	p.stopped = sync.NewCond(&p.mu)
	return p, nil
}

const interest = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// Add registers fd; onReadable is called in a new goroutine the next time fd is readable (or
// closed by the peer). After that, nothing more is reported for fd until Rearm.
func (p *Poller) Add(fd int, onReadable func()) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	ev := syscall.EpollEvent{Events: interest, Fd: int32(fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("netpoll: epoll_ctl add: %w", err)
	}
	p.handlers[int32(fd)] = onReadable
	if !p.running {
		p.running = true
		go p.wait()
	}
	return nil
}

// Rearm asks for the next readability of fd to be reported. If fd is readable already, it is
// reported at once.
func (p *Poller) Rearm(fd int) error {
	ev := syscall.EpollEvent{Events: interest, Fd: int32(fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, fd, &ev); err != nil {
		return fmt.Errorf("netpoll: epoll_ctl mod: %w", err)
	}
	return nil
}

// Remove stops watching fd. Call it before closing fd: a descriptor number is reused by the
// next socket, and a stale registration must not call the old handler for it.
func (p *Poller) Remove(fd int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.handlers[int32(fd)]; !ok {
		return
	}
	delete(p.handlers, int32(fd))
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
}

// Len reports how many descriptors are registered.
func (p *Poller) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.handlers)
}

// Close stops the poller once its wait loop has ended. Registered descriptors are forgotten,
// not closed.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for p.running {
		p.stopped.Wait()
	}
	clear(p.handlers)
	p.mu.Unlock()
	return syscall.Close(p.epfd)
}

func (p *Poller) wait() {
	var evs [events]syscall.EpollEvent
	for {
		n, err := syscall.EpollWait(p.epfd, evs[:], waitMillis)
		p.mu.Lock()
		if p.closed || len(p.handlers) == 0 {
			p.running = false
			p.stopped.Broadcast()
			p.mu.Unlock()
			return
		}
		if err != nil {
			p.mu.Unlock()
			continue // EINTR
		}
		for i := range n {
			if h := p.handlers[evs[i].Fd]; h != nil {
				go h()
			}
		}
		p.mu.Unlock()
	}
}
