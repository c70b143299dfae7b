package postgres

import (
	"cmp"
	"slices"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// A batch of appends is decided in memory: the transaction reads, under its rooms' locks,
// every row the batch's entries depend on (the messages they change or reply to, the
// reactions they toggle), a plan applies the entries to that state one after the other in
// the order of their seqs, and the transaction then writes what changed in a few bulk
// statements. A batch of plain messages reads nothing more than their idempotency keys, and
// a batch of any size takes the same round trips.

// msgKey names a message: its room and seq.
type msgKey struct {
	room string
	seq  int64
}

// emojiKey names one emoji's reactions on a message.
type emojiKey struct {
	msgKey
	emoji string
}

// holdKey names one user's reaction on a message.
type holdKey struct {
	emojiKey
	user string
}

// holder is one who holds a reaction: their user id, and the name they reacted under (which
// the message's summary shows).
type holder struct{ user, name string }

// memberKey names one user's place in one room.
type memberKey struct{ room, user string }

// memberState is a user's place in a room as the batch sees it: read from memberships (m nil
// for none), then changed by the batch's KindMember entries.
type memberState struct {
	m     *hubbub.Membership
	dirty bool // changed by the batch: written back (or deleted)
}

// msgState is a message as the batch sees it: read from the database (or new in the batch),
// then changed by the batch's entries.
type msgState struct {
	e     hubbub.Entry // the current state, as Since reads it
	isNew bool         // appended by this batch, so inserted in its final state
	no    int64        // message_no, for a new message
	dirty bool         // an existing message the batch changed: written back
	// edited is set when the batch edited the message: its edited_at becomes the batch's time.
	edited bool
	// deletedNow is set when the batch deleted an existing message: its stored revisions and
	// its edits' texts are emptied.
	deletedNow bool
	revs       []revision    // the revisions the batch's edits made
	edits      []int         // the batch's edits of it, as indexes into plan.entries
	deletion   *hubbub.Entry // the batch's delete of it, which a later delete returns
}

// fileState is a file as the batch sees it: read from files, then attached by the batch.
type fileState struct {
	f        hubbub.File
	gone     bool
	attached bool // by this batch: written back
}

// revision is a text a message had before an edit replaced it.
type revision struct {
	key        msgKey
	replacedBy int64
	text       string
	at         time.Time
}

// hold is one user's reaction on a message: whether it was held before the batch and is now,
// and the seq of the entry that last added it in the batch (0: none).
type hold struct {
	before, now bool
	addedSeq    int64
	name        string // the name the batch's last add gave it
	listed      bool   // in plan.holdSet
}

// plan is the state a batch reads and the changes it decides.
type plan struct {
	now    time.Time
	last   map[string]int64     // each room's last seq so far
	lastNo map[string]int64     // each room's last message_no so far
	found  map[key]hubbub.Entry // nil until a key is found or stored
	// floor is the seq floor (seqFloorOfNew): a room at seq 0 numbers its first entry
	// floor + 1. The locks read it for such a room; 0 in a batch with none.
	floor int64
	// autos are the handovers (Auto entries) that findKeys read after the member changes
	// holding the batch's keys, and those the batch appends, by their room and seq: a resent
	// member change returns the one numbered after its first outcome.
	autos map[msgKey]hubbub.Entry

	// The maps below are nil in a batch of plain messages, which needs none of them:
	// queueReads makes them for a batch with changes or replies (hasChanges).
	hasChanges bool
	msgs       map[msgKey]*msgState
	holds      map[holdKey]*hold
	holders    map[emojiKey][]holder    // each emoji's first holders in reaction order, as far as read
	deletions  map[msgKey]*hubbub.Entry // the delete entries of tombstones read

	// The room changes of the batch: the memberships its KindMember entries read and change
	// (nil in a batch without any), each room's topic after its KindTopic entries, and the
	// change of each room's member count.
	members      map[memberKey]*memberState
	roomMembers  map[string][]memberKey // the keys of members by room, for plan.heir
	owned        map[string]bool        // the rooms of the batch's joins that keep an owner (findOwned)
	topics       map[string]string
	memberDelta  map[string]int
	changedRooms map[string]bool

	// files are the files the batch's messages attach, as read (locked) at its start and then
	// changed; nil in a batch without attachments. gone are the files of the messages the
	// batch deleted, by id, with the message they were attached to.
	files map[string]*fileState
	gone  map[string]msgKey

	// sanctions are the batch's KindSanction entries, in seq order, whose changes to the
	// rooms' sanctions are written with them (queueSanctions).
	sanctions []hubbub.Entry

	newMsgs []*msgState    // the batch's messages, in seq order
	entries []hubbub.Entry // the batch's other entries, in seq order
	holdSet []holdKey      // the reactions the batch toggled, each once
}

func newPlan(now time.Time, last, lastNo map[string]int64) *plan {
	return &plan{now: now, last: last, lastNo: lastNo}
}

// makeStateMaps makes the maps a batch with changes or replies fills.
func (p *plan) makeStateMaps() {
	p.hasChanges = true
	p.msgs = map[msgKey]*msgState{}
	p.holds = map[holdKey]*hold{}
	p.holders = map[emojiKey][]holder{}
	p.deletions = map[msgKey]*hubbub.Entry{}
}

// remember records e as the entry holding its client id.
func (p *plan) remember(e hubbub.Entry) {
	if p.found == nil {
		p.found = map[key]hubbub.Entry{}
	}
	p.found[key{e.Room, sqlstore.Actor(e), e.ClientID}] = e
}

// rememberAuto records e, an Auto entry, as the handover after the entry numbered before it.
func (p *plan) rememberAuto(e hubbub.Entry) {
	if p.autos == nil {
		p.autos = map[msgKey]hubbub.Entry{}
	}
	p.autos[msgKey{e.Room, int64(e.Seq)}] = e
}

// apply decides one append, in the batch's order: a duplicate, a refusal, or a new entry
// with the room's next seq.
func (p *plan) apply(e hubbub.Entry) result {
	k := key{e.Room, sqlstore.Actor(e), e.ClientID}
	if e.ClientID != "" {
		if orig, ok := p.found[k]; ok {
			res := result{msg: orig, dup: true}
			if h, ok := p.autos[msgKey{orig.Room, int64(orig.Seq) + 1}]; ok && orig.Kind == hubbub.KindMember && sqlstore.IsHandoverOf(&h, &orig) {
				res.handover = &h
			}
			return res
		}
	}
	// An entry stored in a room at seq 0 is its first: take numbers it above the seq floor
	// (a handover take numbers after it is never one).
	first := p.last[e.Room] == 0
	var res result
	switch e.Kind {
	case hubbub.KindMessage:
		res = p.message(e)
	case hubbub.KindTopic:
		res = p.topic(e)
	case hubbub.KindMember:
		res = p.member(e)
	case hubbub.KindSanction:
		res = p.sanction(e)
	default:
		res = p.change(e)
	}
	if res.err == nil && !res.dup {
		res.first = first
		if e.ClientID != "" {
			p.remember(res.msg)
		}
	}
	return res
}

// take returns e with the room's next seq, an ID and the batch's time. A room's first entry
// is numbered above the seq floor.
func (p *plan) take(e hubbub.Entry) hubbub.Entry {
	last := p.last[e.Room]
	if last == 0 {
		last = p.floor
	}
	p.last[e.Room] = last + 1
	e.Seq, e.ID, e.Time = uint64(last+1), hubbub.NewMessageID(p.now), p.now
	return e
}

func (p *plan) message(e hubbub.Entry) result {
	for _, a := range e.Attachments {
		// The sender's, not attached yet (by an earlier message of the batch either), not
		// gone: anything else is "no such file", so ids tell nothing of others' files.
		fs := p.files[a.ID]
		if fs == nil || fs.f.User != e.User || fs.f.Seq != 0 || fs.gone {
			return result{err: sqlstore.NoFile(a.ID)}
		}
	}
	if e.ReplyTo > 0 {
		parent := p.msg(e.Room, e.ReplyTo)
		var pe *hubbub.Entry
		if parent != nil {
			pe = &parent.e
		}
		if err := sqlstore.CheckReply(e, pe); err != nil {
			return result{err: err}
		}
		parent.e.ReplyCount++
		parent.dirty = !parent.isNew
	}
	m := p.take(e)
	if len(e.Attachments) > 0 {
		m.Attachments = make([]hubbub.Attachment, len(e.Attachments))
		for i, a := range e.Attachments {
			fs := p.files[a.ID]
			fs.f.Room, fs.f.Seq, fs.attached = m.Room, m.Seq, true
			m.Attachments[i] = fs.f.Attachment
		}
	}
	p.lastNo[e.Room]++
	st := &msgState{e: m, isNew: true, no: p.lastNo[e.Room]}
	if p.hasChanges { // a later entry of the batch may change it
		p.msgs[msgKey{e.Room, int64(m.Seq)}] = st
	}
	p.newMsgs = append(p.newMsgs, st)
	return result{msg: m}
}

// msg returns the state of message seq of room, or nil if the room has none.
func (p *plan) msg(room string, seq uint64) *msgState {
	at, ok := sqlstore.SeqArg(seq)
	if !ok {
		return nil
	}
	return p.msgs[msgKey{room, at}]
}

func (p *plan) change(e hubbub.Entry) result {
	st := p.msg(e.Room, e.Target)
	var target *hubbub.Entry
	if st != nil {
		target = &st.e
	}
	if err := sqlstore.CheckChange(e, target); err != nil {
		return result{err: err}
	}
	mk := msgKey{e.Room, int64(e.Target)}
	switch e.Kind {
	case hubbub.KindEdit:
		return p.edit(e, st, mk)
	case hubbub.KindDelete:
		return p.delete(e, st, mk)
	default:
		return p.react(e, st, mk)
	}
}

func (p *plan) edit(e hubbub.Entry, st *msgState, mk msgKey) result {
	e = p.take(e)
	at := st.e.Time
	if !st.e.EditedAt.IsZero() {
		at = st.e.EditedAt
	}
	st.revs = append(st.revs, revision{key: mk, replacedBy: int64(e.Seq), text: st.e.Text, at: at})
	st.e.Text, st.e.Mentions, st.e.MentionRoom, st.e.EditedAt = e.Text, e.Mentions, e.MentionRoom, e.Time
	st.edited, st.dirty = true, !st.isNew
	st.edits = append(st.edits, len(p.entries))
	p.entries = append(p.entries, e)
	return result{msg: e}
}

func (p *plan) delete(e hubbub.Entry, st *msgState, mk msgKey) result {
	if st.e.Deleted {
		// The delete that made the tombstone answers; a message deleted before the room log
		// (by the Store's DeleteMessage of then) has none, and is answered by a delete entry
		// without a seq.
		if d := st.deletion; d != nil {
			return result{msg: *d, dup: true}
		}
		if d := p.deletions[mk]; d != nil {
			return result{msg: *d, dup: true}
		}
		return result{msg: hubbub.Entry{Room: e.Room, Kind: hubbub.KindDelete, Target: e.Target}, dup: true}
	}
	e.Subject, e.SubjectName = sqlstore.Actor(st.e), st.e.From // whose message it was (hubbub.KindDelete)
	e = p.take(e)
	// Nothing of what the message said stays: its text and mentions, its revisions, its
	// edits' texts and mentions.
	st.e.Text, st.e.Mentions, st.e.MentionRoom, st.e.Deleted = "", nil, false, true
	st.revs = nil
	// Its files become collectable, and are no longer found.
	for _, a := range st.e.Attachments {
		if p.gone == nil {
			p.gone = map[string]msgKey{}
		}
		p.gone[a.ID] = mk
	}
	st.e.Attachments = nil
	for _, i := range st.edits {
		p.entries[i].Text, p.entries[i].Mentions, p.entries[i].MentionRoom = "", nil, false
	}
	st.dirty, st.deletedNow = !st.isNew, !st.isNew
	p.entries = append(p.entries, e)
	d := e // a copy: the batch's later entries may move p.entries
	st.deletion = &d
	return result{msg: e}
}

// react toggles e.From's reaction on the message, with the summary rules of sqlstore
// (AddReaction, RemoveReaction). The holders read of each emoji are enough to name its first
// holders after every removal the batch can make (queueReads).
func (p *plan) react(e hubbub.Entry, st *msgState, mk msgKey) result {
	ek := emojiKey{mk, e.Emoji}
	hk := holdKey{ek, e.User}
	h := p.holds[hk]
	if h == nil {
		h = &hold{}
		p.holds[hk] = h
	}
	var (
		summary []hubbub.Reaction
		count   int
		err     error
	)
	if h.now {
		// The summary names holders by the name they reacted under, which a rename since
		// does not change.
		name := e.From
		if i := slices.IndexFunc(p.holders[ek], func(x holder) bool { return x.user == e.User }); i >= 0 {
			name = p.holders[ek][i].name
		}
		p.holders[ek] = slices.DeleteFunc(p.holders[ek], func(x holder) bool { return x.user == e.User })
		summary, count, err = sqlstore.RemoveReaction(st.e.Reactions, e.Emoji, name, func() ([]string, error) {
			hs := p.holders[ek]
			names := make([]string, 0, min(len(hs), hubbub.MaxReactionNames))
			for _, x := range hs[:min(len(hs), hubbub.MaxReactionNames)] {
				names = append(names, x.name)
			}
			return names, nil
		})
	} else {
		summary, count, err = sqlstore.AddReaction(st.e.Reactions, e.Emoji, e.From)
		if err == nil {
			p.holders[ek] = append(p.holders[ek], holder{e.User, e.From})
		}
	}
	if err != nil {
		return result{err: err}
	}
	e = p.take(e)
	e.Count, e.Added = count, !h.now
	h.addedSeq = 0
	if e.Added {
		h.addedSeq, h.name = int64(e.Seq), e.From
	}
	h.now = !h.now
	if !h.listed {
		h.listed = true
		p.holdSet = append(p.holdSet, hk)
	}
	st.e.Reactions = summary
	st.dirty = !st.isNew
	p.entries = append(p.entries, e)
	return result{msg: e}
}

// topic sets the room's topic (CheckAppend has checked its length).
// sanction decides KindSanction entry e (checked by CheckAppend): it always takes a seq, and
// its change to the room's sanctions is written beside it.
func (p *plan) sanction(e hubbub.Entry) result {
	if _, ok := e.Sanction(); !ok {
		return result{err: hubbub.Errorf(hubbub.ECodeBadField, "unknown sanction action %q", e.Action)}
	}
	e = p.take(e)
	p.entries = append(p.entries, e)
	p.sanctions = append(p.sanctions, e)
	return result{msg: e}
}

func (p *plan) topic(e hubbub.Entry) result {
	e = p.take(e)
	if p.topics == nil {
		p.topics = map[string]string{}
	}
	p.topics[e.Room] = e.Text
	p.entries = append(p.entries, e)
	p.roomChanged(e.Room)
	return result{msg: e}
}

// memberState returns the state of mk, making it (no membership) if queueReads read none.
func (p *plan) memberState(mk memberKey) *memberState {
	st := p.members[mk]
	if st == nil {
		st = &memberState{}
		p.members[mk] = st
		if p.roomMembers == nil {
			p.roomMembers = map[string][]memberKey{}
		}
		p.roomMembers[mk.room] = append(p.roomMembers[mk.room], mk)
	}
	return st
}

// roomMemberships returns the memberships of room the batch knows, in their current state, as
// sqlstore.KeepOwner asks for them: those its entries change, and findHeirs' owners,
// moderators and members, enough of each that the changes leave the answer right (and
// findOwned's owner, if read).
func (p *plan) roomMemberships(room string) ([]*hubbub.Membership, error) {
	ms := make([]*hubbub.Membership, 0, len(p.roomMembers[room]))
	for _, mk := range p.roomMembers[room] {
		ms = append(ms, p.members[mk].m)
	}
	return ms, nil
}

// ownerless reports whether room keeps an owner and has none now, as the batch sees it
// (sqlstore.KeepOwner's question of a join): findOwned read whether it keeps one and one of
// its owners, if any, which only the batch's own entries can have taken away; a room where
// the batch has such entries (leaves, removals, role changes) had its owners read as well
// (findHeirs), enough that the batch cannot take them all. So no owner among the memberships
// the batch knows is none at all.
func (p *plan) ownerless(room string) bool {
	if !p.owned[room] {
		return false
	}
	for _, mk := range p.roomMembers[room] {
		if m := p.members[mk].m; m != nil && !m.Invited && m.Role == hubbub.RoomOwner {
			return false
		}
	}
	return true
}

// member applies a KindMember entry to its subject's membership as the batch sees it
// (queueReads read it), with the rules of sqlstore.ApplyMember, and keeps the room an owner
// (sqlstore.KeepOwner): it refuses a role change that would leave none, and follows the only
// owner's leave or remove with the handover (RoomStore's contract).
func (p *plan) member(e hubbub.Entry) result { return p.changeMember(e, true, nil) }

// public applies a public room's JoinRoom (join) or LeaveRoom of user to their membership as
// read, with the rules of a KindMember join or leave but no entry of its own: following a
// public room is the reader's choice, which its members do not replay. Only the handover it
// may ask for is an entry (result.handover), which names user by nameOf, the user's stored
// name ("" for none), called only then: most joins and leaves hand nothing over, and need no
// read of the users table. A join of a member, or a leave of nobody, changes nothing.
func (p *plan) public(room, user string, join bool, nameOf func() (string, error)) result {
	e := hubbub.Entry{Room: room, Kind: hubbub.KindMember, Action: hubbub.MemberLeave, Subject: user, Time: p.now}
	if join {
		e.Action = hubbub.MemberJoin
	}
	if cur := p.memberState(memberKey{room, user}).m; join == (cur != nil) {
		return result{}
	}
	return p.changeMember(e, false, nameOf)
}

// changeMember is member, for an entry of the log (logged: numbered and stored) or for a
// public room's change of membership that is none (public). nameOf, if not nil, gives the
// subject's name once a handover needs it (a public change carries none): the handover's
// actor, and for a join that makes its subject the owner, the name of their membership.
func (p *plan) changeMember(e hubbub.Entry, logged bool, nameOf func() (string, error)) result {
	st := p.memberState(memberKey{e.Room, e.Subject})
	next, e, err := sqlstore.ApplyMember(e, st.m, p.now)
	if err != nil {
		return result{err: err}
	}
	heir, err := sqlstore.KeepOwner(e, st.m, next, func() ([]*hubbub.Membership, error) { return p.roomMemberships(e.Room) },
		func() (bool, error) { return p.ownerless(e.Room), nil })
	if err != nil {
		return result{err: err}
	}
	if heir != nil && nameOf != nil {
		if e.SubjectName, err = nameOf(); err != nil {
			return result{err: err}
		}
		if heir == next { // a join that makes its subject the owner: named as ApplyMember names a join
			next.Name = cmp.Or(e.SubjectName, next.Name)
		}
	}
	if heir != nil {
		m := *heir // a copy: the heir's own state changes below
		heir = &m
	}
	if logged {
		e = p.take(e)
	}
	if delta := sqlstore.MemberDelta(st.m, next); delta != 0 {
		if p.memberDelta == nil {
			p.memberDelta = map[string]int{}
		}
		p.memberDelta[e.Room] += delta
	}
	st.m, st.dirty = next, true
	if logged {
		p.entries = append(p.entries, e)
	}
	p.roomChanged(e.Room)
	if heir != nil {
		h := sqlstore.Handover(e, *heir)
		res := p.member(h) // the heir's role: a member becoming owner, which ApplyMember allows
		if res.err != nil {
			return res
		}
		p.rememberAuto(res.msg)
		return result{msg: e, handover: &res.msg}
	}
	return result{msg: e}
}

// roomChanged records that the batch changed room's metadata or members, which gives a room
// without metadata its metadata (created now).
func (p *plan) roomChanged(room string) {
	if p.changedRooms == nil {
		p.changedRooms = map[string]bool{}
	}
	p.changedRooms[room] = true
}
