package hub

import "time"

// roomWindow is the timer of something a room holds for a while and then sends together (a
// burst of reactions, presence notices): armed when the first item is held, stopped when they
// are sent early or the room closes. No goroutine waits on it; the hub's bg counts an armed
// timer so that Close waits for a callback already running. Guarded by the room's mu.
type roomWindow struct {
	timer *time.Timer
	// armed counts the windows armed, so that a timer that fired for items sent meanwhile
	// (its Stop came too late) leaves the next window's items alone.
	armed uint64
}

// arm starts the window unless it runs already: after d, send runs with the room's mu held,
// unless the room closed or the window was stopped and armed again meanwhile. Called with mu
// held.
func (w *roomWindow) arm(r *room, d time.Duration, send func()) {
	if w.timer != nil {
		return
	}
	w.armed++
	armed := w.armed
	r.hub.bg.Add(1)
	w.timer = time.AfterFunc(d, func() {
		defer r.hub.bg.Done()
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.closed || armed != w.armed {
			return
		}
		w.timer = nil
		send()
	})
}

// stop disarms the window. Called with the room's mu held.
func (w *roomWindow) stop(r *room) {
	if w.timer != nil && w.timer.Stop() {
		r.hub.bg.Done()
	}
	w.timer = nil
}
