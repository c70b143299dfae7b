package hub

import (
	"context"
	"time"

	"hubbub"
)

// A room opened on this node knows its members here at once, but those of the other nodes only
// once they answer its question (PresenceQueried, asked when it opens). A join answered before
// them listed this node's members alone and then announced the others as joining: "you joined
// ops; members: carol", then "* ann joined ops" though ann was there all along — for every
// client after a node restart. So with Config.PresenceWait a room that opens holds its first
// joins until the nodes it knows of have answered, or PresenceWait has passed: their joined
// frames list the members of every node. A node that answers later (or a name a lost join
// left out) is announced as a presence `state`, not a `join` (PresenceReported, presence.go).
//
// Which nodes to wait for: those heard from within PresenceExpiry (peers, nodes.go), each of
// which answers, holding the room or not. So the wait lasts a broker round trip or two, and in
// full only for a node that died without a word and is not expired yet, or one of the version
// before that does not hold the room (it never answers). A node that knows no other yet (it
// just started) waits for the first node's announcement instead, which says which nodes there
// are. A node alone hears none, and its rooms that opened within PresenceWait of its start
// waited that long: so such a node first asks the broker whether anyone subscribes to the
// room (hubbub.InterestProber, before the room's own subscription; one round trip), and where
// nobody does — no node holds the room, of any version — there is nobody to wait for (unheld).
// With no other node known there is no wait at all, and the server leaves the wait off with
// the in-process broker.

// opening is a room's wait for the other nodes' answers. Guarded by the room's mu.
type opening struct {
	done chan struct{} // closed when the wait ends
	// expect are the nodes whose answers the wait still needs. It is nil while this node does
	// not know which nodes there are (peers.live), and answered then holds who answered
	// meanwhile, for settleOpening.
	expect   map[string]bool
	answered map[string]bool
	window   roomWindow // ends the wait at PresenceWait
}

// startOpening starts the room's wait for the other nodes' answers, if the hub waits at all,
// there may be another node holding the room (unheld: the broker said that nobody does), and
// this node is not going away (Drain). Called with mu held, before the room asks.
func (r *room) startOpening(unheld bool) {
	cfg := r.hub.cfg
	if cfg.PresenceWait <= 0 || r.hub.draining.Load() || unheld {
		return
	}
	expect, known := r.hub.peers.live(time.Now(), cfg.PresenceExpiry, cfg.PresenceWait)
	if known && len(expect) == 0 {
		return // no other node to wait for
	}
	o := &opening{done: make(chan struct{})}
	if known {
		o.expect = expect
	} else {
		o.answered = make(map[string]bool)
	}
	r.opening = o
	o.window.arm(r, cfg.PresenceWait, r.endOpening)
}

// unheld reports whether the broker says that nobody subscribes to the room name, which is
// about to open here: no other node holds it, and there are no answers to wait for. It asks
// only while this node does not know which nodes there are (else the wait ends at their
// answers, which take no longer than the question), and at most PresenceWait, the wait it
// would save; a broker that cannot tell (hubbub.InterestProber) leaves the wait as it was.
func (h *Hub) unheld(ctx context.Context, name string) bool {
	cfg := h.cfg
	prober, ok := h.broker.(hubbub.InterestProber)
	if !ok || cfg.PresenceWait <= 0 || h.draining.Load() {
		return false
	}
	if _, known := h.peers.live(time.Now(), cfg.PresenceExpiry, cfg.PresenceWait); known {
		return false
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.PresenceWait)
	defer cancel()
	held, err := prober.Subscribed(ctx, name)
	if err != nil {
		h.log.Debug("broker cannot tell whether another node holds the room; waiting for the nodes to announce themselves", "room", name, "err", err)
		return false
	}
	return !held
}

// answered notes node's answer (or that it left); the wait ends when every node expected has
// answered. Called with mu held.
func (r *room) answered(node string) {
	o := r.opening
	if o == nil {
		return
	}
	if o.expect == nil {
		o.answered[node] = true
		return
	}
	delete(o.expect, node)
	if len(o.expect) == 0 {
		r.endOpening()
	}
}

// settleOpening gives a wait that did not know which nodes to expect the nodes this node now
// knows of, less those that answered already: the first announcement of a node came. Called
// with mu held.
func (r *room) settleOpening() {
	o := r.opening
	if o == nil || o.expect != nil {
		return
	}
	cfg := r.hub.cfg
	expect, known := r.hub.peers.live(time.Now(), cfg.PresenceExpiry, cfg.PresenceWait)
	if !known {
		return
	}
	for node := range o.answered {
		delete(expect, node)
	}
	o.expect, o.answered = expect, nil
	if len(expect) == 0 {
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
