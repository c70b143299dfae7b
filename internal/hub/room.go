package hub

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"hubbub"
)

var errRoomClosed = errors.New("hub: room closed")

// room is one room on this node: its local members, its recent entries, and the next seq it
// expects. Everything below is guarded by mu.
type room struct {
	name string
	hub  *Hub

	mu      sync.Mutex
	members []*Member        // fan-out order; a slice because iteration is the hot path
	index   map[*Member]seat // each member's place in members and the name it claimed
	names   map[string]*nameClaim
	recent  ring                 // the newest delivered entries of every kind, ascending in seq
	next    uint64               // the seq the room delivers next
	pending map[uint64]*Envelope // entries that arrived ahead of next
	gap     *time.Timer          // pending fill from the Store, if armed
	// burst holds the reaction entries delivered and not yet sent to the members (reactions.go).
	burst  reactionBurst
	remote map[string]*nodeMembers // other nodes' members, by node (presence.go)
	// away are the names here whose users are away on this node (announceAway), a subset of
	// names' keys.
	away map[string]bool
	// crowd is the sorted list of names a join past PresenceLimit is given, kept until a name
	// leaves the room (memberSummary, presence.go).
	crowd []string
	// crowdMemo is what joins' greetings made of crowd (JoinInfo.Memo); it names the list it
	// was made of, so a new crowd needs no reset here.
	crowdMemo Memo
	// sorted is names' keys in ascending order, kept as names changes (claimName, dropName)
	// while the room has at most PresenceLimit names here: every join into such a room is
	// given the room's sorted list. Past that, joins are given a list of their own (crowd) and
	// an insertion would move thousands of names, so it is not kept (unsorted) until the room
	// is back under the limit.
	sorted   []string
	unsorted bool
	// restating is what decides whether this node restates its members next time (presence.go).
	restating restating
	// renaming counts the renames whose presence events (rename.go) are ordered and not yet
	// published: a tick's restatement waits for them (publishPresence), since one published
	// between them, with a later order and without the old name, made the other nodes show
	// the old name leaving as a departure and drop the rename's leave as older.
	renaming int
	// presence holds the presence notices announced and not yet queued (presencewindow.go).
	presence presenceHold
	// opening, while set, holds joins until the other nodes have said who is in the room
	// (presenceopen.go).
	opening *opening
	closed  bool
	unsub   func()

	// sanctions are the room's bans and mutes, by user id and kind (moderation.go).
	sanctions map[sanctionKey]hubbub.Sanction
	// renamedAway are the names a rename took from the room here (rename.go) that no join
	// claimed since: a join of one that publishes after the rename is not announced when it
	// comes back (roomEvents.MemberJoined). Nil until a rename.
	renamedAway map[string]bool
}

// nameClaim records which user holds a name in a room (their key, and their id for
// Hub.MemberUsers) and on how many connections.
type nameClaim struct {
	key   string
	user  string
	conns int
	// shared: a rename gave the name to user while connections of another user held it (a
	// keyless connection's, rename.go), which may hold it still when user no longer does, so
	// the claim's user is not always a holder's (holder).
	shared bool
}

// holder returns the user id of a member here that goes by name, whose claim c is: c's user,
// unless the claim is shared and none of its connections is user's, then another holder's.
// Called with mu held.
func (r *room) holder(name string, c *nameClaim) string {
	if !c.shared {
		return c.user
	}
	other := ""
	for _, m := range r.members {
		if r.index[m].name != name {
			continue
		}
		if m.UserID == c.user {
			return c.user
		}
		if other == "" {
			other = m.UserID
		}
	}
	return other
}

// seat is a member's place in a room: its position in members, for O(1) removal, and the
// name its claim is under. The room keeps the name rather than read the member's, which a
// rename changes outside the room's lock (RenameUser): the claim a leave gives back is the
// one the join took, or the one rename moved it to.
type seat struct {
	pos  int
	name string
	// sanctions: the member is told of the room's bans, mutes and lifts as they happen
	// (Hub.WatchSanctions), a moderator whose page shows them.
	sanctions bool
}

// nameOf is the name member m holds in the room. Called with mu held, for a member.
func (r *room) nameOf(m *Member) string { return r.index[m].name }

func newRoom(h *Hub, name string) *room {
	return &room{
		name:    name,
		hub:     h,
		index:   make(map[*Member]seat),
		names:   make(map[string]*nameClaim),
		recent:  newRing(h.cfg.RoomBuffer),
		pending: make(map[uint64]*Envelope),
	}
}

// load subscribes to the broker and reads the room's recent entries. Called with mu held, so
// events the broker delivers meanwhile wait and are then checked against the loaded seq.
//
// The boundary between history and live traffic is the last seq read once subscribed: the
// ring holds entries up to it and no further, and next is the seq after it. Every entry
// stored later was published after the subscription, so it comes live (or by gap fill), once;
// an entry another node stores between the two reads must not also enter the ring, where a
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
	if last == 0 {
		// A room with no entries may not exist yet: its first message would make it.
		if err := r.hub.checkNewRoom(sctx, r.name, true); err != nil {
			return err
		}
		if err := r.hub.chargeEmptyOpen(ctx, r.name); err != nil {
			return err
		}
	}
	var entries []hubbub.Entry
	if last > 0 {
		size := r.hub.cfg.RoomBuffer
		r.recent.base = last - min(last, uint64(size))
		entries, err = r.hub.store.Since(sctx, r.name, r.recent.base, size)
		if errors.Is(err, hubbub.ErrUnreadable) {
			// Damaged history stays damaged: the room still serves live entries, and joins
			// read what they can from the Store.
			r.hub.log.Error("store since: recent entries damaged; the room starts with none in memory", "room", r.name, "err", err)
			entries = nil
		} else if err != nil {
			return r.hub.unavailable("history", r.name, err)
		}
	}
	for i := range entries {
		if entries[i].Seq > last {
			break
		}
		r.recent.push(entryEnvelope(&entries[i]))
	}
	r.next = last + 1
	return r.loadSanctions(sctx)
}

// entryEnvelope is the envelope of one entry of the room's log.
func entryEnvelope(e *hubbub.Entry) *Envelope {
	return &Envelope{Event: hubbub.Event{Room: e.Room, Body: hubbub.EntryAppended{Entry: e}}}
}

// join adds req.Member and queues its greeting and replay; see Hub.Join.
//
// A join without since replays the newest messages in their current state, read from the
// Store for this member (its own reactions marked), up to the room's delivered boundary; the
// entries the room delivers while that read runs are replayed after them from the ring. A join
// with since replays every entry after it, from the ring, and from the Store for what is older
// than the ring.
func (r *room) join(ctx context.Context, req JoinRequest) (JoinInfo, error) {
	cfg := r.hub.cfg
	m := req.Member
	var fetched []*Envelope // since: replay read from the Store, older than the ring
	var storeCovered uint64 // fetched holds every stored seq up to this one
	var fresh *freshReplay  // no since: the messages read from the Store for this member
	var budget int64        // the share of the hub's replay budget fetched or fresh holds
	defer func() {
		if budget > 0 { // not handed to the member's outbox: the join failed
			r.hub.replayBudget.Release(budget)
		}
	}()
	var unreadable bool // the Store could not read the older part: replay the ring only
	// since more than MaxReplay seqs behind: the Store held no entry in (since, skipTo] when
	// read (probed).
	var skipTo uint64
	probed := false
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
			return JoinInfo{}, r.fullError()
		}
		name := m.CurrentName() // read under mu: a rename after it moves this claim too
		if sn, banned := r.sanction(m.UserID, name, hubbub.SanctionBan); banned {
			r.mu.Unlock()
			return JoinInfo{}, bannedError(r.name, sn)
		}
		if c := r.names[name]; c != nil && (c.key == "" || c.key != m.Key) {
			r.mu.Unlock()
			return JoinInfo{}, hubbub.Errorf(hubbub.ECodeNameTaken, "the name %q belongs to another user", name)
		}
		last := r.next - 1
		info := JoinInfo{Room: r.name, LastSeq: last}

		var replay []*Envelope
		switch {
		case req.NoReplay:
		case req.Since == nil:
			n := req.History
			if n <= 0 || n > cfg.History {
				n = cfg.History
			}
			if fresh == nil && last > 0 && attempt < 3 {
				// Read the messages outside the lock, then come back for what the room
				// delivered meanwhile.
				r.mu.Unlock()
				want := n
				if req.Notices {
					want += cfg.NoticeLimit
				}
				if err := r.reserveReplay(ctx, &budget, uint64(max(0, int64(want)-budget))); err != nil {
					return JoinInfo{}, err
				}
				var err error
				if fresh, err = r.readFresh(ctx, last, n, m.UserID, req.Notices); err != nil {
					return JoinInfo{}, err
				}
				continue
			}
			if fresh == nil || fresh.unreadable {
				// An empty room, a Store that could not read its damaged history, or a room
				// too busy to catch up with: the messages in memory, as they were delivered.
				held := r.recent.messages(n)
				replay = replayOf(held)
				info.Truncated = len(held) == n || fresh != nil
				break
			}
			// Entries delivered since the read (fresh.last, last] follow its messages, so the
			// member's view reaches last, as its joined frame says.
			bridge, ok := r.recent.after(fresh.last, last)
			if !ok {
				fresh = nil // the ring moved past the read: read again
				r.mu.Unlock()
				continue
			}
			replay = append(fresh.envelopes, replayOf(bridge)...)
			info.Truncated, info.NoticesTruncated = fresh.truncated, fresh.noticesTruncated
		default:
			from := min(*req.Since, last)
			if last-from > uint64(cfg.MaxReplay) && !probed {
				// Seqs are not entries: a room's numbering may have jumped (hubbub restore
				// moves it on past what a lost part of the store handed out), so a since
				// far behind may still miss few entries. One read of the Store says where
				// the first entry after it is; nothing lies between (and every entry up to
				// last was stored before the read, so if none comes after since, none lies
				// up to last).
				r.mu.Unlock()
				first, err := r.readFirstAfter(ctx, from)
				switch {
				case errors.Is(err, hubbub.ErrUnreadable):
					skipTo = from
				case err != nil:
					return JoinInfo{}, err
				case first == 0:
					skipTo = last
				default:
					skipTo = first - 1
				}
				probed = true
				continue
			}
			if probed {
				from = max(from, min(skipTo, last))
			}
			if last-from > uint64(cfg.MaxReplay) {
				from = last - uint64(cfg.MaxReplay)
				info.Truncated = true
			}
			// Seqs up to covered are in fetched already (read from the Store in an earlier
			// round), so the ring has to supply only what comes after.
			fetched = dropUpTo(fetched, from)
			covered := max(from, storeCovered)
			held, ok := r.recent.after(covered, last)
			if !ok && attempt < 3 {
				// The ring does not reach back that far: read the older part outside the lock.
				below := r.recent.oldestSeq()
				if below == 0 {
					below = last + 1 // an empty ring (ring.base): the Store has it all
				}
				r.mu.Unlock()
				if err := r.reserveReplay(ctx, &budget, below-covered-1); err != nil {
					return JoinInfo{}, err
				}
				older, err := r.readRange(ctx, covered, below)
				if errors.Is(err, hubbub.ErrUnreadable) {
					// Damaged history stays damaged: refusing the join would lock the member
					// out of the room for good. Replay what the ring holds and say the replay
					// is truncated.
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
			replay = append(fetched, replayOf(held)...)
			info.Truncated = info.Truncated || unreadable
		}
		if req.Allowed != nil && !req.Allowed() {
			r.mu.Unlock()
			return JoinInfo{}, hubbub.Errorf(hubbub.ECodeForbidden, "you may not join %s", r.name)
		}
		info.Replay = replayCount(replay)

		// The reactions held for the next burst are at or below last: the member has them
		// (in its replay, or in the state it read), so they go out before it is a member.
		r.flushReactions()
		r.presenceJoined(m)
		r.index[m] = seat{pos: len(r.members), name: name}
		r.members = append(r.members, m)
		claim := r.names[name]
		newName := claim == nil
		var order hubbub.Order
		if newName {
			claim = &nameClaim{key: m.Key, user: m.UserID}
			r.claimName(name, claim)
			delete(r.renamedAway, name) // this join's announcement is to be shown
			order = r.nextOrder()
		}
		claim.conns++
		r.restating.changed = r.restating.changed || newName
		info.Members, info.MemberCount = r.memberSummary(r.hub.cfg.PresenceLimit)
		info.Away = r.awayAmong(info.Members)
		if r.crowd != nil { // Members is the kept list
			info.Memo = &r.crowdMemo
		}
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
			r.publishPresence(hubbub.MemberJoined{Name: name, Order: order})
		}
		return info, nil
	}
}

// refuseFull returns the refusal of m's join when the room is full, as join would, else nil
// (also when m is in the room already, which join answers as joined).
func (r *room) refuseFull(m *Member) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, in := r.index[m]; in || len(r.members) < r.hub.cfg.MaxMembers {
		return nil
	}
	return r.fullError()
}

// fullError is the refusal of a join of the full room.
func (r *room) fullError() error {
	return hubbub.Errorf(hubbub.ECodeRoomFull, "room %q is full (%d members)", r.name, r.hub.cfg.MaxMembers)
}

// freshReplay is what a join without since read from the Store for its member: the newest
// messages up to last, in their current state, the member's reactions marked.
type freshReplay struct {
	envelopes []*Envelope
	last      uint64
	// truncated: the room holds older messages than these.
	truncated bool
	// noticesTruncated: the notices asked for were more than NoticeLimit; the oldest are
	// left out.
	noticesTruncated bool
	// unreadable: the Store's history is damaged; the join replays what the room holds.
	unreadable bool
}

// readFresh reads the newest n messages with seq ≤ last for user id viewer, and with
// notices the room's notices among them (JoinRequest.Notices).
func (r *room) readFresh(ctx context.Context, last uint64, n int, viewer string, notices bool) (*freshReplay, error) {
	sctx, cancel := r.hub.storeCtx(ctx)
	defer cancel()
	start := r.hub.cfg.Metrics.Now()
	msgs, err := r.hub.store.Before(sctx, r.name, last+1, n+1)
	r.hub.cfg.Metrics.StoreRead(start)
	if err == nil {
		err = r.hub.markMine(sctx, r.name, viewer, msgs)
	}
	if errors.Is(err, hubbub.ErrUnreadable) {
		r.hub.log.Error("store before: history damaged; replaying the messages in memory", "room", r.name, "err", err)
		return &freshReplay{last: last, unreadable: true}, nil
	}
	if err != nil {
		return nil, r.hub.unavailable("history", r.name, err)
	}
	f := &freshReplay{last: last, truncated: len(msgs) > n}
	if f.truncated {
		msgs = msgs[len(msgs)-n:]
	}
	var ns []hubbub.Entry
	if notices {
		var oldest uint64
		if len(msgs) > 0 {
			oldest = msgs[0].Seq
		}
		if ns, f.noticesTruncated, err = r.hub.Notices(sctx, r.name, NoticesAfter(oldest, f.truncated), last); err != nil {
			// The messages are what the join is for: it goes on without the notices, and
			// says that some were left out (Hub.Notices logged why).
			ns, f.noticesTruncated = nil, true
		}
	}
	f.envelopes = make([]*Envelope, 0, len(msgs)+len(ns))
	for i, j := 0, 0; i < len(msgs) || j < len(ns); {
		var e *hubbub.Entry
		if j == len(ns) || i < len(msgs) && msgs[i].Seq < ns[j].Seq {
			e, i = &msgs[i], i+1
		} else {
			e, j = &ns[j], j+1
		}
		env := entryEnvelope(e)
		env.Replay = true // read for this join alone
		f.envelopes = append(f.envelopes, env)
	}
	return f, nil
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

// readRange reads the entries with from < seq < below from the Store.
func (r *room) readRange(ctx context.Context, from, below uint64) ([]*Envelope, error) {
	var out []*Envelope
	for from+1 < below {
		msgs, err := r.readSince(ctx, from, int(min(below-from-1, 1000)))
		if errors.Is(err, hubbub.ErrUnreadable) {
			r.hub.log.Error("store since: history damaged; replaying only the newest entries", "room", r.name, "err", err)
		}
		if err != nil {
			return nil, err
		}
		if len(msgs) == 0 {
			break
		}
		for i := range msgs {
			if msgs[i].Seq >= below {
				return out, nil
			}
			out = append(out, entryEnvelope(&msgs[i]))
		}
		from = msgs[len(msgs)-1].Seq
	}
	return out, nil
}

// readFirstAfter returns the seq of the room's first stored entry after seq, 0 if none.
func (r *room) readFirstAfter(ctx context.Context, seq uint64) (uint64, error) {
	es, err := r.readSince(ctx, seq, 1)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	return es[0].Seq, nil
}

// readSince reads up to limit of the room's entries after seq from the Store, within
// StoreTimeout and timed for the metrics. A damaged history fails with hubbub.ErrUnreadable;
// any other failure is the client's "unavailable".
func (r *room) readSince(ctx context.Context, seq uint64, limit int) ([]hubbub.Entry, error) {
	sctx, cancel := r.hub.storeCtx(ctx)
	defer cancel()
	start := r.hub.cfg.Metrics.Now()
	es, err := r.hub.store.Since(sctx, r.name, seq, limit)
	r.hub.cfg.Metrics.StoreRead(start)
	if err != nil && !errors.Is(err, hubbub.ErrUnreadable) {
		return nil, r.hub.unavailable("since", r.name, err)
	}
	return es, err
}

// dropUpTo returns es (ascending in seq) without the entries at or below seq.
func dropUpTo(es []*Envelope, seq uint64) []*Envelope {
	i := 0
	for i < len(es) && es[i].Event.AppendedEntry().Seq <= seq {
		i++
	}
	return es[i:]
}

func (r *room) leave(m *Member) {
	r.mu.Lock()
	in, name, gone := r.remove(m)
	if !in {
		r.mu.Unlock()
		return
	}
	empty := len(r.members) == 0
	var order hubbub.Order
	if gone {
		order = r.nextOrder()
	}
	r.mu.Unlock()

	if gone {
		r.publishPresence(hubbub.MemberLeft{Name: name, Order: order})
	}
	if empty {
		r.closeIfEmpty()
	}
}

// remove drops m from the room's members, if it is one, and reports whether it was, the name
// it held and whether that name thereby left the room. m is first given the presence notices
// held while it was in the room, so that they precede whatever its leaving brings. Called
// with mu held.
func (r *room) remove(m *Member) (in bool, name string, gone bool) {
	s, in := r.index[m]
	if !in {
		return false, "", false
	}
	r.presenceLeft(m)
	last := len(r.members) - 1
	moved := r.members[last]
	r.members[s.pos] = moved
	if moved != m {
		ms := r.index[moved]
		ms.pos = s.pos
		r.index[moved] = ms
	}
	r.members[last] = nil
	r.members = r.members[:last]
	delete(r.index, m)
	return true, s.name, r.unclaim(s.name)
}

// unclaim gives back one connection's claim on name, and reports whether that was the last
// one: the name left the room here. Called with mu held.
func (r *room) unclaim(name string) (gone bool) {
	c := r.names[name]
	if c == nil {
		return false
	}
	c.conns--
	if c.conns > 0 {
		return false
	}
	r.dropName(name)
	delete(r.away, name)
	r.crowd = nil
	r.restating.changed = true
	return true
}

// claimName records c as the claim on name, a name not in the room here. Called with mu held.
func (r *room) claimName(name string, c *nameClaim) {
	r.names[name] = c
	switch {
	case r.unsorted:
	case len(r.names) > r.hub.cfg.PresenceLimit:
		r.sorted, r.unsorted = nil, true
	default:
		if i, found := slices.BinarySearch(r.sorted, name); !found {
			r.sorted = slices.Insert(r.sorted, i, name)
		}
	}
}

// dropName removes name's claim. Called with mu held.
func (r *room) dropName(name string) {
	delete(r.names, name)
	switch {
	case r.unsorted && len(r.names) <= r.hub.cfg.PresenceLimit:
		r.sorted = slices.Sorted(maps.Keys(r.names))
		r.unsorted = false
	case r.unsorted:
	default:
		if i, found := slices.BinarySearch(r.sorted, name); found {
			r.sorted = slices.Delete(r.sorted, i, i+1)
		}
	}
}

// localNames returns this node's names in ascending order (sorted, or the map's keys sorted
// while it is not kept), for the caller to keep. Called with mu held.
func (r *room) localNames(extra int) []string {
	if r.unsorted {
		names := make([]string, 0, len(r.names)+extra)
		for name := range r.names {
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}
	names := make([]string, len(r.sorted), len(r.sorted)+extra)
	copy(names, r.sorted)
	return names
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
	r.burst.window.stop(r)
	r.burst.entries = nil
	r.dropPresence()
	r.endOpening()
	unsub := r.unsub
	r.mu.Unlock()
	if unsub != nil {
		unsub()
	}
}

// nextOrder returns the hubbub.Order of a presence event of the room's that this node is about
// to publish: taken with mu held, with the change it tells of or the members it states, so
// that the order is the changes' whatever order the publishes come in.
func (r *room) nextOrder() hubbub.Order {
	return hubbub.Order(r.hub.presenceOrder.Add(1))
}

// publishPresence tells every node that a member joined or left here; body carries the Order
// taken with the change (nextOrder).
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
	r.heard(ev)
	hubbub.Visit(ev, (*roomEvents)(r))
}

// roomEvents is how a room applies each kind of event from the broker (see hubbub.Event): a
// room is an EventVisitor under this name so that its methods stay out of room's own. Its
// methods are called with mu held.
type roomEvents room

var _ hubbub.EventVisitor[struct{}] = (*roomEvents)(nil)

// EntryAppended delivers the entry, of whatever kind, in seq order.
func (re *roomEvents) EntryAppended(_ hubbub.Event, b hubbub.EntryAppended) struct{} {
	if b.Entry != nil {
		(*room)(re).deliver(entryEnvelope(b.Entry))
	}
	return struct{}{}
}

// MemberTyping shows the notice to everyone but the typist (on any of their connections).
func (re *roomEvents) MemberTyping(ev hubbub.Event, b hubbub.MemberTyping) struct{} {
	r := (*room)(re)
	r.flushPresence()
	e := &Envelope{Event: ev}
	for _, m := range r.members {
		if !m.MessagesOnly && m.CurrentName() != b.Name {
			m.Out.Push(e)
		}
	}
	return struct{}{}
}

// deliver hands an entry to the members if it is the next in seq, holds it if it is early and
// drops it if it was delivered already. Called with mu held.
func (r *room) deliver(e *Envelope) {
	seq := e.Event.AppendedEntry().Seq
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

// accept delivers the entry that has seq == next: into the ring, and to the members, at once
// or, for a reaction, with the next burst of reactions (reactions.go). Any other entry sends
// the reactions held before it first, so the members see the log in order.
func (r *room) accept(e *Envelope) {
	entry := e.Event.AppendedEntry()
	r.recent.push(e)
	r.next = entry.Seq + 1
	if entry.Kind == hubbub.KindReaction && r.holdReaction(entry) {
		return
	}
	if entry.Kind == hubbub.KindDelete {
		r.scrub(entry.Target)
	}
	r.flushReactions()
	r.fanoutEntry(e, entry.Kind)
	switch entry.Kind {
	case hubbub.KindMember:
		r.applyMembership(entry)
	case hubbub.KindSanction:
		r.applySanction(entry)
	}
}

// fanoutEntry queues an entry of kind for every member that shows that kind, after the
// presence notices held before it.
func (r *room) fanoutEntry(e *Envelope, kind hubbub.EntryKind) {
	r.flushPresence()
	textual := kind == hubbub.KindMessage || kind == hubbub.KindEdit || kind == hubbub.KindTopic
	for _, m := range r.members {
		if textual || !m.MessagesOnly {
			m.Out.Push(e)
		}
	}
	r.hub.cfg.Metrics.Delivered(len(r.members))
}

// fanoutNotice queues a notice other than an entry (presence, when the room's presence window
// is off) for the members that take more than messages.
func (r *room) fanoutNotice(e *Envelope) {
	for _, m := range r.members {
		if !m.MessagesOnly {
			m.Out.Push(e)
		}
	}
}

// scrub replaces, in the ring, message target and the edits of it by what a delete leaves of
// them: no text, no attachments, the message marked deleted. A rejoin then replays nothing the
// delete removed (the Store's copies lost it too). Called with mu held.
func (r *room) scrub(target uint64) {
	for i := r.recent.index(target - 1); i < r.recent.n; i++ {
		e := r.recent.at(i).Event.AppendedEntry()
		if e.Text == "" && len(e.Attachments) == 0 || !(e.IsMessage() && e.Seq == target || e.Kind == hubbub.KindEdit && e.Target == target) {
			continue
		}
		c := *e
		c.Text, c.Mentions, c.MentionRoom, c.Attachments = "", nil, false, nil
		c.Deleted = c.Deleted || c.IsMessage()
		r.recent.set(i, entryEnvelope(&c))
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
	// What is still missing up to highest, the Store did not have when read (retention
	// removed it, or an append took a seq and failed): skip each such range to the entry
	// after it, not only the first, or the entries past a second one would wait for the next
	// message to arm another fill.
	for len(r.pending) > 0 && r.pending[r.next] == nil {
		lowest := uint64(math.MaxUint64)
		for s := range r.pending {
			lowest = min(lowest, s)
		}
		if lowest > highest {
			break // arrived after the read: the Store may have what comes before it
		}
		r.hub.log.Warn("skipping seqs missing from the store", "room", r.name, "from", r.next, "to", lowest-1)
		r.next = lowest
		e := r.pending[lowest]
		delete(r.pending, lowest)
		r.deliver(e)
	}
	if len(r.pending) > 0 {
		r.armGapFill()
	}
}

// catchUp delivers every stored entry the room has not delivered yet.
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

// memberNames returns the sorted names of the members on every node, a slice of the caller's
// own. Called with mu held.
//
// Every join into a room under PresenceLimit is given this list, so a reconnect storm's
// 10,000 joins into rooms of 100 each made it: building a set of the names first was 6 % of
// the new process's CPU (docs/benchmarks/reconnect-storm.md, "The first half second after
// listening"), and sorting the map's names at each join 2 %: this node's names are kept in
// order (sorted), so a room on one node copies them. Another node's names may repeat this
// node's, which the sort brings together for Compact.
func (r *room) memberNames() []string {
	n := 0
	for _, node := range r.remote {
		n += len(node.names)
	}
	names := r.localNames(n)
	if n == 0 { // no names on other nodes
		return names
	}
	for _, node := range r.remote {
		for name := range node.names {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// replayCount is what a join's replay counts (JoinInfo.Replay, joined.replay): its frames but
// the sanction entries'. Clients from before sanctions were entries of the log count the
// frames of the kinds they know, and a Go client of then waits for its count before it goes
// on: one sanction in its replay, counted, held its rejoin for good. The sanction entries are
// replayed all the same, in their place; a client applies them as they come.
func replayCount(replay []*Envelope) int {
	n := len(replay)
	for _, e := range replay {
		if b, ok := e.Event.Body.(hubbub.EntryAppended); ok && b.Entry != nil && b.Entry.Kind == hubbub.KindSanction {
			n--
		}
	}
	return n
}
