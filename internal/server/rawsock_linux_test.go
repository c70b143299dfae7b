//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hubbub/internal/netpoll"
	"hubbub/internal/testwait"
)

// rawPair is a socket the listener's own accept took (rawAccept) and its client's end.
type rawPair struct {
	s      *rawSocket
	client net.Conn
	poller *netpoll.Poller
}

func newRawPair(t *testing.T) rawPair {
	t.Helper()
	return newRawPairOn(t, "127.0.0.1:0")
}

// rawListenerOn listens on addr and returns the listener with its raw socket
// (rawListener), both closed when t ends.
func rawListenerOn(t *testing.T, addr string) (net.Listener, syscall.RawConn) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f, rc := rawListener(ln)
	if rc == nil {
		t.Fatal("rawListener: no raw listener for a TCP listener")
	}
	t.Cleanup(func() { ln.Close(); f.Close() })
	return ln, rc
}

// newRawPairOn is newRawPair with the listener on addr.
func newRawPairOn(t *testing.T, addr string) rawPair {
	t.Helper()
	ln, rc := rawListenerOn(t, addr)
	p, err := netpoll.New(4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := rawAccept(rc, ln.Addr(), p)
	if err != nil {
		t.Fatal(err)
	}
	s := c.(*rawSocket)
	t.Cleanup(func() { s.Close() })
	return rawPair{s: s, client: client, poller: p}
}

// isWaiting reports whether a read waits in the poller.
func (s *rawSocket) isWaiting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

func sockopt(t *testing.T, c net.Conn, level, opt int) int {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	v, serr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return v
}

// A socket accepted raw has what net's Accept gives: its addresses, TCP_NODELAY (set on the
// listening socket, copied to each accepted one), and no keep-alive unless the listener has it.
func TestRawAcceptedSocket(t *testing.T) {
	rp := newRawPair(t)
	if got, want := rp.s.RemoteAddr().String(), rp.client.LocalAddr().String(); got != want {
		t.Errorf("RemoteAddr %s, want %s", got, want)
	}
	if got, want := rp.s.LocalAddr().String(), rp.client.RemoteAddr().String(); got != want {
		t.Errorf("LocalAddr %s, want %s", got, want)
	}
	// The client's address, which the per-address limits key on, over IPv6 too: accept4's
	// address is decoded by the listener itself (accept4_linux.go), port in network order.
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Logf("no IPv6 loopback (%v): only IPv4's address checked", err)
	} else {
		ln.Close()
		rp6 := newRawPairOn(t, "[::1]:0")
		if got, want := rp6.s.RemoteAddr().String(), rp6.client.LocalAddr().String(); got != want {
			t.Errorf("IPv6 RemoteAddr %s, want %s", got, want)
		}
	}
	if v := sockopt(t, rp.s, syscall.IPPROTO_TCP, syscall.TCP_NODELAY); v != 1 {
		t.Errorf("TCP_NODELAY = %d, want 1", v)
	}
	if v := sockopt(t, rp.s, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); v != 0 {
		t.Errorf("SO_KEEPALIVE = %d, want 0", v)
	}
}

// A read with nothing to read waits in the poller for the bytes, its deadline (also one set
// while it waits) or the socket's close; a socket that waited leaves the poller when closed.
func TestRawSocketReadWaits(t *testing.T) {
	rp := newRawPair(t)
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 16)
		n, err := rp.s.Read(b)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(b[:n])
	}()
	testwait.Until(t, "the read to wait in the poller", rp.s.isWaiting)
	if n := rp.poller.Len(); n != 1 {
		t.Errorf("%d sockets in the poller while the read waits, want 1", n)
	}
	if _, err := io.WriteString(rp.client, "late"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "late" {
		t.Fatalf("read %q, want %q", s, "late")
	}

	// A deadline set while the read waits ends it.
	errc := make(chan error, 1)
	go func() { _, err := rp.s.Read(make([]byte, 16)); errc <- err }()
	testwait.Until(t, "the read to wait again", rp.s.isWaiting)
	_ = rp.s.SetReadDeadline(time.Now())
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after its deadline: %v, want os.ErrDeadlineExceeded", err)
	}

	// Close ends a waiting read, and the socket leaves the poller.
	_ = rp.s.SetReadDeadline(time.Time{})
	go func() { _, err := rp.s.Read(make([]byte, 16)); errc <- err }()
	testwait.Until(t, "the read to wait a third time", rp.s.isWaiting)
	if err := rp.s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read of a socket closed while it waited: %v, want net.ErrClosed", err)
	}
	if n := rp.poller.Len(); n != 0 {
		t.Errorf("%d sockets in the poller after the close, want 0", n)
	}
	if _, err := rp.client.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the client reads %v, want EOF: the socket is closed", err)
	}
}

// The registration a waiting read made is handed over (TakeRegistration, Rebind) rather than
// made again, and goes when it is removed.
func TestRawSocketHandsItsRegistrationOver(t *testing.T) {
	rp := newRawPair(t)
	go func() { _, _ = io.WriteString(rp.client, "GET") }()
	b := make([]byte, 16)
	n, err := rp.s.Read(b) // may or may not wait, then the same again
	for err == nil && n < 3 {
		var m int
		m, err = rp.s.Read(b[n:])
		n += m
	}
	if err != nil {
		t.Fatal(err)
	}
	// Make sure one read waited: nothing more is coming until the client writes.
	done := make(chan struct{})
	go func() { defer close(done); _, _ = rp.s.Read(b) }()
	testwait.Until(t, "the read to wait in the poller", rp.s.isWaiting)
	if _, err := io.WriteString(rp.client, "x"); err != nil {
		t.Fatal(err)
	}
	<-done
	reg := rp.s.TakeRegistration()
	if reg == nil {
		t.Fatal("no registration after a read that waited")
	}
	if again := rp.s.TakeRegistration(); again != nil {
		t.Error("a second TakeRegistration returned the registration again")
	}
	readable := make(chan struct{}, 1)
	if err := reg.Rebind(func() { readable <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(rp.client, "more"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-readable:
	case <-time.After(testwait.Timeout):
		t.Fatal("the new handler was not called when the socket became readable")
	}
	if n := rp.poller.Len(); n != 1 {
		t.Errorf("%d sockets in the poller, want 1 (the same registration)", n)
	}
	reg.Remove()
	if n := rp.poller.Len(); n != 0 {
		t.Errorf("%d sockets in the poller after Remove, want 0", n)
	}
}

// A write the socket cannot take at once waits as net's connection does, within its deadline;
// the socket keeps the listener's keep-alive setting (off) through the change.
func TestRawSocketSlowWrite(t *testing.T) {
	rp := newRawPair(t)
	_ = rp.s.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	big := []byte(strings.Repeat("x", 64<<20)) // more than both sockets' buffers hold
	n, err := rp.s.Write(big)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n >= len(big) {
		t.Fatalf("write to a client that does not read: %d bytes, %v; want fewer and os.ErrDeadlineExceeded", n, err)
	}
	if rp.s.converted() == nil {
		t.Fatal("the socket waited for its write without becoming net's connection")
	}
	if v := sockopt(t, rp.s, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); v != 0 {
		t.Errorf("SO_KEEPALIVE = %d after the change to net's connection, want 0 (the listener's)", v)
	}
	// What was written arrives, then the socket's close.
	_ = rp.s.SetWriteDeadline(time.Time{})
	if err := rp.s.Close(); err != nil {
		t.Fatal(err)
	}
	_ = rp.client.SetReadDeadline(time.Now().Add(testwait.Timeout))
	got, err := io.Copy(io.Discard, rp.client)
	if err != nil || got != int64(n) {
		t.Errorf("the client read %d bytes (%v), want %d and EOF", got, err, n)
	}
}

// rawAccept waiting for a connection ends, with net.ErrClosed, when the listener closes.
func TestRawAcceptEndsWithTheListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, rc := rawListener(ln)
	errc := make(chan error, 1)
	go func() {
		c, err := rawAccept(rc, ln.Addr(), nil)
		if c != nil {
			c.Close()
		}
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // most often in the wait; either way it must end
	ln.Close()
	f.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("accept on a closed listener: %v, want net.ErrClosed", err)
		}
	case <-time.After(testwait.Timeout):
		t.Fatal("accept did not end when the listener closed")
	}
}

// countingPool is a bufferPool that counts the buffers out on loan.
type countingPool struct {
	pool sync.Pool
	out  atomic.Int64
}

func (p *countingPool) Get() any {
	p.out.Add(1)
	if b := p.pool.Get(); b != nil {
		return b
	}
	return new([handshakeBuffer]byte)
}

func (p *countingPool) Put(b any) {
	p.out.Add(-1)
	p.pool.Put(b)
}

// Sockets whose clients have sent nothing yet wait for their first bytes holding no handshake
// buffer: after a restart the listener holds thousands of them, and a buffer each would be as
// many pages of memory for the new process to fault in. Once the bytes come, each read
// returns them in a buffer of its own; a deadline still ends the wait.
func TestRawSocketWaitsForItsFirstBytesWithoutABuffer(t *testing.T) {
	pool := &countingPool{}
	type read struct {
		buf *[handshakeBuffer]byte
		n   int
		err error
	}
	const socks = 8
	pairs := make([]rawPair, socks)
	reads := make([]chan read, socks)
	for i := range pairs {
		pairs[i] = newRawPair(t)
		reads[i] = make(chan read, 1)
		go func() {
			buf, n, err := pairs[i].s.readFirst(pool)
			reads[i] <- read{buf, n, err}
		}()
		testwait.Until(t, "the first read to wait in the poller", pairs[i].s.isWaiting)
	}
	if n := pool.out.Load(); n != 0 {
		t.Fatalf("%d handshake buffers held by %d sockets waiting for their first bytes, want 0", n, socks)
	}
	for i, rp := range pairs {
		if _, err := io.WriteString(rp.client, "GET /ws "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[*[handshakeBuffer]byte]bool{}
	for i := range pairs {
		r := <-reads[i]
		if r.err != nil {
			t.Fatalf("socket %d: %v", i, r.err)
		}
		if got, want := string(r.buf[:r.n]), "GET /ws "+strconv.Itoa(i); got != want {
			t.Errorf("socket %d read %q, want %q", i, got, want)
		}
		if seen[r.buf] {
			t.Errorf("socket %d read into a buffer another socket holds", i)
		}
		seen[r.buf] = true
	}
	if n := pool.out.Load(); n != socks {
		t.Errorf("%d buffers on loan after %d first reads, want %d", n, socks, socks)
	}

	rp := newRawPair(t)
	errc := make(chan error, 1)
	go func() { _, _, err := rp.s.readFirst(pool); errc <- err }()
	testwait.Until(t, "the first read to wait", rp.s.isWaiting)
	_ = rp.s.SetReadDeadline(time.Now())
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("first read after its deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

// A socket whose client has sent its request by the time it is accepted is read at once
// (firstIfThere): the socket joins no epoll set to wait, and the bytes are in a handshake
// buffer. One whose client has sent nothing yet holds no buffer and no registration; one
// whose client has gone reads its end.
func TestRawSocketReadsTheFirstBytesThatAreThere(t *testing.T) {
	pool := &countingPool{}
	rp := newRawPair(t)
	if buf, _, err, there := rp.s.firstIfThere(pool); there {
		t.Fatalf("a silent socket read %p, %v; want nothing there", buf, err)
	}
	if n := pool.out.Load(); n != 0 {
		t.Errorf("%d handshake buffers on loan after a silent socket's first read, want 0", n)
	}
	const req = "GET /ws HTTP/1.1\r\n"
	if _, err := io.WriteString(rp.client, req); err != nil {
		t.Fatal(err)
	}
	var (
		buf   *[handshakeBuffer]byte
		n     int
		err   error
		there bool
	)
	testwait.Until(t, "the request to be read", func() bool {
		buf, n, err, there = rp.s.firstIfThere(pool)
		return there
	})
	if err != nil || string(buf[:n]) != req {
		t.Errorf("read %q, %v; want %q", buf[:n], err, req)
	}
	if n := pool.out.Load(); n != 1 {
		t.Errorf("%d handshake buffers on loan after a first read, want 1", n)
	}
	if n := rp.poller.Len(); n != 0 || rp.s.TakeRegistration() != nil {
		t.Errorf("the socket read at once is registered with the poller (%d sockets there), want none", n)
	}

	gone := newRawPair(t)
	gone.client.Close()
	testwait.Until(t, "the client's close to be read", func() bool {
		_, n, err, there = gone.s.firstIfThere(pool)
		return there
	})
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("a socket whose client closed read %d bytes, %v; want io.EOF", n, err)
	}
}

// With accepts deferred (deferAccepts), the listening socket hands over the client that has
// sent its request before a silent one that connected first, and the silent one only later
// (after a second, the kernel's step): it is still accepted, for the handshake timeout to cut.
func TestDeferredAcceptTakesTheClientThatSpokeFirst(t *testing.T) {
	ln, rc := rawListenerOn(t, "127.0.0.1:0")
	if !deferAccepts(rc, time.Second) {
		t.Fatal("deferAccepts did not set TCP_DEFER_ACCEPT")
	}
	p, err := netpoll.New(4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	dial := func() net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	silent, spoke := dial(), dial()
	if _, err := io.WriteString(spoke, "GET /ws HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	accept := func() *rawSocket {
		c, err := rawAccept(rc, ln.Addr(), p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*rawSocket)
	}
	if first := accept(); first.RemoteAddr().String() != spoke.LocalAddr().String() {
		t.Fatalf("accepted %s first, want %s (the client that sent its request), not %s (silent)",
			first.RemoteAddr(), spoke.LocalAddr(), silent.LocalAddr())
	}
	if later := accept(); later.RemoteAddr().String() != silent.LocalAddr().String() {
		t.Errorf("accepted %s, want the silent client %s", later.RemoteAddr(), silent.LocalAddr())
	}
}

// A listener that wraps a TCP listener and gives its socket (hubbub serve's socket passed by
// a launcher, whose Accept sets keep-alive probes) is accepted from with accept4 as a plain
// one is: the WebSocket listener's own accept is not lost to the wrapping.
func TestRawListenerTakesAWrappedTCPListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wrapped := struct{ *net.TCPListener }{ln.(*net.TCPListener)}
	f, rc := rawListener(wrapped)
	if rc == nil {
		t.Fatal("rawListener: no raw listener for a wrapped TCP listener")
	}
	defer f.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := rawAccept(rc, ln.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.RemoteAddr().String() != client.LocalAddr().String() {
		t.Errorf("accepted %v, want the client %v", c.RemoteAddr(), client.LocalAddr())
	}
	// A Unix listener gives its socket too, but is not TCP.
	ul, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	if f, rc := rawListener(ul); rc != nil {
		f.Close()
		t.Error("rawListener took a Unix listener")
	}
}
