package hub

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hubbub"
)

// Presence per user, on this node. A user is online while any of their connections is here and
// one of them sent a frame within AwayAfter, away while connected and idle longer, and offline
// once their last connection here ends; the node then records when the user was last seen
// (Store.SeenAt, in the background, batched every PresenceInterval and at Close). Sessions tell
// the hub when a connection of a user starts (Connect), sends a frame (Online.Active) and ends
// (Online.End).

// User presence states, as UserState and the wire's presence and members frames spell them.
const (
	StateOnline  = "online"
	StateAway    = "away"
	StateOffline = "offline"
)

// UserState is a user's presence as this node knows it.
type UserState struct {
	// State is StateOnline, StateAway or StateOffline.
	State string
	// LastSeen is, for an offline user, when their last connection on this node ended (zero
	// if it did not end here since the node started: read the store's User.LastSeen).
	LastSeen time.Time
}

// userConns is one user's connections on this node.
type userConns struct {
	conns  int          // guarded by userPresence.mu
	active atomic.Int64 // unix nanoseconds of the latest frame from any of them
	// away is the state last announced to the user's rooms; woke is set by a frame that came
	// while it said away, so that announceAway tells of the return even if the user is idle
	// again by the time it looks.
	away, woke atomic.Bool
}

// userPresence is the node's record of who is connected, for presence.
type userPresence struct {
	mu sync.Mutex
	on map[string]*userConns
	// seen holds when users went offline and not yet written to the store (SeenAt), by id;
	// bounded by maxPendingSeen.
	seen map[string]time.Time
	// seenNames is the same for the members of another node that expired with it (seenGone),
	// by name, since other nodes' members are known by name only: flushSeen looks their users
	// up. Bounded by maxPendingSeen too.
	seenNames map[string]time.Time
	// deferred are such members whose last seen another node records (room.recorder), by
	// name, kept until it surely has (settleDeferred). Bounded by maxPendingSeen too.
	deferred map[string]deferredSeen
}

// deferredSeen is the last seen of a member of a node that died, which another node records:
// kept here until that node surely has, to be recorded here if it cannot.
type deferredSeen struct {
	at    time.Time // when the member's node was last heard from
	room  string    // the room in which the choice was made
	by    string    // the node that records it
	since time.Time // by's nodeMembers.since then (room.holds)
	until time.Time // when by has surely recorded it, if it still holds the room's members
}

// maxPendingSeen bounds the last-seen times held for the store between flushes: past it, the
// oldest are dropped unwritten (a user's last seen is a hint, not data).
const maxPendingSeen = 100000

// Online is one connection's part in its user's presence. End it exactly once.
type Online struct {
	h    *Hub
	id   string
	u    *userConns
	done atomic.Bool
}

// Connect records a connection of user id (a hubbub.User's id, or an anonymous one) and returns
// its part, to mark activity and end with.
func (h *Hub) Connect(id string) *Online {
	us := &h.presence
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.on == nil {
		us.on = make(map[string]*userConns)
	}
	u := us.on[id]
	if u == nil {
		u = &userConns{}
		us.on[id] = u
	}
	u.conns++
	u.active.Store(time.Now().UnixNano())
	delete(us.seen, id)
	return &Online{h: h, id: id, u: u}
}

// Active records that the connection sent a frame now.
func (o *Online) Active() {
	o.u.active.Store(time.Now().UnixNano())
	if o.u.away.Load() {
		o.u.woke.Store(true)
	}
}

// End records that the connection ended; it reports whether it was its user's last on this
// node (who is then offline). A second End does nothing.
func (o *Online) End() (last bool) {
	if !o.done.CompareAndSwap(false, true) {
		return false
	}
	us := &o.h.presence
	us.mu.Lock()
	defer us.mu.Unlock()
	o.u.conns--
	if o.u.conns > 0 {
		return false
	}
	delete(us.on, o.id)
	if !strings.HasPrefix(o.id, hubbub.AnonymousPrefix) { // anonymous users are not stored
		if us.seen == nil {
			us.seen = make(map[string]time.Time)
		}
		if len(us.seen) >= maxPendingSeen {
			oldest, at := "", time.Time{}
			for id, t := range us.seen {
				if oldest == "" || t.Before(at) {
					oldest, at = id, t
				}
			}
			delete(us.seen, oldest)
		}
		us.seen[o.id] = time.Now().UTC()
	}
	return true
}

// UserState returns the presence of user id on this node.
func (h *Hub) UserState(id string) UserState {
	us := &h.presence
	us.mu.Lock()
	defer us.mu.Unlock()
	return us.state(id, time.Now(), h.cfg.AwayAfter)
}

// UserStates returns the presence of each of ids on this node, by id.
func (h *Hub) UserStates(ids []string) map[string]UserState {
	us := &h.presence
	now := time.Now()
	out := make(map[string]UserState, len(ids))
	us.mu.Lock()
	defer us.mu.Unlock()
	for _, id := range ids {
		out[id] = us.state(id, now, h.cfg.AwayAfter)
	}
	return out
}

// state is UserState with mu held.
func (us *userPresence) state(id string, now time.Time, awayAfter time.Duration) UserState {
	if u := us.on[id]; u != nil {
		if now.Sub(time.Unix(0, u.active.Load())) > awayAfter {
			return UserState{State: StateAway}
		}
		return UserState{State: StateOnline}
	}
	return UserState{State: StateOffline, LastSeen: us.seen[id]}
}

// seenRecorder is what a Store that keeps users offers for presence (hubbub.UserStore.SeenAt
// and UserByName).
type seenRecorder interface {
	SeenAt(ctx context.Context, id string, t time.Time) error
	UserByName(ctx context.Context, name string) (u hubbub.User, found bool, err error)
}

// seenGone notes when the members of another node that expired with it in room were last
// seen: when their node was last heard from, since it died without saying when their
// connections ended. One surviving node records each (room.recorder): those this node records
// are looked up and written at the next flushSeen; those another node records are kept until
// it surely has, PresenceExpiry and two intervals, time for it to expire them, or to be seen
// dead or gone from the room and leave them to this node (settleDeferred). SeenAt only moves
// a user's last seen forward, so a member recorded by two nodes, or from two rooms, comes to
// the same; a user still connected elsewhere writes a later time when their last connection
// ends.
func (h *Hub) seenGone(room string, gone map[string]goneMember, now time.Time) {
	if _, ok := h.store.(seenRecorder); len(gone) == 0 || !ok {
		return // a store that records no last seen would only gather them (flushSeen)
	}
	until := now.Add(h.cfg.PresenceExpiry + 2*h.cfg.PresenceInterval)
	us := &h.presence
	us.mu.Lock()
	defer us.mu.Unlock()
	for name, g := range gone {
		if g.by == "" {
			delete(us.deferred, name)
			us.recordSeen(name, g.at)
			continue
		}
		if _, here := us.seenNames[name]; here {
			continue // recorded here anyway
		}
		d, ok := us.deferred[name]
		if !ok && len(us.deferred) >= maxPendingSeen {
			continue // a hint, not data: past the bound the rest go unwritten
		}
		if !ok || g.at.After(d.at) {
			if us.deferred == nil {
				us.deferred = make(map[string]deferredSeen)
			}
			us.deferred[name] = deferredSeen{at: g.at, room: room, by: g.by, since: g.since, until: until}
		}
	}
}

// recordSeen notes that name, a member of a node that died, was last seen at t, for flushSeen
// to write. Called with mu held.
func (us *userPresence) recordSeen(name string, t time.Time) {
	if us.seenNames == nil {
		us.seenNames = make(map[string]time.Time)
	}
	if old, ok := us.seenNames[name]; ok && !t.After(old) {
		return
	}
	if _, ok := us.seenNames[name]; !ok && len(us.seenNames) >= maxPendingSeen {
		return // a hint, not data: past the bound the rest go unwritten
	}
	us.seenNames[name] = t.UTC()
}

// settleDeferred records here the deferred last seen whose recording node no longer holds the
// members of their room it held when chosen (it died, or they all left there, possibly before
// it expired them), and forgets those it has surely recorded by now. A member whose room
// closed here is recorded here too: there is no telling.
func (h *Hub) settleDeferred(now time.Time) {
	us := &h.presence
	us.mu.Lock()
	deferred := us.deferred
	us.deferred = nil
	us.mu.Unlock()
	if len(deferred) == 0 {
		return
	}
	byRoom := make(map[string][]string)
	for name, d := range deferred {
		if now.After(d.until) {
			delete(deferred, name) // its node had all the time it needs
			continue
		}
		byRoom[d.room] = append(byRoom[d.room], name)
	}
	record := make(map[string]bool)
	for room, names := range byRoom {
		r := h.lookup(room)
		if r != nil {
			r.mu.Lock()
		}
		for _, name := range names {
			d := deferred[name]
			if r == nil || r.closed || !r.holds(d.by, d.since) {
				record[name] = true
			}
		}
		if r != nil {
			r.mu.Unlock()
		}
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	for name, d := range deferred {
		if record[name] {
			us.recordSeen(name, d.at)
			continue
		}
		if _, newer := us.deferred[name]; newer {
			continue
		}
		if _, here := us.seenNames[name]; here {
			continue // recorded here meanwhile
		}
		if us.deferred == nil {
			us.deferred = make(map[string]deferredSeen)
		}
		us.deferred[name] = d
	}
}

// resolveSeen turns the pending last-seen times of expired members, by name, into times by user
// id, added to pending where later than what it holds. A name no user holds (an anonymous
// connection's) records nothing; a failed lookup is kept for the next flush.
func (h *Hub) resolveSeen(ctx context.Context, rec seenRecorder, byName map[string]time.Time, pending map[string]time.Time) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed bool
		slots  = make(chan struct{}, seenWriters)
	)
	for name, t := range byName {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			u, found, err := rec.UserByName(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				if !failed {
					failed = true
					h.log.Warn("store user by name failed: last seen of an expired member kept for later", "name", name, "err", err)
				}
				h.presence.mu.Lock()
				if h.presence.seenNames == nil {
					h.presence.seenNames = make(map[string]time.Time)
				}
				if old := h.presence.seenNames[name]; t.After(old) {
					h.presence.seenNames[name] = t
				}
				h.presence.mu.Unlock()
			case found:
				if old, ok := pending[u.ID]; !ok || t.After(old) {
					pending[u.ID] = t
				}
			}
		})
	}
	wg.Wait()
}

// flushSeen writes the last-seen times of the users who went offline since the last flush,
// and of the members of dead nodes that this node records (settleDeferred).
func (h *Hub) flushSeen() {
	h.settleDeferred(time.Now())
	rec, ok := h.store.(seenRecorder)
	us := &h.presence
	us.mu.Lock()
	pending, byName := us.seen, us.seenNames
	us.seen = nil
	if ok {
		us.seenNames = nil
	}
	us.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.StoreTimeout)
	defer cancel()
	if ok && len(byName) > 0 {
		if pending == nil {
			pending = make(map[string]time.Time)
		}
		h.resolveSeen(ctx, rec, byName, pending)
	}
	if !ok || len(pending) == 0 {
		if !ok && len(pending) > 0 { // keep them for UserState
			us.mu.Lock()
			if us.seen == nil {
				us.seen = pending
			}
			us.mu.Unlock()
		}
		return
	}
	// The writes go out seenWriters at a time: each is a durable write, and one after the other
	// they paid a commit (an fsync) each — 10,000 users leaving at a shutdown kept the process
	// waiting about 2 s (docs/benchmarks.md, "Admission control and shutdown"). Side by side,
	// the store's group commit takes them in batches.
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		unwritten = make(map[string]time.Time)
		failed    bool
		slots     = make(chan struct{}, seenWriters)
	)
	keep := func(id string, t time.Time, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil && !failed {
			failed = true
			h.log.Warn("store seen at failed", "user", id, "err", err)
		}
		unwritten[id] = t
	}
	for id, t := range pending {
		slots <- struct{}{}
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop { // the store is failing: keep the rest for the next flush
			<-slots
			keep(id, t, nil)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := rec.SeenAt(ctx, id, t); err != nil {
				keep(id, t, err)
			}
		})
	}
	wg.Wait()
	if len(unwritten) == 0 {
		return
	}
	// Keep the unwritten ones for UserState and the next flush.
	us.mu.Lock()
	if us.seen == nil {
		us.seen = make(map[string]time.Time)
	}
	for id, t := range unwritten {
		if _, newer := us.seen[id]; !newer && len(us.seen) < maxPendingSeen {
			us.seen[id] = t
		}
	}
	us.mu.Unlock()
}

// seenWriters is how many last-seen writes flushSeen has in flight at once.
const seenWriters = 32

// announceAway tells the rooms of this node's users whose presence changed since the last call
// (gone idle past AwayAfter, or active again) of their new state: each room records it
// (room.setAway: its restatements carry it, and its joins' replies list who is away) and
// announces it here if it changes the name's state over every node, and the other nodes hear
// it as a MemberJoined with State from this node. presenceLoop calls it every
// PresenceInterval, so a change shows within that.
func (h *Hub) announceAway() {
	us := &h.presence
	now := time.Now()
	var changed map[string][]string // user id → the states to announce, in order
	us.mu.Lock()
	for id, u := range us.on {
		away := now.Sub(time.Unix(0, u.active.Load())) > h.cfg.AwayAfter
		wasAway, woke := u.away.Load(), u.woke.Swap(false)
		var states []string
		if wasAway && (woke || !away) {
			states = append(states, StateOnline) // back, if only for a moment
		}
		if away && (!wasAway || woke) {
			states = append(states, StateAway)
		}
		u.away.Store(away)
		if len(states) == 0 {
			continue
		}
		if changed == nil {
			changed = make(map[string][]string)
		}
		changed[id] = states
	}
	us.mu.Unlock()
	if len(changed) == 0 {
		return
	}
	h.mu.Lock()
	rooms := h.roomsLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		var events []hubbub.Event
		r.mu.Lock()
		seen := make(map[string]bool)
		for _, m := range r.members {
			states, ok := changed[m.UserID]
			if !ok {
				continue
			}
			name := r.nameOf(m)
			if seen[name] {
				continue
			}
			seen[name] = true
			for _, state := range states {
				r.setAway(name, state == StateAway)
				events = append(events, hubbub.Event{Room: r.name, Node: h.cfg.Node, Body: hubbub.MemberJoined{Name: name, State: state, Order: r.nextOrder()}})
			}
		}
		r.mu.Unlock()
		for _, ev := range events {
			h.publishQuiet(ev, "presence state")
		}
	}
}
