package hub

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"sync"

	"hubbub"
)

var errRoomClosed = errors.New("hub: room closed")

// room is one room on this node: its local members, its recent messages, and the next seq it
// expects. Everything below is guarded by mu.
type room struct {
	name string
	hub  *Hub

	mu      sync.Mutex
	members []*Member       // fan-out order; a slice because iteration is the hot path
	index   map[*Member]int // position in members, for O(1) removal
	names   map[string]*nameClaim
	recent  ring                 // the newest delivered messages, contiguous in seq
	next    uint64               // the seq the room delivers next
	pending map[uint64]*Envelope // messages that arrived ahead of next
	// deletedAhead are seqs (all at or above next) whose delete arrived before the message
	// itself (a moderator on another node deleted it before this node heard of it); the
	// message is delivered deleted. At most maxDeletedAhead.
	deletedAhead map[uint64]struct{}
	gap          *time.Timer             // pending fill from the Store, if armed
	remote       map[string]*nodeMembers // other nodes' members, by node (presence.go)
	closed       bool
	unsub        func()

	// sanctions are the room's bans and mutes, by name and kind (moderation.go).
	sanctions map[sanctionKey]hubbub.Sanction
}

// nameClaim records which user holds a name in a room and on how many connections.
type nameClaim struct {
	key   string
	conns int
}

func newRoom(h *Hub, name string) *room {
	return &room{
		name:    name,
		hub:     h,
		index:   make(map[*Member]int),
		names:   make(map[string]*nameClaim),
		recent:  newRing(h.cfg.RoomBuffer),
		pending: make(map[uint64]*Envelope),
	}
}

// load subscribes to the broker and reads the room's recent history. Called with mu held, so
// events the broker delivers meanwhile wait and are then checked against the loaded seq.
//
// The boundary between history and live traffic is the last seq read once subscribed: the
// ring holds messages up to it and no further, and next is the seq after it. Every message
// stored later was published after the subscription, so it comes live (or by gap fill), once;
// a message another node stores between the two reads must not also enter the ring, where a
// join would replay it past the last_seq it reports and its live copy would be accepted again.
func (r *room) load(ctx context.Context) error {
	unsub, err := r.hub.broker.Subscribe(r.name, r.onEvent)
	if err != nil {
		r.hub.log.Error("broker subscribe failed", "room", r.name, "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "room %q is unavailable; try again", r.name)
	}
	r.unsub = unsub
	sctx, cancel := r.hub.storeCtx(ctx)
	defer cancel()
	last, err := r.hub.store.LastSeq(sctx, r.name)
	if err != nil {
		return r.hub.unavailable("last seq", r.name, err)
	}
	var msgs []hubbub.Entry
	if last > 0 {
		msgs, err = r.hub.store.Before(sctx, r.name, last+1, r.hub.cfg.RoomBuffer)
		if err != nil {
			return r.hub.unavailable("history", r.name, err)
		}
	}
	for i := range msgs {
		r.recent.push(messageEnvelope(&msgs[i]))
	}
	r.next = last + 1
	return r.loadSanctions(sctx)
}

func messageEnvelope(m *hubbub.Entry) *Envelope {
	return &Envelope{Event: hubbub.Event{Room: m.Room, Body: hubbub.EntryAppended{Entry: m}}}
}

// join adds req.Member and queues its greeting and replay; see Hub.Join.
func (r *room) join(ctx context.Context, req JoinRequest) (JoinInfo, error) {
	cfg := r.hub.cfg
	m := req.Member
	var fetched []*Envelope // replay read from the Store, older than the ring
	var storeCovered uint64 // fetched holds every stored seq up to this one
	var budget int64        // the share of the hub's replay budget fetched holds
	defer func() {
		if budget > 0 { // not handed to the member's outbox: the join failed
			r.hub.replayBudget.Release(budget)
		}
	}()
	var unreadable bool // the Store could not read the older part: replay the ring only
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return JoinInfo{}, errRoomClosed
		}
		if _, in := r.index[m]; in {
			r.mu.Unlock()
			return JoinInfo{Room: r.name, LastSeq: r.next - 1}, nil
		}
		if len(r.members) >= cfg.MaxMembers {
			r.mu.Unlock()
			return JoinInfo{}, hubbub.Errorf(hubbub.ECodeRoomFull, "room %q is full (%d members)", r.name, cfg.MaxMembers)
		}
		if sn, banned := r.sanction(m.Name, hubbub.SanctionBan); banned {
			r.mu.Unlock()
			return JoinInfo{}, bannedError(r.name, sn)
		}
		if c := r.names[m.Name]; c != nil && (c.key == "" || c.key != m.Key) {
			r.mu.Unlock()
			return JoinInfo{}, hubbub.Errorf(hubbub.ECodeNameTaken, "the name %q is taken in room %q", m.Name, r.name)
		}
		last := r.next - 1
		info := JoinInfo{Room: r.name, LastSeq: last}

		// Work out which seqs to replay: (from, last].
		var from uint64
		if req.NoReplay {
			from = last
		} else if req.Since == nil {
			n := req.History
			if n <= 0 || n > cfg.History {
				n = cfg.History
			}
			from = r.recent.oldestFrom(last, n)
			// Older messages exist if the replay leaves part of the ring out, or the ring is
			// full (the Store may hold more than it does); a client pages them with history.
			info.Truncated = from > 0 && (r.recent.n > 0 && from >= r.recent.oldestSeq() || r.recent.full())
		} else {
			from = min(*req.Since, last)
			if last-from > uint64(cfg.MaxReplay) {
				from = last - uint64(cfg.MaxReplay)
				info.Truncated = true
			}
		}
		// Seqs up to covered are in fetched already (read from the Store in an earlier round),
		// so the ring has to supply only what comes after.
		fetched = dropUpTo(fetched, from)
		covered := max(from, storeCovered)
		replay, ok := r.recent.after(covered, last)
		if !ok && attempt < 3 {
			// The ring does not reach back that far: read the older part outside the lock.
			below := r.recent.oldestSeq()
			r.mu.Unlock()
			if err := r.reserveReplay(ctx, &budget, below-covered-1); err != nil {
				return JoinInfo{}, err
			}
			older, err := r.readRange(ctx, covered, below)
			if errors.Is(err, hubbub.ErrUnreadable) {
				// Damaged history stays damaged: refusing the join would lock the member out of
				// the room for good. Replay what the ring holds and say the replay is truncated.
				unreadable, older = true, nil
			} else if err != nil {
				return JoinInfo{}, err
			}
			for _, e := range older {
				e.Replay = true // read for this join alone
			}
			fetched = append(fetched, older...)
			storeCovered = below - 1
			continue
		}
		if !ok {
			r.mu.Unlock()
			return JoinInfo{}, hubbub.Errorf(hubbub.ECodeUnavailable, "room %q is too busy to replay; try again", r.name)
		}
		replay = append(fetched, replayOf(replay)...)
		info.Replay = len(replay)
		info.Truncated = info.Truncated || unreadable

		r.index[m] = len(r.members)
		r.members = append(r.members, m)
		claim := r.names[m.Name]
		newName := claim == nil
		if newName {
			claim = &nameClaim{key: m.Key}
			r.names[m.Name] = claim
		}
		claim.conns++
		info.Members, info.MemberCount = r.memberSummary(r.hub.cfg.PresenceLimit)
		if req.Greet != nil {
			m.Out.Push(req.Greet(info))
		}
		if held := budget; held > 0 {
			budget = 0 // the outbox gives it back once the replay is taken to be written
			m.Out.PushBatchThen(replay, func() { r.hub.replayBudget.Release(held) })
		} else {
			m.Out.PushBatch(replay)
		}
		r.mu.Unlock()
		r.hub.cfg.Metrics.Joined()

		if newName {
			r.publishPresence(hubbub.MemberJoined{Name: m.Name})
		}
		return info, nil
	}
}

// reserveReplay takes n more messages (at most what the budget has left) of the hub's replay
// budget for a join that is about to read them from the Store, adding them to *held. It waits
// for other joins' replays to be written, within StoreTimeout.
func (r *room) reserveReplay(ctx context.Context, held *int64, n uint64) error {
	n = min(n, uint64(int64(r.hub.cfg.ReplayBudget)-*held))
	if n == 0 {
		return nil
	}
	wctx, cancel := r.hub.storeCtx(ctx)
	defer cancel()
	if err := r.hub.replayBudget.Acquire(wctx, int64(n)); err != nil {
		r.hub.log.Warn("replay budget exhausted", "room", r.name, "messages", n, "budget", r.hub.cfg.ReplayBudget, "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "the server is busy replaying history to other clients; try again")
	}
	*held += int64(n)
	return nil
}

// readRange reads the messages with from < seq < below from the Store.
func (r *room) readRange(ctx context.Context, from, below uint64) ([]*Envelope, error) {
	var out []*Envelope
	for from+1 < below {
		sctx, cancel := r.hub.storeCtx(ctx)
		start := r.hub.cfg.Metrics.Now()
		msgs, err := r.hub.store.Since(sctx, r.name, from, int(min(below-from-1, 1000)))
		r.hub.cfg.Metrics.StoreRead(start)
		cancel()
		if errors.Is(err, hubbub.ErrUnreadable) {
			r.hub.log.Error("store since: history damaged; replaying only the newest messages", "room", r.name, "err", err)
			return nil, err
		}
		if err != nil {
			return nil, r.hub.unavailable("since", r.name, err)
		}
		if len(msgs) == 0 {
			break
		}
		for i := range msgs {
			if msgs[i].Seq >= below {
				return out, nil
			}
			out = append(out, messageEnvelope(&msgs[i]))
		}
		from = msgs[len(msgs)-1].Seq
	}
	return out, nil
}

func dropUpTo(es []*Envelope, seq uint64) []*Envelope {
	i := 0
	for i < len(es) && es[i].Event.AppendedEntry().Seq <= seq {
		i++
	}
	return es[i:]
}

func (r *room) leave(m *Member) {
	r.mu.Lock()
	in, gone := r.remove(m)
	if !in {
		r.mu.Unlock()
		return
	}
	empty := len(r.members) == 0
	r.mu.Unlock()

	if gone {
		r.publishPresence(hubbub.MemberLeft{Name: m.Name})
	}
	if empty {
		r.closeIfEmpty()
	}
}

// remove drops m from the room's members, if it is one, and reports whether it was and whether
// its name thereby left the room. Called with mu held.
func (r *room) remove(m *Member) (in, gone bool) {
	i, in := r.index[m]
	if !in {
		return false, false
	}
	last := len(r.members) - 1
	r.members[i] = r.members[last]
	r.index[r.members[i]] = i
	r.members[last] = nil
	r.members = r.members[:last]
	delete(r.index, m)
	if c := r.names[m.Name]; c != nil {
		c.conns--
		if c.conns <= 0 {
			delete(r.names, m.Name)
			gone = true
		}
	}
	return true, gone
}

// closeIfEmpty removes the room from the hub once nobody is in it, so an idle node holds no
// memory for rooms nobody uses. The next join loads it again from the Store.
func (r *room) closeIfEmpty() {
	h := r.hub
	h.mu.Lock()
	r.mu.Lock()
	if len(r.members) > 0 || r.closed {
		r.mu.Unlock()
		h.mu.Unlock()
		return
	}
	if h.rooms[r.name] == r {
		delete(h.rooms, r.name)
		h.index.Delete(r.name)
	}
	r.mu.Unlock()
	h.mu.Unlock()
	r.close()
}

func (r *room) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	if r.gap != nil && r.gap.Stop() {
		r.hub.bg.Done()
	}
	r.gap = nil
	unsub := r.unsub
	r.mu.Unlock()
	if unsub != nil {
		unsub()
	}
}

// publishPresence tells every node that a member joined or left here.
func (r *room) publishPresence(body hubbub.EventBody) {
	r.hub.publishQuiet(hubbub.Event{Room: r.name, Node: r.hub.cfg.Node, Body: body}, "presence")
}

// onEvent receives the room's events from the broker.
func (r *room) onEvent(ev hubbub.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	hubbub.Visit(ev, (*roomEvents)(r))
}

// roomEvents is how a room applies each kind of event from the broker (see hubbub.Event): a
// room is an EventVisitor under this name so that its methods stay out of room's own. Its
// methods are called with mu held.
type roomEvents room

var _ hubbub.EventVisitor[struct{}] = (*roomEvents)(nil)

// EntryAppended delivers the message in seq order.
func (re *roomEvents) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) struct{} {
	if b.Entry != nil {
		(*room)(re).deliver(messageEnvelope(b.Entry))
	}
	return struct{}{}
}

// MemberTyping shows the notice to everyone but the typist (on any of their connections).
func (re *roomEvents) MemberTyping(ev hubbub.Event, b hubbub.MemberTyping) struct{} {
	e := &Envelope{Event: ev}
	for _, m := range re.members {
		if m.Name != b.Name && !m.MessagesOnly {
			m.Out.Push(e)
		}
	}
	return struct{}{}
}

// deliver hands a message to the members if it is the next in seq, holds it if it is early and
// drops it if it was delivered already. Called with mu held.
func (r *room) deliver(e *Envelope) {
	seq := e.Event.AppendedEntry().Seq
	if _, ok := r.deletedAhead[seq]; ok {
		delete(r.deletedAhead, seq)
		if len(r.deletedAhead) == 0 {
			r.deletedAhead = nil
		}
		e = deletedEnvelope(e)
	}
	switch {
	case seq < r.next:
		return // delivered already (a duplicate from the broker or a gap fill)
	case seq > r.next:
		r.pending[seq] = e
		r.armGapFill()
		return
	}
	r.accept(e)
	for {
		e, ok := r.pending[r.next]
		if !ok {
			break
		}
		delete(r.pending, r.next)
		r.accept(e)
	}
	if len(r.pending) == 0 && r.gap != nil && r.gap.Stop() {
		r.gap = nil
		r.hub.bg.Done()
	}
}

// accept delivers the message that has seq == next.
func (r *room) accept(e *Envelope) {
	r.recent.push(e)
	r.next = e.Event.AppendedEntry().Seq + 1
	r.fanoutMessage(e)
	r.hub.cfg.Metrics.Delivered(len(r.members))
}

// fanoutMessage queues a message for every member.
func (r *room) fanoutMessage(e *Envelope) {
	for _, m := range r.members {
		m.Out.Push(e)
	}
}

// fanoutNotice queues a notice other than a message (presence, a delete) for the members that
// take more than messages.
func (r *room) fanoutNotice(e *Envelope) {
	for _, m := range r.members {
		if !m.MessagesOnly {
			m.Out.Push(e)
		}
	}
}

// armGapFill schedules a Store read for the seqs missing before the pending ones, in case the
// broker never brings them (a node died between append and publish). Called with mu held.
func (r *room) armGapFill() {
	if r.gap != nil {
		return
	}
	r.hub.bg.Add(1)
	r.gap = time.AfterFunc(r.hub.cfg.GapWait, r.fillGap)
}

func (r *room) fillGap() {
	defer r.hub.bg.Done()
	r.mu.Lock()
	r.gap = nil
	if r.closed || len(r.pending) == 0 {
		r.mu.Unlock()
		return
	}
	from := r.next - 1
	highest := uint64(0)
	for s := range r.pending {
		highest = max(highest, s)
	}
	r.mu.Unlock()

	fetched, err := r.readRange(context.Background(), from, highest)

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if err != nil {
		r.armGapFill() // the Store is down; try again later
		return
	}
	for _, e := range fetched {
		r.deliver(e)
	}
	if len(r.pending) > 0 && r.pending[r.next] == nil {
		// The Store has no message with seq next (retention removed it): skip to what we have.
		lowest := highest
		for s := range r.pending {
			lowest = min(lowest, s)
		}
		if lowest > r.next {
			r.hub.log.Warn("skipping seqs missing from the store", "room", r.name, "from", r.next, "to", lowest-1)
			r.next = lowest
			for s := range r.deletedAhead {
				if s < lowest { // their messages will never come
					delete(r.deletedAhead, s)
				}
			}
			r.deliver(r.pending[lowest])
			delete(r.pending, lowest)
		}
	}
}

// catchUp delivers every stored message the room has not delivered yet.
func (r *room) catchUp() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	from := r.next - 1
	r.mu.Unlock()
	ctx, cancel := r.hub.storeCtx(context.Background())
	last, err := r.hub.store.LastSeq(ctx, r.name)
	cancel()
	if err != nil {
		r.hub.log.Warn("catch-up: store last seq failed", "room", r.name, "err", err)
		return
	}
	if last <= from {
		return
	}
	fetched, err := r.readRange(context.Background(), from, last+1)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	for _, e := range fetched {
		r.deliver(e)
	}
}

// memberNames returns the sorted names of the members on every node. Called with mu held.
func (r *room) memberNames() []string {
	set := make(map[string]bool, len(r.names))
	for n := range r.names {
		set[n] = true
	}
	for _, node := range r.remote {
		for n := range node.names {
			set[n] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
