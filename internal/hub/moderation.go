package hub

import (
	"cmp"
	"context"
	"slices"
	"time"

	"hubbub"
)

// Moderation: kicks, timed bans and mutes. A moderator's action goes to the Store first when it
// must outlive the process (sanctions), then to the Broker as an event, so every node's copy of
// the room applies it: a kick or ban removes the name's connections wherever they are, and a
// sanction is checked on every join and send. Rooms load their sanctions from the Store when
// they open, so bans and mutes hold after a restart and on nodes that open the room later. A
// moderator's delete is an entry of the room's log like any other (Hub.Send with KindDelete and
// Moderator set). Roles are checked by the caller (the server); the hub logs every action (slog
// Info "moderation" with actor, target, room and action) for the audit trail, deletes included.

// sanctionKey indexes a room's sanctions by user id, so a sanction follows its user across a
// change of name. A sanction stored before users existed carries its name as its user (the
// stores' migration), and is checked against a member's name too (legacyUser).
type sanctionKey struct {
	user string
	kind hubbub.SanctionKind
}

// sanctionUser is the user a sanction is keyed by: its User, or for one without (stored before
// users existed and not migrated), its Name.
func sanctionUser(sn *hubbub.Sanction) string {
	if sn.User != "" {
		return sn.User
	}
	return sn.Name
}

// loadSanctions reads the room's sanctions in force from the Store. Called with mu held,
// while the room loads.
func (r *room) loadSanctions(ctx context.Context) error {
	list, err := r.hub.store.Sanctions(ctx, r.name)
	if err != nil {
		return r.hub.unavailable("sanctions", r.name, err)
	}
	for _, sn := range list {
		r.setSanction(sn)
	}
	return nil
}

// setSanction records or lifts sn. Called with mu held.
func (r *room) setSanction(sn hubbub.Sanction) {
	k := sanctionKey{sanctionUser(&sn), sn.Kind}
	if !sn.Active(time.Now()) {
		delete(r.sanctions, k)
		// A lift also lifts the sanction of the same name stored before users existed.
		if old, ok := r.sanctions[sanctionKey{sn.Name, sn.Kind}]; ok && (old.User == "" || old.User == sn.Name) {
			delete(r.sanctions, sanctionKey{sn.Name, sn.Kind})
		}
		return
	}
	if r.sanctions == nil {
		r.sanctions = make(map[sanctionKey]hubbub.Sanction)
	}
	r.sanctions[k] = sn
}

// sanction returns the sanction of kind on user id user, or on their name name as a
// sanction stored before users existed names them, if one is in force. Called with mu held.
func (r *room) sanction(user, name string, kind hubbub.SanctionKind) (hubbub.Sanction, bool) {
	if len(r.sanctions) == 0 {
		return hubbub.Sanction{}, false
	}
	now := time.Now()
	if sn, ok := r.sanctions[sanctionKey{user, kind}]; ok && sn.Active(now) {
		return sn, true
	}
	if name == "" || name == user {
		return hubbub.Sanction{}, false
	}
	if sn, ok := r.sanctions[sanctionKey{name, kind}]; ok && (sn.User == "" || sn.User == name) && sn.Active(now) {
		return sn, true
	}
	return hubbub.Sanction{}, false
}

func bannedError(room string, sn hubbub.Sanction) error {
	return hubbub.Errorf(hubbub.ECodeBanned, "you are banned from room %q %s", room, hubbub.UntilText(sn.Until))
}

func mutedError(room string, sn hubbub.Sanction) error {
	return hubbub.Errorf(hubbub.ECodeMuted, "you are muted in room %q %s", room, hubbub.UntilText(sn.Until))
}

// MayPost reports why user (named name) may not post to room now (banned or muted), or nil,
// as Send would: a slash command's use is refused as a message would be.
func (h *Hub) MayPost(ctx context.Context, roomName, user, name string) error {
	return h.mayPost(ctx, roomName, user, name)
}

// mayPost reports why user (named name) may not append to room now (banned or muted), or
// nil: a sanctioned user may neither send nor edit, delete or react. A room this node holds
// has its sanctions in memory (a member's own node always holds the rooms it is in); for one
// it does not — an append through the server API, a bot's REST call or an incoming webhook,
// whose sender is in no room here — they are read from the Store, which is what kept a
// banned or muted user from posting through the API while nobody was in the room here. Such a
// room may not exist yet, and the append would make it: the room cap is asked too (an open
// room was asked when it opened).
func (h *Hub) mayPost(ctx context.Context, roomName, user, name string) error {
	if h.lookup(roomName) == nil {
		if err := h.checkNewRoom(ctx, roomName, false); err != nil {
			return err
		}
	}
	return h.refusedBy(ctx, roomName, user, name, true)
}

// Banned reports why user (named name; "" if unknown) may not read room now — an ECodeBanned
// error while a ban of theirs there is in force — or nil. A ban keeps its user out of
// everything of the room, not only its joins and sends: the session asks before a search, a
// file download, a members list or a notification level (Service.MayRead), which would
// otherwise show a banned member of a private room (who stays a member: docs/protocol.md,
// Moderation) what was said after the ban. A room this node holds answers from memory; for
// another the sanctions are read from the Store.
func (h *Hub) Banned(ctx context.Context, roomName, user, name string) error {
	return h.refusedBy(ctx, roomName, user, name, false)
}

// refusedBy returns the error of the ban of user (named name) in force in room, or with
// muted, of their mute, or nil: the sanctions of mayPost (a write) and Banned (a read).
func (h *Hub) refusedBy(ctx context.Context, roomName, user, name string, muted bool) error {
	r, err := h.sanctioned(ctx, roomName)
	if r == nil || err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sn, ok := r.sanction(user, name, hubbub.SanctionBan); ok {
		return bannedError(roomName, sn)
	}
	if sn, ok := r.sanction(user, name, hubbub.SanctionMute); ok && muted {
		return mutedError(roomName, sn)
	}
	return nil
}

// sanctioned returns a room holding room's sanctions in force: the node's own, or for a room
// it does not hold, one made of what the Store says (nil when there are none).
func (h *Hub) sanctioned(ctx context.Context, roomName string) (*room, error) {
	if r := h.lookup(roomName); r != nil {
		return r, nil
	}
	list, err := h.store.Sanctions(ctx, roomName)
	if err != nil {
		return nil, h.unavailable("sanctions", roomName, err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	r := &room{name: roomName}
	for _, sn := range list {
		r.setSanction(sn)
	}
	return r, nil
}

// MemberKicked removes the local connections that show the name or a look-alike of it (the
// same hubbub.NameKey): a name is one user's server-wide, whatever its case, so a kick of
// "ann" reaches the Ann on a node where the moderator's node could not see her.
func (re *roomEvents) MemberKicked(_ hubbub.Event, b hubbub.MemberKicked) struct{} {
	r := (*room)(re)
	r.kick(b, 0, func(m *Member) bool { return hubbub.SameName(r.nameOf(m), b.Name) })
	return struct{}{}
}

// SanctionChanged records the sanction and tells the members who watch the room's
// sanctions (WatchSanctions); an active ban also kicks its user, whatever name their
// connections show. Nodes of this version publish a sanction as an entry of the log
// (KindSanction, applySanction); the event still comes from a node of the version before
// while a cluster is upgraded, whose moderators' pages it keeps following.
func (re *roomEvents) SanctionChanged(ev hubbub.Event, b hubbub.SanctionChanged) struct{} {
	r := (*room)(re)
	sn := b.Sanction
	r.setSanction(sn)
	var e *Envelope
	for _, m := range r.members {
		if r.index[m].sanctions {
			if e == nil {
				e = &Envelope{Event: ev}
			}
			m.Out.Push(e)
		}
	}
	r.banKick(sn, b.By, false, 0) // no entry: its leave is matched to nothing, as before
	return struct{}{}
}

// WatchSanctions says whether member m, in room on this node, is to be told of the room's
// bans, mutes and lifts as they happen, from nodes of the version before sanctions were
// entries of the log (every member is told of this version's, as of any entry): their
// SanctionChanged events are queued to it as to no other member (the session's codec makes a
// frame of them). The caller
// checked that m may moderate the room; a KindMember entry that takes the room role of m's
// user away (m's server role not moderating) ends it, as m's leaving the room does. It
// reports false when m is not in the room here.
func (h *Hub) WatchSanctions(roomName string, m *Member, on bool) bool {
	r := h.lookup(roomName)
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, in := r.index[m]
	if !in {
		return false
	}
	s.sanctions = on
	r.index[m] = s
	return true
}

// unwatchSanctions ends WatchSanctions for the members that match. Called with mu held.
func (r *room) unwatchSanctions(match func(*Member) bool) {
	for m, s := range r.index {
		if s.sanctions && match(m) {
			s.sanctions = false
			r.index[m] = s
		}
	}
}

// kick removes every local connection that is target, queueing each the kick notice k and
// calling its Removed hook with why (see removeWhere). sanction is the seq of the ban's
// entry whose kick k is, 0 for a plain kick: the room's leave carries it (MemberLeft.Sanction).
func (r *room) kick(k hubbub.MemberKicked, sanction uint64, target func(*Member) bool) {
	notice := &Envelope{Event: hubbub.Event{Room: r.name, Body: k}}
	// The room is told why the name left: a kick's or a ban's leave names the moderator.
	why := hubbub.MemberLeft{Moderation: "kick", By: k.By, API: k.API}
	if !k.Until.IsZero() {
		why.Moderation, why.Sanction = "ban", sanction
	}
	r.removeWhere(target, notice, why, k.Why())
}

// removeWhere removes every local connection that matches, queueing each the notice (if any)
// and calling its Removed hook with reason, and then tells the other nodes of a name that left
// (the leave why, with its name and order) and closes the room if it emptied. Called with mu held; the presence and cleanup that follow
// publish to the broker, which may call back into the room, so they run after the lock is
// released. A kick (a notice) and a membership's eviction (none) share it.
func (r *room) removeWhere(match func(*Member) bool, notice *Envelope, why hubbub.MemberLeft, reason string) {
	var victims []*Member
	for _, m := range r.members {
		if match(m) {
			victims = append(victims, m)
		}
	}
	if len(victims) == 0 {
		return
	}
	var gone []hubbub.MemberLeft
	for _, m := range victims {
		if _, name, g := r.remove(m); g {
			left := why
			left.Name, left.Order = name, r.nextOrder()
			gone = append(gone, left)
		}
		if notice != nil {
			m.Out.Push(notice)
		}
		if m.Removed != nil {
			m.Removed(r.name, reason)
		}
	}
	empty := len(r.members) == 0
	r.hub.bg.Add(1)
	go func() {
		defer r.hub.bg.Done()
		for _, left := range gone {
			r.publishPresence(left)
		}
		if empty {
			r.closeIfEmpty()
		}
	}()
}

// audit logs a moderation action for the record.
func (h *Hub) audit(action, actor, roomName, target string, args ...any) {
	h.log.Info("moderation", append([]any{"action", action, "actor", actor, "room", roomName, "target", target}, args...)...)
}

// Actor is who moderates. Log is how the audit log names them ("mod (u_…)", "api"); Name is
// the name the room's members know them by, which the kicked and banned are told ("" for the
// server API, whom nobody in the room sees).
type Actor struct {
	Log  string
	Name string
	// User is their user id ("" for the server API): a sanction's entry in the room's log is
	// theirs (Sanction).
	User string
	// API is true for the server API: its kicks say so to the kicked and the room
	// (MemberKicked.API), and its sanctions' entries are hubbub.APIActor's, which
	// hubbub.Entry.MadeByAPI tells.
	API bool
}

// Kick removes every connection of name from room, on every node; each gets a kick notice
// (an error frame "kicked" in hubbub.v1, a close for the text protocol) naming actor.
// Kicking a name that is not there is not an error.
func (h *Hub) Kick(ctx context.Context, actor Actor, roomName, name, reason string) error {
	if err := validateTarget(roomName, name); err != nil {
		return err
	}
	ev := hubbub.Event{Room: roomName, Node: h.cfg.Node, Body: hubbub.MemberKicked{Name: name, Reason: reason, By: actor.Name, API: actor.API}}
	if err := h.broker.Publish(ctx, ev); err != nil {
		h.log.Warn("broker publish kick failed", "room", roomName, "err", err)
		return hubbub.Errorf(hubbub.ECodeUnavailable, "the kick could not reach every node; try again")
	}
	h.audit("kick", actor.Log, roomName, name, "reason", reason)
	return nil
}

// Sanction imposes sn (a ban or mute of user sn.User, shown as sn.Name, until sn.Until) or,
// with a zero Until, lifts it. It is an entry of the room's log (hubbub.KindSanction, made by
// actor: its Name, else its Log, and its User): the Store appends it with the change to the
// room's sanctions, so it holds after a restart, and it is published as Send's entries are
// (appendEntry), so every node applies it in the room's order, its members are told (a
// sanction_changed frame with its log_seq) and a rejoin with since replays it. A ban also
// kicks, naming actor.Name to the banned.
func (h *Hub) Sanction(ctx context.Context, actor Actor, sn hubbub.Sanction) error {
	if err := validateTarget(sn.Room, sn.Name); err != nil {
		return err
	}
	if sn.User == "" {
		return hubbub.Errorf(hubbub.ECodeInternal, "a sanction needs the user it applies to")
	}
	if sn.Kind != hubbub.SanctionBan && sn.Kind != hubbub.SanctionMute {
		return hubbub.Errorf(hubbub.ECodeInternal, "unknown sanction %q", sn.Kind)
	}
	user := actor.User
	if actor.API {
		user = hubbub.APIActor
	}
	now := time.Now()
	if !sn.Active(now) {
		// A lift of nothing is refused, not logged: its entry told every member (and the
		// webhooks) that a ban nobody imposed was lifted, and confirmed a typo's unban.
		if err := h.mustHold(ctx, sn); err != nil {
			return err
		}
	}
	e := hubbub.SanctionEntry(sn, cmp.Or(actor.Name, actor.Log), user, now)
	stored, _, err := h.appendEntry(ctx, &e)
	if err != nil {
		return err
	}
	if stored.Until.IsZero() { // a lift: no end, and no reason
		h.audit(stored.Action, actor.Log, sn.Room, sn.Name, "user", sn.User, "log_seq", stored.Seq)
	} else {
		h.audit(stored.Action, actor.Log, sn.Room, sn.Name, "user", sn.User, "until", stored.Until, "reason", sn.Reason, "log_seq", stored.Seq)
	}
	return nil
}

// mustHold returns a not_found error unless sn's kind of sanction is in force on sn.User in
// sn.Room, as the Store says. Two lifts at once may both pass, and both lift: harmless.
func (h *Hub) mustHold(ctx context.Context, sn hubbub.Sanction) error {
	list, err := h.store.Sanctions(ctx, sn.Room)
	if err != nil {
		return h.unavailable("sanctions", sn.Room, err)
	}
	for _, held := range list {
		if held.Kind == sn.Kind && held.User == sn.User {
			return nil
		}
	}
	what := "banned from"
	if sn.Kind == hubbub.SanctionMute {
		what = "muted in"
	}
	return hubbub.Errorf(hubbub.ECodeNotFound, "%s is not %s %s: there is nothing to lift", sn.Name, what, sn.Room)
}

// holdSanction makes this node's room, if it holds the room of KindSanction entry e, hold
// e's sanction at once, before e is published (appendEntry): the moderator's own node then
// never lets the name in after Sanction's answer. The room applies e again, harmlessly, when
// it delivers it, as every node's does. Before the publish, not after: the room would
// deliver e first, and a later sanction of the same user after it, which holding e's then
// would undo.
func (h *Hub) holdSanction(e *hubbub.Entry) {
	r := h.lookup(e.Room)
	if r == nil {
		return
	}
	if sn, ok := e.Sanction(); ok {
		r.mu.Lock()
		r.setSanction(sn)
		r.mu.Unlock()
	}
}

// applySanction applies KindSanction entry e, delivered in the room's order: the room holds
// the sanction (or no longer holds it), and an active ban kicks its user, whatever name their
// connections show. The members were told of it before (fanoutEntry), the banned one too.
// Called with mu held.
func (r *room) applySanction(e *hubbub.Entry) {
	sn, ok := e.Sanction()
	if !ok {
		return
	}
	r.setSanction(sn)
	by, api := e.From, e.MadeByAPI()
	if api {
		// The server API, whom nobody in the room sees (Actor): its entry's user, stored, is
		// "api", which named it "by api" to the banned and the room.
		by = ""
	}
	r.banKick(sn, by, api, e.Seq)
}

// banKick kicks the user of sn if it is a ban in force, naming by (the moderator's name; ""
// for the server API, api then true) to them; seq is the ban's entry, which the leave names
// (0 for none). Called with mu held.
func (r *room) banKick(sn hubbub.Sanction, by string, api bool, seq uint64) {
	if sn.Kind != hubbub.SanctionBan || !sn.Active(time.Now()) {
		return
	}
	user := sanctionUser(&sn)
	r.kick(hubbub.MemberKicked{Name: sn.Name, Reason: sn.Reason, By: by, API: api, Until: sn.Until}, seq,
		func(m *Member) bool { return m.UserID == user || sn.User == "" && r.nameOf(m) == sn.Name })
}

// Sanctions returns the sanctions in force in room, from the Store.
func (h *Hub) Sanctions(ctx context.Context, roomName string) ([]hubbub.Sanction, error) {
	list, err := h.store.Sanctions(ctx, roomName)
	if err != nil {
		return nil, hubbub.Errorf(hubbub.ECodeUnavailable, "sanctions unavailable; try again")
	}
	return list, nil
}

// SanctionsPage returns up to limit of the sanctions in force in room with a user id after
// after, by user id and kind, from the Store (Store.SanctionsPage): a page of a list a room of
// many bans holds too long to read whole for each page.
func (h *Hub) SanctionsPage(ctx context.Context, roomName, after string, limit int) ([]hubbub.Sanction, error) {
	list, err := h.store.SanctionsPage(ctx, roomName, after, limit)
	if err != nil {
		h.log.Error("store sanctions page failed", "room", roomName, "err", err)
		return nil, hubbub.Errorf(hubbub.ECodeUnavailable, "sanctions unavailable; try again")
	}
	return list, nil
}

// SanctionsOf returns the sanctions in force in room of the users with the ids users, by user
// and kind: a room this node holds answers from memory, as its ban checks do; for another the
// room's sanctions are read from the Store, as Banned reads them.
func (h *Hub) SanctionsOf(ctx context.Context, roomName string, users []string) ([]hubbub.Sanction, error) {
	r, err := h.sanctioned(ctx, roomName)
	if r == nil || err != nil {
		return nil, err
	}
	users = slices.Sorted(slices.Values(users))
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hubbub.Sanction
	for i, user := range users {
		if i > 0 && users[i-1] == user {
			continue
		}
		for _, kind := range []hubbub.SanctionKind{hubbub.SanctionBan, hubbub.SanctionMute} {
			if sn, ok := r.sanction(user, "", kind); ok {
				out = append(out, sn)
			}
		}
	}
	return out, nil
}

func validateTarget(roomName, name string) error {
	if err := hubbub.ValidateRoom(roomName); err != nil {
		return err
	}
	return hubbub.ValidateName(name)
}

// StoredRooms returns up to limit rooms of the Store named after after, in byte order: every
// room that holds or held a message, on every node sharing the Store.
func (h *Hub) StoredRooms(ctx context.Context, after string, limit int) ([]hubbub.RoomInfo, error) {
	start := h.cfg.Metrics.Now()
	list, err := h.store.Rooms(ctx, after, limit)
	h.cfg.Metrics.StoreRead(start)
	if err != nil {
		h.log.Error("store rooms failed", "after", after, "err", err)
		return nil, hubbub.Errorf(hubbub.ECodeUnavailable, "the list of rooms is unavailable; try again")
	}
	return list, nil
}

// RoomPresence is who is in a room as this node knows it.
type RoomPresence struct {
	// Members is how many names are in the room on every node, as this node knows them: its
	// own members and what the other nodes last said about theirs.
	Members int
	// Connections is how many of this node's connections are in the room.
	Connections int
}

// Presence returns who is in the named room, and false if this node does not hold the room
// (nobody here is in it), which leaves it knowing nothing of the other nodes' members there.
func (h *Hub) Presence(roomName string) (RoomPresence, bool) {
	r := h.lookup(roomName)
	if r == nil {
		return RoomPresence{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return RoomPresence{}, false
	}
	return RoomPresence{Members: len(r.memberNames()), Connections: len(r.members)}, true
}

// OpenRooms returns the names of the rooms this node holds that sort after after (in byte
// order), sorted, at most limit of them.
func (h *Hub) OpenRooms(after string, limit int) []string {
	h.mu.Lock()
	rooms := make([]*room, 0, len(h.rooms))
	for name, r := range h.rooms {
		if name > after {
			rooms = append(rooms, r)
		}
	}
	h.mu.Unlock()
	names := make([]string, 0, len(rooms))
	for _, r := range rooms {
		r.mu.Lock()
		if !r.closed {
			names = append(names, r.name)
		}
		r.mu.Unlock()
	}
	slices.Sort(names)
	return names[:min(len(names), max(limit, 0))]
}
