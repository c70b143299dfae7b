//go:build linux

package netpoll

import (
	"bytes"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// newPoller returns a new Poller, closed when the test ends.
func newPoller(t *testing.T) *Poller {
	t.Helper()
	return newPollerKeeping(t, DefaultIdleReaders)
}

// newPollerKeeping returns a poller keeping at most idle readers waiting, closed when t ends.
func newPollerKeeping(t *testing.T, idle int) *Poller {
	t.Helper()
	p, err := New(idle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestReadableOncePerRearm(t *testing.T) {
	p := newPoller(t)
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
	p, err := New(DefaultIdleReaders)
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

// goroutineID returns the calling goroutine's id, read from its stack's header: how a test
// tells a reader that was kept from a new one.
func goroutineID() uint64 {
	var b [64]byte
	f := bytes.Fields(b[:runtime.Stack(b[:], false)]) // "goroutine 123 [running]:"
	id, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return id
}

// waitingReaders reports how many reader goroutines wait for a handler.
func waitingReaders(p *Poller) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idleN + len(p.idle)
}

// awaitWaitingReaders waits up to d for some reader to wait, and reports whether one did.
func awaitWaitingReaders(p *Poller, d time.Duration) bool {
	for deadline := time.Now().Add(d); waitingReaders(p) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
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
	p := newPoller(t)
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

// Handlers run in reader goroutines that wait for the next readable socket once they return:
// a handler that blocks never holds up another socket's, whether its reader is new or one
// that waited, every report is handled once per rearm, later reports are handed to readers
// kept waiting (fewer goroutines than calls), and the readers left waiting when the
// sockets go quiet end (within idleTrim and a pass of the wait loop) though the sockets stay
// registered.
func TestReadersWaitForMoreAndEnd(t *testing.T) {
	p := newPoller(t)
	before := runtime.NumGoroutine()
	const sockets = 20
	type sock struct {
		client net.Conn
		fd     int
		reg    *Registration
	}
	socks := make([]*sock, sockets)
	calls := make(chan int, sockets)
	var ran sync.Map // the ids of the goroutines that ran a handler
	release := make(chan struct{})
	var block atomic.Int32 // the socket whose handler blocks until release (-1: none)
	block.Store(-1)
	for i := range socks {
		client, _, fd := tcpPair(t)
		s := &sock{client: client, fd: fd}
		socks[i] = s
		var err error
		s.reg, err = p.Add(fd, func() {
			var b [16]byte
			_, _ = syscall.Read(s.fd, b[:])
			if block.Load() == int32(i) {
				<-release
			}
			ran.Store(goroutineID(), true)
			calls <- i
			if err := s.reg.Rearm(); err != nil {
				t.Error(err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for r := range 4 {
		if r > 0 && !awaitWaitingReaders(p, 5*time.Second) {
			t.Fatalf("round %d: no reader of round %d waits for more", r, r-1)
		}
		block.Store(int32(r))
		for _, s := range socks {
			if _, err := s.client.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[int]bool{}
		for range sockets - 1 { // all but the blocked one, while it blocks
			select {
			case i := <-calls:
				if seen[i] || i == r {
					t.Fatalf("round %d: socket %d handled again or while blocked", r, i)
				}
				seen[i] = true
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: %d of %d sockets handled while one handler blocks", r, len(seen), sockets-1)
			}
		}
		release <- struct{}{}
		if i := <-calls; i != r {
			t.Fatalf("round %d: socket %d handled after the release, want %d", r, i, r)
		}
	}
	// Rounds after the first found readers waiting, so some of their handlers ran on goroutines
	// that had run one before (goroutine ids are not reused): fewer goroutines than calls.
	goroutines := 0
	ran.Range(func(_, _ any) bool { goroutines++; return true })
	if goroutines >= 4*sockets {
		t.Errorf("%d handler calls ran on %d goroutines: no reader was kept for the next", 4*sockets, goroutines)
	}
	// Quiet: the waiting readers end, the sockets still registered.
	deadline := time.Now().Add(idleTrim + 5*time.Second)
	for runtime.NumGoroutine() > before+1 { // + the wait loop
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines %v after the sockets went quiet, %d before", runtime.NumGoroutine(), idleTrim+5*time.Second, before)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.Len() != sockets {
		t.Fatalf("%d registered, want %d", p.Len(), sockets)
	}
	for _, s := range socks {
		s.reg.Remove()
	}
}

func TestNoIdleReaders(t *testing.T) {
	for _, bad := range []int{-1, MaxIdleReaders + 1} {
		if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "idle readers") {
			t.Fatalf("New(%d): %v, want an error naming idle readers", bad, err)
		}
	}
	p := newPollerKeeping(t, 0) // a new goroutine for every handler
	client, _, fd := tcpPair(t)
	calls := make(chan struct{}, 10)
	var reg *Registration
	var err error
	reg, err = p.Add(fd, func() {
		var b [16]byte
		_, _ = syscall.Read(fd, b[:])
		calls <- struct{}{}
		_ = reg.Rearm()
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := client.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		waitCall(t, calls)
		if awaitWaitingReaders(p, 100*time.Millisecond) {
			t.Fatal("a reader waits for more with 0 idle readers")
		}
	}
	reg.Remove()
}

// A reader that finishes while a handler sent to the idle readers is not yet taken counts
// that send: with one idle place and that place taken, it ends rather than waits. Counting
// idleN alone (which dispatch lowers when it sends) let it wait too, and the next dispatch
// then blocked on the full channel with the wait loop's lock held.
func TestReaderCountsTheHandlersNotYetTaken(t *testing.T) {
	p := newPollerKeeping(t, 1)
	t.Cleanup(func() { // before Close, which would wait for a wait loop that never ran
		p.mu.Lock()
		p.running = false
		p.mu.Unlock()
	})
	sent := make(chan struct{})
	p.mu.Lock()
	p.running = true // as while sockets are registered
	p.idleN = 1      // one reader about to receive
	p.dispatch(func() { close(sent) })
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.reader(func() {}); close(done) }()
	select {
	case <-done:
	case <-sent:
		t.Fatal("a second reader took the handler sent to the first: it waited past maxIdle")
	case <-time.After(5 * time.Second):
		t.Fatal("the reader still waits with maxIdle readers committed")
	}
	p.mu.Lock()
	n := p.idleN + len(p.idle)
	p.running = false
	p.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d readers committed, want the 1 place", n)
	}
	// the handler goes to the reader it was meant for, which then ends (running is false)
	go p.reader(<-p.idle)
	<-sent
}

// Go's function runs beside the handlers — one that blocks holds up no readable socket — and
// on a reader that then waits for the next handler or function, keeping its stack.
func TestGoRunsBesideHandlersOnAReader(t *testing.T) {
	p := newPoller(t)
	client, _, fd := tcpPair(t)
	calls := make(chan struct{}, 1)
	var handlerID atomic.Uint64
	reg, err := p.Add(fd, func() { // registered: the wait loop runs, and readers wait for more
		var b [16]byte
		_, _ = syscall.Read(fd, b[:])
		handlerID.Store(goroutineID())
		calls <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Remove()
	release, ran := make(chan struct{}), make(chan uint64, 1)
	p.Go(func() {
		<-release
		ran <- goroutineID()
	})
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitCall(t, calls) // while Go's function blocks
	close(release)
	first := <-ran
	if !awaitWaitingReaders(p, 5*time.Second) {
		t.Fatal("no reader waits for more after Go's function returned")
	}
	p.Go(func() { ran <- goroutineID() })
	select {
	case id := <-ran: // the reader that ran the first function or the handler, not a new one
		if h := handlerID.Load(); id != first && id != h {
			t.Errorf("Go ran on goroutine %d, not on a reader that waits (%d ran Go's first function, %d the handler)", id, first, h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Go's second function did not run")
	}
}

// A request head sent a byte at a time holds the reader that runs it: Go runs at most half of
// the readers kept on its functions at once and gives the rest goroutines of their own, so
// that slow heads cannot take every reader the readable sockets need.
func TestGoHoldsAtMostHalfTheReaders(t *testing.T) {
	p := newPollerKeeping(t, 4)
	release := make(chan struct{})
	var started sync.WaitGroup
	var ended sync.WaitGroup
	for range 3 {
		started.Add(1)
		ended.Add(1)
		p.Go(func() {
			defer ended.Done()
			started.Done()
			<-release
		})
	}
	started.Wait()
	p.mu.Lock()
	held := p.goHeld
	p.mu.Unlock()
	if held != 2 {
		t.Errorf("%d of Go's functions run on readers with 4 kept, want 2 (the third on a goroutine of its own)", held)
	}
	close(release)
	ended.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		held = p.goHeld
		p.mu.Unlock()
		if held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d readers still counted as running Go's functions after they returned", held)
		}
	}
}

// Rebind hands a registration to a new handler: the next readability is reported to it, not
// to the first, without the descriptor leaving the set; a removed registration is not rebound.
func TestRebindHandsTheRegistrationOver(t *testing.T) {
	p := newPoller(t)
	client, _, fd := tcpPair(t)
	first := make(chan struct{}, 10)
	reg, err := p.Add(fd, func() { first <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	waitCall(t, first) // the first owner's report disarms the registration
	second := make(chan struct{}, 10)
	if err := reg.Rebind(func() { second <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	waitCall(t, second) // the unread byte, reported at once as after a Rearm
	if p.Len() != 1 {
		t.Fatalf("%d registered after Rebind, want 1", p.Len())
	}
	select {
	case <-first:
		t.Fatal("the first handler was called after Rebind")
	default:
	}
	reg.Remove()
	if err := reg.Rebind(func() {}); err != ErrClosed {
		t.Fatalf("Rebind after Remove: %v, want ErrClosed", err)
	}
}

// Done is closed by Close, and only by it: a read waiting for a handler learns there that
// none will come.
func TestDoneClosedByClose(t *testing.T) {
	p, err := New(0)
	if err != nil {
		t.Fatal(err)
	}
	_, _, fd := tcpPair(t)
	if _, err := p.Add(fd, func() {}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
		t.Fatal("Done closed before Close")
	default:
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done still open after Close")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}
