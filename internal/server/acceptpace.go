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
func (l *wsListener) pace() {
	pause := l.s.cfg.AcceptPause
	if pause <= 0 || !l.setupsFull() {
		return
	}
	now := time.Now()
	if now.Before(l.freeUntil) {
		return
	}
	t := time.NewTimer(pause)
	defer t.Stop()
	for l.setupsFull() {
		select {
		case <-l.s.admission.freed:
		case <-t.C:
			l.freeUntil = time.Now().Add(pause)
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
