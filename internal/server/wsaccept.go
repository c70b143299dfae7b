package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hubbub/internal/netpoll"
	"hubbub/internal/transport"
)

// The WebSocket listener: the polled transport's `GET /ws` upgrades taken from the raw
// listener, before net/http sees them. net/http's path for each connection — its conn
// goroutine (whose stack grows at its first call), its request reader, the bufio reader and
// writer Hijack hands over, the response writer — was a third of the CPU of a connect + join
// and 8 of the 17.5 KB it allocated (docs/benchmarks/reconnect-storm.md, "Connect + join: less
// garbage per client"). Here a connection costs a turn of one of the poller's reader
// goroutines (already grown), a pooled buffer and the request's strings: it reads the request
// head with the handshake's deadline, and a plain upgrade (wsrequest.go; the transport's
// PlainHandshake) goes to admission and the transport's own 101 as serveWS would. Everything else — other paths, a request the reader
// is unsure of, one too long for its buffer, a handshake the transport leaves to gorilla —
// is handed to net/http with the bytes already read replayed, and answered there as before;
// so is the rest of a connection whose upgrade admission refused (its refusal written here,
// as net/http writes it). TLS is not taken: hubbub serve wraps only a plain listener.

// handshakeBuffer bounds the request head the listener reads itself: a browser's handshake
// with its cookies is well under it; a longer one goes to net/http, whose own limit on
// headers (hubbub serve's MaxHeaderBytes) answers it.
const handshakeBuffer = 4 << 10

var handshakeBuffers = sync.Pool{New: func() any { return new([handshakeBuffer]byte) }}

// bufferPool lends handshake buffers: handshakeBuffers (a counting one in tests).
type bufferPool interface {
	Get() any
	Put(any)
}

// Listener returns ln wrapped so that the polled transport's WebSocket upgrades are read
// and answered without net/http; serve net/http on what it returns. With the goroutine
// transport it returns ln. Wrap only a listener of plain TCP connections (not TLS): the
// listener reads their first bytes as a request.
func (s *Server) Listener(ln net.Listener) net.Listener {
	if s.cfg.Transport != TransportPoll {
		return ln
	}
	l := &wsListener{Listener: ln, s: s,
		http: make(chan net.Conn), done: make(chan struct{}), sniffing: make(map[net.Conn]bool)}
	l.rawFile, l.raw = rawListener(ln)
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// wsListener is the WebSocket listener. Its accept loop reads each connection's request
// (sniff) in a goroutine of the poller's readers; Accept returns the connections handed to
// net/http.
type wsListener struct {
	net.Listener
	s *Server
	// raw is the listening socket accepted from with accept4 (rawsock_linux.go), a duplicate
	// of ln's descriptor in rawFile; nil: ln.Accept.
	raw     syscall.RawConn
	rawFile *os.File
	http    chan net.Conn // connections for net/http
	done    chan struct{} // closed by Close
	once    sync.Once

	mu       sync.Mutex
	err      error             // the accept loop's last error, once it ended
	sniffing map[net.Conn]bool // connections being read, cut by Close; true while young (acceptpace.go)
	wg       sync.WaitGroup    // the accept loop and the sniffs

	// young counts the connections being read that were accepted less than AcceptPause ago,
	// and fresh holds them in the order accepted (acceptpace.go); both under mu. freeUntil
	// is the accept loop's own: no pause before it.
	young     int
	fresh     []freshConn
	freeUntil time.Time
	// queueFreeUntil is the accept loop's own: no hold for room in admission's queue before
	// it (acceptpace.go's awaitQueueRoom).
	queueFreeUntil time.Time
}

// Accept returns the next connection for net/http, or the error that ended the listener.
func (l *wsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.http:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close closes the listener, cuts the requests being read and waits for its goroutines. It
// stops admitting upgrades (StopAdmitting), as a server whose listener closes is shutting
// down: those waiting for a slot are answered 503 now, not when their wait ends. An upgrade
// already admitted finishes (the server refuses it if it is shutting down).
func (l *wsListener) Close() error {
	err := l.Listener.Close()
	if l.rawFile != nil {
		_ = l.rawFile.Close() // the socket closes with its last descriptor; a raw accept returns
	}
	l.stop(nil)
	l.s.StopAdmitting()
	l.mu.Lock()
	for c := range l.sniffing {
		_ = c.SetReadDeadline(time.Now())
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

func (l *wsListener) stop(err error) {
	l.once.Do(func() {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		close(l.done)
	})
}

// acceptLoop accepts connections until the listener fails or is closed, backing off on
// temporary errors (too many open files) as net/http does.
func (l *wsListener) acceptLoop() {
	defer l.wg.Done()
	var delay time.Duration
	for {
		l.pace()
		c, err := l.accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Temporary() { //nolint:staticcheck // net/http's test, for EMFILE
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				l.s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
					continue
				case <-l.done:
					return
				}
			}
			l.stop(err)
			return
		}
		delay = 0
		l.awaitQueueRoom()
		l.mu.Lock()
		select {
		case <-l.done:
			l.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		l.sniffing[c] = l.accepted(c)
		l.wg.Add(1)
		l.mu.Unlock()
		l.s.sockets.Go(func() { l.sniff(c) }) // a reader of the poller's, whose stack has grown
	}
}

// accept takes the next connection: a rawSocket from the listening socket itself
// (rawsock_linux.go) where it can, else one of net's.
func (l *wsListener) accept() (net.Conn, error) {
	if l.raw != nil {
		return rawAccept(l.raw, l.Listener.Addr(), l.s.sockets.Poller())
	}
	return l.Listener.Accept()
}

// sniff reads the first request of c and serves it as a WebSocket, or hands c to net/http.
func (l *wsListener) sniff(c net.Conn) {
	defer l.wg.Done()
	deadline := time.Now().Add(l.s.cfg.HandshakeTimeout)
	_ = c.SetReadDeadline(deadline)
	buf, n, err := firstRead(c)
	for {
		if err != nil {
			l.doneSniffing(c)
			if n == 0 {
				handshakeBuffers.Put(buf)
				_ = c.Close() // net/http says nothing to a connection closed or timed out before a byte
				return
			}
			l.handOff(c, buf[:n], deadline) // net/http answers what it makes of the bytes and the error
			handshakeBuffers.Put(buf)
			return
		}
		r, head, res := sniffRequest(buf[:n])
		switch {
		case res == sniffMore && n < len(buf):
			var m int
			m, err = c.Read(buf[n:])
			n += m
			continue
		case res == sniffOurs: // counted as being set up until admission counts it (serveWS)
			_ = c.SetReadDeadline(time.Time{})
			// The bytes read, out of the pooled buffer before the upgrade waits for its
			// admission slot: they are a few hundred, and after a restart thousands of
			// upgrades wait at once, each of whose buffers would be a fresh page of memory
			// to fault in (docs/benchmarks/reconnect-storm.md, "Page faults after a restart").
			read := append(make([]byte, 0, n), buf[:n]...)
			handshakeBuffers.Put(buf)
			l.serveWS(c, r, read, head, deadline)
			return
		default: // another request, or a head too long for the buffer
			l.doneSniffing(c)
			l.handOff(c, buf[:n], deadline)
			handshakeBuffers.Put(buf)
			return
		}
	}
}

// firstRead reads c's first bytes into a handshake buffer. A socket read here (rawSocket)
// waits for them holding no buffer: after a restart the listener accepts thousands of
// connections before their clients, busy reconnecting, send a byte, and a buffer each would
// be as many pages of fresh memory for the new process to fault in, at several microseconds
// a page (docs/benchmarks/reconnect-storm.md, "Page faults after a restart").
func firstRead(c net.Conn) (*[handshakeBuffer]byte, int, error) {
	if f, ok := c.(interface {
		readFirst(bufferPool) (*[handshakeBuffer]byte, int, error)
	}); ok {
		return f.readFirst(&handshakeBuffers)
	}
	buf := handshakeBuffers.Get().(*[handshakeBuffer]byte)
	n, err := c.Read(buf[:])
	return buf, n, err
}

// doneSniffing stops counting c as a request being read here; a second call does nothing
// but wake a paced accept.
func (l *wsListener) doneSniffing(c net.Conn) {
	l.mu.Lock()
	if l.sniffing[c] {
		l.young--
	}
	delete(l.sniffing, c)
	l.mu.Unlock()
	l.s.admission.signal() // a paced accept may go on
}

// serveWS is the server's serveWS for a request read here: b holds the request's head
// (head bytes) and the client's first frames after it.
func (l *wsListener) serveWS(c net.Conn, r *http.Request, b []byte, head int, deadline time.Time) {
	s := l.s
	r.RemoteAddr = c.RemoteAddr().String()
	hs, ok := s.sockets.PlainHandshake(r)
	if !ok {
		l.doneSniffing(c)
		l.handOff(c, b, deadline) // gorilla's to answer, through the mux
		return
	}
	var settle *slot
	w := &refusal{}
	// The request stops counting as young only once admission counts it — as a waiter (the
	// watch starts when it waits) or a slot — or refused it: in between, a paced accept would
	// see one setup fewer than there are and accept a connection admission then sheds.
	watch := &peerWatch{c: c, waiting: func() { l.doneSniffing(c) }}
	release, ok := s.admitWhile(watch, w, r, &settle)
	l.doneSniffing(c)
	early := watch.stop(b[head:]) // what the client sent after its request
	if !ok {
		// As net/http after the handler: the answer, then the connection stays open for the
		// client's next request.
		_ = c.SetWriteDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
		if _, err := c.Write(w.bytes(time.Now())); err != nil {
			_ = c.Close()
			return
		}
		_ = c.SetWriteDeadline(time.Time{})
		l.handOff(c, early, time.Time{})
		return
	}
	ws, err := s.sockets.UpgradeConn(c, r, hs, early, s.nextID.Add(1))
	if err != nil {
		settle.release()
		release()
		if errors.Is(err, transport.ErrNotPollable) {
			l.handOff(c, append(b[:head:head], early...), deadline)
		}
		return
	}
	s.openWS(ws, r, settle, release)
}

// peerWatch is the context an upgrade read here waits for its admission slot under: done
// once the client closes its connection, as net/http ends a request's context (its
// background read), so that a client that gave up keeps no place in admission's queue and is
// not upgraded when its turn comes. Its read starts only when the upgrade waits (the first
// call of Done: acquire's select); stop ends it. Done, Err and stop are called by the sniff's
// goroutine only.
type peerWatch struct {
	c       net.Conn
	waiting func() // called when the upgrade starts to wait, before the watch's read
	once    sync.Once
	done    chan struct{} // closed when the client has gone
	ended   chan struct{} // closed when the watch's read has returned
	stopped atomic.Bool   // stop cut the read: not the client's doing
	b       [1]byte       // what the read took: the first byte of a frame sent meanwhile
	n       int
}

func (w *peerWatch) Deadline() (time.Time, bool) { return time.Time{}, false }
func (w *peerWatch) Value(any) any               { return nil }

func (w *peerWatch) Done() <-chan struct{} {
	w.once.Do(func() {
		if w.waiting != nil {
			w.waiting()
		}
		w.done, w.ended = make(chan struct{}), make(chan struct{})
		go w.watch()
	})
	return w.done
}

func (w *peerWatch) Err() error {
	select {
	case <-w.done: // nil, never ready, when no watch started
		return context.Canceled
	default:
		return nil
	}
}

func (w *peerWatch) watch() {
	defer close(w.ended)
	n, err := w.c.Read(w.b[:])
	w.n = n
	if n == 0 && err != nil && !w.stopped.Load() {
		close(w.done) // EOF or a reset: the client has gone
	}
}

// stop ends the watch, if one started, and returns rest (the bytes the client sent after
// its request) with the byte the watch read, if any, after them.
func (w *peerWatch) stop(rest []byte) []byte {
	w.once.Do(func() {}) // no watch from now on
	if w.ended == nil {
		return rest
	}
	w.stopped.Store(true)
	_ = w.c.SetReadDeadline(time.Unix(1, 0)) // in the past: the read returns now
	<-w.ended
	_ = w.c.SetReadDeadline(time.Time{})
	return append(rest, w.b[:w.n]...)
}

// handOff gives c to net/http, which reads prefix first. Until its first read deadline
// (the request head's), a connection handed over mid-request keeps the deadline it had here,
// so a slow request head gets HandshakeTimeout in all, not twice.
func (l *wsListener) handOff(c net.Conn, prefix []byte, deadline time.Time) {
	rc := &replayConn{Conn: c, deadline: deadline, clamp: !deadline.IsZero()}
	if len(prefix) > 0 {
		rc.prefix = append([]byte(nil), prefix...)
	}
	select {
	case l.http <- rc:
	case <-l.done:
		_ = c.Close()
	}
}

// replayConn is a connection handed to net/http: its reads return the bytes the listener
// read first, then the socket's.
type replayConn struct {
	net.Conn
	prefix   []byte
	deadline time.Time // the head's deadline while clamp
	clamp    bool
}

func (c *replayConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// SetReadDeadline keeps the head's deadline for net/http's first one.
func (c *replayConn) SetReadDeadline(t time.Time) error {
	if c.clamp {
		c.clamp = false
		if t.IsZero() || t.After(c.deadline) {
			t = c.deadline
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *replayConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// ReadFrom lets net/http send a file with sendfile(2), as on a TCP connection it was not
// handed: net/http looks for io.ReaderFrom on the connection.
func (c *replayConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// writerOnly hides a writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// CloseWrite lets net/http half-close the socket after an error answer, as it does a TCP
// connection's.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

// TakeRegistration hands the socket's registration with the poller, if it has one, to the
// polled transport (transport.PollRegistered).
func (c *replayConn) TakeRegistration() *netpoll.Registration {
	if pr, ok := c.Conn.(transport.PollRegistered); ok {
		return pr.TakeRegistration()
	}
	return nil
}

// SyscallConn gives the socket to the polled transport once the replayed bytes are read (a
// WebSocket upgraded through net/http on a connection handed over); before, the poller would
// miss them.
func (c *replayConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok || len(c.prefix) > 0 {
		return nil, errors.New("server: the connection cannot be polled")
	}
	return sc.SyscallConn()
}
