package hub

import (
	"slices"

	"hubbub"
)

// A user's name may change while they are connected: a guest's other device says hello with
// a new name (the store renames the user, who keeps their id), or an operator renames them
// (`hubbub user rename`, the API). Every connection of the user, on every node, goes by the
// new name from then on — in the rooms' member lists, on the entries it sends — and not by
// the old one, which is no longer theirs and which someone else may take. Closing those
// connections instead, as a role change does, would not do: each device would reconnect
// with the name it remembers and rename the user back.
//
// Each node learns of a rename as of any change to the store's users (the server reads the
// users connected to it again, session.Service.RecheckUsers) and calls RenameUser for its own
// connections. A room then shows the new name once: its claim moves from the old name to the
// new one (merged with the claim a connection that came with the new name holds already),
// the new name appears as a presence state (not a join: the user was there), and the old one
// leaves with MemberLeft.Renamed, which clients show as a rename rather than a departure.

// RenameUser gives every connection of user attached on this node (Attach) the name name,
// moves their claims in the rooms here from the names they had to it, tells the rooms'
// members (locally and on the other nodes), and then calls each renamed connection's
// Renamed hook. It returns how many connections it renamed: none when they all go by name
// already. Renames on one node run one at a time; a message's fan-out takes no part in them
// (its sender's name is read from Member.CurrentName, an atomic load).
func (h *Hub) RenameUser(user, name string) int {
	h.renameMu.Lock()
	defer h.renameMu.Unlock()
	conns := h.UserConnections(user)
	type change struct {
		m   *Member
		was string
	}
	var changed []change
	for _, m := range conns {
		if was := m.CurrentName(); was != name {
			m.renamed.Store(&name)
			changed = append(changed, change{m, was})
		}
	}
	if len(changed) == 0 {
		return 0
	}
	// Every room here, after the names were set: a join that read a member's old name
	// (under the room's lock) did so before this visit, which moves its claim; a join after
	// reads the new one.
	h.mu.Lock()
	rooms := h.roomsLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.rename(conns, name)
	}
	for _, c := range changed {
		h.log.Info("connection renamed", "user", user, "conn", c.m.ConnID, "was", c.was, "name", name)
		if c.m.Renamed != nil {
			c.m.Renamed(c.was, name)
		}
	}
	return len(changed)
}

// rename moves the claims of those of conns that are members here to name, announcing the new
// name (a presence state, if the room did not show it) and the old names that thereby leave
// (MemberLeft.Renamed), here and to the other nodes.
func (r *room) rename(conns []*Member, name string) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	before := r.nameState(name)
	var gone []string // old names no connection here holds now
	moved := false
	claimed := false // the name is new here (not held here before)
	for _, m := range conns {
		s, in := r.index[m]
		if !in || s.name == name {
			continue
		}
		old := s.name
		away := r.away[old]
		s.name = name
		r.index[m] = s
		c := r.names[name]
		if c == nil {
			c = &nameClaim{}
			r.claimName(name, c)
			claimed = true
			r.crowd = nil
			r.restating.changed = true
			if away {
				if r.away == nil {
					r.away = make(map[string]bool)
				}
				r.away[name] = true
			}
		}
		// The name is the user's now, server-wide: a keyless connection that showed it here
		// before the rename no longer keeps it from them.
		c.shared = c.shared || c.conns > 0 && c.user != m.UserID
		c.key, c.user = m.Key, m.UserID
		c.conns++
		moved = true
		if r.unclaim(old) && !slices.Contains(gone, old) {
			gone = append(gone, old)
			// A join that claimed old before this rename may not have published it yet: its
			// announcement, coming back after the leave below, is not shown.
			if r.renamedAway == nil {
				r.renamedAway = make(map[string]bool)
			}
			r.renamedAway[old] = true
		}
	}
	if !moved {
		r.mu.Unlock()
		return
	}
	var events []hubbub.Event
	after := r.nameState(name)
	if after != before {
		// New in the room: shown as a state, which a client takes for news of a member who
		// was there (the user was), not an arrival. This node's own state events are not
		// announced when they come back from the broker, so it is announced now.
		r.announce(hubbub.Event{Room: r.name, Node: r.hub.cfg.Node, Body: hubbub.MemberJoined{Name: name, State: after}})
	}
	if after != before || claimed {
		// The other nodes learn that this node holds the name even where another node's
		// connection showed it already (they announce nothing then): when that one leaves,
		// the name stays in the room rather than leave until this node restates it.
		events = append(events, hubbub.Event{Room: r.name, Node: r.hub.cfg.Node,
			Body: hubbub.MemberJoined{Name: name, State: after, Order: r.nextOrder()}})
	}
	for _, old := range gone {
		// Announced when it comes back from the broker, as every leave here is, after the
		// state above: a client adds the new name before it drops the old.
		events = append(events, hubbub.Event{Room: r.name, Node: r.hub.cfg.Node, Body: hubbub.MemberLeft{Name: old, Renamed: name, Order: r.nextOrder()}})
	}
	r.renaming++
	r.mu.Unlock()
	for _, ev := range events {
		r.hub.publishQuiet(ev, "rename")
	}
	r.mu.Lock()
	r.renaming--
	r.mu.Unlock()
}
