package hub

import (
	"maps"
	"slices"
	"time"

	"hubbub"
)

// Presence across nodes. Each room knows its local members exactly (names in room.go) and the
// members of other nodes from their events: a join or leave changes the picture at once, and
// every PresenceInterval each node restates its full list for each room it serves, so a node
// that dies without saying goodbye has its members expire after PresenceExpiry. A member is
// announced (presence join/leave to local clients) only when the name becomes visible or
// invisible across all nodes, so a user connected to two nodes appears once. A restatement
// lists every name the node holds in the room; the broker carries one too large for a message
// of its own in parts, and hands it over whole (hubbub.Broker), so a room applies a node's
// list at once, never a part of it.
//
// Any event a node publishes in a room shows the others that it is alive (heard), so a node
// skips the restatement of a room where its members did not change and it published something
// since the last tick — but never twice in a row, so that nodes of the version before, which
// count only restatements, joins and leaves as signs of life, still hear from it at least
// every 2 × PresenceInterval, within their expiry of 3 ×. In a busy room that halves the
// restatements, which were a quarter of a cluster's events (docs/benchmarks.md, "Cluster and
// rolling restart").

// nodeMembers is what one other node last said about a room's members.
type nodeMembers struct {
	names map[string]bool
	away  map[string]bool // those of names that are away there
	seen  time.Time
	// since is when names last went from none to some, and restated when the node last
	// restated them: a node whose members came before another's restatement heard it too
	// (recorder).
	since, restated time.Time
	// stated is the hubbub.Order of the node's last statement applied here, and later the
	// Orders of the node's joins, leaves and state changes applied since then, by name — a
	// leave's too, so that a statement the node read before the leave and published after it
	// does not put the name back. An event at or below either order is older than what was
	// applied, and is dropped (stale); a statement yields to later changes (amend).
	stated hubbub.Order
	later  map[string]laterChange
}

// laterChange is the Order of a change to one name applied after the node's last statement,
// and when it came (expire lets it go once no event still on its way could be older).
type laterChange struct {
	order hubbub.Order
	at    time.Time
}

// stale reports whether an event of order about name says less than what n applied: a
// statement or a change of the name's of a later order came first. No order (0, a node of
// the version before) is never stale.
func (n *nodeMembers) stale(name string, order hubbub.Order) bool {
	if order == 0 {
		return false
	}
	return order <= n.stated || order <= n.later[name].order
}

// forgetOrders forgets the orders of node's events applied here: the node started again
// (peers.restarted), and its next events are to be applied whatever their order
// (nodeMembers.stale). Called with mu held.
func (r *room) forgetOrders(node string) {
	if n := r.remote[node]; n != nil {
		n.stated, n.later = 0, nil
	}
}

// changed notes that an event of order about name was applied.
func (n *nodeMembers) changed(name string, order hubbub.Order) {
	if order == 0 {
		return
	}
	if n.later == nil {
		n.later = make(map[string]laterChange)
	}
	n.later[name] = laterChange{order: order, at: n.seen}
}

// amend returns statement b with what later changes said of their names in place of what b
// says (b was read before them, and carried after), and forgets the changes b follows: from
// now on the node's statement stands for them. Most statements come with no change after
// them, and are returned as they are.
func (n *nodeMembers) amend(b hubbub.PresenceReported) hubbub.PresenceReported {
	n.stated = b.Order
	maps.DeleteFunc(n.later, func(_ string, c laterChange) bool { return c.order <= b.Order })
	if len(n.later) == 0 {
		n.later = nil // a burst of joins leaves no map of its size behind
		return b
	}
	amended := hubbub.PresenceReported{Order: b.Order}
	for _, name := range b.Names {
		if _, newer := n.later[name]; !newer {
			amended.Names = append(amended.Names, name)
		}
	}
	for _, name := range b.Away {
		if _, newer := n.later[name]; !newer {
			amended.Away = append(amended.Away, name)
		}
	}
	for name := range n.later {
		if n.names[name] {
			amended.Names = append(amended.Names, name)
			if n.away[name] {
				amended.Away = append(amended.Away, name)
			}
		}
	}
	slices.Sort(amended.Names)
	slices.Sort(amended.Away)
	return amended
}

// add records name as a member of the node's, noting when its names stopped being none.
func (n *nodeMembers) add(name string) {
	if len(n.names) == 0 {
		n.since = n.seen
	}
	n.names[name] = true
}

// unchanged reports whether b states exactly what n holds: the same names, the same of them
// away. A list that is not strictly ascending (a node sends its names sorted, each once) is
// not compared, only applied, so that a name listed twice cannot stand for one n lacks.
func (n *nodeMembers) unchanged(b hubbub.PresenceReported) bool {
	if len(b.Names) != len(n.names) {
		return false
	}
	for i, name := range b.Names {
		if i > 0 && b.Names[i-1] >= name || !n.names[name] {
			return false
		}
	}
	away := 0
	for i, name := range b.Away {
		if i > 0 && b.Away[i-1] >= name {
			return false
		}
		if n.names[name] { // an away name not listed counts for nothing, as when applied
			if !n.away[name] {
				return false
			}
			away++
		}
	}
	return away == len(n.away)
}

// nameState is a name's presence in the room over every node: StateOnline if it is online on
// any node that holds it, StateAway if it is away on all of them, "" if no node holds it.
// Called with mu held.
func (r *room) nameState(name string) string {
	state := ""
	if r.names[name] != nil {
		if !r.away[name] {
			return StateOnline
		}
		state = StateAway
	}
	for _, n := range r.remote {
		if n.names[name] {
			if !n.away[name] {
				return StateOnline
			}
			state = StateAway
		}
	}
	return state
}

// setAway records that name is away (or not) here, announcing its state in the room if that
// changes it over every node. Called with mu held.
func (r *room) setAway(name string, away bool) {
	before := r.nameState(name)
	if away {
		if r.away == nil {
			r.away = make(map[string]bool)
		}
		r.away[name] = true
	} else {
		delete(r.away, name)
	}
	if after := r.nameState(name); after != before && after != "" {
		r.announce(hubbub.Event{Room: r.name, Node: r.hub.cfg.Node, Body: hubbub.MemberJoined{Name: name, State: after}})
	}
}

// awayAmong returns the names of list (sorted) that are away on every node that holds them, or
// nil if none is. Called with mu held.
func (r *room) awayAmong(list []string) []string {
	var out []string
	check := func(name string) {
		if _, in := slices.BinarySearch(list, name); in && r.nameState(name) == StateAway && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for name := range r.away {
		check(name)
	}
	for _, n := range r.remote {
		for name := range n.away {
			check(name)
		}
	}
	slices.Sort(out)
	return out
}

// announce tells the local members that a name joined or left, with the other notices of the
// room's presence window (presencewindow.go) — unless the room holds more than PresenceLimit
// connections here. Every join in a room of n members reaches all n, so a room that fills up
// costs n² frames; past the limit members learn the count from joined and the names from
// `who` instead. Called with mu held.
func (r *room) announce(ev hubbub.Event) {
	if len(r.members) > r.hub.cfg.PresenceLimit {
		return
	}
	r.holdPresence(&Envelope{Event: ev})
}

// memberSummary returns the room's member names, sorted, and how many members it has on every
// node. Past limit names it returns only limit of them (which ones is unspecified) so that a
// join in a crowded room does not cost a list of everyone; the count then adds up the nodes'
// lists, so a user connected to two nodes counts twice. Called with mu held.
//
// The crowded room's list is kept (crowd) and given to every join after, until a name leaves
// the room: a room filling up past the limit would otherwise pick and sort limit names for
// each join, a fifth of the server's CPU when 19,000 clients join one room (docs/benchmarks.md,
// "Connect + join"). Names that join meanwhile leave it a valid list of present members. The
// returned slice is shared: callers must not modify it.
func (r *room) memberSummary(limit int) ([]string, int) {
	total := len(r.names)
	for _, n := range r.remote {
		total += len(n.names)
	}
	if total <= limit {
		r.crowd = nil
		names := r.memberNames()
		return names, len(names)
	}
	if r.crowd != nil && len(r.crowd) == limit {
		return r.crowd, total
	}
	names := make([]string, 0, limit)
	for n := range r.names {
		if len(names) == limit {
			break
		}
		names = append(names, n)
	}
	for _, node := range r.remote {
		for n := range node.names {
			if len(names) == limit {
				break
			}
			if r.names[n] == nil {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	r.crowd = names
	return names, total
}

// present reports whether name is in the room on any node. Called with mu held.
func (r *room) present(name string) bool {
	if r.names[name] != nil {
		return true
	}
	return r.presentRemotely(name)
}

func (r *room) presentRemotely(name string) bool {
	for _, n := range r.remote {
		if n.names[name] {
			return true
		}
	}
	return false
}

// MemberJoined records a member of another node, and announces the name unless it was in the
// room already (on any node).
func (re *roomEvents) MemberJoined(ev hubbub.Event, b hubbub.MemberJoined) struct{} {
	r := (*room)(re)
	if b.State != "" {
		// A member's presence changed on a node (userpresence.go): news for the members if it
		// changes the name's state over every node. This node's own changes were recorded and
		// announced as they were made (announceAway).
		if ev.Node == r.hub.cfg.Node {
			return struct{}{}
		}
		n := r.remoteNode(ev.Node)
		if n.stale(b.Name, b.Order) {
			return struct{}{}
		}
		n.changed(b.Name, b.Order)
		before := r.nameState(b.Name)
		n.add(b.Name)
		if b.State == StateAway {
			if n.away == nil {
				n.away = make(map[string]bool)
			}
			n.away[b.Name] = true
		} else {
			delete(n.away, b.Name)
		}
		if after := r.nameState(b.Name); after != before {
			r.announce(hubbub.Event{Room: r.name, Node: ev.Node, Body: hubbub.MemberJoined{Name: b.Name, State: after}})
		}
		return struct{}{}
	}
	if ev.Node == r.hub.cfg.Node {
		// The local claim is already recorded; announce unless another node had the name, or
		// a rename took the claim since (renamedAway): a join publishes after it lets go of mu,
		// and the rename's leave of the name may have been announced already. Announced now,
		// the name would stay in the members' lists with no leave to follow.
		if r.names[b.Name] == nil && r.renamedAway[b.Name] {
			delete(r.renamedAway, b.Name)
			return struct{}{}
		}
		if !r.presentRemotely(b.Name) {
			r.announce(ev)
		}
		return struct{}{}
	}
	n := r.remoteNode(ev.Node)
	if n.stale(b.Name, b.Order) {
		return struct{}{}
	}
	n.changed(b.Name, b.Order)
	was := r.present(b.Name)
	n.add(b.Name)
	delete(n.away, b.Name) // a join is a frame: the user is active
	if !was {
		r.announce(ev)
	}
	return struct{}{}
}

// MemberLeft forgets a member of another node, and announces the name unless it is still in
// the room (on any node).
func (re *roomEvents) MemberLeft(ev hubbub.Event, b hubbub.MemberLeft) struct{} {
	r := (*room)(re)
	if ev.Node == r.hub.cfg.Node && r.hub.draining.Load() {
		return struct{}{} // the members here are leaving too (Drain)
	}
	if ev.Node != r.hub.cfg.Node {
		n := r.remote[ev.Node]
		if n == nil && b.Order != 0 {
			// Nothing of the node's to forget yet, but its statement read before this leave
			// may still be on its way: the leave's order keeps it from listing the name.
			n = r.remoteNode(ev.Node)
		}
		if n != nil {
			if n.stale(b.Name, b.Order) {
				return struct{}{}
			}
			n.changed(b.Name, b.Order)
			delete(n.names, b.Name)
			delete(n.away, b.Name)
			r.crowd = nil
		}
	}
	if !r.present(b.Name) {
		r.announce(ev)
	}
	return struct{}{}
}

// PresenceReported replaces what another node said about its members, announcing the names
// that thereby leave, and those it adds. A name it adds was there already (on a node whose
// answer came after the joins it was waiting for, presenceopen.go, or whose join this node
// missed): it is announced as a presence state, which a client takes as news of a member
// rather than of an arrival, not as a join — "* ann joined" of someone there all along.
func (re *roomEvents) PresenceReported(ev hubbub.Event, b hubbub.PresenceReported) struct{} {
	r := (*room)(re)
	if ev.Node == r.hub.cfg.Node {
		return struct{}{}
	}
	r.hub.peers.heard(ev.Node, time.Now(), onRoom)
	defer r.answered(ev.Node)
	n := r.remoteNode(ev.Node)
	n.restated = n.seen
	if b.Order != 0 {
		if b.Order <= n.stated {
			return struct{}{} // a later statement came first
		}
		b = n.amend(b)
	}
	if n.unchanged(b) {
		// Most restatements say what the last one did: nothing to replace or announce, and no
		// map of every name's state before (a room of thousands, every interval, on every node).
		return struct{}{}
	}
	old := n.names
	before := make(map[string]string, len(b.Names))
	for _, name := range b.Names {
		before[name] = r.nameState(name)
	}
	n.names = make(map[string]bool, len(b.Names))
	n.away = nil
	r.crowd = nil // a name of the old list may be gone
	if len(old) == 0 {
		n.since = n.seen
	}
	for _, name := range b.Names {
		n.names[name] = true
	}
	for _, name := range b.Away {
		if n.names[name] {
			if n.away == nil {
				n.away = make(map[string]bool)
			}
			n.away[name] = true
		}
	}
	// A name new to the room, or whose state the report changes (an away this node had not
	// heard of), is announced with its state.
	for _, name := range b.Names {
		if after := r.nameState(name); after != before[name] {
			r.announce(hubbub.Event{Room: r.name, Node: ev.Node, Body: hubbub.MemberJoined{Name: name, State: after}})
			before[name] = after // a name listed twice is announced once
		}
	}
	for _, name := range slices.Sorted(maps.Keys(old)) {
		if !r.present(name) {
			r.announce(hubbub.Event{Room: r.name, Node: ev.Node, Body: hubbub.MemberLeft{Name: name}})
		}
	}
	return struct{}{}
}

// PresenceRequested answers another node's question with this node's members, if it has any —
// unless the asker asked every node on the presence channel too (Queried), where this node
// answers it (nodes.go); only nodes of the version before answer such a question here.
func (re *roomEvents) PresenceRequested(ev hubbub.Event, b hubbub.PresenceRequested) struct{} {
	r := (*room)(re)
	if b.Queried && r.hub.follows() {
		return struct{}{}
	}
	if ev.Node != r.hub.cfg.Node && len(r.names) > 0 {
		r.hub.bg.Add(1)
		go func() {
			defer r.hub.bg.Done()
			r.hub.publishPresence(r, false)
		}()
	}
	return struct{}{}
}

// AbsenceReported notes another node's answer to this room's question (PresenceQueried): it
// holds nobody here. What it knew of that node's members stays: a member who joined there
// since the answer was made is announced by a MemberJoined that may have come first.
func (re *roomEvents) AbsenceReported(ev hubbub.Event, _ hubbub.AbsenceReported) struct{} {
	r := (*room)(re)
	if ev.Node != r.hub.cfg.Node {
		r.hub.peers.heard(ev.Node, time.Now(), answering)
		r.answered(ev.Node)
	}
	return struct{}{}
}

// PresenceQueried never reaches a room: it travels on the presence channel (nodes.go).
func (re *roomEvents) PresenceQueried(hubbub.Event, hubbub.PresenceQueried) struct{} {
	return struct{}{}
}

// NodeAnnounced never reaches a room: it travels on the presence channel (nodes.go).
func (re *roomEvents) NodeAnnounced(hubbub.Event, hubbub.NodeAnnounced) struct{} { return struct{}{} }

// restating is what a room remembers between two ticks of presenceLoop to decide whether this
// node restates its members of the room. Guarded by the room's mu.
type restating struct {
	changed bool // a name joined or left here since the last tick
	spoke   bool // an event this node published in the room came back since the last tick
	skipped bool // the last tick did not restate
}

// due reports whether the tick restates the room, and starts the next interval. Called with mu
// held.
func (s *restating) due() bool {
	restate := s.changed || !s.spoke || s.skipped
	*s = restating{skipped: !restate}
	return restate
}

// heard notes an event in the room: from this node, one that came back through the broker, so
// the others heard it too (a restatement does not count: it is what a tick would skip); from
// another node, a sign that it is alive. Called with mu held.
func (r *room) heard(ev hubbub.Event) {
	if ev.Node != r.hub.cfg.Node {
		if n := r.remote[ev.Node]; n != nil {
			n.seen = time.Now()
		}
	} else if _, restated := ev.Body.(hubbub.PresenceReported); !restated {
		r.restating.spoke = true
	}
}

// remoteNode returns (creating) the record of another node's members, marking it seen now.
func (r *room) remoteNode(node string) *nodeMembers {
	n := r.remote[node]
	if n == nil {
		n = &nodeMembers{names: make(map[string]bool)}
		if r.remote == nil {
			r.remote = make(map[string]*nodeMembers)
		}
		r.remote[node] = n
	}
	n.seen = time.Now()
	return n
}

// goneMember is a member of another node that expired with it: when its node was last heard
// from, and which node records that as the user's last seen (recorder).
type goneMember struct {
	at time.Time
	// by is the node that records it, "" for this one; since is by's nodeMembers.since here
	// when it was chosen, to tell whether by still holds the members it held then.
	by    string
	since time.Time
}

// expire forgets nodes that have not restated their members since before cutoff, announcing
// the members that thereby leave. It returns those members, each with when their node was last
// heard from and who records it: a node that died never recorded when its users were last
// seen, so a node that expires them does (Hub.seenGone). Called with mu held.
func (r *room) expire(cutoff time.Time) map[string]goneMember {
	// The nodes that expire go first, so that none of them is chosen to record the others'.
	dead := make(map[string]*nodeMembers)
	for node, n := range r.remote {
		if !n.seen.After(cutoff) {
			delete(r.remote, node)
			dead[node] = n
			continue
		}
		// A change's order is kept against older events still on their way; none is after
		// as long as this, and a node without members here restates nothing to drop them.
		maps.DeleteFunc(n.later, func(_ string, c laterChange) bool { return !c.at.After(cutoff) })
		if len(n.later) == 0 {
			n.later = nil
		}
	}
	var gone map[string]goneMember
	for _, node := range slices.Sorted(maps.Keys(dead)) {
		n := dead[node]
		r.crowd = nil
		by, since := r.recorder(n.restated)
		for _, name := range slices.Sorted(maps.Keys(n.names)) {
			if was, done := gone[name]; done { // on two nodes that died: announced once
				if n.seen.After(was.at) {
					gone[name] = goneMember{at: n.seen, by: by, since: since}
				}
				continue
			}
			if !r.present(name) {
				r.hub.log.Info("member expired with its node", "room", r.name, "name", name, "node", node)
				r.announce(hubbub.Event{Room: r.name, Node: node, Body: hubbub.MemberLeft{Name: name}})
				if gone == nil {
					gone = make(map[string]goneMember)
				}
				gone[name] = goneMember{at: n.seen, by: by, since: since}
			}
		}
	}
	return gone
}

// recorder returns which node records when the members of a node that died were last seen,
// and that node's nodeMembers.since here: "" for this node. Every surviving node that expires
// them could (they all share the store) and did, each looking every user up and writing their
// last seen; now one does — the lowest node id among this one and the other nodes whose
// members here came before the dead node's last restatement of the room (restated), which
// they therefore heard: they know, and expire, the same members. A node that opened the room
// later does not, and is not chosen, nor is any when the dead node never restated here. The
// choice stands while that node keeps members here; if it dies or leaves the room first,
// this node records them after all (Hub.settleDeferred). Called with mu held.
func (r *room) recorder(restated time.Time) (string, time.Time) {
	by, since := "", time.Time{}
	if restated.IsZero() {
		return by, since
	}
	for node, n := range r.remote {
		if len(n.names) > 0 && !n.since.IsZero() && n.since.Before(restated) && node < r.hub.cfg.Node && (by == "" || node < by) {
			by, since = node, n.since
		}
	}
	return by, since
}

// holds reports whether node still holds the members here it held when chosen to record the
// last seen of a dead node's (since: its nodeMembers.since then). Called with mu held.
func (r *room) holds(node string, since time.Time) bool {
	n := r.remote[node]
	return n != nil && len(n.names) > 0 && n.since.Equal(since)
}

// publishPresence states this node's members of r to the other nodes. With tick, only if the
// room is due a restatement (restating.due).
func (h *Hub) publishPresence(r *room, tick bool) {
	r.mu.Lock()
	if tick && r.renaming > 0 {
		// A rename's events are on their way: restated after them, at the next tick (the
		// interval is not started, so the change is still due then).
		r.mu.Unlock()
		return
	}
	if tick && !r.closed && len(r.names) > 0 && !r.restating.due() {
		r.mu.Unlock()
		return
	}
	report, ok := r.reportLocked()
	r.mu.Unlock()
	if ok {
		h.publishQuiet(hubbub.Event{Room: r.name, Node: h.cfg.Node, Body: report}, "presence")
	}
}

// report returns this node's statement of its members of r, and false if it has none.
func (r *room) report() (hubbub.PresenceReported, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reportLocked()
}

// reportLocked is report with mu held.
func (r *room) reportLocked() (hubbub.PresenceReported, bool) {
	if r.closed || len(r.names) == 0 {
		return hubbub.PresenceReported{}, false
	}
	names := slices.Sorted(maps.Keys(r.names))
	var away []string
	for name := range r.away {
		if r.names[name] != nil {
			away = append(away, name)
		}
	}
	slices.Sort(away)
	return hubbub.PresenceReported{Names: names, Away: away, Order: r.nextOrder()}, true
}

// presenceLoop restates this node's members and expires silent nodes, every PresenceInterval,
// until the hub closes. It makes no Store call: the last-seen writes have their own loop
// (seenLoop), since a write waits up to StoreTimeout on a busy store, and held here it held
// the expiry of a dead node's members and this node's restatements with it — long enough
// for the other nodes to take this one for dead.
func (h *Hub) presenceLoop() {
	defer close(h.loopDone)
	t := time.NewTicker(h.cfg.PresenceInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.followPresence() // if its subscription failed so far
		h.announceNode(false)
		h.presenceTick(time.Now())
		h.announceAway()
		// The members expired just now are written at once, as when the loop wrote them
		// itself; a flush still under way takes them with the next.
		select {
		case h.seenKick <- struct{}{}:
		default:
		}
	}
}

// seenLoop writes the last seen of the users who went offline (flushSeen) after each tick of
// presenceLoop, until the hub closes; Close writes what is left.
func (h *Hub) seenLoop() {
	defer close(h.seenDone)
	for {
		select {
		case <-h.stop:
			return
		case <-h.seenKick:
		}
		h.flushSeen()
	}
}

// presenceTick expires the other nodes silent since before now - PresenceExpiry and restates
// this node's members of each room that is due.
func (h *Hub) presenceTick(now time.Time) {
	h.mu.Lock()
	rooms := slices.Collect(maps.Values(h.rooms))
	h.mu.Unlock()
	cutoff := now.Add(-h.cfg.PresenceExpiry)
	for _, r := range rooms {
		var gone map[string]goneMember
		r.mu.Lock()
		if !r.closed {
			gone = r.expire(cutoff)
		}
		r.mu.Unlock()
		h.seenGone(r.name, gone, now)
		h.publishPresence(r, true)
	}
}
