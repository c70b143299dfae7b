package postgres

import (
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// queueReads adds to b the reads that reqs depend on, each leaving its rows in p: the
// entries holding their client ids (with the handovers after the member changes among them),
// for changes and replies the messages they name and the reactions they toggle, and for
// member changes the memberships they change and what decides the rooms' owners. A batch of
// plain messages without client ids reads nothing.
func queueReads(b *pgx.Batch, reqs []*request, p *plan) {
	var keys struct{ room, user, clientID []string }
	var members struct {
		room, user []string
		seen       map[memberKey]bool
	}
	var msgs struct {
		room []string
		seq  []int64
		seen map[msgKey]bool
	}
	msgs.seen = map[msgKey]bool{}
	var dels struct {
		room []string
		seq  []int64
	}
	var holds struct{ room, emoji, user []string }
	var heirs map[string]int32 // how many leaves, removals and role changes the batch has, by room
	var heirRooms, joinRooms []string
	var holdSeqs []int64
	holders := map[emojiKey]int32{} // how many holders of each emoji to read
	var emojiOrder []emojiKey
	var fileIDs []string
	needMsg := func(room string, seq uint64) (msgKey, bool) {
		at, ok := sqlstore.SeqArg(seq)
		mk := msgKey{room, at}
		if ok && !msgs.seen[mk] {
			msgs.seen[mk] = true
			msgs.room, msgs.seq = append(msgs.room, room), append(msgs.seq, at)
		}
		return mk, ok
	}
	for _, r := range reqs {
		e := r.msg
		if e.ClientID != "" {
			keys.room, keys.user, keys.clientID = append(keys.room, e.Room), append(keys.user, e.User), append(keys.clientID, e.ClientID)
		}
		switch e.Kind {
		case hubbub.KindMember:
			mk := memberKey{e.Room, e.Subject}
			if members.seen == nil {
				members.seen = map[memberKey]bool{}
				heirs = map[string]int32{}
			}
			// A leave, a removal or a role change can take an owner away, which reads the
			// room's owners and heirs; a join may give an ownerless room one, which reads
			// whether it keeps one and one of its owners (findOwned); an invitation reads
			// neither.
			switch e.Action {
			case hubbub.MemberInvite:
			case hubbub.MemberJoin:
				if !slices.Contains(joinRooms, e.Room) {
					joinRooms = append(joinRooms, e.Room)
				}
			default:
				if heirs[e.Room] == 0 {
					heirRooms = append(heirRooms, e.Room)
				}
				heirs[e.Room]++
			}
			if !members.seen[mk] {
				members.seen[mk] = true
				members.room, members.user = append(members.room, e.Room), append(members.user, e.Subject)
			}
		case hubbub.KindMessage:
			if e.ReplyTo > 0 {
				needMsg(e.Room, e.ReplyTo)
			}
			for _, a := range e.Attachments {
				fileIDs = append(fileIDs, a.ID)
			}
		case hubbub.KindDelete:
			if mk, ok := needMsg(e.Room, e.Target); ok {
				dels.room, dels.seq = append(dels.room, mk.room), append(dels.seq, mk.seq)
			}
		case hubbub.KindEdit:
			needMsg(e.Room, e.Target)
		case hubbub.KindReaction:
			mk, ok := needMsg(e.Room, e.Target)
			if !ok {
				continue
			}
			holds.room, holds.emoji, holds.user = append(holds.room, e.Room), append(holds.emoji, e.Emoji), append(holds.user, e.User)
			holdSeqs = append(holdSeqs, mk.seq)
			ek := emojiKey{mk, e.Emoji}
			if _, ok := holders[ek]; !ok {
				holders[ek] = hubbub.MaxReactionNames
				emojiOrder = append(emojiOrder, ek)
			}
			holders[ek]++ // each toggle may remove one of the first names
		}
	}
	if len(msgs.room) > 0 {
		p.makeStateMaps()
	}
	if len(keys.room) > 0 {
		b.Queue(findKeys, keys.room, keys.user, keys.clientID).Query(func(rows pgx.Rows) error {
			return eachLogRow(rows, func(e hubbub.Entry) {
				if e.Auto { // the handover after a member change found
					p.rememberAuto(e)
				} else {
					p.remember(e)
				}
			})
		})
	}
	if len(msgs.room) > 0 {
		b.Queue(findMessages, msgs.room, msgs.seq).Query(func(rows pgx.Rows) error {
			return eachLogRow(rows, func(e hubbub.Entry) { p.msgs[msgKey{e.Room, int64(e.Seq)}] = &msgState{e: e} })
		})
	}
	if len(dels.room) > 0 {
		b.Queue(findDeletions, dels.room, dels.seq).Query(func(rows pgx.Rows) error {
			return eachLogRow(rows, func(e hubbub.Entry) { p.deletions[msgKey{e.Room, int64(e.Target)}] = &e })
		})
	}
	if len(holds.room) > 0 {
		b.Queue(findHolds, holds.room, holdSeqs, holds.emoji, holds.user).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var hk holdKey
				if err := rows.Scan(&hk.room, &hk.seq, &hk.emoji, &hk.user); err != nil {
					return err
				}
				p.holds[hk] = &hold{before: true, now: true}
			}
			return rows.Err()
		})
		var room, emoji []string
		var seq []int64
		var n []int32
		for _, ek := range emojiOrder {
			room, seq, emoji, n = append(room, ek.room), append(seq, ek.seq), append(emoji, ek.emoji), append(n, holders[ek])
		}
		b.Queue(findHolders, room, seq, emoji, n).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var ek emojiKey
				var h holder
				if err := rows.Scan(&ek.room, &ek.seq, &ek.emoji, &h.user, &h.name); err != nil {
					return err
				}
				p.holders[ek] = append(p.holders[ek], h)
			}
			return rows.Err()
		})
	}
	if len(fileIDs) > 0 {
		p.files = make(map[string]*fileState, len(fileIDs))
		b.Queue(findFiles, fileIDs).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				fs := &fileState{}
				f := &fs.f
				var seq int64
				if err := rows.Scan(&f.ID, &f.User, &f.Name, &f.Type, &f.Size, &f.Width, &f.Height, &f.Thumb, &f.Room, &seq,
					&fs.gone); err != nil {
					return err
				}
				f.Seq = uint64(seq)
				p.files[f.ID] = fs
			}
			return rows.Err()
		})
	}
	if len(members.room) > 0 {
		p.queueFindMembers(b, members.room, members.user)
	}
	if len(heirRooms) > 0 {
		// Each of a room's k leaves, removals and role changes takes one membership from a
		// role and may hand the room over (one more): with 2k+1 rows of each role, one row of
		// each is left as read. Joins and invitations only add members.
		n := make([]int32, len(heirRooms))
		for i, room := range heirRooms {
			n[i] = 2*heirs[room] + 1
		}
		p.queueFindHeirs(b, heirRooms, n)
	}
	if len(joinRooms) > 0 {
		p.queueFindOwned(b, joinRooms)
	}
}

// queueFindOwned adds to b the read of which of rooms keep an owner, and one owner of each
// if it has any (findOwned), which the plan's joins ask (plan.ownerless). It follows
// queueFindMembers and queueFindHeirs in b.
func (p *plan) queueFindOwned(b *pgx.Batch, rooms []string) {
	p.owned = make(map[string]bool, len(rooms))
	if p.members == nil {
		p.members = map[memberKey]*memberState{}
	}
	b.Queue(findOwned, rooms).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var room string
			var user, name, role *string
			var invited *bool
			var since *time.Time
			if err := rows.Scan(&room, &user, &name, &role, &invited, &since); err != nil {
				return err
			}
			p.owned[room] = true
			if user == nil {
				continue // no owner: the room's next joiner owns it
			}
			// A row read already (a subject's, an heir's) keeps its state.
			if st := p.memberState(memberKey{room, *user}); st.m == nil {
				st.m = &hubbub.Membership{Room: room, User: *user, Name: *name, Role: hubbub.RoomRole(*role), Invited: *invited,
					Since: since.UTC()}
			}
		}
		return rows.Err()
	})
}

// queueFindMembers adds to b the read of the memberships of users in rooms (findMembers, a pair
// of each at a time), which the plan's member changes start from.
func (p *plan) queueFindMembers(b *pgx.Batch, rooms, users []string) {
	if p.members == nil {
		p.members = make(map[memberKey]*memberState, len(rooms))
	}
	b.Queue(findMembers, rooms, users).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			m, err := scanBatchMembership(rows)
			if err != nil {
				return err
			}
			*p.memberState(memberKey{m.Room, m.User}) = memberState{m: m}
		}
		return rows.Err()
	})
}

// queueFindHeirs adds to b the read of the owners, moderators and members of rooms (findHeirs, up
// to n of each role in each), which decide whether the plan's member changes keep them an
// owner. It follows queueFindMembers in b.
func (p *plan) queueFindHeirs(b *pgx.Batch, rooms []string, n []int32) {
	if p.members == nil {
		p.members = map[memberKey]*memberState{}
	}
	b.Queue(findHeirs, rooms, n).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			m, err := scanBatchMembership(rows)
			if err != nil {
				return err
			}
			// A subject's row, read by findMembers too, keeps that state; it takes the
			// current name, which a handover names its heir by.
			st := p.memberState(memberKey{m.Room, m.User})
			if st.m == nil {
				st.m = m
			} else {
				st.m.Name = m.Name
			}
		}
		return rows.Err()
	})
}

// eachLogRow calls f with each entry of rows, a room column followed by a log row.
func eachLogRow(rows pgx.Rows, f func(hubbub.Entry)) error {
	for rows.Next() {
		var e hubbub.Entry
		if err := scanLogRowFrom(rows, &e, &e.Room); err != nil {
			return err
		}
		f(e)
	}
	return rows.Err()
}

// writes returns the statements that store what p decided, in an order where each sees the
// rows of those before: new messages, changed messages, new entries, what deletes empty,
// revisions, reactions, memberships, and last the rooms' last seqs. Empty if p stored and
// changed nothing (a public room's change of membership stores no entry: plan.public).
func (p *plan) writes(rooms []string) *pgx.Batch {
	b := &pgx.Batch{}
	if len(p.newMsgs) == 0 && len(p.entries) == 0 && len(p.changedRooms) == 0 {
		return b
	}
	p.queueNewMessages(b)
	p.queueChangedMessages(b)
	if !searchIndexOff.Load() {
		p.queueSearch(b, rooms)
	}
	p.queueEntries(b)
	p.queueRevisions(b)
	p.queueReactions(b)
	p.queueMentioned(b)
	p.queueMembers(b)
	p.queueSanctions(b)
	p.queueFiles(b)
	names := make([]string, 0, len(rooms))
	seqs := make([]int64, 0, len(rooms))
	nos := make([]int64, 0, len(rooms))
	topics := make([]*string, 0, len(rooms))
	deltas := make([]int32, 0, len(rooms))
	changed := make([]bool, 0, len(rooms))
	for _, room := range rooms {
		names, seqs, nos = append(names, room), append(seqs, p.last[room]), append(nos, p.lastNo[room])
		var topic *string
		if t, ok := p.topics[room]; ok {
			topic = &t
		}
		topics, deltas = append(topics, topic), append(deltas, int32(p.memberDelta[room]))
		changed = append(changed, p.changedRooms[room])
	}
	b.Queue(raiseLastSeqs, names, seqs, nos, topics, deltas, changed, p.now)
	return b
}

func (p *plan) queueNewMessages(b *pgx.Batch) {
	if len(p.newMsgs) == 0 {
		return
	}
	n := len(p.newMsgs)
	var c struct {
		room, id, clientID, from, user, text, mentions, reactions, attachments []string
		seq, no, replyTo                                                       []int64
		replyCount                                                             []int32
		deleted, mentionRoom, edited, bot                                      []bool
	}
	c.room, c.id, c.clientID, c.from, c.user, c.text = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	c.seq, c.no = make([]int64, 0, n), make([]int64, 0, n)
	plain := true
	for _, st := range p.newMsgs {
		m := &st.e
		c.room, c.seq, c.id, c.clientID = append(c.room, m.Room), append(c.seq, int64(m.Seq)), append(c.id, m.ID), append(c.clientID, m.ClientID)
		c.from, c.user, c.text, c.no = append(c.from, m.From), append(c.user, m.User), append(c.text, m.Text), append(c.no, st.no)
		plain = plain && !m.Deleted && m.ReplyTo == 0 && m.ReplyCount == 0 && len(m.Mentions) == 0 &&
			!m.MentionRoom && !st.edited && len(m.Reactions) == 0 && len(m.Attachments) == 0 && !m.Bot
	}
	if !plain {
		for _, st := range p.newMsgs {
			m := &st.e
			c.deleted, c.replyTo, c.replyCount = append(c.deleted, m.Deleted), append(c.replyTo, int64(m.ReplyTo)), append(c.replyCount, int32(m.ReplyCount))
			c.mentions, c.mentionRoom = append(c.mentions, mentionsArg(m.Mentions)), append(c.mentionRoom, m.MentionRoom)
			c.edited, c.reactions = append(c.edited, st.edited), append(c.reactions, reactionsArg(m.Reactions))
			c.attachments, c.bot = append(c.attachments, attachmentsArg(m.Attachments)), append(c.bot, m.Bot)
		}
	}
	if plain {
		b.Queue(insertPlainMessages, c.room, c.seq, c.id, c.clientID, c.from, c.user, c.text, c.no, p.now)
		return
	}
	b.Queue(insertMessages, c.room, c.seq, c.id, c.clientID, c.from, c.user, c.text, c.no,
		c.deleted, c.replyTo, c.replyCount, c.mentions, c.mentionRoom, c.edited, c.reactions, c.attachments, p.now, c.bot)
}

func (p *plan) queueChangedMessages(b *pgx.Batch) {
	var c struct {
		room, text, mentions, reactions, attachments []string
		seq                                          []int64
		replyCount                                   []int32
		deleted, edited, mentionRoom                 []bool
	}
	var gone struct {
		room []string
		seq  []int64
	}
	for mk, st := range p.msgs {
		if !st.dirty {
			continue
		}
		m := &st.e
		c.room, c.seq, c.text, c.deleted = append(c.room, mk.room), append(c.seq, mk.seq), append(c.text, m.Text), append(c.deleted, m.Deleted)
		c.replyCount, c.mentions = append(c.replyCount, int32(m.ReplyCount)), append(c.mentions, mentionsArg(m.Mentions))
		c.mentionRoom = append(c.mentionRoom, m.MentionRoom)
		c.reactions, c.edited = append(c.reactions, reactionsArg(m.Reactions)), append(c.edited, st.edited)
		c.attachments = append(c.attachments, attachmentsArg(m.Attachments))
		if st.deletedNow {
			gone.room, gone.seq = append(gone.room, mk.room), append(gone.seq, mk.seq)
		}
	}
	if len(c.room) > 0 {
		b.Queue(updateMessages, c.room, c.seq, c.text, c.deleted, c.replyCount, c.mentions, c.mentionRoom, c.reactions, c.edited,
			c.attachments, p.now)
	}
	if len(gone.room) > 0 {
		b.Queue(emptyRevisions, gone.room, gone.seq)
		b.Queue(emptyEdits, gone.room, gone.seq)
	}
}

func (p *plan) queueEntries(b *pgx.Batch) {
	if len(p.entries) == 0 {
		return
	}
	var c struct {
		room, id, clientID, from, user, kind, text, mentions, emoji []string
		subject, subjectName, action, role                          []string
		seq, target                                                 []int64
		mentionRoom, moderator, added, auto                         []bool
		count                                                       []int32
		until                                                       []*time.Time
	}
	for _, e := range p.entries {
		c.room, c.seq, c.id, c.clientID = append(c.room, e.Room), append(c.seq, int64(e.Seq)), append(c.id, e.ID), append(c.clientID, e.ClientID)
		c.from, c.kind, c.target, c.text = append(c.from, e.From), append(c.kind, string(e.Kind)), append(c.target, int64(e.Target)), append(c.text, e.Text)
		c.mentions, c.mentionRoom, c.moderator = append(c.mentions, mentionsArg(e.Mentions)), append(c.mentionRoom, e.MentionRoom), append(c.moderator, e.Moderator)
		c.emoji, c.added, c.count = append(c.emoji, e.Emoji), append(c.added, e.Added), append(c.count, int32(e.Count))
		c.user, c.subject, c.subjectName = append(c.user, e.User), append(c.subject, e.Subject), append(c.subjectName, e.SubjectName)
		c.action, c.role, c.auto = append(c.action, e.Action), append(c.role, string(e.Role)), append(c.auto, e.Auto)
		var until *time.Time
		if !e.Until.IsZero() {
			until = &e.Until
		}
		c.until = append(c.until, until)
	}
	b.Queue(insertEntries, c.room, c.seq, c.id, c.clientID, c.from, c.kind, c.target, c.text, c.mentions,
		c.mentionRoom, c.moderator, c.emoji, c.added, c.count, c.user, c.subject, c.subjectName, c.action, c.role, p.now,
		c.auto, c.until)
}

func (p *plan) queueRevisions(b *pgx.Batch) {
	var c struct {
		room, text      []string
		seq, replacedBy []int64
		at              []time.Time
	}
	for _, st := range p.msgs {
		for _, r := range st.revs {
			c.room, c.seq, c.replacedBy = append(c.room, r.key.room), append(c.seq, r.key.seq), append(c.replacedBy, r.replacedBy)
			c.text, c.at = append(c.text, r.text), append(c.at, r.at)
		}
	}
	if len(c.room) > 0 {
		b.Queue(insertRevisions, c.room, c.seq, c.replacedBy, c.text, c.at)
	}
}

// queueReactions turns the batch's toggles into rows: a reaction held before and removed (or
// removed and added again, which moves its holder to the end of the names) is deleted, one
// held now and not before (or added again) is inserted.
func (p *plan) queueReactions(b *pgx.Batch) {
	var del, ins struct{ room, emoji, user, name []string }
	var delSeq, insSeq, insAdded []int64
	for _, hk := range p.holdSet {
		h := p.holds[hk]
		if h.before && (!h.now || h.addedSeq > 0) {
			del.room, del.emoji, del.user = append(del.room, hk.room), append(del.emoji, hk.emoji), append(del.user, hk.user)
			delSeq = append(delSeq, hk.seq)
		}
		if h.now && (!h.before || h.addedSeq > 0) {
			ins.room, ins.emoji, ins.user, ins.name = append(ins.room, hk.room), append(ins.emoji, hk.emoji), append(ins.user, hk.user), append(ins.name, h.name)
			insSeq, insAdded = append(insSeq, hk.seq), append(insAdded, h.addedSeq)
		}
	}
	if len(del.room) > 0 {
		b.Queue(deleteReactions, del.room, delSeq, del.emoji, del.user)
	}
	if len(ins.room) > 0 {
		b.Queue(insertReactions, ins.room, insSeq, ins.emoji, ins.user, ins.name, insAdded)
	}
}

// queueMentioned keeps the mentioned table (who each message mentions, for MyRooms) in step
// with the messages the batch stored or changed: the mentions of its new messages are
// inserted, those of the messages it edited or deleted replaced by their final ones (none
// for a tombstone). A user's mention of themselves is not counted, so not stored; an @room
// is stored under sqlstore.RoomMention with its sender, whom it does not count for.
func (p *plan) queueMentioned(b *pgx.Batch) {
	var gone struct {
		room []string
		seq  []int64
	}
	var ins struct {
		room, user, sender []string
		seq                []int64
	}
	add := func(st *msgState) {
		if st.e.Deleted {
			return
		}
		for _, u := range sqlstore.MentionKeys(st.e.Mentions, st.e.MentionRoom) {
			if u != st.e.User { // one's own mention is not counted
				ins.room, ins.seq, ins.user = append(ins.room, st.e.Room), append(ins.seq, int64(st.e.Seq)), append(ins.user, u)
				ins.sender = append(ins.sender, st.e.User)
			}
		}
	}
	for _, st := range p.newMsgs {
		add(st)
	}
	for mk, st := range p.msgs {
		if st.isNew || !st.edited && !st.deletedNow {
			continue
		}
		gone.room, gone.seq = append(gone.room, mk.room), append(gone.seq, mk.seq)
		add(st)
	}
	if len(gone.room) > 0 {
		b.Queue(deleteMentioned, gone.room, gone.seq)
	}
	if len(ins.room) > 0 {
		b.Queue(insertMentioned, ins.room, ins.seq, ins.user, ins.sender)
	}
}

// queueFiles attaches the files the batch's messages carry, then marks gone those of the
// messages it deleted (a message may be both).
func (p *plan) queueFiles(b *pgx.Batch) {
	var att struct{ id, room []string }
	var attSeq []int64
	for _, fs := range p.files {
		if fs.attached {
			att.id, att.room, attSeq = append(att.id, fs.f.ID), append(att.room, fs.f.Room), append(attSeq, int64(fs.f.Seq))
		}
	}
	if len(att.id) > 0 {
		b.Queue(attachFiles, att.id, att.room, attSeq)
	}
	var gone struct{ id, room []string }
	var goneSeq []int64
	for id, mk := range p.gone {
		gone.id, gone.room, goneSeq = append(gone.id, id), append(gone.room, mk.room), append(goneSeq, mk.seq)
	}
	if len(gone.id) > 0 {
		b.Queue(dropFiles, gone.id, gone.room, goneSeq)
	}
}

// queueMembers writes back the memberships the batch's KindMember entries changed.
func (p *plan) queueMembers(b *pgx.Batch) {
	var put struct {
		room, user, name, role []string
		invited                []bool
		since                  []time.Time
	}
	var del struct{ room, user []string }
	for mk, st := range p.members {
		switch {
		case !st.dirty:
		case st.m != nil:
			put.room, put.user, put.role = append(put.room, mk.room), append(put.user, mk.user), append(put.role, string(st.m.Role))
			put.name = append(put.name, st.m.Name)
			put.invited, put.since = append(put.invited, st.m.Invited), append(put.since, st.m.Since)
		default:
			del.room, del.user = append(del.room, mk.room), append(del.user, mk.user)
		}
	}
	if len(del.room) > 0 {
		b.Queue(deleteMembers, del.room, del.user)
	}
	if len(put.room) > 0 {
		b.Queue(upsertMembers, put.room, put.user, put.name, put.role, put.invited, put.since)
	}
}

// scanBatchMembership reads a row of findMembers or findHeirs: room, user, name, role,
// invited, since.
func scanBatchMembership(rows pgx.Rows) (*hubbub.Membership, error) {
	var m hubbub.Membership
	var role string
	if err := rows.Scan(&m.Room, &m.User, &m.Name, &role, &m.Invited, &m.Since); err != nil {
		return nil, err
	}
	m.Role, m.Since = hubbub.RoomRole(role), m.Since.UTC()
	return &m, nil
}

// queueSanctions writes the changes of the batch's KindSanction entries to the rooms'
// sanctions, in their order: a later entry of the batch on the same sanction wins.
func (p *plan) queueSanctions(b *pgx.Batch) {
	for _, e := range p.sanctions {
		sn, _ := e.Sanction() // apply checked the action
		if sn.Active(p.now) {
			b.Queue(putSanction, sn.Room, e.Subject, sn.Name, string(sn.Kind), sn.Until, sn.By, sn.Reason)
		} else {
			b.Queue(liftSanction, sn.Room, e.Subject, string(sn.Kind))
		}
	}
}
