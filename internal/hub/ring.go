package hub

import "sort"

// ring keeps a room's newest delivered entries of every kind (messages, edits, deletes,
// reactions), ascending in seq, in a fixed circular buffer: what a rejoin with since replays
// without reading the Store. Seqs are usually contiguous, but need not be: retention removes a
// message with the entries that change it, so a ring loaded from the Store may skip seqs.
type ring struct {
	buf   []*Envelope
	start int // index of the oldest
	n     int
	// base is the seq above which the ring was loaded (room.load): while it is empty, it
	// holds every stored entry above base (none), and nothing of what lies at or below. A
	// room's seqs may jump by more than the ring holds (hubbub restore moves them on), so an
	// empty ring does not mean that nothing older is stored.
	base uint64
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

func (g *ring) set(i int, e *Envelope) { g.buf[(g.start+i)%len(g.buf)] = e }

func (g *ring) seqAt(i int) uint64 { return g.at(i).Event.AppendedEntry().Seq }

// oldestSeq returns the seq of the oldest entry held, or 0 if none.
func (g *ring) oldestSeq() uint64 {
	if g.n == 0 {
		return 0
	}
	return g.seqAt(0)
}

// index returns the position of the first entry with a seq above from (g.n if none).
func (g *ring) index(from uint64) int {
	return sort.Search(g.n, func(i int) bool { return g.seqAt(i) > from })
}

// after returns the held entries with from < seq ≤ last. ok is false if the ring does not reach
// back to from+1, so the caller must read the older part from the Store.
func (g *ring) after(from, last uint64) ([]*Envelope, bool) {
	if from >= last {
		return nil, true
	}
	if g.n == 0 {
		// The ring holds the newest entries the Store had above base; empty means none are
		// left there, but there may be some at or below it.
		return nil, from >= g.base || len(g.buf) == 0
	}
	if g.seqAt(0) > from+1 {
		return nil, false
	}
	i := g.index(from)
	out := make([]*Envelope, 0, max(0, min(g.n-i, int(min(last-from, uint64(g.n))))))
	for ; i < g.n; i++ {
		e := g.at(i)
		if e.Event.AppendedEntry().Seq > last {
			break // a replay never goes past the last seq its joined frame reports
		}
		out = append(out, e)
	}
	return out, true
}

// messages returns up to n of the newest messages held (not the other kinds), oldest first.
func (g *ring) messages(n int) []*Envelope {
	var out []*Envelope
	for i := g.n - 1; i >= 0 && len(out) < n; i-- {
		if e := g.at(i); e.Event.AppendedEntry().IsMessage() {
			out = append(out, e)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}
