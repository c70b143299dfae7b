package hub

import (
	"context"
	"sync"
	"time"
)

// A room opened on this node knows its members here at once, but those of the other nodes only
// once they answer its question (PresenceRequested, asked when it opens). A join answered before
// them listed this node's members alone and then announced the others as joining: "you joined
// ops; members: carol", then "* ann joined ops" though ann was there all along — for every
// client after a node restart. So with Config.PresenceWait a room that opens holds its first
// joins until the nodes it knows of have answered, or PresenceWait has passed: their joined
// frames list the members of every node. A node that answers later (or a name a lost join
// left out) is announced as a presence `state`, not a `join` (PresenceReported, presence.go).
//
// Which nodes to wait for: those that restated members of any room to this node within
// PresenceExpiry (peers). A node that does not hold the room never answers, and after a restart
// this node knows no other yet, so such a room waits PresenceWait in full; that is the price,
// paid once per room opened, and only in a cluster (the server leaves the wait off with the
// in-process broker).

// opening is a room's wait for the other nodes' answers. Guarded by the room's mu.
type opening struct {
	done   chan struct{} // closed when the wait ends
	expect map[string]bool
	window roomWindow // ends the wait at PresenceWait
}

// peers are the other nodes heard restating their members lately, for opening's wait.
type peers struct {
	mu   sync.Mutex
	seen map[string]time.Time // node → when it last restated members of a room here
}

// heard notes that node restated its members of a room now.
func (p *peers) heard(node string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = make(map[string]time.Time)
	}
	p.seen[node] = now
}

// live returns the nodes heard since cutoff, forgetting the others.
func (p *peers) live(cutoff time.Time) map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]bool, len(p.seen))
	for node, at := range p.seen {
		if at.Before(cutoff) {
			delete(p.seen, node)
			continue
		}
		out[node] = true
	}
	return out
}

// startOpening starts the room's wait for the other nodes' answers, if the hub waits at all.
// Called with mu held, before the room asks.
func (r *room) startOpening() {
	wait := r.hub.cfg.PresenceWait
	if wait <= 0 {
		return
	}
	o := &opening{done: make(chan struct{}), expect: r.hub.peers.live(time.Now().Add(-r.hub.cfg.PresenceExpiry))}
	r.opening = o
	o.window.arm(r, wait, r.endOpening)
}

// answered notes node's answer; the wait ends when every node expected has answered. With none
// expected (this node knows no other yet) it waits for PresenceWait: there is no telling how
// many will answer. Called with mu held.
func (r *room) answered(node string) {
	o := r.opening
	if o == nil || len(o.expect) == 0 {
		return
	}
	delete(o.expect, node)
	if len(o.expect) == 0 {
		r.endOpening()
	}
}

// endOpening lets the held joins go. Called with mu held.
func (r *room) endOpening() {
	o := r.opening
	if o == nil {
		return
	}
	r.opening = nil
	o.window.stop(r)
	close(o.done)
}

// awaitOpening waits until the room's wait for the other nodes ends (at most PresenceWait), or
// ctx is done.
func (r *room) awaitOpening(ctx context.Context) error {
	r.mu.Lock()
	o := r.opening
	r.mu.Unlock()
	if o == nil {
		return nil
	}
	select {
	case <-o.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
