package server

import (
	"net"
	"time"
)

// The WebSocket listener's paced accept. After a restart every client comes back in the
// same second; accepting all of them first took the CPU from the few hundred already
// admitted, whose hellos and joins then waited behind thousands of accepts and request reads
// (docs/benchmarks/reconnect-storm.md, "Accepts paced by the connections being set up").
// So before each accept the listener looks at the connections being set up — its own
// requests being read, admission's slots held and upgrades waiting — and while they fill
// MaxConnecting it waits for one of them to move on, up to AcceptPause; the connections not
// yet accepted wait in the kernel's queue, at no cost to the server.

// A request being read counts only while it is young, for AcceptPause after its accept: a
// client's request follows its connect at once, and sockets that connect and never send one
// (or send it a byte at a time) must not hold accepting off. A pause that runs out anyway —
// the admitted connections made no progress for that long — is followed by as long without
// one (freeUntil), so that nothing can hold accepting off for more than half the time.

// freshConn is a connection being read and when it was accepted.
type freshConn struct {
	c  net.Conn
	at time.Time
}

// accepted counts c, just accepted, as young unless accepts are not paced, and reports
// whether it did (the value of c in sniffing); under mu.
func (l *wsListener) accepted(c net.Conn) bool {
	if l.s.cfg.AcceptPause <= 0 {
		return false
	}
	l.young++
	l.fresh = append(l.fresh, freshConn{c, time.Now()})
	return true
}

// age stops counting the requests read for AcceptPause already; under mu.
func (l *wsListener) age(now time.Time) {
	i := 0
	for ; i < len(l.fresh); i++ {
		f := l.fresh[i]
		young, reading := l.sniffing[f.c]
		if reading && now.Sub(f.at) < l.s.cfg.AcceptPause {
			break
		}
		if young {
			l.sniffing[f.c] = false
			l.young--
		}
	}
	clear(l.fresh[:i]) // the connections go with the sniffs that hold them
	l.fresh = l.fresh[i:]
}

// pace waits, before an accept, while the connections being set up fill the bound: until
// one moves on, the listener closes, or AcceptPause passes.
func (l *wsListener) pace() { l.holdWhile(l.setupsFull, l.s.cfg.AcceptPause, &l.freeUntil) }

// holdWhile keeps the accept loop waiting while full reports true, woken by each slot
// admission frees, for at most limit; a hold that ran out is followed by as long without one
// (*freeUntil), so that what fills admission without ever leaving it cannot hold accepting
// off for more than half the time. A limit of 0 never holds.
func (l *wsListener) holdWhile(full func() bool, limit time.Duration, freeUntil *time.Time) {
	if limit <= 0 || !full() || time.Now().Before(*freeUntil) {
		return
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	for full() {
		select {
		case <-l.s.admission.freed:
		case <-t.C:
			*freeUntil = time.Now().Add(limit)
			return
		case <-l.done:
			return
		}
	}
}

// setupsFull reports whether the young requests being read here and admission's slots and
// waiters reach MaxConnecting.
func (l *wsListener) setupsFull() bool {
	l.mu.Lock()
	l.age(time.Now())
	n := l.young
	l.mu.Unlock()
	return l.s.admission.full(n)
}

// awaitQueueRoom holds a connection just accepted, before its request is read, while the
// connections being set up fill admission's slots and its queue of waiting upgrades —
// counting the requests being read here, which become waiters in a moment: read then, an
// upgrade is answered 503 at once and its client comes back only after the Retry-After of a
// second or two, where while it is held here the next connections stay in the kernel's accept
// queue and each is taken as soon as there is room. It holds the connection in hand because an
// accept cannot be held off until a connection arrives: a check before Accept blocks is stale
// by the time one does, and the accept loop takes hundreds of connections before the first of
// them is read (counting only the young ones let hundreds through on a loaded machine, whose
// requests took longer than AcceptPause to be read). A hold ends after ConnectingWait at most
// (a slot and a waiter each leave within HandshakeTimeout or ConnectingWait, but sockets that
// send no request count too), and one that ran out is followed by as long without one, so
// that silent sockets cannot hold accepting off for more than half the time — as the pause's
// freeUntil. Not when accepts are not paced (AcceptPause 0). In a storm of 10,000 clients
// the pause ran out during the new process's first busy moments, the free accepts filled the
// 8,192 places, and the ~1,500 after them were shed: they were the last 1.5 s of "all back"
// (docs/benchmarks/reconnect-storm.md, "No 503 while the kernel can hold the rest").
func (l *wsListener) awaitQueueRoom() {
	if l.s.cfg.AcceptPause > 0 {
		l.holdWhile(l.queueFull, l.s.admission.wait, &l.queueFreeUntil)
	}
}

// queueFull reports whether the requests being read here, admission's slots and its waiters
// reach MaxConnecting and the queue together: one more upgrade would be refused.
func (l *wsListener) queueFull() bool {
	l.mu.Lock()
	n := len(l.sniffing)
	l.mu.Unlock()
	return l.s.admission.queueFull(n)
}
