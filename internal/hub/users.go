package hub

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	"hubbub"
)

// User channels carry what concerns one user rather than one room — a read position moved on
// another device, a room added to or taken out of the user's list — to every connection of
// that user on every node. Each is a broker room of its own, hubbub.UserChannel(user id), that
// a node subscribes to while it holds at least one connection of the user (Attach, Detach),
// so a notice costs nothing on the nodes where the user is not. The events are UserNotified,
// encoded for each connection by its protocol's codec like a room's events.
//
// A user's channel also answers the question "is this user connected anywhere?" (the notifier
// of people who are away asks it, internal/notify): whoever publishes a PresenceRequested on
// the channel gets a PresenceReported on it from every node that holds a connection of the
// user — only those nodes are subscribed — and from no other.

// userChannel is one user's connections on this node and its subscription.
type userChannel struct {
	unsub func() // set once, under Hub.usersMu, before any connection is added

	mu    sync.Mutex // guards conns; the broker's handler takes it, never Hub.usersMu
	conns []*Member
}

// users is the hub's map of user channels. Its lock is taken to attach and detach connections,
// never on the path of a room's message; lock order: usersMu, then a channel's mu.
type users struct {
	usersMu sync.Mutex
	byID    map[string]*userChannel
	connSeq uint64 // numbers connections for Member.ConnID, under usersMu
}

// Attach subscribes this node to the channel of m's user, if it is not yet, and adds m to the
// connections that receive the user's notices. A member without a UserID is not attached.
// The session attaches a connection once it knows its user, and detaches it when it ends.
func (h *Hub) Attach(m *Member) error {
	if m.UserID == "" {
		return nil
	}
	h.users.usersMu.Lock()
	defer h.users.usersMu.Unlock()
	if m.ConnID == "" {
		h.users.connSeq++
		m.ConnID = h.cfg.Node + "/" + strconv.FormatUint(h.users.connSeq, 10)
	}
	uc := h.users.byID[m.UserID]
	if uc == nil {
		uc = &userChannel{}
		unsub, err := h.broker.Subscribe(hubbub.UserChannel(m.UserID), func(ev hubbub.Event) { h.onUserEvent(uc, ev) })
		if err != nil {
			h.log.Error("broker subscribe to a user's channel failed", "user", m.UserID, "err", err)
			return hubbub.Errorf(hubbub.ECodeUnavailable, "your other devices cannot be reached right now; try again")
		}
		uc.unsub = unsub
		if h.users.byID == nil {
			h.users.byID = make(map[string]*userChannel)
		}
		h.users.byID[m.UserID] = uc
	}
	uc.mu.Lock()
	defer uc.mu.Unlock()
	for _, c := range uc.conns {
		if c == m {
			return nil
		}
	}
	uc.conns = append(uc.conns, m)
	return nil
}

// Detach takes m out of its user's channel; the node unsubscribes with the user's last
// connection. Detaching a member that is not attached does nothing.
func (h *Hub) Detach(m *Member) {
	if m.UserID == "" {
		return
	}
	h.users.usersMu.Lock()
	uc := h.users.byID[m.UserID]
	if uc == nil {
		h.users.usersMu.Unlock()
		return
	}
	uc.mu.Lock()
	for i, c := range uc.conns {
		if c == m {
			uc.conns = append(uc.conns[:i], uc.conns[i+1:]...)
			break
		}
	}
	var unsub func()
	if len(uc.conns) == 0 {
		delete(h.users.byID, m.UserID)
		unsub = uc.unsub
	}
	uc.mu.Unlock()
	h.users.usersMu.Unlock()
	if unsub != nil {
		unsub()
	}
}

// Notify publishes n on its user's channel: every connection of the user, on every node, is
// told (but the one n.Skip names).
func (h *Hub) Notify(ctx context.Context, n hubbub.UserNotified) error {
	err := h.broker.Publish(ctx, hubbub.Event{Room: hubbub.UserChannel(n.User), Node: h.cfg.Node, Body: n})
	if err != nil {
		h.log.Warn("broker publish to a user's channel failed", "user", n.User, "room", n.Room, "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "your other devices could not be told; try again")
	}
	return nil
}

// onUserEvent delivers an event of a user's channel to the user's connections here.
func (h *Hub) onUserEvent(uc *userChannel, ev hubbub.Event) {
	if _, asked := ev.Body.(hubbub.PresenceRequested); asked {
		h.answerConnected(uc, ev.Room)
		return
	}
	n, ok := ev.Body.(hubbub.UserNotified)
	if !ok {
		return // notices and presence questions; anything else (our answers) is not for us
	}
	uc.mu.Lock()
	conns := make([]*Member, 0, len(uc.conns))
	for _, m := range uc.conns {
		if m.ConnID != n.Skip || n.Skip == "" {
			conns = append(conns, m)
		}
	}
	uc.mu.Unlock()
	e := &Envelope{Event: ev}
	for _, m := range conns {
		if !m.MessagesOnly {
			m.Out.Push(e)
		}
	}
	if n.Unlisted {
		for _, m := range conns {
			h.dropMember(n.Room, m)
		}
	}
}

// answerConnected tells whoever asked on channel whether this node holds a connection of its
// user: a PresenceReported on the same channel, naming the user, if it does. The answer is
// published from a goroutine of its own, since a handler must not block (and the in-process
// broker would call this channel's handlers again from within Publish).
func (h *Hub) answerConnected(uc *userChannel, channel string) {
	uc.mu.Lock()
	here := len(uc.conns) > 0
	uc.mu.Unlock()
	if !here {
		return
	}
	user := strings.TrimPrefix(channel, hubbub.UserChannelPrefix)
	h.Go(func() {
		h.publishQuiet(hubbub.Event{Room: channel, Node: h.cfg.Node, Body: hubbub.PresenceReported{Names: []string{user}}}, "connected answer")
	})
}

// dropMember takes m out of a room on this node, if it is in it, as a kick does but without a
// kick notice: the room left the user's list (unroom), and the member's Removed hook says so.
func (h *Hub) dropMember(roomName string, m *Member) {
	r := h.lookup(roomName)
	if r == nil {
		return
	}
	r.mu.Lock()
	r.evict(func(c *Member) bool { return c == m })
	r.mu.Unlock()
}

// evict removes the members that match without a kick notice (removeWhere): the room left
// their user's list, and their Removed hook says so. Called with mu held.
func (r *room) evict(match func(*Member) bool) { r.removeWhere(match, nil, "") }

// applyMembership carries out, on this node, what a membership entry of the room means for
// its connections: a member who left or was removed is no longer in the room, on any of their
// connections. Called with mu held, after the entry went out to the members (so the removed
// member sees it).
func (r *room) applyMembership(e *hubbub.Entry) {
	if e.Action == hubbub.MemberLeave || e.Action == hubbub.MemberRemove {
		r.evict(func(m *Member) bool { return m.UserID == e.Subject })
	}
}

// UserNotified never reaches a room: notices go to user channels (onUserEvent).
func (re *roomEvents) UserNotified(hubbub.Event, hubbub.UserNotified) struct{} { return struct{}{} }

// ConnectedUsers returns the ids of the users with connections attached on this node.
func (h *Hub) ConnectedUsers() []string {
	h.users.usersMu.Lock()
	defer h.users.usersMu.Unlock()
	ids := make([]string, 0, len(h.users.byID))
	for id := range h.users.byID {
		ids = append(ids, id)
	}
	return ids
}

// UserConnections returns the connections of user attached on this node.
func (h *Hub) UserConnections(user string) []*Member {
	h.users.usersMu.Lock()
	uc := h.users.byID[user]
	h.users.usersMu.Unlock()
	if uc == nil {
		return nil
	}
	uc.mu.Lock()
	defer uc.mu.Unlock()
	return slices.Clone(uc.conns)
}
