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
	// unsub ends the subscription; nil while the node has none, the broker having refused it
	// (NATS down when the user's first connection here came): Resync, when the broker is back,
	// and the user's next Attach subscribe again. Set under Hub.usersMu.
	unsub func()

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
//
// m is attached even when the broker refuses the subscription (NATS is down): account checks
// find a user's connections here (UserConnections), and a connection left out went on after
// its account was disabled or signed out, until it chose to reconnect. The subscription is
// made again when the broker is back (Resync) or at the user's next Attach; meanwhile the
// error says that the user's other devices are not heard.
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
		if h.users.byID == nil {
			h.users.byID = make(map[string]*userChannel)
		}
		h.users.byID[m.UserID] = uc
	}
	var err error
	if uc.unsub == nil {
		if uc.unsub, err = h.subscribeUser(m.UserID, uc); err != nil {
			err = hubbub.Errorf(hubbub.ECodeUnavailable, "the link to the other servers is down: what your other devices do (reads, rooms) reaches this connection once it is back")
		}
	}
	uc.mu.Lock()
	defer uc.mu.Unlock()
	if !slices.Contains(uc.conns, m) {
		uc.conns = append(uc.conns, m)
	}
	return err
}

// subscribeUser subscribes to user's channel for uc, logging a refusal.
func (h *Hub) subscribeUser(user string, uc *userChannel) (func(), error) {
	unsub, err := h.broker.Subscribe(hubbub.UserChannel(user), func(ev hubbub.Event) { h.onUserEvent(uc, ev) })
	if err != nil {
		h.log.Error("broker subscribe to a user's channel failed; subscribing again when the broker is back", "user", user, "err", err)
	}
	return unsub, err
}

// resubscribeUsers subscribes to the channels of the users attached here whose subscription
// the broker refused (Attach), now that it is back. The hub's users lock is not held across a
// subscription, which waits for the server; a channel that went meanwhile, or was subscribed
// by an Attach, lets the new subscription go.
func (h *Hub) resubscribeUsers() {
	h.users.usersMu.Lock()
	var missing []string
	for id, uc := range h.users.byID {
		if uc.unsub == nil {
			missing = append(missing, id)
		}
	}
	h.users.usersMu.Unlock()
	for _, id := range missing {
		h.users.usersMu.Lock()
		uc := h.users.byID[id]
		h.users.usersMu.Unlock()
		if uc == nil {
			continue
		}
		unsub, err := h.subscribeUser(id, uc)
		if err != nil {
			return // down again: the next Resync tries the rest
		}
		h.users.usersMu.Lock()
		if h.users.byID[id] == uc && uc.unsub == nil {
			uc.unsub, unsub = unsub, nil
		}
		h.users.usersMu.Unlock()
		if unsub != nil {
			unsub()
		}
	}
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
func (r *room) evict(match func(*Member) bool) {
	r.removeWhere(match, nil, hubbub.MemberLeft{}, "")
}

// applyMembership carries out, on this node, what a membership entry of the room means for
// its connections: a member who left or was removed is no longer in the room, on any of their
// connections. Called with mu held, after the entry went out to the members (so the removed
// member sees it).
func (r *room) applyMembership(e *hubbub.Entry) {
	switch e.Action {
	case hubbub.MemberLeave, hubbub.MemberRemove:
		r.evict(func(m *Member) bool { return m.UserID == e.Subject })
	case hubbub.MemberRole:
		// One who no longer moderates the room is no longer told of its sanctions.
		if !hubbub.CanModerateRoom("", e.Role) {
			r.unwatchSanctions(func(m *Member) bool { return m.UserID == e.Subject && !hubbub.CanModerate(m.Role) })
		}
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
