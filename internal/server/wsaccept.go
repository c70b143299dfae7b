package server

import (
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
		http: make(chan net.Conn), done: make(chan struct{}), sniffing: make(map[net.Conn]bool),
		awaited: make(map[net.Conn]*requestAwaited)}
	l.rawFile, l.raw = rawListener(ln)
	if l.raw != nil {
		l.rawAccept = rawAcceptFunc(l.raw, ln.Addr(), s.sockets.Poller())
	}
	// Set, or cleared (DeferAccept negative), either way: a socket passed by systemd keeps
	// what the process before set, and "accept at once" would have gone on deferring.
	l.deferred = l.raw != nil && deferAccepts(l.raw, s.cfg.DeferAccept)
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
	raw       syscall.RawConn
	rawFile   *os.File
	rawAccept func() (net.Conn, error) // accepts from raw (rawAcceptFunc), in the accept loop
	// deferred says that raw defers accepts (TCP_DEFER_ACCEPT): a socket accepted has its
	// request there, mostly, and is read at once (requestThere).
	deferred bool
	http     chan net.Conn // connections for net/http
	done     chan struct{} // closed by Close
	once     sync.Once

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
	// awaited holds the sockets watched for their request (awaitRequest), for Close; under mu.
	awaited map[net.Conn]*requestAwaited
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
	awaited := make([]*requestAwaited, 0, len(l.awaited))
	for _, a := range l.awaited {
		awaited = append(awaited, a)
	}
	l.mu.Unlock()
	for _, a := range awaited {
		if a.claim() {
			a.end()
		}
	}
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
		deadline := time.Now().Add(l.s.cfg.HandshakeTimeout)
		l.mu.Unlock()
		if l.requestThere(c, deadline) || l.watchForRequest(c, deadline) {
			continue
		}
		l.s.sockets.Go(func() { l.sniff(c, deadline, false) }) // a reader of the poller's, whose stack has grown
	}
}

// firstReader is a socket that can read its first bytes only if they have come (rawSocket).
type firstReader interface {
	firstIfThere(bufferPool) (buf *[handshakeBuffer]byte, n int, err error, there bool)
}

// requestThere reads the request of c, just accepted (counted in sniffing and wg), if it has
// come already, and reports whether it had: the request is then served (sniffRead) by one of
// the poller's readers. Only when the listening socket defers accepts (DeferAccept): the
// kernel then hands over a connection once its first bytes have come, so its request is
// there, and read at once the socket skips joining the poller's epoll set to wait for it (an
// epoll_ctl, and a second when the polled transport takes it over), the wake that reports it
// readable, and the record and timer of its wait. Accepted as soon as they connect, most
// sockets of a connect + join run had not had their request yet, and a read there first was
// one more system call for nothing (docs/benchmarks/connect.md, "Accepts deferred until the
// request is there").
func (l *wsListener) requestThere(c net.Conn, deadline time.Time) bool {
	fr, ok := c.(firstReader)
	if !ok || !l.deferred {
		return false
	}
	_ = c.SetReadDeadline(deadline) // for the rest of a head that has not all come (sniffRead)
	select {
	case <-l.done: // Close cut the reads being made before this one set its deadline
		_ = c.SetReadDeadline(time.Now())
	default:
	}
	buf, n, err, there := fr.firstIfThere(&handshakeBuffers)
	if !there {
		return false
	}
	l.s.sockets.Go(func() { l.sniffRead(c, deadline, buf, n, err, false) })
	return true
}

// watchForRequest watches c, just accepted, for its request (awaitRequest), unless the
// listener has closed meanwhile (then c's read fails at once in sniff) or c cannot be watched;
// false: sniff it.
func (l *wsListener) watchForRequest(c net.Conn, deadline time.Time) bool {
	pw, ok := c.(readableWatcher)
	if !ok {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done: // Close has cut the sockets it knew of: this one is sniffed and cut likewise
		return false
	default:
	}
	return l.awaitRequest(c, pw, deadline)
}

// requestAwaited is a socket accepted before its client sent a byte: a record the poller
// calls back (sniff, in one of its readers) when the request comes, or the handshake's
// deadline closes. No goroutine waits for it: after a restart the listener accepts
// thousands of sockets whose clients, busy reconnecting, have not written yet, and a
// goroutine each, waiting in the poller, was thousands of stacks for the new process to
// fault in (docs/benchmarks/reconnect-storm.md, "The queue without goroutines").
type requestAwaited struct {
	l       *wsListener
	c       net.Conn
	w       readableWatcher
	claimed atomic.Bool // by the first of: the request came, the deadline, Close
	timer   *time.Timer
}

// awaitRequest watches c for its request, which sniff reads once it comes; it reports false
// if the socket cannot be watched (sniff it now). Under mu, with c counted in sniffing and wg.
func (l *wsListener) awaitRequest(c net.Conn, w readableWatcher, deadline time.Time) bool {
	a := &requestAwaited{l: l, c: c, w: w}
	l.awaited[c] = a
	a.timer = time.AfterFunc(time.Until(deadline), a.expire)
	if err := w.watchReadable(func() { a.readable(deadline) }); err != nil {
		if !a.claimed.CompareAndSwap(false, true) {
			return true // the deadline has passed already: expire ends it once mu is free
		}
		a.timer.Stop()
		delete(l.awaited, c)
		return false
	}
	return true
}

// claim takes the socket for one of its three ends, once; under no lock. The timer is read
// under mu, which awaitRequest holds while it sets it: the timer may fire before.
func (a *requestAwaited) claim() bool {
	if !a.claimed.CompareAndSwap(false, true) {
		return false
	}
	a.l.mu.Lock()
	delete(a.l.awaited, a.c)
	t := a.timer
	a.l.mu.Unlock()
	t.Stop()
	return true
}

// readable: the client sent its request (or closed): read it here, in the poller's reader.
func (a *requestAwaited) readable(deadline time.Time) {
	if a.claim() {
		a.l.sniff(a.c, deadline, true)
	}
}

// expire: no byte before the handshake's deadline; net/http says nothing to such a
// connection either.
func (a *requestAwaited) expire() {
	if a.claim() {
		a.end()
	}
}

// end closes a socket no request came on and stops counting it.
func (a *requestAwaited) end() {
	a.w.unwatch()
	a.l.doneSniffing(a.c)
	_ = a.c.Close()
	a.l.wg.Done()
}

// accept takes the next connection: a rawSocket from the listening socket itself
// (rawsock_linux.go) where it can, else one of net's.
func (l *wsListener) accept() (net.Conn, error) {
	if l.rawAccept != nil {
		return l.rawAccept()
	}
	return l.Listener.Accept()
}

// sniff reads the first request of c, within deadline, and serves it as a WebSocket, or
// hands c to net/http. inHandler says it runs in one of the poller's handlers, woken by the
// request's first bytes (awaitRequest).
func (l *wsListener) sniff(c net.Conn, deadline time.Time, inHandler bool) {
	_ = c.SetReadDeadline(deadline)
	select {
	case <-l.done: // Close cut the reads being made before this one set its deadline
		_ = c.SetReadDeadline(time.Now())
	default:
	}
	buf, n, err := firstRead(c)
	l.sniffRead(c, deadline, buf, n, err, inHandler)
}

// sniffRead goes on with the request whose first n bytes are in buf (err: the read's). In a
// poller's handler, a head that has not all come is handed to a function of the poller's Go,
// which keeps half its readers for the readable sockets: a client sending its head a byte at a
// time waits there, as every request did before awaitRequest, not in a handler.
func (l *wsListener) sniffRead(c net.Conn, deadline time.Time, buf *[handshakeBuffer]byte, n int, err error, inHandler bool) {
	handedOn := false
	defer func() {
		if !handedOn {
			l.wg.Done()
		}
	}()
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
		r, read, head, res := sniffRequest(buf[:n])
		switch {
		case res == sniffMore && n < len(buf):
			if inHandler {
				handedOn = true
				l.s.sockets.Go(func() { l.sniffRead(c, deadline, buf, n, nil, false) })
				return
			}
			var m int
			m, err = c.Read(buf[n:])
			n += m
			continue
		case res == sniffOurs: // counted as being set up until admission counts it (serveWS)
			_ = c.SetReadDeadline(time.Time{})
			// read holds the bytes, out of the pooled buffer (sniffRequest says why)
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

// serveWS is the server's serveWS for a request read here: read holds the request's head
// (head bytes) and the client's first frames after it. An upgrade that has to wait for its
// admission slot waits as a record in admission's queue (upgradeWaiting), and the goroutine
// that read it goes back to the poller's readers.
func (l *wsListener) serveWS(c net.Conn, r *http.Request, read string, head int, deadline time.Time) {
	s := l.s
	r.RemoteAddr = remoteString(c.RemoteAddr())
	hs, ok := s.sockets.PlainHandshake(r)
	if !ok {
		l.doneSniffing(c)
		l.handOff(c, []byte(read), deadline) // gorilla's to answer, through the mux
		return
	}
	u := &upgradeWaiting{l: l, c: c, r: r, hs: hs, read: read, head: head, deadline: deadline}
	if head < len(read) {
		u.early = []byte(read[head:])
	}
	w := &refusal{}
	if !s.admitOpen(w, r) {
		l.doneSniffing(c)
		u.refused(w)
		return
	}
	// The request stops counting as young only once admission counts it — as a waiter or a
	// slot — or refused it: in between, a paced accept would see one setup fewer than there
	// are and accept a connection admission then sheds. The record's lock holds its answer
	// off until it is set up (counted in wg, watching its socket).
	u.mu.Lock()
	now, queued := s.admission.enqueue(u.answer)
	l.doneSniffing(c)
	if queued == nil {
		u.mu.Unlock()
		u.admitted(now)
		return
	}
	u.waiter = queued
	l.wg.Add(1) // the answer's goroutine says Done; Close waits for it
	if pw, ok := c.(readableWatcher); ok && pw.watchReadable(u.readable) == nil {
		u.watched = pw
	} else {
		u.watch = watchByReading(c, func() { s.admission.cancel(queued) })
	}
	u.mu.Unlock()
}

// readWatch watches a socket the poller cannot (a connection of a listener that is not plain
// TCP, where Listener found no descriptor to accept from) for its client leaving, the way
// net/http watches a request's connection: a goroutine reading one byte. Only such sockets pay
// for one.
type readWatch struct {
	c       net.Conn
	stopped atomic.Bool   // stop cut the read: not the client's doing
	ended   chan struct{} // closed when the read has returned
	b       [1]byte       // what the read took: the first byte of a frame sent meanwhile
	n       int
}

// watchByReading starts a readWatch of c that calls gone if the client closes it.
func watchByReading(c net.Conn, gone func()) *readWatch {
	w := &readWatch{c: c, ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		n, err := c.Read(w.b[:])
		w.n = n
		if n == 0 && err != nil && !w.stopped.Load() {
			gone() // EOF or a reset: the client has gone
		}
	}()
	return w
}

// stop ends the watch and returns the byte it read, if any: the start of a frame the client
// sent while it waited, which the connection reads first.
func (w *readWatch) stop() []byte {
	w.stopped.Store(true)
	_ = w.c.SetReadDeadline(time.Unix(1, 0)) // in the past: the read returns now
	<-w.ended
	_ = w.c.SetReadDeadline(time.Time{})
	return w.b[:w.n]
}

// readableWatcher is a socket that can say when it becomes readable without a goroutine
// waiting on it (rawSocket): while an upgrade waits for its admission slot, so that a client
// that gave up keeps no place in the queue.
type readableWatcher interface {
	// watchReadable has f called once, from one of the poller's readers, the next time the
	// socket is readable (bytes came, or the client closed it), unless unwatch comes first.
	watchReadable(f func()) error
	unwatch()
	// peek reports, without taking any byte, whether bytes wait (data) or the client has
	// gone (gone); neither: nothing yet.
	peek() (data, gone bool)
}

// upgradeWaiting is an upgrade read by the WebSocket listener: the request, the bytes read
// with it and the socket. One that waits for its admission slot is only this record in
// admission's queue, with a timer and its socket watched by the poller: no goroutine, no
// stack (admission.go says why).
type upgradeWaiting struct {
	l        *wsListener
	c        net.Conn
	r        *http.Request
	hs       transport.Handshake
	read     string // the bytes read: the request's head, then what the client sent after it
	head     int
	early    []byte // what the client sent after its request, and while it waited
	deadline time.Time

	mu      sync.Mutex
	waiter  *waiter         // its place in admission's queue, while it waits
	watched readableWatcher // c, while the poller watches it
	watch   *readWatch      // c's watch where the poller cannot watch it
	done    bool            // answered: nothing more to watch
}

// answer is admission's answer to a queued upgrade: run the rest in one of the poller's
// readers (answer must not block).
func (u *upgradeWaiting) answer(ok bool) {
	u.l.s.sockets.Go(func() {
		defer u.l.wg.Done()
		u.mu.Lock() // set up (serveWS) before going on
		u.done = true
		if u.watched != nil {
			u.watched.unwatch()
		}
		u.mu.Unlock()
		if u.watch != nil {
			u.early = append(u.early, u.watch.stop()...)
		}
		u.admitted(ok)
	})
}

// readable is the watched socket's news while the upgrade waits: bytes sent early stay in
// the socket for the connection (the watch ends: there is nothing more it could tell); a
// client that has gone gives its place up; nothing (a spurious wake) watches on.
func (u *upgradeWaiting) readable() {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return
	}
	data, gone := u.watched.peek()
	if !data && !gone && u.watched.watchReadable(u.readable) == nil {
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	if gone {
		u.l.s.admission.cancel(u.waiter) // answers false unless a slot came first
	}
}

// admitted goes on with an upgrade once admission has answered: a slot (got) or none.
func (u *upgradeWaiting) admitted(got bool) {
	l, s, c := u.l, u.l.s, u.c
	var settle *slot
	w := &refusal{}
	release, ok := s.admitGranted(w, u.r, &settle, got)
	if !ok {
		u.refused(w)
		return
	}
	// what the client sent after its request (what came since is in c)
	ws, err := s.sockets.UpgradeConn(c, u.r, u.hs, u.early, s.nextID.Add(1))
	if err != nil {
		settle.release()
		release()
		if errors.Is(err, transport.ErrNotPollable) {
			l.handOff(c, append([]byte(u.read[:u.head]), u.early...), u.deadline)
		}
		return
	}
	s.openWS(ws, u.r, settle, release)
}

// refused writes admission's refusal w and, as net/http after the handler, leaves the
// connection open for the client's next request.
func (u *upgradeWaiting) refused(w *refusal) {
	c, s := u.c, u.l.s
	_ = c.SetWriteDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	if _, err := c.Write(w.bytes(time.Now())); err != nil {
		_ = c.Close()
		return
	}
	_ = c.SetWriteDeadline(time.Time{})
	u.l.handOff(c, u.early, time.Time{})
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
