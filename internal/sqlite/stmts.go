package sqlite

import (
	"context"
	"database/sql"
	"errors"
)

// writeStmts are the writer's statements, prepared once on its connection.
type writeStmts struct {
	begin, commit, rollback  *sql.Stmt
	savepoint, release, undo *sql.Stmt

	// Numbering: a message also counts itself in rooms.msgs (its ord, for unread counts), a
	// change in rooms.other_seqs (for retention).
	messageSeq, entrySeq *sql.Stmt
	// A plain message's numbering (roomseqs.go): the room's row read once, then bumped
	// without reading it back; and whether another connection committed since.
	roomSeq, bumpSeq, dataVersion *sql.Stmt
	// A room's first entry (writer.startLog): the seq floor in force, and the room's row
	// moved on by it.
	seqFloor, raiseSeq *sql.Stmt
	// The room that holds a room name's key (keyHolderSQL), which a new room of another
	// spelling may not take.
	keyHolder *sql.Stmt
	// Inserting: a plain message (no client id, reply or mentions: the statement of the
	// store before the room log), any message (refused if a change holds its client id), a
	// change.
	plainMessage, message, entry *sql.Stmt
	// Resends: the message or the change holding a (room, user_id, client_id), and the
	// handover that followed a member change (an Auto entry at a seq).
	messageByClient, entryByClient, autoAt *sql.Stmt

	// The message a change or reply names, and what the change does to it.
	target, addReply, edit, tombstone, emptyEdits, deletedBy *sql.Stmt
	// Reactions: toggle off, on, list the first holders, store the summary.
	unreact, react, holders, setReactions *sql.Stmt
	// A message's rows in mentions: add one, remove one (the keys read from its row).
	addMention, removeMention *sql.Stmt
	// Files (files.go): attach one to a message, store a message's attachments, mark a
	// deleted message's files gone; a user's usage and a new file.
	attachFile, setAttachments, dropFiles, fileUsage, insertFile *sql.Stmt
	// The outbox (outbox.go): the webhooks' rooms and events (once per batch), whether
	// someone's level for a room is "all" (for a message no webhook follows), an event to post.
	hookRows, allLevel, insertOutbox *sql.Stmt

	// Rooms (room.go): a room's change of topic, a subject's membership and its change, the
	// member count (which gives a room without metadata its row), a room's existence.
	setTopic, membership, putMembership, dropMembership, countMembers, roomExists *sql.Stmt
	createRoom, ensureRoom, roomPrivate, setRead                                  *sql.Stmt
	// heirs reads who else owns a room, or would inherit it (room.go, heirsSQL); ownerless
	// whether a room keeps an owner (created with one, no DM) and has none (ownerlessSQL).
	heirs, ownerless *sql.Stmt

	// Users (user.go): the reads a write decides on, then the writes.
	userByID, userByGuest, userByExternal                           *sql.Stmt
	insertUser, renameUser, setUserRole, setDisabled, setPassword   *sql.Stmt
	insertGuestKey, deleteGuestKey, deleteGuestKeys, insertExternal *sql.Stmt
	seenAt, insertSession, deleteSession, deleteSessions            *sql.Stmt
	signOutSession, signOutUser                                     *sql.Stmt
	insertInvite, useInvite                                         *sql.Stmt

	// The search index (searchindex.go).
	search searchIndexStmts

	all []*sql.Stmt // for close
}

// messageColumns are what every read of a message row selects, in the order scanEntry reads
// them; entryColumns are the same for a row of entries, and a message's seq is its own
// entry's. Since merges the two, so they must match column for column.
const (
	messageColumns = `seq, id, client_id, sender, user_id, '' AS kind, text, created_ms, mentions, mention_room,
		reply_to, deleted, edited_ms, reply_count, reactions, 0 AS target, '' AS emoji, 0 AS added, 0 AS count, 0 AS moderator,
		'' AS subject, '' AS subject_name, '' AS action, '' AS role, attachments, bot, 0 AS auto, 0 AS until_ms`
	entryColumns = `seq, id, client_id, sender, user_id, kind, text, created_ms, mentions, mention_room,
		0, 0, 0, 0, '', target, emoji, added, count, moderator, subject, subject_name, action, role, '', 0, auto, until_ms`
)

// The writes of the room log whose plans matter (TestQueryPlans).
const (
	// One client id names one entry of any kind: messages_client_id refuses a message that
	// resends a message, and the NOT EXISTS one that resends a change (a probe of
	// entries_client_id, skipped for a message without an id).
	insertMessageSQL = `INSERT INTO messages (room, seq, id, client_id, sender, text, created_ms, reply_to, mentions, mention_room, user_id, ord, bot)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13
		WHERE ?4 = '' OR NOT EXISTS (SELECT 1 FROM entries WHERE room = ?1 AND user_id = ?11 AND client_id = ?4 AND client_id <> '')`
	// INDEXED BY: see repliesSQL.
	emptyEditsSQL = `UPDATE entries INDEXED BY entries_target SET text = '', mentions = '', mention_room = 0
		WHERE room = ? AND target = ? AND kind = 'edit'`
	deletedBySQL = `SELECT ` + entryColumns + ` FROM entries INDEXED BY entries_target
		WHERE room = ? AND target = ? AND kind = 'delete' ORDER BY seq LIMIT 1`
)

func prepareWrites(ctx context.Context, conn *sql.Conn) (writeStmts, error) {
	var w writeStmts
	var err error
	prep := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = conn.PrepareContext(ctx, query)
		if err == nil {
			w.all = append(w.all, st)
		}
		return st
	}
	// IMMEDIATE takes the write lock up front (waiting up to the busy timeout for another
	// process), so a batch cannot fail half-way with SQLITE_BUSY.
	w.begin = prep(`BEGIN IMMEDIATE`)
	w.commit = prep(`COMMIT`)
	w.rollback = prep(`ROLLBACK`)
	w.savepoint = prep(`SAVEPOINT one`)
	w.release = prep(`RELEASE one`)
	w.undo = prep(`ROLLBACK TO one`)

	w.search = searchIndexStmts{newRooms: prep(searchNewRoomsSQL), index: prep(searchIndexSQL), indexed: prep(searchIndexedSQL)}

	w.messageSeq = prep(`INSERT INTO rooms (name, last_seq, msgs) VALUES (?, 1, 1)
		ON CONFLICT (name) DO UPDATE SET last_seq = last_seq + 1, msgs = msgs + 1 RETURNING last_seq, msgs`)
	w.roomSeq = prep(`SELECT last_seq, msgs FROM rooms WHERE name = ?`)
	w.keyHolder = prep(keyHolderSQL)
	// The room's row is there: a plain message goes through appendPlain only to a room with
	// entries (startLog made the row with its first), so this is an update, not an upsert.
	w.bumpSeq = prep(`UPDATE rooms SET last_seq = last_seq + 1, msgs = msgs + 1 WHERE name = ?`)
	w.dataVersion = prep(`PRAGMA data_version`)
	w.seqFloor = prep(seqFloorSQL)
	w.raiseSeq = prep(`UPDATE rooms SET last_seq = last_seq + ?2, other_seqs = other_seqs + ?2 WHERE name = ?1`)
	w.entrySeq = prep(`INSERT INTO rooms (name, last_seq, other_seqs) VALUES (?, 1, 1)
		ON CONFLICT (name) DO UPDATE SET last_seq = last_seq + 1, other_seqs = other_seqs + 1 RETURNING last_seq`)
	w.plainMessage = prep(`INSERT INTO messages (room, seq, id, sender, text, created_ms, user_id, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	w.message = prep(insertMessageSQL)
	w.entry = prep(`INSERT INTO entries (room, seq, id, client_id, sender, kind, target, text, mentions, mention_room,
		emoji, added, count, moderator, created_ms, user_id, subject, subject_name, action, role, auto, until_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.messageByClient = prep(`SELECT ` + messageColumns + ` FROM messages
		WHERE room = ? AND user_id = ? AND client_id = ? AND client_id <> ''`)
	w.entryByClient = prep(`SELECT ` + entryColumns + ` FROM entries
		WHERE room = ? AND user_id = ? AND client_id = ? AND client_id <> ''`)
	w.autoAt = prep(`SELECT ` + entryColumns + ` FROM entries WHERE room = ? AND seq = ? AND auto = 1`)

	w.target = prep(`SELECT sender, user_id, deleted, reactions, mentions, mention_room FROM messages WHERE room = ? AND seq = ?`)
	// seq < the reply's own: a reply cannot answer itself, whatever seq it guessed.
	w.addReply = prep(`UPDATE messages SET reply_count = reply_count + 1 WHERE room = ? AND seq = ? AND seq < ?`)
	w.edit = prep(`UPDATE messages SET original = coalesce(original, text), text = ?, mentions = ?, mention_room = ?,
		edited_ms = ? WHERE room = ? AND seq = ?`)
	w.tombstone = prep(`UPDATE messages SET text = '', original = NULL, mentions = '', mention_room = 0, deleted = 1,
		attachments = '' WHERE room = ? AND seq = ? AND deleted = 0`)
	w.emptyEdits = prep(emptyEditsSQL)
	w.deletedBy = prep(deletedBySQL)

	w.unreact = prep(`DELETE FROM reactions WHERE room = ? AND seq = ? AND emoji = ? AND user_id = ? RETURNING name`)
	w.react = prep(`INSERT INTO reactions (room, seq, emoji, user_id, name, rseq) VALUES (?, ?, ?, ?, ?, ?)`)
	w.holders = prep(`SELECT name FROM reactions WHERE room = ? AND seq = ? AND emoji = ? ORDER BY rseq LIMIT ?`)
	w.setReactions = prep(`UPDATE messages SET reactions = ? WHERE room = ? AND seq = ?`)
	w.addMention = prep(`INSERT OR IGNORE INTO mentions (room, user_id, seq, sender) VALUES (?, ?, ?, ?)`)
	w.removeMention = prep(`DELETE FROM mentions WHERE room = ? AND user_id = ? AND seq = ?`)
	w.attachFile = prep(attachFileSQL)
	w.setAttachments = prep(`UPDATE messages SET attachments = ? WHERE room = ? AND seq = ?`)
	w.dropFiles = prep(dropFilesSQL)
	w.hookRows = prep(`SELECT rooms, events FROM webhooks ORDER BY id`)
	w.allLevel = prep(`SELECT EXISTS (SELECT 1 FROM notify_levels WHERE room = ? AND level = 'all')`)
	w.insertOutbox = prep(`INSERT INTO outbox (body) VALUES (?)`)
	w.fileUsage = prep(fileUsageSQL)
	w.insertFile = prep(`INSERT INTO files (id, user_id, name, type, size, width, height, thumb, bytes, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)

	w.setTopic = prep(`INSERT INTO room_meta (name, topic, created_ms) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET topic = excluded.topic`)
	w.membership = prep(`SELECT name, role, invited, since_ms FROM memberships WHERE room = ? AND user_id = ?`)
	w.putMembership = prep(`INSERT INTO memberships (room, user_id, name, role, invited, since_ms) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (room, user_id) DO UPDATE SET name = excluded.name, role = excluded.role, invited = excluded.invited,
			since_ms = excluded.since_ms`)
	w.dropMembership = prep(`DELETE FROM memberships WHERE room = ? AND user_id = ?`)
	w.heirs = prep(heirsSQL)
	w.ownerless = prep(ownerlessSQL)
	w.countMembers = prep(`INSERT INTO room_meta (name, created_ms, members) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET members = members + excluded.members`)
	w.roomExists = prep(`SELECT EXISTS (SELECT 1 FROM room_meta WHERE name = ?1)
		OR EXISTS (SELECT 1 FROM rooms WHERE name = ?1 AND last_seq > 0)`)
	w.createRoom = prep(`INSERT INTO room_meta (name, topic, private, dm, created_by, created_ms) VALUES (?, ?, ?, ?, ?, ?)`)
	w.ensureRoom = prep(`INSERT INTO rooms (name, last_seq) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`)
	w.roomPrivate = prep(`SELECT private OR dm FROM room_meta WHERE name = ?`)
	w.setRead = prep(`INSERT INTO read_positions (user_id, room, seq)
		VALUES (?1, ?2, min(?3, coalesce((SELECT last_seq FROM rooms WHERE name = ?2), 0)))
		ON CONFLICT (user_id, room) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq`)

	w.userByID = prep(userByIDSQL)
	w.userByGuest = prep(userByGuestSQL)
	w.userByExternal = prep(userByExternalSQL)
	w.insertUser = prep(`INSERT INTO users (id, name, name_key, kind, role, password_hash, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	w.renameUser = prep(`UPDATE users SET name = ?, name_key = ? WHERE id = ?`)
	w.setUserRole = prep(`UPDATE users SET role = ? WHERE id = ?`)
	w.setDisabled = prep(`UPDATE users SET disabled = ? WHERE id = ?`)
	w.setPassword = prep(`UPDATE users SET password_hash = ?, kind = ? WHERE id = ?`)
	w.insertGuestKey = prep(`INSERT INTO guest_keys (key_hash, user_id) VALUES (?, ?)`)
	w.deleteGuestKey = prep(`DELETE FROM guest_keys WHERE key_hash = ?`)
	w.deleteGuestKeys = prep(`DELETE FROM guest_keys WHERE user_id = ?`)
	w.insertExternal = prep(`INSERT INTO external_ids (issuer, subject, user_id) VALUES (?, ?, ?)`)
	w.seenAt = prep(`UPDATE users SET last_seen_ms = ?1 WHERE id = ?2 AND last_seen_ms < ?1`)
	w.insertSession = prep(`INSERT INTO login_sessions (id, user_id, created_ms, expires_ms) VALUES (?, ?, ?, ?)`)
	w.deleteSession = prep(`DELETE FROM login_sessions WHERE id = ?`)
	// A sign-out counts on the user (hubbub.User.SignOuts): nodes end the connections it opened.
	w.signOutSession = prep(`UPDATE users SET sign_outs = sign_outs + 1 WHERE id = (SELECT user_id FROM login_sessions WHERE id = ?)`)
	w.signOutUser = prep(`UPDATE users SET sign_outs = sign_outs + 1 WHERE id = ?`)
	w.deleteSessions = prep(`DELETE FROM login_sessions WHERE user_id = ? RETURNING expires_ms`)
	w.insertInvite = prep(`INSERT INTO invites (id, by_user, role, expires_ms) VALUES (?, ?, ?, ?)`)
	w.useInvite = prep(`DELETE FROM invites WHERE id = ? AND expires_ms > ? RETURNING role`)
	if err != nil {
		_ = w.close()
		return writeStmts{}, err
	}
	return w, nil
}

func (w writeStmts) close() error {
	var errs []error
	for _, st := range w.all {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
