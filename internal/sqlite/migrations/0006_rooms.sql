-- 0006_rooms: the user id beside the name on everything a user does; rooms' metadata,
-- memberships, read positions, and what a user's room list counts from.

-- The actor's user id on every entry. Rows stored before users existed get their name as
-- their user id, so idempotency keys, authorship and reactions keep working for them (an old
-- guest's messages are then not editable by the user that guest becomes: a name is not a key).
ALTER TABLE messages ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE messages SET user_id = sender;
ALTER TABLE entries ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE entries SET user_id = sender;

-- Idempotency is per user: one (room, user, client_id) names one entry of any kind, so two
-- users who both send "c-1" are both stored.
DROP INDEX messages_client_id;
CREATE UNIQUE INDEX messages_client_id ON messages (room, user_id, client_id) WHERE client_id <> '';
DROP INDEX entries_client_id;
CREATE UNIQUE INDEX entries_client_id ON entries (room, user_id, client_id) WHERE client_id <> '';

-- A KindMember entry's subject (a user id), their name then, the action and the role after
-- it; a KindTopic entry's topic is its text.
ALTER TABLE entries ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN subject_name TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN action TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN role TEXT NOT NULL DEFAULT '';

-- Reactions are held by users; name is the holder's name when they reacted, which summaries
-- show. The table is rebuilt: its primary key changes.
CREATE TABLE reactions_by_user (
	room    TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	emoji   TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	name    TEXT    NOT NULL,
	rseq    INTEGER NOT NULL,
	PRIMARY KEY (room, seq, emoji, user_id)
) WITHOUT ROWID;
INSERT INTO reactions_by_user (room, seq, emoji, user_id, name, rseq)
	SELECT room, seq, emoji, sender, sender, rseq FROM reactions;
DROP TABLE reactions;
ALTER TABLE reactions_by_user RENAME TO reactions;
-- ReactedBy: one reader's reactions on a page of messages.
CREATE INDEX reactions_user ON reactions (room, user_id, seq);

-- Sanctions are of users, so a ban follows its user across a change of name; name is the
-- name they had, for display.
CREATE TABLE sanctions_by_user (
	room     TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	kind     TEXT    NOT NULL,
	name     TEXT    NOT NULL DEFAULT '',
	until_ms INTEGER NOT NULL,
	by_name  TEXT    NOT NULL DEFAULT '',
	reason   TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (room, user_id, kind)
) WITHOUT ROWID;
INSERT INTO sanctions_by_user (room, user_id, kind, name, until_ms, by_name, reason)
	SELECT room, name, kind, name, until_ms, by_name, reason FROM sanctions;
DROP TABLE sanctions;
ALTER TABLE sanctions_by_user RENAME TO sanctions;

-- What a room is. A room with entries and no row here (made by a join before rooms had
-- metadata) reads as public with no topic; every room with a row here has a row in rooms too
-- (last_seq 0 until its first entry), so that rooms lists them all. members counts the
-- members, not the invitees, as memberships change (the directory shows it for every room
-- of a page without counting).
CREATE TABLE room_meta (
	name       TEXT    NOT NULL PRIMARY KEY,
	topic      TEXT    NOT NULL DEFAULT '',
	private    INTEGER NOT NULL DEFAULT 0,
	dm         INTEGER NOT NULL DEFAULT 0,
	created_by TEXT    NOT NULL DEFAULT '',
	created_ms INTEGER NOT NULL DEFAULT 0,
	members    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Who is in which room (or invited to it), with their room role: by room for a room's
-- members, by user (memberships_user) for a user's room list. name is the name the change
-- gave, shown only for a user id no stored user has (the stored user's name is current).
CREATE TABLE memberships (
	room     TEXT    NOT NULL,
	user_id  TEXT    NOT NULL,
	name     TEXT    NOT NULL DEFAULT '',
	role     TEXT    NOT NULL,
	invited  INTEGER NOT NULL DEFAULT 0,
	since_ms INTEGER NOT NULL,
	PRIMARY KEY (room, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id, room);

-- A user's read position in a room (monotonic).
CREATE TABLE read_positions (
	user_id TEXT    NOT NULL,
	room    TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (user_id, room)
) WITHOUT ROWID;

-- What a room list counts unread messages from, without reading them. rooms.msgs counts the
-- messages ever appended to a room and messages.ord is that count when the message was
-- appended, so that the messages after a read position are msgs minus the ord of the last
-- message at or before it (one probe of the primary key); retention removes a prefix, so the
-- ords of the messages a room holds run on without gaps. From that count go the tombstones
-- after the position (messages_deleted: deletes are rare) and the reader's own messages after
-- it (messages_user: one's own messages after one's read position are few). The messages
-- held now are numbered 1, 2, … in each room.
ALTER TABLE rooms ADD COLUMN msgs INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET msgs = last_seq - other_seqs;
ALTER TABLE messages ADD COLUMN ord INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET ord = n.ord FROM (SELECT room, seq, row_number() OVER (PARTITION BY room ORDER BY seq) AS ord FROM messages) n
	WHERE messages.room = n.room AND messages.seq = n.seq;
CREATE INDEX messages_deleted ON messages (room, seq) WHERE deleted = 1;
CREATE INDEX messages_user ON messages (room, user_id, seq) WHERE deleted = 0;

-- The messages that mention each user (user_id '' for @room), with their sender, so that a
-- room list counts a user's mentions after their read position in one short index range per
-- room instead of reading the room's messages. A message's rows follow its mentions: an
-- edit replaces them, a delete and retention remove them.
CREATE TABLE mentions (
	room    TEXT    NOT NULL,
	user_id TEXT    NOT NULL,
	seq     INTEGER NOT NULL,
	sender  TEXT    NOT NULL,
	PRIMARY KEY (room, user_id, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO mentions (room, user_id, seq, sender)
	SELECT m.room, json_extract(j.value, '$.user'), m.seq, m.user_id
	FROM messages m, json_each(CASE WHEN json_valid(m.mentions) THEN m.mentions ELSE '[]' END) j
	WHERE m.mentions <> '' AND m.deleted = 0 AND json_extract(j.value, '$.user') <> '';
INSERT OR IGNORE INTO mentions (room, user_id, seq, sender)
	SELECT room, '', seq, user_id FROM messages WHERE mention_room = 1 AND deleted = 0;
