package hub

// ring keeps a room's newest delivered messages, contiguous in seq, in a fixed circular buffer.
type ring struct {
	buf   []*Envelope
	start int // index of the oldest
	n     int
}

func newRing(size int) ring { return ring{buf: make([]*Envelope, size)} }

func (g *ring) push(e *Envelope) {
	if len(g.buf) == 0 {
		return
	}
	if g.n < len(g.buf) {
		g.buf[(g.start+g.n)%len(g.buf)] = e
		g.n++
		return
	}
	g.buf[g.start] = e
	g.start = (g.start + 1) % len(g.buf)
}

func (g *ring) at(i int) *Envelope { return g.buf[(g.start+i)%len(g.buf)] }

// oldestSeq returns the seq of the oldest message held, or 0 if none.
func (g *ring) oldestSeq() uint64 {
	if g.n == 0 {
		return 0
	}
	return g.at(0).Event.AppendedEntry().Seq
}

// full reports whether the ring holds as many messages as it can: then the room may have older
// ones in the Store. A ring that is not full holds every message the Store kept.
func (g *ring) full() bool { return g.n == len(g.buf) }

// oldestFrom returns the seq after which the newest n messages up to last start.
func (g *ring) oldestFrom(last uint64, n int) uint64 {
	n = min(n, g.n)
	if n == 0 {
		return last
	}
	return g.at(g.n-n).Event.AppendedEntry().Seq - 1
}

// after returns the held messages with from < seq ≤ last. ok is false if the ring does not reach
// back to from+1, so the caller must read the older part from the Store.
func (g *ring) after(from, last uint64) ([]*Envelope, bool) {
	if from >= last {
		return nil, true
	}
	if g.n == 0 {
		// The ring holds the newest messages the Store had; empty means none are left.
		return nil, true
	}
	if g.at(0).Event.AppendedEntry().Seq > from+1 {
		return nil, false
	}
	skip := int(from + 1 - g.at(0).Event.AppendedEntry().Seq)
	out := make([]*Envelope, 0, max(0, min(g.n-skip, int(last-from))))
	for i := skip; i < g.n; i++ {
		e := g.at(i)
		if e.Event.AppendedEntry().Seq > last {
			break // a replay never goes past the last seq its joined frame reports
		}
		out = append(out, e)
	}
	return out, true
}
