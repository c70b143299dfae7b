package hub

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
// Nothing of it outlives the room or the node's shutdown: the window is a timer armed only
// while notices are held (no goroutine per room), stopped when the room closes; a draining hub
// (Drain) drops what is held, since its members are all leaving, and holds nothing more: what
// it still announces (another node's members leaving) goes out at once, as without a window.

// presenceHold is a room's held presence notices. Guarded by the room's mu.
type presenceHold struct {
	notices []*Envelope // announced in this order, not yet queued to the members
	// from is, for each member that joined while notices were held, how many of them were
	// held before it joined: it gets notices[from:]. Members not in it get them all.
	from   map[*Member]int
	window roomWindow // ends the hold
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
	p.window.arm(r, cfg.PresenceWindow, r.flushPresence)
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
}
