package hub

import (
	"maps"
	"slices"
	"sync"
	"time"

	"hubbub"
)

// The other nodes of a cluster, and the channel every node follows, hubbub.PresenceChannel.
// A room that opens here waits for the answers of the nodes heard from lately (presenceopen.go),
// so every node must hear every other, whatever rooms they hold, and every node must answer:
//
//   - Each node announces itself on the channel every PresenceInterval (NodeAnnounced, with the
//     nodes it hears), and is one of the others' peers while they heard it within
//     PresenceExpiry. A node shutting down says so (Leaving), and the others stop waiting for
//     it at once; one that dies without a word is waited for until its silence expires it.
//   - A node that starts (or reconnects to the broker) knows no other: it asks every node to
//     announce itself (Hello), and the first announcement it hears tells it which nodes there
//     are (its Peers and its sender). Until then, or until PresenceWait has passed with no
//     announcement (a node alone), a room that opens waits for that first announcement rather
//     than for a list of nodes it does not have (discovery) — unless the broker says that
//     nobody subscribes to the room (presenceopen.go, unheld), as for every room of a node
//     alone.
//   - A room that opens asks every node on the channel (PresenceQueried); each answers on the
//     room itself, where the asker listens: with its members (PresenceReported), or that it
//     has none (AbsenceReported).
//
// The channel carries a handful of small events per node and presence interval, and two per
// node for each room a node opens; none of them grows with a room's members. A node of the
// version before follows no such channel: it is a peer once it restates a room here, it is
// asked on the room as it asks (PresenceRequested, which nodes of this version answer too;
// only while such a node may be live, peers.mixed), and a room that opens waits the whole
// PresenceWait for it unless it holds the room.

// maxPeersListed bounds the nodes one announcement lists, to keep it a small message: a node
// that starts in a larger cluster learns the rest from their own announcements, within a
// presence interval.
const maxPeersListed = 1000

// peers are the other nodes heard from lately, whose answers a room that opens waits for, and
// the node's subscription to hubbub.PresenceChannel.
type peers struct {
	mu   sync.Mutex
	seen map[string]time.Time // node → when it was last heard from
	// current are the nodes heard on the channel (or answering it), when last: nodes of this
	// version. One heard only restating a room is of the version before.
	current map[string]time.Time
	// left are the nodes that said they were leaving, when. What they published before reaches
	// this node on other queues than their goodbye, and may come after it: until a node is
	// heard on the channel again (restarted, its hello comes first), its events on rooms do
	// not make it live again. Kept PresenceExpiry.
	left map[string]time.Time
	// asked is when this node last asked every node to announce itself (at its start, and on
	// reconnecting to the broker), and found says that an announcement came since. Until one
	// does, or PresenceWait has passed since asked, this node may not know every other.
	asked time.Time
	found bool
	// started is each node's NodeAnnounced.Started, last heard: one that changes started
	// again (restarted). One entry a node ever heard from, as seen has.
	started map[string]hubbub.Order
	// unsub ends the subscription to the channel; nil while the node does not follow it (its
	// subscription failed: presenceLoop tries again).
	unsub func()
}

// Where a node was heard from, for peers.heard.
const (
	onRoom    = iota // restating a room (any version)
	answering        // answering the channel's question on a room (this version)
	onChannel        // on the channel (this version)
)

// heard notes that node was heard from at now, where.
func (p *peers) heard(node string, now time.Time, where int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if where == onChannel {
		delete(p.left, node)
	} else if _, gone := p.left[node]; gone {
		return // published before it left
	}
	p.heardLocked(node, now)
	if where != onRoom {
		p.current = later(p.current, node, now)
	}
}

func (p *peers) heardLocked(node string, now time.Time) { p.seen = later(p.seen, node, now) }

// later sets m[key] to t unless it holds a later time, making m if needed.
func later(m map[string]time.Time, key string, t time.Time) map[string]time.Time {
	if m == nil {
		m = make(map[string]time.Time)
	}
	if t.After(m[key]) {
		m[key] = t
	}
	return m
}

// restarted notes that node's run began at started (NodeAnnounced.Started), and reports
// whether that is news: the node is heard from for the first time, or started again since.
// A node of the version before says 0, and is never news.
func (p *peers) restarted(node string, started hubbub.Order) bool {
	if started == 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started[node] == started {
		return false
	}
	if p.started == nil {
		p.started = make(map[string]hubbub.Order)
	}
	p.started[node] = started
	return true
}

// forget drops node, which said at now that it is leaving.
func (p *peers) forget(node string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.seen, node)
	delete(p.current, node)
	p.left = later(p.left, node, now)
}

// mixed reports whether a node of the version before may be live: one heard since now -
// expiry but not on the channel, or any while the nodes are not known to be all (live).
func (p *peers) mixed(now time.Time, expiry, wait time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.found && now.Sub(p.asked) < wait {
		return true
	}
	cutoff := now.Add(-expiry)
	for node, at := range p.seen {
		if !at.Before(cutoff) && p.current[node].Before(cutoff) {
			return true
		}
	}
	return false
}

// live returns the nodes heard since now - expiry, forgetting the others, and whether they are
// known to be all: false while this node asked every node to announce itself less than wait
// ago and no announcement came.
func (p *peers) live(now time.Time, expiry, wait time.Duration) (map[string]bool, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cutoff := now.Add(-expiry)
	out := make(map[string]bool, len(p.seen))
	for node, at := range p.seen {
		if at.Before(cutoff) {
			delete(p.seen, node)
			delete(p.current, node)
			continue
		}
		out[node] = true
	}
	for node, at := range p.left {
		if at.Before(cutoff) {
			delete(p.left, node)
		}
	}
	return out, p.found || now.Sub(p.asked) >= wait
}

// list returns the nodes heard since now - expiry, sorted, at most maxPeersListed of them.
func (p *peers) list(now time.Time, expiry time.Duration) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	cutoff := now.Add(-expiry)
	var out []string
	for _, node := range slices.Sorted(maps.Keys(p.seen)) {
		if len(out) == maxPeersListed {
			break
		}
		if !p.seen[node].Before(cutoff) {
			out = append(out, node)
		}
	}
	return out
}

// ask notes that this node asks every node to announce itself now: the nodes it knows of may
// not be all until one does.
func (p *peers) ask(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked, p.found = now, false
}

// learn notes an announcement of node, listing its peers: the first one since ask tells which
// nodes there are, which learn reports. Later lists are not taken: a node that died would
// live on in the lists of the nodes that heard it last, each keeping it alive in the others'.
func (p *peers) learn(self, node string, list []string, now time.Time) (first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.left, node)
	p.heardLocked(node, now)
	p.current = later(p.current, node, now)
	if p.found {
		return false
	}
	p.found = true
	for _, n := range list {
		if _, gone := p.left[n]; n != self && !gone { // the announcer may not know yet
			p.heardLocked(n, now)
		}
	}
	return true
}

// followPresence subscribes the hub to hubbub.PresenceChannel, if it does not follow it yet,
// and asks every node to announce itself. A failure is logged, and presenceLoop tries again.
func (h *Hub) followPresence() {
	p := &h.peers
	p.mu.Lock()
	followed := p.unsub != nil
	p.mu.Unlock()
	if followed {
		return
	}
	unsub, err := h.broker.Subscribe(hubbub.PresenceChannel, h.onPresenceEvent)
	if err != nil {
		h.log.Error("broker subscribe to the presence channel failed; rooms that open wait --presence-wait for the other nodes, until it works", "err", err)
		return
	}
	p.mu.Lock()
	p.unsub = unsub
	p.mu.Unlock()
	h.discover()
}

// follows reports whether the hub follows hubbub.PresenceChannel (and so answers the questions
// asked there).
func (h *Hub) follows() bool {
	h.peers.mu.Lock()
	defer h.peers.mu.Unlock()
	return h.peers.unsub != nil
}

// discover asks every node to announce itself: this node just started, or reconnected to the
// broker, and may not know every other.
func (h *Hub) discover() {
	h.peers.ask(time.Now())
	h.announceNode(true)
}

// announceNode tells every node that this node is alive, and which nodes it hears; with hello,
// asks them to announce themselves.
func (h *Hub) announceNode(hello bool) {
	list := h.peers.list(time.Now(), h.cfg.PresenceExpiry)
	h.publishQuiet(hubbub.Event{Room: hubbub.PresenceChannel, Node: h.cfg.Node,
		Body: hubbub.NodeAnnounced{Peers: list, Hello: hello, Started: h.presenceStarted}}, "node announcement")
}

// leave tells every node that this node is shutting down, and stops following the channel
// (Close, once nothing more is answered).
func (h *Hub) leave() {
	p := &h.peers
	p.mu.Lock()
	unsub := p.unsub
	p.unsub = nil
	p.mu.Unlock()
	if unsub == nil {
		return
	}
	unsub()
	h.publishQuiet(hubbub.Event{Room: hubbub.PresenceChannel, Node: h.cfg.Node, Body: hubbub.NodeAnnounced{Leaving: true}}, "node leaving")
}

// onPresenceEvent handles an event of hubbub.PresenceChannel. It runs on the broker's
// goroutine and must not block, so what takes a room's lock or the broker runs in the
// background.
func (h *Hub) onPresenceEvent(ev hubbub.Event) {
	if ev.Node == h.cfg.Node || ev.Node == "" {
		return
	}
	now := time.Now()
	// The channel carries these two kinds; anything else on it is not for this node.
	switch b := ev.Body.(type) {
	case hubbub.PresenceQueried:
		h.peers.heard(ev.Node, now, onChannel)
		h.Go(func() { h.answerQuery(b.Room) })
	case hubbub.NodeAnnounced:
		if b.Leaving {
			h.peers.forget(ev.Node, now)
			h.Go(func() { h.eachOpening(func(r *room) { r.answered(ev.Node) }) })
			return
		}
		if h.peers.learn(h.cfg.Node, ev.Node, b.Peers, now) {
			h.Go(func() { h.eachOpening((*room).settleOpening) })
		}
		if b.Hello {
			h.Go(func() { h.announceNode(false) })
		}
		if h.peers.restarted(ev.Node, b.Started) {
			// A node that started again numbers its presence events anew: above the old, but
			// for a clock set back meanwhile, whose events would be dropped as older than the
			// old ones for as long as the node kept talking. Its orders are forgotten instead,
			// on its hello or, if this node missed that (away from the broker), on its next
			// announcement.
			h.Go(func() { h.eachRoom(func(r *room) { r.forgetOrders(ev.Node) }) })
		}
	}
}

// answerQuery answers another node's PresenceQueried about roomName, on the room: with this
// node's members of it, or that it has none.
func (h *Hub) answerQuery(roomName string) {
	var body hubbub.EventBody = hubbub.AbsenceReported{}
	if r := h.lookup(roomName); r != nil {
		if report, ok := r.report(); ok {
			body = report
		}
	}
	h.publishQuiet(hubbub.Event{Room: roomName, Node: h.cfg.Node, Body: body}, "presence answer")
}

// eachRoom calls fn, with the room's mu held, for each room of the node.
func (h *Hub) eachRoom(fn func(*room)) {
	h.mu.Lock()
	rooms := h.roomsLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.mu.Lock()
		fn(r)
		r.mu.Unlock()
	}
}

// eachOpening calls fn, with the room's mu held, for each room of the node that waits for the
// other nodes' answers.
func (h *Hub) eachOpening(fn func(*room)) {
	h.eachRoom(func(r *room) {
		if r.opening != nil {
			fn(r)
		}
	})
}
