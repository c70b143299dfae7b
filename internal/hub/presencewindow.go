package hub

import "time"

// Presence notices go out together. Each join in a room of n members is announced to all n, and
// members arrive in bursts (a reconnect storm brings a room's hundred members back within a
// second): announced one by one, each notice cost each member a push, a wake of its writer and,
// mostly, a socket write of its own — 21.4 writes per connect + join, half a million notices in
// a storm of 10,000 clients in rooms of 100 (docs/benchmarks/reconnect-storm.md, "Connect + join
// and the storm on one core"). So a room holds the notices it announces for up to
// Config.PresenceWindow, at most Config.PresenceBatch of them, and then queues them to each
// member in one push (Outbox.PushMany: one lock, one wake), which the writer sends in one write.
// The frames are the same, in the same order; they are only later by up to the window.
//
// The order a member sees is kept: anything else the room queues to its members (an entry,
// a burst of reactions, a typing notice, a kick) sends the held notices first; a member that
// leaves or is removed gets those held while it was there before anything said after; and a
// member that joins while notices are held gets none from before its join, as it would not
// have without the window (its joined reply lists who is there).
//
// A room busy with joins holds them longer. In a reconnect storm a room's hundred members come
// back within a second or so, and each window's end is a write to every member already back:
// ten a second a member at 100 ms, five times a busy room's chat, most of the new process's
// writes while it takes the storm (docs/benchmarks/reconnect-storm.md, "A longer window while
// a room is busy with joins"). So a window that ended holding PresenceBusy notices or more
// (or a full batch) makes the room's next window Config.PresenceWindowMax; one that held fewer,
// or a room that held none for longer than that, is back to Config.PresenceWindow. Quiet rooms
// announce within the short window; a storm's notices are up to the long one late.
//
// Nothing of it outlives the room or the node's shutdown: the window is a timer armed only
// while notices are held (no goroutine per room), stopped when the room closes; a draining hub
// (Drain) drops what is held, since its members are all leaving, and holds nothing more: what
// it still announces (another node's members leaving) goes out at once, as without a window.

// PresenceBusy is how many notices a window must hold for the room's next window to be the
// long one (Config.PresenceWindowMax): four joins, leaves or changes of state within 100 ms
// are a burst (a storm's rooms of 100 see 40–160 a second), a quiet room's are one or two.
// Exported for the flag's help text.
const PresenceBusy = 4

// presenceHold is a room's held presence notices. Guarded by the room's mu.
type presenceHold struct {
	notices []*Envelope // announced in this order, not yet queued to the members
	// from is, for each member that joined while notices were held, how many of them were
	// held before it joined: it gets notices[from:]. Members not in it get them all.
	from   map[*Member]int
	window roomWindow // ends the hold
	// long says the last window held PresenceBusy notices or more, and ended is when it
	// ended: the next window is Config.PresenceWindowMax if it starts within that much of it.
	long  bool
	ended time.Time
}

// holdPresence adds a presence notice to the room's held ones, or queues it at once if the
// window is off or the node draining. Called with mu held.
func (r *room) holdPresence(e *Envelope) {
	cfg := r.hub.cfg
	if cfg.PresenceWindow <= 0 || r.hub.draining.Load() {
		r.fanoutNotice(e)
		return
	}
	p := &r.presence
	p.notices = append(p.notices, e)
	if len(p.notices) >= cfg.PresenceBatch {
		r.flushPresence()
		return
	}
	if p.window.timer == nil {
		p.window.arm(r, p.length(cfg), r.flushPresence)
	}
}

// length is how long the window about to start holds: the long one after a busy window that
// ended within the long one's length, the short one otherwise. Called with mu held.
func (p *presenceHold) length(cfg Config) time.Duration {
	if p.long && time.Since(p.ended) < cfg.PresenceWindowMax {
		return cfg.PresenceWindowMax
	}
	return cfg.PresenceWindow
}

// flushPresence queues the held notices to the members, each its share in one push. Called
// with mu held.
func (r *room) flushPresence() {
	p := &r.presence
	if len(p.notices) == 0 {
		return
	}
	r.presence.window.stop(r)
	notices, from := p.notices, p.from
	p.notices, p.from = nil, nil
	if cfg := r.hub.cfg; cfg.PresenceWindowMax > cfg.PresenceWindow {
		p.long = len(notices) >= min(PresenceBusy, cfg.PresenceBatch)
		if p.long {
			p.ended = time.Now()
		}
	}
	for _, m := range r.members {
		if m.MessagesOnly {
			continue
		}
		if i := from[m]; i < len(notices) {
			m.Out.PushMany(notices[i:])
		}
	}
}

// presenceJoined notes that m joins while notices are held: they are from before its join.
// Called with mu held.
func (r *room) presenceJoined(m *Member) {
	p := &r.presence
	if len(p.notices) == 0 {
		return
	}
	if p.from == nil {
		p.from = make(map[*Member]int)
	}
	p.from[m] = len(p.notices)
}

// presenceLeft queues to m, which is leaving the room, the held notices said while it was
// there, ahead of whatever follows its leaving. Called with mu held.
func (r *room) presenceLeft(m *Member) {
	p := &r.presence
	if len(p.notices) == 0 {
		return
	}
	i, joinedLate := p.from[m]
	if joinedLate {
		delete(p.from, m)
	}
	if !m.MessagesOnly && i < len(p.notices) {
		m.Out.PushMany(p.notices[i:])
	}
}

// dropPresence forgets the held notices and disarms the window: the room is closing, or the
// node is draining and its members are all leaving. Called with mu held.
func (r *room) dropPresence() {
	r.presence.window.stop(r)
	clear(r.presence.notices)
	r.presence.notices, r.presence.from = nil, nil
	r.presence.long = false
}
