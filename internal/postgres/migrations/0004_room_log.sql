-- 0004_room_log: a room's log holds messages and the entries that change them (edits,
-- deletes, reactions), numbered together from rooms.last_seq. messages stays the table of
-- messages, each row in its current state, so that Before and Replies read one index range;
-- entries holds the other kinds; reactions and revisions are the state behind them.
--
-- Every column added to messages has a constant default (or none), so this migration does
-- not rewrite the table: it runs at once on a database of any size.

-- The message's state beyond its text: what it replies to and how many reply to it, whom it
-- mentions (a JSON array of {user, name}, NULL for none), when it was last edited (NULL:
-- never), and its reactions (a JSON array of {emoji, count, names} in the order each emoji
-- was first added, names the first few holders; NULL: none). message_no is the message's
-- place among the room's messages (1, 2, …; seqs count entries of every kind), which
-- MaxPerRoom retention counts by; NULL on the rows older than this migration, whose seq is
-- their message_no (no other entries existed).
ALTER TABLE messages
	ADD COLUMN reply_to     bigint  NOT NULL DEFAULT 0,
	ADD COLUMN reply_count  integer NOT NULL DEFAULT 0,
	ADD COLUMN mentions     jsonb,
	ADD COLUMN mention_room boolean NOT NULL DEFAULT false,
	ADD COLUMN edited_at    timestamptz,
	ADD COLUMN reactions    jsonb,
	ADD COLUMN message_no   bigint;

-- rooms.last_message_no is the highest message_no assigned in the room.
ALTER TABLE rooms ADD COLUMN last_message_no bigint NOT NULL DEFAULT 0;
UPDATE rooms SET last_message_no = last_seq;

-- Replies is one range of this index: a thread, oldest first. Partial, so that a message that
-- replies to nothing (most) costs no index entry.
CREATE INDEX messages_replies ON messages (room, reply_to, seq) WHERE reply_to > 0;

-- The entries that are not messages: kind is 'edit', 'delete' or 'reaction', target the seq
-- of the message it changes. text and mentions are an edit's (emptied when its message is
-- deleted); moderator a delete's; emoji, added and count a reaction's.
CREATE TABLE entries (
	room         text        NOT NULL,
	seq          bigint      NOT NULL,
	id           text        NOT NULL,
	client_id    text        NOT NULL DEFAULT '',
	sender       text        NOT NULL,
	kind         text        NOT NULL,
	target       bigint      NOT NULL,
	text         text        NOT NULL DEFAULT '',
	mentions     jsonb,
	mention_room boolean     NOT NULL DEFAULT false,
	moderator    boolean     NOT NULL DEFAULT false,
	emoji        text        NOT NULL DEFAULT '',
	added        boolean     NOT NULL DEFAULT false,
	count        integer     NOT NULL DEFAULT 0,
	created_at   timestamptz NOT NULL,
	PRIMARY KEY (room, seq)
);
-- The idempotency key of every kind is (room, sender, client_id), across both tables: the
-- room lock makes the lookup of both exact; each table's unique index backs up its own.
CREATE UNIQUE INDEX entries_client_id ON entries (room, sender, client_id) WHERE client_id <> '';
-- The entries that change one message: a delete's edits to empty, a tombstone's delete to
-- find, and retention's removal of the entries of removed messages.
CREATE INDEX entries_target ON entries (room, target);

-- Who holds which reaction: one row per (message, emoji, user). added_seq is the seq of the
-- reaction entry that added it, which orders a message's names.
CREATE TABLE reactions (
	room      text   NOT NULL,
	seq       bigint NOT NULL,
	emoji     text   NOT NULL,
	sender    text   NOT NULL,
	added_seq bigint NOT NULL,
	PRIMARY KEY (room, seq, emoji, sender)
);
-- ReactedBy: one user's reactions on a range of messages.
CREATE INDEX reactions_by_sender ON reactions (room, sender, seq);

-- The texts a message had before its edits: replaced_by is the seq of the edit that replaced
-- the text, at when the text was posted (the message's time, or the edit's before it).
CREATE TABLE revisions (
	room        text        NOT NULL,
	seq         bigint      NOT NULL,
	replaced_by bigint      NOT NULL,
	text        text        NOT NULL,
	at          timestamptz NOT NULL,
	PRIMARY KEY (room, seq, replaced_by)
);
