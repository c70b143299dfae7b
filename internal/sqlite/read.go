package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// readStmts are the queries of the read-only pool, prepared once; database/sql prepares each
// again on every connection of the pool as it first uses it there.
type readStmts struct {
	since, before, notices, replies, revisions, reactedBy, lastSeq, rooms *sql.Stmt
	// Files (files.go).
	file, fileUsage, collectable *sql.Stmt

	// Users (user.go).
	userByID, userByKey, userByGuest, userByExternal, usersByID, users, passwordHash, session *sql.Stmt
	// Rooms (room.go).
	roomMeta, resolveRoom, membership, members, membersNamed, directory, myRooms, myRoom, countRooms *sql.Stmt
	// The generations (generations.go).
	generations *sql.Stmt

	all []*sql.Stmt // for close
}

// The reads of the room log. TestQueryPlans checks that each reads only the index range it
// names.
const (
	// Since merges two ranges of primary keys, messages and entries from seq on, both in seq
	// order: SQLite runs the two as co-routines and stops at the limit, so the read costs
	// what it returns whatever the rooms hold.
	sinceSQL = `SELECT ` + messageColumns + ` FROM messages WHERE room = ?1 AND seq > ?2
		UNION ALL SELECT ` + entryColumns + ` FROM entries WHERE room = ?1 AND seq > ?2
		ORDER BY seq LIMIT ?3`
	// Before walks the messages' primary key backwards; a message row holds its current state.
	beforeSQL = `SELECT ` + messageColumns + ` FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`
	// Notices walks entries_target backwards where target = 0: the entries that change no
	// message (topic, member and sanction entries) are that index's (room, 0, seq) range, so
	// the read skips the edits and reactions of the span rather than filtering them.
	noticesSQL = `SELECT ` + entryColumns + ` FROM entries INDEXED BY entries_target
		WHERE room = ? AND target = 0 AND seq > ? AND seq <= ? AND kind IN ('topic', 'member', 'sanction')
		ORDER BY seq DESC LIMIT ?`
	// A thread is one range of messages_replies; the reply_to > 0 term lets SQLite use that
	// partial index. Without statistics (nothing runs ANALYZE) SQLite's planner prefers
	// walking the whole room by its primary key, which already gives seq order, to any
	// secondary index: INDEXED BY here and below names the index that reads only what the
	// query returns (and fails loudly at Open if the index is missing).
	repliesSQL = `SELECT ` + messageColumns + ` FROM messages INDEXED BY messages_replies
		WHERE room = ? AND reply_to = ? AND reply_to > 0 AND seq > ? ORDER BY seq LIMIT ?`
	// One statement, so one snapshot: the message (its original text first, 0 sorting before
	// every seq), then the texts of its edits by seq.
	revisionsSQL = `SELECT 0 AS at, coalesce(original, text), created_ms, deleted FROM messages WHERE room = ?1 AND seq = ?2
		UNION ALL SELECT seq, text, created_ms, 0 FROM entries INDEXED BY entries_target
		WHERE room = ?1 AND target = ?2 AND kind = 'edit'
		ORDER BY at`
	// reactions_user holds (room, user_id, seq) and, as every index of a WITHOUT ROWID
	// table, the rest of the primary key (emoji): it covers the query and its order.
	reactedBySQL = `SELECT seq, emoji FROM reactions INDEXED BY reactions_user
		WHERE room = ? AND user_id = ? AND seq >= ? AND seq <= ? ORDER BY seq, emoji`
)

func prepareReads(ctx context.Context, db *sql.DB) (readStmts, error) {
	var r readStmts
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		if err == nil {
			r.all = append(r.all, st)
		}
		return st
	}
	r.since = prep(sinceSQL)
	r.before = prep(beforeSQL)
	r.notices = prep(noticesSQL)
	r.replies = prep(repliesSQL)
	r.revisions = prep(revisionsSQL)
	r.reactedBy = prep(reactedBySQL)
	r.lastSeq = prep(`SELECT last_seq FROM rooms WHERE name = ?`)
	r.file = prep(fileSQL)
	r.fileUsage = prep(fileUsageSQL)
	r.collectable = prep(collectableSQL)
	// A range of the rooms table's primary key (names compare as bytes, SQLite's BINARY
	// collation), and for each room one lookup of its last entry by (room, seq), in whichever
	// table holds it.
	r.rooms = prep(`SELECT r.name, r.last_seq, coalesce(m.created_ms, e.created_ms) FROM rooms r
		LEFT JOIN messages m ON m.room = r.name AND m.seq = r.last_seq
		LEFT JOIN entries e ON e.room = r.name AND e.seq = r.last_seq
		WHERE r.name > ? AND r.last_seq > 0 ORDER BY r.name LIMIT ?`)

	r.userByID = prep(userByIDSQL)
	r.userByKey = prep(userByKeySQL)
	r.userByGuest = prep(userByGuestSQL)
	r.userByExternal = prep(userByExternalSQL)
	r.usersByID = prep(usersByIDSQL)
	r.users = prep(usersSQL)
	r.passwordHash = prep(`SELECT password_hash FROM users WHERE id = ?`)
	r.session = prep(sessionSQL)
	r.roomMeta = prep(roomMetaSQL)
	r.resolveRoom = prep(resolveRoomSQL)
	r.membership = prep(membershipSQL)
	r.members = prep(membersSQL)
	r.membersNamed = prep(membersNamedSQL)
	r.directory = prep(directorySQL)
	r.myRooms = prep(myRoomsSQL)
	r.myRoom = prep(myRoomSQL)
	r.countRooms = prep(countRoomsSQL)
	r.generations = prep(sqlstore.GenerationsSQL)
	if err != nil {
		_ = r.close()
		return readStmts{}, err
	}
	return r, nil
}

func (r readStmts) close() error {
	var errs []error
	for _, st := range r.all {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// readEntries runs st with args and returns its entries of room oldest first; newestFirst
// says that st walks the room backwards.
func readEntries(ctx context.Context, st *sql.Stmt, room string, limit int, newestFirst bool, args ...any) ([]hubbub.Entry, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadMessages(rows, room, limit, newestFirst, scanEntry)
}

// scanOne reads the one row of a query of messageColumns or entryColumns, or returns
// sql.ErrNoRows. The caller sets Room.
func scanOne(rows *sql.Rows, err error) (hubbub.Entry, error) {
	if err != nil {
		return hubbub.Entry{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return hubbub.Entry{}, err
		}
		return hubbub.Entry{}, sql.ErrNoRows
	}
	var e hubbub.Entry
	if err := scanEntry(rows, &e); err != nil {
		return hubbub.Entry{}, err
	}
	return e, rows.Close()
}

// scanEntry reads a row of messageColumns or entryColumns into e. Times are stored as Unix
// milliseconds, mentions and reactions as JSON.
func scanEntry(rows *sql.Rows, e *hubbub.Entry) error { return scanEntryAnd(rows, e) }

// scanEntryAnd is scanEntry of a row with more columns after the entry's, read into extra.
func scanEntryAnd(rows *sql.Rows, e *hubbub.Entry, extra ...any) error {
	var seq, ms, replyTo, editedMs, target, untilMs int64
	var kind, mentions, reactions, role, attachments string
	if err := rows.Scan(append([]any{&seq, &e.ID, &e.ClientID, &e.From, &e.User, &kind, &e.Text, &ms, &mentions, &e.MentionRoom,
		&replyTo, &e.Deleted, &editedMs, &e.ReplyCount, &reactions, &target, &e.Emoji, &e.Added, &e.Count,
		&e.Moderator, &e.Subject, &e.SubjectName, &e.Action, &role, &attachments, &e.Bot, &e.Auto, &untilMs}, extra...)...); err != nil {
		return err
	}
	e.Seq, e.Kind, e.Time, e.Role = uint64(seq), hubbub.EntryKind(kind), sqlstore.MsTime(ms), hubbub.RoomRole(role)
	e.ReplyTo, e.Target = uint64(replyTo), uint64(target)
	if editedMs != 0 {
		e.EditedAt = sqlstore.MsTime(editedMs)
	}
	if untilMs != 0 {
		e.Until = sqlstore.MsTime(untilMs)
	}
	var err error
	if e.Mentions, err = sqlstore.DecodeMentions(mentions); err != nil {
		return err
	}
	if e.Reactions, err = sqlstore.DecodeReactions(reactions); err != nil {
		return err
	}
	e.Attachments, err = sqlstore.DecodeAttachments(attachments)
	return err
}

// Since returns up to limit entries of room, of every kind, with Seq > after, oldest first;
// messages in their current state.
func (s *Store) Since(ctx context.Context, room string, after uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSince, func() ([]hubbub.Entry, error) {
		from, ok := sqlstore.SinceArgs(after, limit)
		if !ok {
			return nil, nil
		}
		out, err := readEntries(ctx, s.reads.since, room, limit, false, room, from, limit)
		return out, unreadable(err)
	})
}

// Before returns the up to limit newest messages of room with Seq < before (any Seq if
// before is 0), oldest first, in their current state.
func (s *Store) Before(ctx context.Context, room string, before uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpBefore, func() ([]hubbub.Entry, error) {
		below, ok := sqlstore.BeforeArgs(before, limit)
		if !ok {
			return nil, nil
		}
		out, err := readEntries(ctx, s.reads.before, room, limit, true, room, below, limit)
		return out, unreadable(err)
	})
}

// Notices returns the newest limit topic, member and sanction entries of room with after <
// Seq ≤ upto, oldest first.
func (s *Store) Notices(ctx context.Context, room string, after, upto uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpNotices, func() ([]hubbub.Entry, error) {
		from, to, ok := sqlstore.NoticesArgs(after, upto, limit)
		if !ok {
			return nil, nil
		}
		out, err := readEntries(ctx, s.reads.notices, room, limit, true, room, from, to, limit)
		return out, unreadable(err)
	})
}

// Replies returns up to limit replies to message parent of room with Seq > after, oldest
// first, in their current state.
func (s *Store) Replies(ctx context.Context, room string, parent, after uint64, limit int) ([]hubbub.Entry, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpReplies, func() ([]hubbub.Entry, error) {
		p, from, ok := sqlstore.RepliesArgs(parent, after, limit)
		if !ok {
			return nil, nil
		}
		out, err := readEntries(ctx, s.reads.replies, room, limit, false, room, p, from, limit)
		return out, unreadable(err)
	})
}

// Revisions returns the texts message seq of room has had, oldest first; found is false if
// room has no message seq. A deleted message has none.
func (s *Store) Revisions(ctx context.Context, room string, seq uint64) ([]hubbub.Revision, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpRevisions, func() ([]hubbub.Revision, bool, error) {
		at, ok := sqlstore.SeqArg(seq)
		if !ok {
			return nil, false, nil
		}
		revs, found, err := s.revisions(ctx, room, at)
		return revs, found, unreadable(err)
	})
}

func (s *Store) revisions(ctx context.Context, room string, seq int64) (revs []hubbub.Revision, found bool, err error) {
	rows, err := s.reads.revisions.QueryContext(ctx, room, seq)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	deleted := false
	for rows.Next() {
		var at, ms int64
		var rev hubbub.Revision
		var gone bool
		if err := rows.Scan(&at, &rev.Text, &ms, &gone); err != nil {
			return nil, false, err
		}
		if at == 0 { // the message's own row comes first
			found, deleted = true, gone
		}
		if !found || deleted {
			continue // edits of a message retention removed, or of a tombstone
		}
		rev.Time = sqlstore.MsTime(ms)
		revs = append(revs, rev)
	}
	return revs, found, rows.Err()
}

// ReactedBy returns the reactions user (a user id) holds on the messages of room with
// from ≤ Seq ≤ to, by seq and emoji.
func (s *Store) ReactedBy(ctx context.Context, room, user string, from, to uint64) ([]hubbub.ReactionKey, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpReactedBy, func() ([]hubbub.ReactionKey, error) {
		lo, hi, ok := sqlstore.RangeArgs(from, to)
		if !ok {
			return nil, nil
		}
		rows, err := s.reads.reactedBy.QueryContext(ctx, room, user, lo, hi)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out, err := sqlstore.ReadRows(rows, func(rows *sql.Rows) (hubbub.ReactionKey, error) {
			var k hubbub.ReactionKey
			var seq int64
			err := rows.Scan(&seq, &k.Emoji)
			k.Seq = uint64(seq)
			return k, err
		})
		return out, unreadable(err)
	})
}

// Rooms returns up to limit rooms named after after, in byte order. See hubbub.Store.
func (s *Store) Rooms(ctx context.Context, after string, limit int) ([]hubbub.RoomInfo, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpRooms, func() ([]hubbub.RoomInfo, error) {
		limit, ok := sqlstore.RoomsLimit(limit)
		if !ok {
			return nil, nil
		}
		rows, err := s.reads.rooms.QueryContext(ctx, after, limit)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return sqlstore.ReadRows(rows, func(rows *sql.Rows) (hubbub.RoomInfo, error) {
			var ri hubbub.RoomInfo
			var seq int64
			var ms sql.NullInt64 // NULL once retention removed the last entry
			err := rows.Scan(&ri.Name, &seq, &ms)
			ri.LastSeq = uint64(seq)
			if ms.Valid {
				ri.LastActivity = sqlstore.MsTime(ms.Int64)
			}
			return ri, err
		})
	})
}
