package hub

import "hubbub"

// Live reactions go out in bursts. A popular message in a large room draws many reactions in a
// few seconds, and a frame per reaction per member would cost members × reactions frames (a
// burst of 100 in a room of 1,000: 100,000). So a room holds the consecutive reaction entries it
// delivers for up to Config.ReactionWindow, at most Config.ReactionBatch of them, and sends them
// as one envelope (Envelope.Reactions), which a codec writes as one frame. Any other entry
// delivered to the room, and any join, sends the held burst first, so the members see the log in
// seq order and a joiner never gets reactions its replay already holds. Each reaction entry
// still goes into the ring on its own, for the replays of rejoins with since.

// reactionBurst is a room's held reactions. Guarded by the room's mu.
type reactionBurst struct {
	entries []*hubbub.Entry // delivered in seq order, not yet sent to the members
	window  roomWindow      // ends the burst
}

// holdReaction adds a delivered reaction entry to the room's burst, and reports false (holding
// nothing) if batching is off. Called with mu held.
func (r *room) holdReaction(e *hubbub.Entry) bool {
	cfg := r.hub.cfg
	if cfg.ReactionWindow <= 0 {
		return false
	}
	r.burst.entries = append(r.burst.entries, e)
	if len(r.burst.entries) >= cfg.ReactionBatch {
		r.flushReactions()
		return true
	}
	r.burst.window.arm(r, cfg.ReactionWindow, r.flushReactions)
	return true
}

// flushReactions sends the held burst, if any, to the members as one envelope. Called with mu
// held.
func (r *room) flushReactions() {
	if len(r.burst.entries) == 0 {
		return
	}
	r.burst.window.stop(r)
	burst := r.burst.entries
	r.burst.entries = nil // the envelope keeps this slice
	last := burst[len(burst)-1]
	e := &Envelope{Event: hubbub.Event{Room: r.name, Body: hubbub.EntryAppended{Entry: last}}, Reactions: burst}
	r.fanoutEntry(e, hubbub.KindReaction)
}
