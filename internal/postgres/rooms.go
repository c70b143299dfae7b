package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Room metadata, memberships and read positions (hubbub.RoomStore). The metadata lives on the
// rooms row that numbers the room's log, so whatever changes a room's members takes the lock
// every append of the room takes (lockRoom): CreateRoom, JoinRoom and LeaveRoom run in a
// transaction of their own that starts with it, and KindTopic and KindMember entries go through
// the append batches (apply.go). Of two CreateRooms at once, the second waits for the first's
// lock and then finds the room: ECodeExists. Of two making rooms of one key, the second is
// refused room_case (roomkey.go).
//
// The reads look rows up one key at a time (a LATERAL probe with a LIMIT per key, as the
// batches do), so that their plans stay index probes whatever the statistics of the tables
// say: memberships, read_positions and mentioned start empty and grow.

// roomColumns reads a room's metadata from rooms r and the time of its last entry from the
// LATERAL last (lastActivity).
const (
	roomColumns  = `r.name, r.topic, r.private, r.dm, r.created_by, r.created, r.members, r.last_seq, last.at`
	lastActivity = `LEFT JOIN LATERAL (SELECT coalesce(
			(SELECT created_at FROM messages WHERE room = r.name AND seq = r.last_seq),
			(SELECT created_at FROM entries WHERE room = r.name AND seq = r.last_seq)) AS at) AS last ON true`
)

// The statements of rooms.
const (
	// lockRoomMeta is lockRoom that also reads whether the room exists and is private, and
	// the room holding its name's key if it is no room yet (roomkey.go), and the seq floor
	// if it has no entry yet.
	lockRoomMeta = `INSERT INTO rooms (name, last_seq) VALUES ($1, 0)
		ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq
		RETURNING last_seq, last_message_no, created IS NOT NULL, private OR dm, ` + keyHolderOfNew + `, ` + seqFloorOfNew
	// lockRoomIfAny is lockRoomMeta for a leave: it locks the room's row only if there is
	// one, so that leaving a room that does not exist stores nothing (and makes no room).
	lockRoomIfAny = `SELECT last_seq, last_message_no, created IS NOT NULL, private OR dm, '', ` + seqFloorOfNew + `
		FROM rooms WHERE name = $1 FOR UPDATE`
	selectUserName = `SELECT name FROM users WHERE id = $1`
	createRoomMeta = `UPDATE rooms SET topic = $2, private = $3, dm = $4, created_by = $5, created = $6,
		members = $7, last_seq = $8, last_message_no = last_message_no WHERE name = $1`
	insertMemberships = `INSERT INTO memberships (room, user_id, name, role, invited, since)
		SELECT $1, user_id, name, role, false, $2 FROM unnest($3::text[], $4::text[], $5::text[]) AS u(user_id, name, role)`
	insertMemberEntries = `INSERT INTO entries (room, seq, id, client_id, sender, user_id, kind, target, subject,
			subject_name, action, role, created_at)
		SELECT $1, seq, id, '', $2, $3, 'member', 0, subject, subject_name, 'join', role, $4
		FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(seq, id, subject, subject_name, role)`
	selectNames = `SELECT u.id, u.name FROM unnest($1::text[]) AS k(k_id)
		CROSS JOIN LATERAL (SELECT id, name FROM users WHERE id = k_id LIMIT 1) AS u`
	// countRooms counts the rooms selectRoomMeta finds, at most $1 of them (lockRoom's rows
	// for a room with no entry yet are not rooms).
	countRooms     = `SELECT count(*) FROM (SELECT 1 FROM rooms WHERE created IS NOT NULL OR last_seq > 0 LIMIT $1) AS r`
	selectRoomMeta = `SELECT ` + roomColumns + ` FROM rooms r ` + lastActivity + `
		WHERE r.name = $1 AND (r.created IS NOT NULL OR r.last_seq > 0)`
	// The room a request naming $1 means (hubbub.RoomStore.ResolveRoom), whose key is $2:
	// the room named exactly that, if RoomMeta finds it, else the room that holds the key
	// (rooms_key, 0020: a room, and no twin).
	selectResolveRoom = `SELECT name FROM (
			(SELECT name, 0 AS fold FROM rooms WHERE name = $1 AND (created IS NOT NULL OR last_seq > 0))
			UNION ALL
			(SELECT name, 1 FROM rooms WHERE room_key = $2)) AS found
		ORDER BY fold LIMIT 1`
	membershipColumns = `m.room, m.user_id, coalesce(u.name, m.name), m.role, m.invited, m.since`
	selectMembership  = `SELECT ` + membershipColumns + ` FROM memberships m
		LEFT JOIN LATERAL (SELECT name FROM users WHERE id = m.user_id LIMIT 1) AS u ON true
		WHERE m.room = $1 AND m.user_id = $2`
	// The memberships of the users holding some name keys: each key's user by the name index,
	// then its membership by the primary key.
	selectMembersNamed = `SELECT ` + membershipColumns + ` FROM unnest($2::text[]) AS k(key)
		CROSS JOIN LATERAL (SELECT id, name FROM users WHERE name_key = k.key LIMIT 1) AS u
		JOIN memberships m ON m.room = $1 AND m.user_id = u.id`
	selectMembers = `SELECT ` + membershipColumns + ` FROM memberships m
		LEFT JOIN LATERAL (SELECT name FROM users WHERE id = m.user_id LIMIT 1) AS u ON true
		WHERE m.room = $1 AND m.user_id > $2 ORDER BY m.user_id LIMIT $3`
	// setRead raises the stored position, never lowers it, and clamps it to the room's last
	// seq (0 for a room with none).
	setRead = `INSERT INTO read_positions (user_id, room, seq)
		VALUES ($1, $2, least($3::bigint, coalesce((SELECT last_seq FROM rooms WHERE name = $2), 0)))
		ON CONFLICT (user_id, room) DO UPDATE SET seq = greatest(read_positions.seq, excluded.seq)
		RETURNING seq`
	// selectDirectory walks rooms_name_bytes from the cursor and stops at limit matches.
	// strpos, not LIKE, so that a query's '%' and '_' are only themselves.
	selectDirectory = `SELECT ` + roomColumns + ` FROM rooms r ` + lastActivity + `
		WHERE r.name COLLATE "C" > $1 AND NOT r.private AND NOT r.dm AND NOT starts_with(r.name, 'dm.')
			AND (r.created IS NOT NULL OR r.last_seq > 0)
			AND ($2 = '' OR strpos(lower(r.name), lower($2)) > 0 OR strpos(lower(r.topic), lower($2)) > 0)
		ORDER BY r.name COLLATE "C" LIMIT $3`
)

// selectMyRoomRows reads MyRooms's rows in one statement: for each of the user's memberships (a range of
// memberships_user), a probe of its room and of the user's read position, and the counts
// after that position without reading the unread messages:
//   - unread: the messages after it by message_no (the room's last less that of the first
//     message after the position, one probe of the primary key; rows older than migration
//     0004 have seq for their number), less the user's own after it (a range of
//     messages_user: what the user posted since reading, usually little) and the deleted ones
//     after it of others (a range of the partial messages_deleted, rare);
//   - mentions: the rows of mentioned for the user after it, and those for @room after it
//     that do not mention the user as well (two ranges of mentioned_user, each stopped at
//     MaxUnreadCount rows, and a probe of the primary key per @room);
//   - banned: a probe of the sanctions' primary key for a ban of the user in force at $3.
//
// Each probe is a subquery with a LIMIT, which the planner neither merges into a join nor
// copies into every expression that uses it: as a NOT EXISTS, the @room probe became an anti
// join that the statistics of a new table (one row, they said) made a scan of the user's
// mentions for each @room, 45 ms of a 90 ms call. The counts are capped in Go
// (sqlstore.CapUnread).
const selectMyRoomRows = `SELECT ` + roomColumns + `, m.role, m.invited, pos.seq,
		CASE WHEN f.no IS NULL THEN 0 ELSE r.last_message_no - f.no + 1
			- (SELECT count(*) FROM messages x WHERE x.room = m.room AND x.user_id = $1 AND x.seq > pos.seq)
			- (SELECT count(*) FROM messages x WHERE x.room = m.room AND x.deleted AND x.seq > pos.seq AND x.user_id <> $1)
		END,
		(SELECT count(*) FROM (SELECT 1 FROM mentioned
			WHERE user_id = $1 AND room = m.room AND seq > pos.seq LIMIT $2) AS mine)
		+ (SELECT count(*) FROM (SELECT 1 FROM mentioned a
			WHERE a.user_id = '' AND a.room = m.room AND a.seq > pos.seq AND a.sender <> $1
				AND (SELECT count(*) FROM (SELECT FROM mentioned b
					WHERE b.room = a.room AND b.seq = a.seq AND b.user_id = $1 LIMIT 1) AS mine_too) = 0
			LIMIT $2) AS everyone),
		CASE WHEN r.dm THEN array(SELECT coalesce(
			(SELECT name FROM users WHERE id = pm.user_id), pm.name) FROM memberships pm
			WHERE pm.room = m.room AND pm.user_id <> $1) END,
		EXISTS (SELECT FROM sanctions sn WHERE sn.room = m.room AND sn.user_id = $1 AND sn.kind = 'ban'
			AND sn.until_at > $3)
	FROM memberships m
	CROSS JOIN LATERAL (SELECT * FROM rooms WHERE name = m.room LIMIT 1) AS r
	CROSS JOIN LATERAL (SELECT coalesce(max(seq), 0) AS seq FROM (SELECT seq FROM read_positions
		WHERE user_id = $1 AND room = m.room LIMIT 1) AS rp) AS pos
	LEFT JOIN LATERAL (SELECT coalesce(x.message_no, x.seq) AS no FROM messages x
		WHERE x.room = m.room AND x.seq > pos.seq ORDER BY x.seq LIMIT 1) AS f ON true
	` + lastActivity + `
	WHERE m.user_id = $1`

// selectMyRooms is MyRooms: every row of the user's, in room name order.
const selectMyRooms = selectMyRoomRows + `
	ORDER BY m.room`

// selectMyRoom is MyRoom: the one row of room $4, a probe of memberships_user.
const selectMyRoom = selectMyRoomRows + ` AND m.room = $4`

// scanRoomMeta reads roomColumns into meta, then the extra destinations.
func scanRoomMeta(row pgx.Row, meta *hubbub.RoomMeta, more ...any) error {
	var created, last *time.Time
	var members int32
	var lastSeq int64
	dest := append([]any{&meta.Name, &meta.Topic, &meta.Private, &meta.DM, &meta.CreatedBy, &created, &members, &lastSeq, &last}, more...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	meta.Members, meta.LastSeq = int(members), uint64(lastSeq)
	meta.Created, meta.LastActivity = time.Time{}, time.Time{}
	if created != nil {
		meta.Created = created.UTC()
	}
	if last != nil {
		meta.LastActivity = last.UTC()
	}
	return nil
}

// roomTime returns the time of a room change made outside the batches: the server's clock
// (as the batches stamp entries, so that times do not go back within a room), or Options.Now.
func (s *Store) roomTime(ctx context.Context, tx pgx.Tx) (time.Time, error) {
	if s.now != nil {
		return sqlstore.MsTime(s.now().UnixMilli()), nil
	}
	var now time.Time
	if err := tx.QueryRow(ctx, batchTime).Scan(&now); err != nil {
		return time.Time{}, err
	}
	return sqlstore.MsTime(now.UnixMilli()), nil
}

// CreateRoom creates a room with its metadata and first members, as join entries from seq
// floor + 1 (1 before any restore), in one transaction under the room's lock. See
// hubbub.RoomStore.
func (s *Store) CreateRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateRoom); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	out, entries, err := s.createRoom(ctx, meta, members)
	for try := 1; try < roomKeyRetries && isRoomKeyConflict(err); try++ {
		// Another transaction made a room of the key since the lock read none: the next
		// try's lock finds it (roomkey.go).
		out, entries, err = s.createRoom(ctx, meta, members)
	}
	if err != nil {
		return hubbub.RoomMeta{}, nil, s.guard.Wrap(sqlstore.OpCreateRoom, err)
	}
	return out, entries, nil
}

func (s *Store) createRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	if err := sqlstore.CheckRoomMeta(meta, members); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	fields := []string{"room", meta.Name, "topic", meta.Topic, "creator", meta.CreatedBy}
	ids := []string{meta.CreatedBy}
	seen := map[string]bool{}
	var firsts []hubbub.Membership // each user once, the first given
	for _, m := range members {
		fields = append(fields, "member", m.User, "member name", m.Name)
		if !seen[m.User] {
			seen[m.User] = true
			firsts = append(firsts, m)
			ids = append(ids, m.User)
		}
	}
	if err := checkText(fields...); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}

	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	defer rollback(tx) // after Commit, a no-op
	var last, lastNo, floor int64
	var exists, private bool
	var holder string
	if err := tx.QueryRow(ctx, lockRoomMeta, meta.Name).Scan(&last, &lastNo, &exists, &private, &holder, &floor); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	if exists || last > 0 {
		return hubbub.RoomMeta{}, nil, sqlstore.RoomExists(meta.Name)
	}
	if holder != "" {
		return hubbub.RoomMeta{}, nil, hubbub.RoomCase(meta.Name, holder)
	}
	now, err := s.roomTime(ctx, tx)
	if err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	// The names of the creator and the members, and the webhooks (created on any node), which
	// decide whose the joins' events are: one round trip.
	names := map[string]string{}
	b := &pgx.Batch{}
	b.Queue(selectNames, ids).Query(func(rows pgx.Rows) error {
		var id, name string
		_, err := pgx.ForEachRow(rows, []any{&id, &name}, func() error { names[id] = name; return nil })
		return err
	})
	hooks := queueHookRows(b)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	from := meta.CreatedBy
	if n, ok := names[meta.CreatedBy]; ok {
		from = n
	}

	var c struct {
		user, name, role, id []string
		seq                  []int64
	}
	entries := make([]hubbub.Entry, 0, len(firsts))
	for i, m := range firsts {
		role := m.Role
		if role == "" {
			role = hubbub.RoomMember
		}
		subjectName := m.Name
		if n, ok := names[m.User]; ok {
			subjectName = n
		}
		e := hubbub.Entry{Room: meta.Name, Seq: uint64(floor) + uint64(i+1), ID: hubbub.NewMessageID(now), From: from, User: meta.CreatedBy,
			Kind: hubbub.KindMember, Time: now, Subject: m.User, SubjectName: subjectName, Action: hubbub.MemberJoin, Role: role}
		entries = append(entries, e)
		c.user, c.name, c.role = append(c.user, m.User), append(c.name, subjectName), append(c.role, string(role))
		c.id, c.seq = append(c.id, e.ID), append(c.seq, int64(e.Seq))
	}
	out := hubbub.RoomMeta{Name: meta.Name, Topic: meta.Topic, Private: meta.Private, DM: meta.DM, CreatedBy: meta.CreatedBy,
		Created: now, Members: len(firsts)}
	if len(firsts) > 0 {
		// The joins are the room's first entries: above the seq floor. A room without them
		// stays at seq 0, and its first entry is numbered above the floor then.
		out.LastSeq, out.LastActivity = entries[len(entries)-1].Seq, now
	}
	b = &pgx.Batch{}
	b.Queue(createRoomMeta, meta.Name, meta.Topic, meta.Private, meta.DM, meta.CreatedBy, now, len(firsts), int64(out.LastSeq))
	if len(firsts) > 0 {
		b.Queue(insertMemberships, meta.Name, now, c.user, c.name, c.role)
		b.Queue(insertMemberEntries, meta.Name, from, meta.CreatedBy, now, c.seq, c.id, c.user, c.name, c.role)
		// The joins are entries of the log like any other: they go to the outbox too, for the
		// webhooks that follow the room's member changes, as the append batch writes them.
		filter, err := hooks.filter(&s.w.hookCache)
		if err != nil {
			return hubbub.RoomMeta{}, nil, fmt.Errorf("webhooks: %w", err)
		}
		if filter.Any() {
			out := make([]result, len(entries))
			for i, e := range entries {
				out[i].msg = e
			}
			if err := queueOutbox(b, out, filter, hooks.allRooms); err != nil {
				return hubbub.RoomMeta{}, nil, err
			}
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return hubbub.RoomMeta{}, nil, err
	}
	return out, entries, nil
}

// ResolveRoom returns the stored name of the room a request naming name means: the room
// named exactly name, else the one of its key that is not a twin (hubbub.RoomStore).
func (s *Store) ResolveRoom(ctx context.Context, name string) (string, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpResolveRoom); err != nil {
		return "", false, err
	}
	if !textFits(name) {
		return "", false, nil
	}
	var stored string
	err := s.pool.QueryRow(ctx, selectResolveRoom, name, hubbub.RoomKey(name)).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.guard.Wrap(sqlstore.OpResolveRoom, err)
	}
	return stored, true, nil
}

// RoomMeta returns a room's metadata and counts. See hubbub.RoomStore.
func (s *Store) RoomMeta(ctx context.Context, room string) (hubbub.RoomMeta, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpRoomMeta); err != nil {
		return hubbub.RoomMeta{}, false, err
	}
	if !textFits(room) {
		return hubbub.RoomMeta{}, false, nil
	}
	var meta hubbub.RoomMeta
	err := scanRoomMeta(s.pool.QueryRow(ctx, selectRoomMeta, room), &meta)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.RoomMeta{}, false, nil
	}
	if err != nil {
		return hubbub.RoomMeta{}, false, s.guard.Wrap(sqlstore.OpRoomMeta, err)
	}
	return meta, true, nil
}

// JoinRoom records a public room in the user's list (a member, no entry), giving the room
// metadata if it has none; joining a room that lost its owner makes the user its owner. See
// hubbub.RoomStore.
func (s *Store) JoinRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpJoinRoom); err != nil {
		return nil, err
	}
	h, err := s.publicMembership(ctx, room, user, true)
	for try := 1; try < roomKeyRetries && isRoomKeyConflict(err); try++ {
		h, err = s.publicMembership(ctx, room, user, true) // as CreateRoom
	}
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpJoinRoom, err)
	}
	return h, nil
}

// LeaveRoom takes a public room out of the user's list; the only owner's leave hands the
// room over. See hubbub.RoomStore.
func (s *Store) LeaveRoom(ctx context.Context, room, user string) (*hubbub.Entry, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpLeaveRoom); err != nil {
		return nil, err
	}
	h, err := s.publicMembership(ctx, room, user, false)
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpLeaveRoom, err)
	}
	return h, nil
}

// publicMembership joins (or leaves) a public room under its lock, so that the member count
// and a batch's membership changes of the room agree. It is a batch of one change, read,
// decided and written by the batch writer's own functions: the user's membership
// (queueFindMembers) and, for a leave, the room's owners and heirs (queueFindHeirs), for a
// join whether the room keeps an owner and has one (queueFindOwned), the webhooks
// (queueHooks), the change with its handover, if any (plan.public, which reads the user's
// name only for a handover), the writes (plan.writes) and the handover's event for the
// webhooks that follow it (queueOutbox). It returns the handover.
func (s *Store) publicMembership(ctx context.Context, room, user string, join bool) (*hubbub.Entry, error) {
	if room == "" {
		return nil, sqlstore.ErrNoRoom
	}
	if user == "" {
		return nil, hubbub.Errorf(hubbub.ECodeMissing, "a membership needs a user id")
	}
	if err := checkText("room", room, "user", user); err != nil {
		return nil, err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, err
	}
	defer rollback(tx) // after Commit, a no-op
	var last, lastNo, floor int64
	var exists, private bool
	var holder string
	lock := lockRoomMeta
	if !join {
		lock = lockRoomIfAny
	}
	err = tx.QueryRow(ctx, lock, room).Scan(&last, &lastNo, &exists, &private, &holder, &floor)
	switch {
	case !join && errors.Is(err, pgx.ErrNoRows):
		return nil, nil // no room, so no membership of it
	case err != nil:
		return nil, err
	case private:
		return nil, sqlstore.RoomPrivate(room)
	case holder != "":
		return nil, hubbub.RoomCase(room, holder)
	}
	now, err := s.roomTime(ctx, tx)
	if err != nil {
		return nil, err
	}
	rooms := []string{room}
	p := newPlan(now, map[string]int64{room: last}, map[string]int64{room: lastNo})
	p.floor = floor // a handover may be the room's first entry
	b := &pgx.Batch{}
	hooks := s.w.queueHooks(b, rooms)
	p.queueFindMembers(b, rooms, []string{user})
	if join {
		p.queueFindOwned(b, rooms)
	} else {
		p.queueFindHeirs(b, rooms, []int32{3}) // one change: 2k+1 of each role (queueReads)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	// The user's stored name names the handover's actor (and the joiner it makes owner): read
	// only for a handover, as SQLite's JoinRoom and LeaveRoom do, one round trip more then.
	res := p.public(room, user, join, func() (string, error) {
		var name string
		if err := tx.QueryRow(ctx, selectUserName, user).Scan(&name); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("read the name of user %s: %w", user, err)
		}
		return name, nil
	})
	if res.err != nil {
		return nil, res.err
	}
	b = p.writes(rooms)
	if res.handover != nil {
		filter, err := hooks.filter(&s.w.hookCache)
		if err != nil {
			return nil, fmt.Errorf("webhooks: %w", err)
		}
		if filter.Any() {
			if err := queueOutbox(b, []result{{msg: *res.handover}}, filter, hooks.allRooms); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	return res.handover, nil
}

// scanMembership reads membershipColumns into m.
func scanMembership(row pgx.Row, m *hubbub.Membership) error {
	var role string
	if err := row.Scan(&m.Room, &m.User, &m.Name, &role, &m.Invited, &m.Since); err != nil {
		return err
	}
	m.Role, m.Since = hubbub.RoomRole(role), m.Since.UTC()
	return nil
}

// Membership returns the user's membership or invitation in room, with their current name.
// See hubbub.RoomStore.
func (s *Store) Membership(ctx context.Context, room, user string) (hubbub.Membership, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMembership); err != nil {
		return hubbub.Membership{}, false, err
	}
	if !textFits(room) || !textFits(user) {
		return hubbub.Membership{}, false, nil
	}
	var m hubbub.Membership
	err := scanMembership(s.pool.QueryRow(ctx, selectMembership, room, user), &m)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.Membership{}, false, nil
	}
	if err != nil {
		return hubbub.Membership{}, false, s.guard.Wrap(sqlstore.OpMembership, err)
	}
	return m, true, nil
}

// Members pages room's members and invitees in ascending user id order (a range of the
// primary key of memberships). See hubbub.RoomStore.
func (s *Store) Members(ctx context.Context, room, after string, limit int) ([]hubbub.Membership, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMembers); err != nil {
		return nil, err
	}
	if limit <= 0 || !textFits(room) {
		return nil, nil
	}
	if !textFits(after) {
		return nil, s.guard.Wrap(sqlstore.OpMembers, hubbub.Errorf(hubbub.ECodeBadField, "after %q is not valid text", after))
	}
	rows, _ := s.pool.Query(ctx, selectMembers, room, after, limit)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.Membership, error) {
		var m hubbub.Membership
		err := scanMembership(row, &m)
		return m, err
	})
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMembers, err)
	}
	return out, nil
}

// MembersNamed returns the memberships in room of the users whose names' keys are those of
// names, in one query. See hubbub.RoomStore.
func (s *Store) MembersNamed(ctx context.Context, room string, names []string) ([]hubbub.Membership, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMembersNamed); err != nil {
		return nil, err
	}
	keys, err := sqlstore.MemberNameKeys(names)
	if err != nil || len(keys) == 0 || !textFits(room) {
		return nil, err
	}
	rows, _ := s.pool.Query(ctx, selectMembersNamed, room, keys)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.Membership, error) {
		var m hubbub.Membership
		err := scanMembership(row, &m)
		return m, err
	})
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMembersNamed, err)
	}
	return out, nil
}

// SetRead moves the user's read position in room forward to seq (clamped to the room's last
// seq) and returns the stored one. See hubbub.RoomStore.
func (s *Store) SetRead(ctx context.Context, user, room string, seq uint64) (uint64, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpSetRead); err != nil {
		return 0, err
	}
	if err := checkText("user", user, "room", room); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpSetRead, err)
	}
	if user == "" || room == "" {
		return 0, s.guard.Wrap(sqlstore.OpSetRead, hubbub.Errorf(hubbub.ECodeMissing, "a read position needs a user and a room"))
	}
	var stored int64
	if err := s.pool.QueryRow(ctx, setRead, user, room, int64(min(seq, math.MaxInt64))).Scan(&stored); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpSetRead, err)
	}
	return uint64(stored), nil
}

// MyRooms returns every room the user is a member of or invited to, with metadata, position
// and counts, in one statement (selectMyRooms), by room name. See hubbub.RoomStore.
func (s *Store) MyRooms(ctx context.Context, user string) ([]hubbub.MyRoom, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMyRooms); err != nil {
		return nil, err
	}
	if !textFits(user) || user == "" {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, selectMyRooms, user, hubbub.MaxUnreadCount, time.Now())
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.MyRoom, error) { return scanMyRoom(row) })
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpMyRooms, err)
	}
	return out, nil
}

// MyRoom returns the row of the user's room list for room, as MyRooms has it, in one probe
// (selectMyRoom); found is false if the user is neither a member of it nor invited.
func (s *Store) MyRoom(ctx context.Context, user, room string) (hubbub.MyRoom, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpMyRoom); err != nil {
		return hubbub.MyRoom{}, false, err
	}
	if !textFits(user) || !textFits(room) || user == "" || room == "" {
		return hubbub.MyRoom{}, false, nil
	}
	mr, err := scanMyRoom(s.pool.QueryRow(ctx, selectMyRoom, user, hubbub.MaxUnreadCount, time.Now(), room))
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.MyRoom{}, false, nil
	}
	if err != nil {
		return hubbub.MyRoom{}, false, s.guard.Wrap(sqlstore.OpMyRoom, err)
	}
	return mr, true, nil
}

// scanMyRoom reads a row of selectMyRoomRows: the room's meta, the user's role, invitation
// and read position, the counts (capped), a DM's other people (sorted) and whether a ban of
// the user is in force.
func scanMyRoom(row pgx.Row) (hubbub.MyRoom, error) {
	var (
		mr               hubbub.MyRoom
		role             string
		read             int64
		unread, mentions int64
		people           []string
	)
	if err := scanRoomMeta(row, &mr.RoomMeta, &role, &mr.Invited, &read, &unread, &mentions, &people, &mr.Banned); err != nil {
		return mr, err
	}
	mr.Role, mr.ReadSeq = hubbub.RoomRole(role), uint64(read)
	sqlstore.MyRoomCounts(&mr, int(unread), int(mentions))
	if len(people) > 0 {
		slices.Sort(people)
		mr.People = people
	}
	return mr, nil
}

// Directory returns public, non-DM rooms whose name or topic contains query (any case), by
// name after the cursor, at most limit. See hubbub.RoomStore.
func (s *Store) Directory(ctx context.Context, query, after string, limit int) ([]hubbub.RoomMeta, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpDirectory); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := checkText("query", query, "after", after); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpDirectory, err)
	}
	rows, _ := s.pool.Query(ctx, selectDirectory, after, query, limit)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.RoomMeta, error) {
		var meta hubbub.RoomMeta
		err := scanRoomMeta(row, &meta)
		return meta, err
	})
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpDirectory, err)
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
	if err := s.pool.QueryRow(ctx, countRooms, limit).Scan(&n); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpCountRooms, err)
	}
	return n, nil
}
