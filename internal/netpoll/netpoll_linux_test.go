//go:build linux

package netpoll

import (
	"net"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tcpPair returns both ends of a loopback TCP connection and the server end's descriptor.
func tcpPair(t *testing.T) (client, server net.Conn, fd int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := server.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.Control(func(f uintptr) { fd = int(f) })
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server, fd
}

func TestReadableOncePerRearm(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, _, fd := tcpPair(t)
	calls := make(chan struct{}, 10)
	reg, err := p.Add(fd, func() { calls <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-calls:
		t.Fatal("reported readable before any byte was sent")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := client.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	waitCall(t, calls)
	// The byte is still unread, but the registration is one-shot: nothing until Rearm.
	if _, err := client.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-calls:
		t.Fatal("reported twice without a rearm")
	case <-time.After(100 * time.Millisecond):
	}
	if err := reg.Rearm(); err != nil {
		t.Fatal(err)
	}
	waitCall(t, calls) // unread bytes are reported at once after a rearm
	// The peer closing is reported too, so a reader sees EOF.
	if err := reg.Rearm(); err != nil {
		t.Fatal(err)
	}
	client.Close()
	waitCall(t, calls)
	reg.Remove()
	if p.Len() != 0 {
		t.Fatalf("%d registered after Remove", p.Len())
	}
	if err := reg.Rearm(); err != ErrClosed {
		t.Fatalf("Rearm after Remove: %v, want ErrClosed", err)
	}
}

func TestWaitLoopEndsWhenIdle(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, _, fd := tcpPair(t)
	reg, err := p.Add(fd, func() {})
	if err != nil {
		t.Fatal(err)
	}
	reg.Remove()
	// goleak (TestMain) checks that the wait goroutine ended; Close must not hang either.
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	if _, err := p.Add(fd, func() {}); err != ErrClosed {
		t.Fatalf("Add after Close: %v, want ErrClosed", err)
	}
}

func waitCall(t *testing.T, calls <-chan struct{}) {
	t.Helper()
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("not reported readable")
	}
}

// A descriptor number reused by a new socket: the old registration can neither rearm nor
// remove the new one, and the new handler is the one called.
func TestReusedDescriptorIsNotConfused(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, _, fd := tcpPair(t)
	old, err := p.Add(fd, func() { t.Error("the old handler was called") })
	if err != nil {
		t.Fatal(err)
	}
	old.Remove()
	calls := make(chan struct{}, 10)
	cur, err := p.Add(fd, func() { calls <- struct{}{} }) // as if fd now named another socket
	if err != nil {
		t.Fatal(err)
	}
	old.Remove() // must not remove cur
	if err := old.Rearm(); err != ErrClosed {
		t.Fatalf("stale Rearm: %v, want ErrClosed", err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitCall(t, calls)
	cur.Remove()
}
