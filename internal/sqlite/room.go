package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Rooms' metadata is room_meta, memberships and read positions their own tables
// (migrations/0006_rooms.sql). A change of topic or of a membership is an entry of the room's
// log (KindTopic, KindMember), appended through the group commit like any entry, with its
// effect written in the same savepoint; CreateRoom, JoinRoom, LeaveRoom and SetRead are
// writes of their own on the writer. MyRooms is one statement: for each of the user's
// memberships (memberships_user), the room's row and metadata, the user's read position, and
// two counts that read at most MaxUnreadCount rows each: the room's messages after the read
// position (a range of its primary key) and the user's and @room's rows in mentions after it.

var _ hubbub.RoomStore = (*Store)(nil)

// roomMetaColumns are what every read of a room's metadata selects, for a room r (rooms) with
// its metadata m (room_meta, LEFT JOINed) and its last entry lm or le (whichever holds
// last_seq), in the order scanRoomMeta reads them.
const roomMetaColumns = `r.name, m.name IS NOT NULL, coalesce(m.topic, ''), coalesce(m.private, 0), coalesce(m.dm, 0),
	coalesce(m.created_by, ''), coalesce(m.created_ms, 0), coalesce(m.members, 0), r.last_seq,
	coalesce(lm.created_ms, le.created_ms)`

// roomMetaJoins joins a room r to what roomMetaColumns read.
const roomMetaJoins = `LEFT JOIN room_meta m ON m.name = r.name
	LEFT JOIN messages lm ON lm.room = r.name AND lm.seq = r.last_seq
	LEFT JOIN entries le ON le.room = r.name AND le.seq = r.last_seq`

// The reads of rooms whose plans matter (TestQueryPlans).
const (
	roomMetaSQL   = `SELECT ` + roomMetaColumns + ` FROM rooms r ` + roomMetaJoins + ` WHERE r.name = ?`
	membershipSQL = `SELECT ms.user_id, coalesce(u.name, nullif(ms.name, ''), ms.user_id), ms.role, ms.invited, ms.since_ms
		FROM memberships ms LEFT JOIN users u ON u.id = ms.user_id WHERE ms.room = ? AND ms.user_id = ?`
	// The memberships of the users holding some name keys (a JSON array): each key's user by
	// the users' name index, then its membership by the primary key (CROSS JOIN keeps that
	// order; left to itself the planner scanned the room's memberships).
	membersNamedSQL = `SELECT ms.user_id, coalesce(u.name, nullif(ms.name, ''), ms.user_id), ms.role, ms.invited, ms.since_ms
		FROM json_each(?2) CROSS JOIN users u ON u.name_key = json_each.value
		CROSS JOIN memberships ms ON ms.room = ?1 AND ms.user_id = u.id`
	// The room's members who decide whether an owner leaving hands the room over: one other
	// owner, if any, and the longest-standing moderator and member (the heir is the first of
	// them by sqlstore.KeepOwner's order), each a probe of memberships_heirs.
	heirsSQL = `SELECT h.user_id, coalesce(u.name, nullif(h.name, ''), h.user_id), h.role, 0, h.since_ms FROM (
			SELECT * FROM (SELECT user_id, name, role, since_ms FROM memberships INDEXED BY memberships_heirs
				WHERE room = ?1 AND role = 'owner' AND invited = 0 AND user_id <> ?2 LIMIT 1)
			UNION ALL SELECT * FROM (SELECT user_id, name, role, since_ms FROM memberships INDEXED BY memberships_heirs
				WHERE room = ?1 AND role = 'moderator' AND invited = 0 AND user_id <> ?2 ORDER BY since_ms, user_id LIMIT 1)
			UNION ALL SELECT * FROM (SELECT user_id, name, role, since_ms FROM memberships INDEXED BY memberships_heirs
				WHERE room = ?1 AND role = 'member' AND invited = 0 AND user_id <> ?2 ORDER BY since_ms, user_id LIMIT 1)
		) AS h LEFT JOIN users u ON u.id = h.user_id`
	// Whether a join makes its joiner the room's owner (sqlstore.KeepOwner): the room keeps an
	// owner (created with one, no DM) and no member owns it. One probe of room_meta, and for
	// a room that keeps an owner one of memberships_heirs; a room without metadata has no row,
	// which reads as no.
	ownerlessSQL = `SELECT NOT EXISTS (SELECT 1 FROM memberships INDEXED BY memberships_heirs
			WHERE room = ?1 AND role = 'owner' AND invited = 0)
		FROM room_meta WHERE name = ?1 AND created_by <> '' AND dm = 0`
	membersSQL = `SELECT ms.user_id, coalesce(u.name, nullif(ms.name, ''), ms.user_id), ms.role, ms.invited, ms.since_ms
		FROM memberships ms LEFT JOIN users u ON u.id = ms.user_id
		WHERE ms.room = ? AND ms.user_id > ? ORDER BY ms.user_id LIMIT ?`
	// The public rooms in name order; the query's text is matched in Go (Unicode case
	// folding), which stops reading once it has a page. A room named like a DM's is not
	// listed even without a DM's metadata: the server API could write one before it was
	// refused (hubbub.CheckDMStarted), and a join of it is refused.
	directorySQL = `SELECT ` + roomMetaColumns + ` FROM rooms r ` + roomMetaJoins + `
		WHERE r.name > ? AND coalesce(m.private, 0) = 0 AND coalesce(m.dm, 0) = 0
		AND substr(r.name, 1, 3) <> 'dm.'
		AND (r.last_seq > 0 OR m.name IS NOT NULL) ORDER BY r.name`
	// The room a request naming ?1 means (hubbub.RoomStore.ResolveRoom), whose key is ?2: the
	// room named exactly that, else the room that holds the key (rooms_key, unique since 0019:
	// the one room of the key that is not a twin), each only if RoomMeta finds it. Two probes
	// of an index, the exact one first.
	resolveRoomSQL = `SELECT name FROM (
			SELECT r.name, 0 AS fold FROM rooms r WHERE r.name = ?1
				AND (r.last_seq > 0 OR EXISTS (SELECT 1 FROM room_meta m WHERE m.name = r.name))
			UNION ALL SELECT r.name, 1 FROM rooms r WHERE lower(r.name) = ?2 AND r.twin = 0
				AND (r.last_seq > 0 OR EXISTS (SELECT 1 FROM room_meta m WHERE m.name = r.name)))
		ORDER BY fold LIMIT 1`
	// The room that holds key ?1 (rooms_key), which a room of another spelling may not take
	// (hubbub.RoomStore: a key holds one room). Every row of rooms is a room (0019 removed the
	// rows that were none), so the row is enough.
	keyHolderSQL = `SELECT name FROM rooms WHERE lower(name) = ?1 AND twin = 0`
	// The rooms RoomMeta finds, at most ?1 of them: a row with an entry or metadata (JoinRoom
	// and CreateRoom give theirs metadata in the transaction that adds the row).
	countRoomsSQL = `SELECT count(*) FROM (SELECT 1 FROM rooms r
		WHERE r.last_seq > 0 OR EXISTS (SELECT 1 FROM room_meta m WHERE m.name = r.name) LIMIT ?1)`
	// One statement, one snapshot. Unread is counted without reading the messages (migration
	// 0006): the messages after the read position (rooms.msgs less the ord of the last
	// message at or before it, or, if retention removed that, less the ords removed), less
	// the tombstones and the reader's own messages after it. Mentions are capped inside
	// their subquery (LIMIT): two ranges of mentions (the user's, @room's) read at most
	// MaxUnreadCount rows. A DM's people are its other members' names. Banned is a probe of
	// the sanctions' primary key (?3 is now, in Unix ms).
	// myRoomRowsSQL reads rows of a user's room list (?1) with their capped counts (?2: the
	// cap; ?3: now, for a ban in force), for myRoomsSQL and myRoomSQL to order or pick.
	myRoomRowsSQL = `SELECT ` + roomMetaColumns + `, ms.role, ms.invited, coalesce(rp.seq, 0),
		r.msgs - coalesce((SELECT x.ord FROM messages x WHERE x.room = ms.room AND x.seq <= coalesce(rp.seq, 0)
				ORDER BY x.seq DESC LIMIT 1), r.msgs - (r.last_seq - r.other_seqs))
			- (SELECT count(*) FROM messages d INDEXED BY messages_deleted WHERE d.room = ms.room
				AND d.seq > coalesce(rp.seq, 0) AND d.deleted = 1)
			- (SELECT count(*) FROM messages own INDEXED BY messages_user WHERE own.room = ms.room AND own.user_id = ?1
				AND own.seq > coalesce(rp.seq, 0) AND own.deleted = 0),
		(SELECT count(*) FROM (SELECT DISTINCT mn.seq FROM mentions mn WHERE mn.room = ms.room AND mn.user_id IN (?1, '')
			AND mn.seq > coalesce(rp.seq, 0) AND mn.sender <> ?1 LIMIT ?2)),
		CASE WHEN m.dm THEN (SELECT json_group_array(coalesce(u.name, nullif(o.name, ''), o.user_id)) FROM memberships o
			LEFT JOIN users u ON u.id = o.user_id WHERE o.room = ms.room AND o.user_id <> ?1) ELSE '' END,
		EXISTS (SELECT 1 FROM sanctions sn WHERE sn.room = ms.room AND sn.user_id = ?1 AND sn.kind = 'ban'
			AND sn.until_ms > ?3)
		FROM memberships ms INDEXED BY memberships_user
		JOIN rooms r ON r.name = ms.room ` + roomMetaJoins + `
		LEFT JOIN read_positions rp ON rp.user_id = ?1 AND rp.room = ms.room
		WHERE ms.user_id = ?1`
	// myRoomsSQL is MyRooms: every row of the user's, in room name order.
	myRoomsSQL = myRoomRowsSQL + ` ORDER BY ms.room`
	// myRoomSQL is MyRoom: the one row of room ?4, a probe of memberships_user.
	myRoomSQL = myRoomRowsSQL + ` AND ms.room = ?4`
)

// scanRoomMeta reads a row of roomMetaColumns, then any columns after them (post); hasMeta
// says whether the room has a row in room_meta.
func scanRoomMeta(row scanner, meta *hubbub.RoomMeta, hasMeta *bool, post ...any) error {
	var created, seq int64
	var last sql.NullInt64
	if err := row.Scan(append([]any{&meta.Name, hasMeta, &meta.Topic, &meta.Private, &meta.DM, &meta.CreatedBy,
		&created, &meta.Members, &seq, &last}, post...)...); err != nil {
		return err
	}
	meta.LastSeq = uint64(seq)
	if created != 0 {
		meta.Created = sqlstore.MsTime(created)
	}
	if last.Valid {
		meta.LastActivity = sqlstore.MsTime(last.Int64)
	}
	return nil
}

// scanMembership reads a row of membershipSQL or membersSQL.
func scanMembership(row scanner, room string) (hubbub.Membership, error) {
	m := hubbub.Membership{Room: room}
	var role string
	var since int64
	if err := row.Scan(&m.User, &m.Name, &role, &m.Invited, &since); err != nil {
		return hubbub.Membership{}, err
	}
	m.Role, m.Since = hubbub.RoomRole(role), sqlstore.MsTime(since)
	return m, nil
}

// membershipOf reads user's membership of room on the writer (found false for none).
func (w *writer) membershipOf(ctx context.Context, room, user string) (hubbub.Membership, bool, error) {
	m := hubbub.Membership{Room: room, User: user}
	var role string
	var since int64
	err := w.stmts.membership.QueryRowContext(ctx, room, user).Scan(&m.Name, &role, &m.Invited, &since)
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.Membership{}, false, nil
	}
	if err != nil {
		return hubbub.Membership{}, false, fmt.Errorf("read membership: %w", err)
	}
	m.Role, m.Since = hubbub.RoomRole(role), sqlstore.MsTime(since)
	return m, true, nil
}

// setMembership writes user's membership of room, from cur to next (nil: none), and counts
// the change in room_meta.members (giving a room without metadata its row).
func (w *writer) setMembership(ctx context.Context, room string, cur, next *hubbub.Membership, now int64) error {
	var err error
	switch {
	case next != nil:
		_, err = w.stmts.putMembership.ExecContext(ctx, room, next.User, next.Name, string(next.Role), next.Invited, next.Since.UnixMilli())
	case cur != nil:
		_, err = w.stmts.dropMembership.ExecContext(ctx, room, cur.User)
	}
	if err == nil {
		_, err = w.stmts.countMembers.ExecContext(ctx, room, now, sqlstore.MemberDelta(cur, next))
	}
	if err != nil {
		return fmt.Errorf("write membership: %w", err)
	}
	return nil
}

// appendRoomChange stores e, a KindTopic or KindMember entry, inside the savepoint appendOne
// opened (or CreateRoom's transaction): a resend returns the first outcome; a member change
// reads its subject's membership and lets sqlstore.ApplyMember judge before it takes a seq,
// so that a refused one takes none, and sqlstore.KeepOwner (unless asGiven: CreateRoom's
// joins, its members as given); the change and the entry are written together, and the
// handover after them if KeepOwner asks for one.
func (w *writer) appendRoomChange(ctx context.Context, e hubbub.Entry, asGiven bool) result {
	if res, ok := w.resent(ctx, &e); ok {
		return res
	}
	var cur, next, handover *hubbub.Membership
	if e.Kind == hubbub.KindMember {
		m, found, err := w.membershipOf(ctx, e.Room, e.Subject)
		if err != nil {
			return result{err: err}
		}
		if found {
			cur = &m
		}
		if next, e, err = sqlstore.ApplyMember(e, cur, e.Time); err != nil {
			return result{err: err}
		}
		// The members are read here, in the batch's transaction, which holds the write
		// lock: no other writer can change the room's owners between this read and the
		// commit.
		if !asGiven {
			handover, err = w.keepOwner(ctx, e, cur, next)
			if err != nil {
				return result{err: err}
			}
		}
	}
	seq, first, err := w.changeSeq(ctx, e.Room)
	if err != nil {
		return result{err: err}
	}
	e.Seq = uint64(seq)
	now := e.Time.UnixMilli()
	if e.Kind == hubbub.KindTopic {
		if _, err := w.stmts.setTopic.ExecContext(ctx, e.Room, e.Text, now); err != nil {
			return result{err: fmt.Errorf("set topic: %w", err)}
		}
	} else if err := w.setMembership(ctx, e.Room, cur, next, now); err != nil {
		return result{err: err}
	}
	if err := w.insertEntry(ctx, e, 0, ""); err != nil {
		return result{err: err}
	}
	if handover != nil {
		h, err := w.handOver(ctx, e, *handover)
		if err != nil {
			return result{err: err}
		}
		return result{msg: e, handover: &h, first: first}
	}
	return result{msg: e, first: first}
}

// keepOwner is sqlstore.KeepOwner of member change e, reading the room on the writer.
func (w *writer) keepOwner(ctx context.Context, e hubbub.Entry, cur, next *hubbub.Membership) (*hubbub.Membership, error) {
	return sqlstore.KeepOwner(e, cur, next, func() ([]*hubbub.Membership, error) { return w.heirs(ctx, e.Room, e.Subject) },
		func() (bool, error) {
			var ownerless bool
			err := w.stmts.ownerless.QueryRowContext(ctx, e.Room).Scan(&ownerless)
			if errors.Is(err, sql.ErrNoRows) {
				return false, nil
			}
			if err != nil {
				return false, fmt.Errorf("read room owners: %w", err)
			}
			return ownerless, nil
		})
}

// heirs reads the members of room who decide whether leaving's going hands it over
// (heirsSQL), as sqlstore.KeepOwner asks for them.
func (w *writer) heirs(ctx context.Context, room, leaving string) ([]*hubbub.Membership, error) {
	rows, err := w.stmts.heirs.QueryContext(ctx, room, leaving)
	if err != nil {
		return nil, fmt.Errorf("read heirs: %w", err)
	}
	defer rows.Close()
	var ms []*hubbub.Membership
	for rows.Next() {
		m, err := scanMembership(rows, room)
		if err != nil {
			return nil, fmt.Errorf("read heirs: %w", err)
		}
		ms = append(ms, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read heirs: %w", err)
	}
	return ms, nil
}

// handoverAfter reads the handover the store appended right after e, a stored KindMember
// entry (the entry numbered next, if it is Auto), or nil if none.
func (w *writer) handoverAfter(ctx context.Context, e hubbub.Entry) (*hubbub.Entry, error) {
	h, err := scanOne(w.stmts.autoAt.QueryContext(ctx, e.Room, int64(e.Seq+1)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read handover: %w", err)
	}
	h.Room = e.Room
	if !sqlstore.IsHandoverOf(&h, &e) {
		return nil, nil
	}
	return &h, nil
}

// handOver appends, after change (the only owner's leave or remove, or a join of a room that
// lost its owner, stored or not), the entry that makes heir the owner (sqlstore.Handover).
func (w *writer) handOver(ctx context.Context, change hubbub.Entry, heir hubbub.Membership) (hubbub.Entry, error) {
	h := sqlstore.Handover(change, heir)
	h.ID = hubbub.NewMessageID(h.Time)
	res := w.appendRoomChange(ctx, h, false)
	return res.msg, res.err
}

// CreateRoom creates a room with its metadata and first members (KindMember join entries
// from seq floor + 1, 1 before any restore), in one transaction; see hubbub.RoomStore. Of two creating one room at once
// (a DM's members, on any node sharing the file), one wins and the other gets ECodeExists;
// a room whose key another room holds is refused room_case (roomkey.go).
func (s *Store) CreateRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	if err := sqlstore.CheckRoomMeta(meta, members); err != nil {
		return hubbub.RoomMeta{}, nil, s.guard.Wrap(sqlstore.OpCreateRoom, err)
	}
	var out hubbub.RoomMeta
	var entries []hubbub.Entry
	err := s.write(ctx, sqlstore.OpCreateRoom, func(ctx context.Context, tx *writeTx) error {
		var exists bool
		if err := tx.stmts.roomExists.QueryRowContext(ctx, meta.Name).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return sqlstore.RoomExists(meta.Name)
		}
		now := tx.now.UnixMilli()
		if _, err := tx.stmts.createRoom.ExecContext(ctx, meta.Name, meta.Topic, meta.Private, meta.DM, meta.CreatedBy, now); err != nil {
			return err
		}
		if _, err := tx.stmts.ensureRoom.ExecContext(ctx, meta.Name); err != nil {
			return tx.roomKeyTaken(ctx, meta.Name, err)
		}
		from, err := tx.nameOf(ctx, meta.CreatedBy)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, m := range members {
			if seen[m.User] {
				continue // a user is one member, however often listed
			}
			seen[m.User] = true
			// The stored user's name, else the one given (an id no user has).
			if name, found, err := tx.storedName(ctx, m.User); err != nil {
				return err
			} else if found || m.Name == "" {
				m.Name = name
			}
			e := hubbub.Entry{Room: meta.Name, Kind: hubbub.KindMember, From: from, User: meta.CreatedBy,
				Subject: m.User, SubjectName: m.Name, Action: hubbub.MemberJoin, Role: m.Role,
				ID: hubbub.NewMessageID(tx.now), Time: tx.now}
			res := tx.appendRoomChange(ctx, e, true)
			if res.err != nil {
				return res.err
			}
			entries = append(entries, res.msg)
		}
		// The joins are entries of the log like any other: they go to the outbox too.
		if err := tx.readHooks(ctx); err != nil {
			return err
		}
		for _, e := range entries {
			if err := tx.enqueueEntry(ctx, e); err != nil {
				return err
			}
		}
		out = hubbub.RoomMeta{Name: meta.Name, Topic: meta.Topic, Private: meta.Private, DM: meta.DM,
			CreatedBy: meta.CreatedBy, Created: tx.now, Members: len(entries)}
		if len(entries) > 0 {
			out.LastSeq, out.LastActivity = entries[len(entries)-1].Seq, tx.now
		}
		return nil
	})
	if err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	return out, entries, nil
}

// nameOf returns the name of user id as stored, or id itself for a user not stored (""
// stays "": a room the API creates has no creator).
func (tx *writeTx) nameOf(ctx context.Context, id string) (string, error) {
	name, _, err := tx.storedName(ctx, id)
	return name, err
}

// storedName returns the name of user id as stored (found), or id itself.
func (tx *writeTx) storedName(ctx context.Context, id string) (string, bool, error) {
	if id == "" {
		return "", false, nil
	}
	u, found, err := tx.userByID(ctx, id)
	if err != nil || !found {
		return id, false, err
	}
	return u.Name, true, nil
}

// RoomMeta returns room's metadata and counts; found is false for a room with neither
// metadata nor entries.
func (s *Store) RoomMeta(ctx context.Context, room string) (hubbub.RoomMeta, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpRoomMeta); err != nil {
		return hubbub.RoomMeta{}, false, err
	}
	var meta hubbub.RoomMeta
	var hasMeta bool
	err := scanRoomMeta(s.reads.roomMeta.QueryRowContext(ctx, room), &meta, &hasMeta)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !hasMeta && meta.LastSeq == 0 {
		return hubbub.RoomMeta{}, false, nil
	}
	if err != nil {
		return hubbub.RoomMeta{}, false, s.guard.Wrap(sqlstore.OpRoomMeta, unreadable(err))
	}
	return meta, true, nil
}

// ResolveRoom returns the stored name of the room a request naming name means: the room
// named exactly name, else the one of its key that is not a twin (hubbub.RoomStore).
func (s *Store) ResolveRoom(ctx context.Context, name string) (string, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpResolveRoom); err != nil {
		return "", false, err
	}
	var stored string
	err := s.reads.resolveRoom.QueryRowContext(ctx, name, hubbub.RoomKey(name)).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.guard.Wrap(sqlstore.OpResolveRoom, unreadable(err))
	}
	return stored, true, nil
}

// JoinRoom records public room in user's list of rooms (a member, role member), giving a
// room without metadata its metadata; it is idempotent. Joining a room that lost its owner
// makes the user its owner, in the same transaction (see hubbub.RoomStore). A private room's
// members change by KindMember entries only: ECodeForbidden.
func (s *Store) JoinRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	if room == "" || user == "" {
		return nil, s.guard.Wrap(sqlstore.OpJoinRoom, hubbub.Errorf(hubbub.ECodeMissing, "JoinRoom needs a room and a user"))
	}
	var handover *hubbub.Entry
	err := s.write(ctx, sqlstore.OpJoinRoom, func(ctx context.Context, tx *writeTx) error {
		handover = nil // a retried write starts again
		cur, err := tx.publicMembership(ctx, room, user)
		if err != nil || cur != nil {
			return err
		}
		if _, err := tx.stmts.ensureRoom.ExecContext(ctx, room); err != nil {
			return tx.roomKeyTaken(ctx, room, err)
		}
		next := &hubbub.Membership{Room: room, User: user, Role: hubbub.RoomMember, Since: tx.now}
		join := hubbub.Entry{Room: room, Kind: hubbub.KindMember, Action: hubbub.MemberJoin, Subject: user, Time: tx.now}
		// Whether the join makes the user the room's owner is asked before the membership
		// is written, so that it is written whole: the owner a join makes is the joiner
		// (next), named in their membership as in the handover, a name read only then.
		heir, err := tx.keepOwner(ctx, join, nil, next)
		if err != nil {
			return err
		}
		if heir != nil {
			if join.SubjectName, err = tx.nameOf(ctx, user); err != nil {
				return err
			}
			next.Name = join.SubjectName
		}
		if err := tx.setMembership(ctx, room, nil, next, tx.now.UnixMilli()); err != nil {
			return err
		}
		if heir != nil {
			handover, err = tx.publicHandover(ctx, join, *next)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return handover, nil
}

// LeaveRoom takes public room out of user's list of rooms; it is idempotent. Taking out the
// room's only owner hands the room over, in the same transaction (see hubbub.RoomStore).
func (s *Store) LeaveRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	var handover *hubbub.Entry
	err := s.write(ctx, sqlstore.OpLeaveRoom, func(ctx context.Context, tx *writeTx) error {
		handover = nil // a retried write starts again
		cur, err := tx.publicMembership(ctx, room, user)
		if err != nil || cur == nil {
			return err
		}
		if err := tx.setMembership(ctx, room, cur, nil, tx.now.UnixMilli()); err != nil {
			return err
		}
		leave := hubbub.Entry{Room: room, Kind: hubbub.KindMember, Action: hubbub.MemberLeave, Subject: user, Time: tx.now}
		heir, err := tx.keepOwner(ctx, leave, cur, nil)
		if err != nil || heir == nil {
			return err
		}
		if leave.SubjectName, err = tx.nameOf(ctx, user); err != nil { // the handover's actor
			return err
		}
		handover, err = tx.publicHandover(ctx, leave, *heir)
		return err
	})
	if err != nil {
		return nil, err
	}
	return handover, nil
}

// publicHandover appends the handover to heir that sqlstore.KeepOwner asked of change, a public
// room's JoinRoom or LeaveRoom as an entry that is not stored (named: its SubjectName is the
// user's), and writes its event to the outbox; it returns it.
func (tx *writeTx) publicHandover(ctx context.Context, change hubbub.Entry, heir hubbub.Membership) (*hubbub.Entry, error) {
	if err := tx.readHooks(ctx); err != nil { // the handover goes to the outbox too
		return nil, err
	}
	h, err := tx.handOver(ctx, change, heir)
	if err == nil {
		err = tx.enqueueEntry(ctx, h)
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// publicMembership returns user's membership of room (nil for none), or ECodeForbidden if
// the room is private or a DM.
func (tx *writeTx) publicMembership(ctx context.Context, room, user string) (*hubbub.Membership, error) {
	var private bool
	err := tx.stmts.roomPrivate.QueryRowContext(ctx, room).Scan(&private)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if private {
		return nil, sqlstore.RoomPrivate(room)
	}
	m, found, err := tx.membershipOf(ctx, room, user)
	if err != nil || !found {
		return nil, err
	}
	return &m, nil
}

// Membership returns user's membership or invitation in room, with the user's current name.
func (s *Store) Membership(ctx context.Context, room, user string) (hubbub.Membership, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMembership); err != nil {
		return hubbub.Membership{}, false, err
	}
	m, err := scanMembership(s.reads.membership.QueryRowContext(ctx, room, user), room)
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.Membership{}, false, nil
	}
	if err != nil {
		return hubbub.Membership{}, false, s.guard.Wrap(sqlstore.OpMembership, unreadable(err))
	}
	return m, true, nil
}

// MembersNamed returns the memberships in room of the users whose names' keys are those of
// names, in one read. See hubbub.RoomStore.
func (s *Store) MembersNamed(ctx context.Context, room string, names []string) ([]hubbub.Membership, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMembersNamed); err != nil {
		return nil, err
	}
	keys, err := sqlstore.MemberNameKeys(names)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	arg, err := json.Marshal(keys)
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMembersNamed, err)
	}
	rows, err := s.reads.membersNamed.QueryContext(ctx, room, string(arg))
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMembersNamed, err)
	}
	defer rows.Close()
	var out []hubbub.Membership
	for rows.Next() {
		m, err := scanMembership(rows, room)
		if err != nil {
			return nil, s.guard.Wrap(sqlstore.OpMembersNamed, unreadable(err))
		}
		out = append(out, m)
	}
	return out, s.guard.Wrap(sqlstore.OpMembersNamed, rows.Err())
}

// Members pages room's members and invitees in ascending user id order, after a user id,
// with their current names.
func (s *Store) Members(ctx context.Context, room, after string, limit int) ([]hubbub.Membership, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMembers); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.reads.members.QueryContext(ctx, room, after, limit)
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMembers, err)
	}
	defer rows.Close()
	var out []hubbub.Membership
	for rows.Next() {
		m, err := scanMembership(rows, room)
		if err != nil {
			return nil, s.guard.Wrap(sqlstore.OpMembers, unreadable(err))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMembers, unreadable(err))
	}
	return out, nil
}

// SetRead moves user's read position in room forward to seq (clamped to the room's last
// seq) and returns the position stored. It shares the next batch's transaction with the
// appends: a read position is written about as often as a message.
func (s *Store) SetRead(ctx context.Context, user, room string, seq uint64) (uint64, error) {
	if user == "" || room == "" {
		return 0, s.guard.Wrap(sqlstore.OpSetRead, hubbub.Errorf(hubbub.ECodeMissing, "SetRead needs a user and a room"))
	}
	if err := s.guard.Begin(ctx, sqlstore.OpSetRead); err != nil {
		return 0, err
	}
	arg := int64(min(seq, math.MaxInt64))
	stored, err := s.batch(ctx, func(ctx context.Context, w *writer) (int64, error) {
		var stored int64
		err := w.stmts.setRead.QueryRowContext(ctx, user, room, arg).Scan(&stored)
		return stored, err
	})
	if err != nil {
		return 0, s.guard.Wrap(sqlstore.OpSetRead, err)
	}
	return uint64(stored), nil
}

// MyRooms returns every room user is a member of or invited to, with metadata, read
// position and capped counts, in one statement (myRoomsSQL), in room name order.
func (s *Store) MyRooms(ctx context.Context, user string) ([]hubbub.MyRoom, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMyRooms); err != nil {
		return nil, err
	}
	rows, err := s.reads.myRooms.QueryContext(ctx, user, hubbub.MaxUnreadCount, time.Now().UnixMilli())
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMyRooms, err)
	}
	defer rows.Close()
	var out []hubbub.MyRoom
	for rows.Next() {
		r, err := scanMyRoom(rows)
		if err != nil {
			return nil, s.guard.Wrap(sqlstore.OpMyRooms, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMyRooms, unreadable(err))
	}
	return out, nil
}

// MyRoom returns the row of user's room list for room, as MyRooms has it, in one probe
// (myRoomSQL); found is false if user is neither a member of it nor invited.
func (s *Store) MyRoom(ctx context.Context, user, room string) (hubbub.MyRoom, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMyRoom); err != nil {
		return hubbub.MyRoom{}, false, err
	}
	r, err := scanMyRoom(s.reads.myRoom.QueryRowContext(ctx, user, hubbub.MaxUnreadCount, time.Now().UnixMilli(), room))
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.MyRoom{}, false, nil
	}
	if err != nil {
		return hubbub.MyRoom{}, false, s.guard.Wrap(sqlstore.OpMyRoom, err)
	}
	return r, true, nil
}

// scanMyRoom reads a row of myRoomRowsSQL: the room's meta, the user's role, invitation and
// read position, the counts (capped), a DM's other people (sorted) and whether a ban of the
// user is in force. sql.ErrNoRows comes back as it is.
func scanMyRoom(row scanner) (hubbub.MyRoom, error) {
	var r hubbub.MyRoom
	var hasMeta bool
	var role, people string
	var read int64
	var unread, mentions int
	if err := scanRoomMeta(row, &r.RoomMeta, &hasMeta, &role, &r.Invited, &read, &unread, &mentions, &people, &r.Banned); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, err
		}
		return r, unreadable(err)
	}
	r.Role, r.ReadSeq = hubbub.RoomRole(role), uint64(read)
	sqlstore.MyRoomCounts(&r, unread, mentions)
	if people != "" {
		if err := json.Unmarshal([]byte(people), &r.People); err != nil {
			return r, fmt.Errorf("%w: a DM's people: %w", hubbub.ErrUnreadable, err)
		}
		slices.Sort(r.People)
	}
	return r, nil
}

// Directory returns up to limit public, non-DM rooms named after after whose name or topic
// contains query (Unicode case folded; "" matches all), in ascending name order.
func (s *Store) Directory(ctx context.Context, query, after string, limit int) ([]hubbub.RoomMeta, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpDirectory); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.reads.directory.QueryContext(ctx, after)
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpDirectory, err)
	}
	defer rows.Close()
	q := strings.ToLower(query)
	var out []hubbub.RoomMeta
	for len(out) < limit && rows.Next() {
		var meta hubbub.RoomMeta
		var hasMeta bool
		if err := scanRoomMeta(rows, &meta, &hasMeta); err != nil {
			return nil, s.guard.Wrap(sqlstore.OpDirectory, unreadable(err))
		}
		if q == "" || strings.Contains(strings.ToLower(meta.Name), q) || strings.Contains(strings.ToLower(meta.Topic), q) {
			out = append(out, meta)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpDirectory, unreadable(err))
	}
	return out, nil
}

// CountRooms counts the rooms the store holds, up to limit. See hubbub.RoomStore.
func (s *Store) CountRooms(ctx context.Context, limit int) (int, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCountRooms); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	var n int
	if err := s.reads.countRooms.QueryRowContext(ctx, limit).Scan(&n); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpCountRooms, unreadable(err))
	}
	return n, nil
}
