//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"hubbub/internal/netpoll"
)

// The WebSocket listener's own accept (issue 19, connect + join). net's Accept makes every
// socket a netFD: a getsockname, a registration with the runtime's poller (and its removal at
// close), a finalizer, setsockopt calls — 5–10 % of a connect + join's server CPU
// (docs/benchmarks/connect.md) for a socket that, once upgraded, the polled transport reads
// through its own epoll set anyway. So the listener takes sockets with accept4 on the
// listening descriptor (rawAccept) and gives each to the rest of the server as a rawSocket: a
// net.Conn whose reads and writes are plain non-blocking system calls while they do not have
// to wait. A read that has to wait (a request head not there yet, a connection of net/http's
// kept alive) waits in the transport's poller (waitReadable), where the socket then stays
// registered for the polled transport to take over (transport.PollRegistered,
// netpoll.Registration.Rebind) instead of joining the epoll set a second time. A write that
// has to wait (a client that reads slowly) makes the socket a net.Conn of net's own (conn), on
// a duplicate of the descriptor, which waits with the deadlines set. The common path of an
// upgrade — request there at once, 101 and welcome written at once — pays for neither: the
// socket joins an epoll set once, the polled transport's. The socket options net sets on each accepted socket come from the listening
// socket instead, which Linux copies to every socket it accepts: TCP_NODELAY set here
// (rawListener), keep-alive probes set by hubbub serve's listen when --tcp-keepalive asks
// for them (and kept when a socket becomes net's connection, whose FileConn turns them on).

// rawListener returns the listening socket of ln for rawAccept, with TCP_NODELAY set for the
// sockets it will accept, or nil when ln is not a TCP listener that gives its socket (the
// listener then accepts with ln.Accept): a *net.TCPListener, or one wrapping it that does
// (hubbub serve's socket passed by a launcher, whose Accept sets the keep-alive probes net's
// would not). It is a duplicate of ln's descriptor as an os.File, whose
// RawConn waits for readability in the runtime's poller (a net listener's RawConn does not
// wait: its Read is EINVAL); closing it (after ln) closes the listening socket.
func rawListener(ln net.Listener) (*os.File, syscall.RawConn) {
	sc, ok := ln.(syscall.Conn)
	if _, tcp := ln.Addr().(*net.TCPAddr); !ok || !tcp {
		return nil, nil
	}
	lc, err := sc.SyscallConn()
	if err != nil {
		return nil, nil
	}
	nfd := -1
	var serr error
	if err := lc.Control(func(fd uintptr) {
		if serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); serr == nil {
			nfd, serr = dupCloexec(int(fd))
		}
	}); err != nil || serr != nil {
		return nil, nil
	}
	f := os.NewFile(uintptr(nfd), "listener") // non-blocking, as ln's: in the runtime's poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil
	}
	return f, rc
}

// deferAccepts sets TCP_DEFER_ACCEPT on the listening socket rc (rawListener) for d, rounded
// up to whole seconds, and reports whether it is set: the kernel then hands over a
// connection only once its first bytes have come, or after d if none have (wsaccept.go's
// requestThere says why). A d of 0 or less clears it: a socket passed by systemd outlives
// the process, and keeps what the process before set on it.
func deferAccepts(rc syscall.RawConn, d time.Duration) bool {
	secs := int((max(d, 0) + time.Second - 1) / time.Second)
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, secs)
	}); err != nil || serr != nil {
		return false
	}
	return secs > 0
}

// rawAccept accepts the next connection on the listening socket rc (rawListener), waiting for
// one in the runtime's poller as net's Accept does; errors are net's (a closed listener's is
// net.ErrClosed, a full descriptor table's is temporary).
func rawAccept(rc syscall.RawConn, addr net.Addr, poller *netpoll.Poller) (net.Conn, error) {
	return newRawAcceptor(rc, addr, poller).accept()
}

// rawAcceptFunc returns rawAccept on rc for a caller that accepts from one goroutine at a
// time (the WebSocket listener's accept loop): its calls allocate only the socket.
func rawAcceptFunc(rc syscall.RawConn, addr net.Addr, poller *netpoll.Poller) func() (net.Conn, error) {
	return newRawAcceptor(rc, addr, poller).accept
}

// rawAcceptor is rawAccept's state, made once for all the accepts of one goroutine: the
// function rc.Read calls, and what it leaves for accept. Made for each accept, the closure
// and the variables it wrote were four allocations of every connection
// (docs/benchmarks/reconnect-storm.md, "The upgrade's request read").
type rawAcceptor struct {
	rc     syscall.RawConn
	addr   net.Addr
	poller *netpoll.Poller
	try    func(fd uintptr) bool // tryAccept, as a func once
	nfd    int
	rsa    syscall.RawSockaddrAny
	err    error
}

func newRawAcceptor(rc syscall.RawConn, addr net.Addr, poller *netpoll.Poller) *rawAcceptor {
	a := &rawAcceptor{rc: rc, addr: addr, poller: poller}
	a.try = a.tryAccept
	return a
}

// tryAccept is rc.Read's function: accept4 until it has a connection or an error (true), or
// none has come (false: wait until the socket is readable).
func (a *rawAcceptor) tryAccept(fd uintptr) bool {
	for {
		a.nfd, a.err = accept4(int(fd), &a.rsa)
		switch a.err {
		case syscall.EINTR, syscall.ECONNABORTED: // as net's accept: the next one
			continue
		case syscall.EAGAIN:
			return false
		}
		return true
	}
}

// accept is rawAccept.
func (a *rawAcceptor) accept() (net.Conn, error) {
	err := a.rc.Read(a.try)
	if err != nil {
		err = net.ErrClosed // the file's only error: closed, as the listener is
	} else if a.err != nil {
		err = os.NewSyscallError("accept4", a.err)
	}
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: a.addr, Err: err}
	}
	s := &rawSocket{fd: a.nfd, poller: a.poller}
	s.setRemote(&a.rsa)
	return s, nil
}

func zoneName(id uint32) string {
	if id == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		return ifi.Name
	}
	return ""
}

// rawSocket is an accepted TCP socket (see above). Its descriptor is closed once it is closed
// and no system call is using it (refs), so that a call never reaches another socket given the
// same number.
type rawSocket struct {
	fd int
	// remoteAddr is the client's address (setRemote), its IP in remoteIP
	remoteAddr net.TCPAddr
	remoteIP   [16]byte

	// state counts the calls using fd; closedBit is set once Close was called.
	state atomic.Int64

	// poller is the polled transport's: a read that has to wait waits there (waitReadable).
	// Without one, the socket becomes net's connection (conv).
	poller *netpoll.Poller

	mu       sync.Mutex
	conv     net.Conn  // net's connection on a duplicate of fd, once a call had to wait
	rdl, wdl time.Time // the deadlines, applied to conv when it is made
	// reg is the socket's registration with poller, from the first read that waited until
	// the polled transport takes it (TakeRegistration) or the socket closes.
	reg     *netpoll.Registration
	wake    chan struct{} // signalled when readable, closed, or given a new deadline
	waiting bool          // a read waits on wake
	watcher func()        // called once at the next readability (watchReadable)
	local   net.Addr
}

const closedBit = 1 << 62

// acquire takes a reference to fd, false once the socket is closed.
func (s *rawSocket) acquire() bool {
	for {
		v := s.state.Load()
		if v&closedBit != 0 {
			return false
		}
		if s.state.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// release gives a reference back, closing fd if it was the last of a closed socket.
func (s *rawSocket) release() {
	if s.state.Add(-1) == closedBit {
		_ = syscall.Close(s.fd)
	}
}

// converted returns conv if it has been made.
func (s *rawSocket) converted() net.Conn {
	s.mu.Lock()
	c := s.conv
	s.mu.Unlock()
	return c
}

// conn returns the socket as net's connection, making it the first time, with the deadlines
// set so far.
func (s *rawSocket) conn() (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conv != nil {
		return s.conv, nil
	}
	if !s.acquire() {
		return nil, s.opError("read", net.ErrClosed)
	}
	ka, kaErr := keepAliveOf(s.fd)
	nfd, err := dupCloexec(s.fd)
	s.release()
	if err != nil {
		return nil, s.opError("dup", err)
	}
	f := os.NewFile(uintptr(nfd), "tcp")
	c, err := net.FileConn(f) // its own duplicate
	f.Close()
	if err != nil {
		return nil, s.opError("dup", err)
	}
	if kaErr == nil {
		// FileConn turned keep-alive on with net's defaults; the socket keeps the listener's.
		if rc, err := c.(*net.TCPConn).SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { setKeepAlive(int(fd), ka) })
		}
	}
	if !s.rdl.IsZero() {
		_ = c.SetReadDeadline(s.rdl)
	}
	if !s.wdl.IsZero() {
		_ = c.SetWriteDeadline(s.wdl)
	}
	s.conv = c
	return c, nil
}

// keepAliveOpts are the socket options of TCP keep-alive, as keepAliveOf reads them.
var keepAliveOpts = [4][2]int{
	{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
	{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE},
	{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL},
	{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT},
}

// keepAliveOf reads the socket's keep-alive settings (keepAliveOpts), for setKeepAlive.
func keepAliveOf(fd int) (v [4]int, err error) {
	for i, o := range keepAliveOpts {
		if v[i], err = syscall.GetsockoptInt(fd, o[0], o[1]); err != nil {
			return v, err
		}
	}
	return v, nil
}

// setKeepAlive sets the keep-alive settings keepAliveOf read.
func setKeepAlive(fd int, v [4]int) {
	for i, o := range keepAliveOpts {
		_ = syscall.SetsockoptInt(fd, o[0], o[1], v[i])
	}
}

func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, os.NewSyscallError("fcntl", errno)
	}
	return int(r), nil
}

func (s *rawSocket) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Addr: &s.remoteAddr, Err: err}
}

// Read reads what the socket has; if it has nothing yet, it waits in the poller, within the
// read deadline, as net's connection would.
func (s *rawSocket) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if c := s.converted(); c != nil {
			return c.Read(b)
		}
		n, again, err := s.readNow(b)
		if !again {
			return n, err
		}
		if s.poller == nil {
			c, err := s.conn()
			if err != nil {
				return 0, err
			}
			return c.Read(b)
		}
		switch err := s.waitReadable(); {
		case errors.Is(err, errPollerClosed):
			// The server shut its poller down while this socket still has a reader (an
			// upload whose client is slow): net's connection reads it from here on, so that
			// the client's bytes, or its close, still reach the reader.
			c, err := s.conn()
			if err != nil {
				return 0, err
			}
			return c.Read(b)
		case err != nil:
			return 0, err
		}
	}
}

// readNow reads what the socket has now, without waiting; again says it has nothing yet.
func (s *rawSocket) readNow(b []byte) (n int, again bool, err error) {
	if !s.acquire() {
		return 0, false, s.opError("read", net.ErrClosed)
	}
	n, errno := rawRead(s.fd, b)
	s.release()
	switch {
	case errno == 0 && n == 0:
		return 0, false, io.EOF
	case errno == 0:
		return n, false, nil
	case errno == syscall.EAGAIN:
		return 0, true, nil
	}
	return 0, false, s.opError("read", os.NewSyscallError("read", errno))
}

// firstIfThere reads the socket's first bytes into a handshake buffer from pool if they have
// come already; there is false, and no buffer is held, if nothing has come yet (nor has the
// client closed). It never waits.
func (s *rawSocket) firstIfThere(pool bufferPool) (buf *[handshakeBuffer]byte, n int, err error, there bool) {
	buf = pool.Get().(*[handshakeBuffer]byte)
	n, again, err := s.readNow(buf[:])
	if again {
		pool.Put(buf)
		return nil, 0, nil, false
	}
	return buf, n, err, true
}

// readFirst reads the socket's first bytes as Read does, into a handshake buffer from pool,
// but waits for them holding none (wsaccept.go's firstRead says why).
func (s *rawSocket) readFirst(pool bufferPool) (*[handshakeBuffer]byte, int, error) {
	for {
		buf := pool.Get().(*[handshakeBuffer]byte)
		if s.converted() != nil || s.poller == nil {
			n, err := s.Read(buf[:])
			return buf, n, err
		}
		n, again, err := s.readNow(buf[:])
		if !again {
			return buf, n, err
		}
		pool.Put(buf)
		if err := s.waitReadable(); err != nil {
			// Read says what ended the wait (the deadline, a close, the poller's close).
			buf = pool.Get().(*[handshakeBuffer]byte)
			n, err := s.Read(buf[:])
			return buf, n, err
		}
	}
}

// errPollerClosed is waitReadable's answer once the poller is closed: it will call no
// handler again, so nothing would end the wait but the deadline.
var errPollerClosed = errors.New("the poller is closed")

// waitReadable waits until the socket is readable (or closed by its client), the read
// deadline passes, the deadline is set anew, or the socket is closed; the caller reads again
// and finds which. Once the poller is closed it says so (errPollerClosed). The socket joins
// the poller's set at its first wait and stays there, disarmed, for the polled transport to
// take over (TakeRegistration) once it is upgraded: a second wait rearms it. The wait holds a reference to the descriptor, so that a close
// meanwhile leaves it open until the registration is removed (its number may then be another
// socket's, registered there too).
func (s *rawSocket) waitReadable() error {
	s.mu.Lock()
	dl := s.rdl
	if !dl.IsZero() && !time.Now().Before(dl) {
		s.mu.Unlock()
		return s.opError("read", os.ErrDeadlineExceeded)
	}
	if !s.acquire() {
		s.mu.Unlock()
		return s.opError("read", net.ErrClosed)
	}
	defer s.release()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	wake := s.wake
	var err error
	if s.reg == nil {
		s.reg, err = s.poller.Add(s.fd, s.readable)
	} else {
		err = s.reg.Rearm()
	}
	s.waiting = err == nil
	s.mu.Unlock()
	if errors.Is(err, netpoll.ErrClosed) {
		return errPollerClosed
	}
	if err != nil {
		return s.opError("read", err)
	}
	var expired <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		expired = t.C
	}
	var pollerClosed bool
	select {
	case <-wake:
	case <-expired:
	case <-s.poller.Done():
		pollerClosed = true
	}
	s.mu.Lock()
	s.waiting = false
	if s.state.Load()&closedBit != 0 && s.reg != nil {
		s.reg.Remove() // closed while waiting: before the descriptor, with this reference
		s.reg = nil
	}
	s.mu.Unlock()
	if pollerClosed {
		return errPollerClosed
	}
	return nil
}

// readable is the socket's handler in the poller: it wakes a waiting read and calls the
// watcher, once.
func (s *rawSocket) readable() {
	s.mu.Lock()
	wake, f := s.wake, s.watcher
	s.watcher = nil
	s.mu.Unlock()
	if wake != nil {
		signal(wake)
	}
	if f != nil {
		f()
	}
}

// watchReadable has f called once, from one of the poller's readers, the next time the
// socket is readable (bytes came, or the client closed it), unless unwatch comes first: an
// upgrade waiting for its admission slot watches its socket so, holding no goroutine
// (wsaccept.go's upgradeWaiting). The registration it makes is the one a read that waits, or
// the polled transport (TakeRegistration), goes on with.
func (s *rawSocket) watchReadable(f func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poller == nil || s.conv != nil {
		return errors.New("server: the socket is not polled here")
	}
	if s.state.Load()&closedBit != 0 {
		return s.opError("read", net.ErrClosed)
	}
	s.watcher = f
	var err error
	if s.reg == nil {
		s.reg, err = s.poller.Add(s.fd, s.readable)
	} else {
		err = s.reg.Rearm()
	}
	if err != nil {
		s.watcher = nil
		return s.opError("read", err)
	}
	return nil
}

// unwatch ends watchReadable's watch; f is not called after it returns, unless it was being
// called already.
func (s *rawSocket) unwatch() {
	s.mu.Lock()
	s.watcher = nil
	s.mu.Unlock()
}

// peek reports, without taking any byte and without waiting, whether bytes wait to be read
// (data) or the client has closed the socket or it failed (gone); neither: nothing yet.
func (s *rawSocket) peek() (data, gone bool) {
	if !s.acquire() {
		return false, true
	}
	var b [1]byte
	n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	s.release()
	switch {
	case errno == syscall.EAGAIN || errno == syscall.EINTR:
		return false, false
	case errno != 0 || n == 0:
		return false, true
	}
	return true, false
}

// TakeRegistration implements transport.PollRegistered: the polled transport takes the
// socket's registration over (Rebind) when it starts the connection.
func (s *rawSocket) TakeRegistration() *netpoll.Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reg
	s.reg = nil
	return r
}

// signal wakes a waiting read without blocking.
func signal(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

func rawRead(fd int, b []byte) (int, syscall.Errno) {
	for {
		r, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno != syscall.EINTR {
			return int(r), errno
		}
	}
}

// Write writes b; what the socket cannot take at once is written as net's connection does.
func (s *rawSocket) Write(b []byte) (int, error) {
	if c := s.converted(); c != nil {
		return c.Write(b)
	}
	if !s.acquire() {
		return 0, s.opError("write", net.ErrClosed)
	}
	n := 0
	var errno syscall.Errno
	for n < len(b) {
		var r uintptr
		r, _, errno = syscall.RawSyscall(syscall.SYS_WRITE, uintptr(s.fd), uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n))
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			break
		}
		n += int(r)
	}
	s.release()
	if n == len(b) {
		return n, nil
	}
	if errno != syscall.EAGAIN {
		return n, s.opError("write", os.NewSyscallError("write", errno))
	}
	c, err := s.conn()
	if err != nil {
		return n, err
	}
	m, err := c.Write(b[n:])
	return n + m, err
}

// ReadFrom lets net/http send files with sendfile(2), as on net's connection.
func (s *rawSocket) ReadFrom(r io.Reader) (int64, error) {
	c, err := s.conn()
	if err != nil {
		return 0, err
	}
	return c.(io.ReaderFrom).ReadFrom(r)
}

// CloseWrite shuts the sending side down, as net's TCP connection's.
func (s *rawSocket) CloseWrite() error {
	if !s.acquire() {
		return s.opError("close", net.ErrClosed)
	}
	defer s.release()
	if err := syscall.Shutdown(s.fd, syscall.SHUT_WR); err != nil {
		return s.opError("close", os.NewSyscallError("shutdown", err))
	}
	return nil
}

// Close closes the socket: it leaves the poller's set, its descriptor closes once no call
// uses it, and net's connection closes if one was made (which ends a call waiting there).
func (s *rawSocket) Close() error {
	s.mu.Lock()
	if s.state.Load()&closedBit == 0 && s.reg != nil {
		s.reg.Remove() // the descriptor is open: only Close closes it
		s.reg = nil
	}
	for {
		v := s.state.Load()
		if v&closedBit != 0 {
			s.mu.Unlock()
			return s.opError("close", net.ErrClosed)
		}
		if s.state.CompareAndSwap(v, v|closedBit) {
			if v == 0 {
				_ = syscall.Close(s.fd)
			}
			break
		}
	}
	c := s.conv
	if s.waiting {
		signal(s.wake)
	}
	s.mu.Unlock()
	if c != nil {
		return c.Close()
	}
	return nil
}

// LocalAddr implements net.Conn.
func (s *rawSocket) LocalAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local != nil {
		return s.local
	}
	s.local = &net.TCPAddr{}
	if s.acquire() {
		sa, err := syscall.Getsockname(s.fd)
		s.release()
		if err == nil {
			switch a := sa.(type) {
			case *syscall.SockaddrInet4:
				s.local = &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
			case *syscall.SockaddrInet6:
				s.local = &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port, Zone: zoneName(a.ZoneId)}
			}
		}
	}
	return s.local
}

// RemoteAddr implements net.Conn: the address accept4 gave.
func (s *rawSocket) RemoteAddr() net.Addr { return &s.remoteAddr }

// SetDeadline implements net.Conn.
func (s *rawSocket) SetDeadline(t time.Time) error {
	if err := s.SetReadDeadline(t); err != nil {
		return err
	}
	return s.SetWriteDeadline(t)
}

// SetReadDeadline bounds the reads that have to wait (and a read waiting now).
func (s *rawSocket) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rdl = t
	if s.waiting {
		signal(s.wake) // the waiting read looks at the new deadline
	}
	if s.conv != nil {
		return s.conv.SetReadDeadline(t)
	}
	return nil
}

// SetWriteDeadline bounds the writes that have to wait (and a write waiting now).
func (s *rawSocket) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wdl = t
	if s.conv != nil {
		return s.conv.SetWriteDeadline(t)
	}
	return nil
}

// SyscallConn gives the descriptor to the polled transport, which reads and writes it
// itself.
func (s *rawSocket) SyscallConn() (syscall.RawConn, error) { return rawSocketConn{s}, nil }

// rawSocketConn is a rawSocket's syscall.RawConn: each call holds a reference to the
// descriptor. Its Read and Write call f once: the polled transport's calls never wait.
type rawSocketConn struct{ s *rawSocket }

func (rc rawSocketConn) Control(f func(fd uintptr)) error {
	if !rc.s.acquire() {
		return net.ErrClosed
	}
	defer rc.s.release()
	f(uintptr(rc.s.fd))
	return nil
}

func (rc rawSocketConn) Read(f func(fd uintptr) bool) error {
	if !rc.s.acquire() {
		return net.ErrClosed
	}
	defer rc.s.release()
	f(uintptr(rc.s.fd))
	return nil
}

func (rc rawSocketConn) Write(f func(fd uintptr) bool) error { return rc.Read(f) }
