-- 0003_room_log: a room's log holds edits, deletes and reactions beside its messages, and
-- each message row holds the message's current state.
--
-- messages stays the table of message rows, one per message, and keeps what Before and
-- Replies return in the row itself (text after edits, tombstone, mentions, reply count,
-- reactions summary), so that they read one range of an index and never fold the log. A
-- plain message inserts one row into it, as before: the new columns take their defaults,
-- which cost one header byte each and no payload. The other entries live in entries; Since
-- merges the two tables' ranges by seq. Both take their seqs from rooms.last_seq.

-- The message this one replies to (0: none).
ALTER TABLE messages ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;
-- The users the text mentions, as a JSON array of {"user","name"} ('' for none), and @room.
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN mention_room INTEGER NOT NULL DEFAULT 0;
-- When the message was last edited (Unix ms; 0: never), and its text before the first edit
-- (NULL if never edited, and once deleted). The texts after it are the edits' own, in
-- entries: together they are the message's revisions.
ALTER TABLE messages ADD COLUMN edited_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN original TEXT;
-- How many messages reply to this one.
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
-- The reactions summary, as a JSON array of {"emoji","count","names"} in the order each emoji
-- was first added ('' for none); the reactions table holds who holds what.
ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '';

-- A thread: the replies to one message, by seq. Partial, so a message that replies to
-- nothing (most of them) adds no index entry.
CREATE INDEX messages_replies ON messages (room, reply_to, seq) WHERE reply_to > 0;

-- How many messages the room holds now: Append adds one with each message, Prune takes away
-- what it removes. MaxPerRoom then finds its cut by skipping the oldest kept-MaxPerRoom
-- messages, the ones it deletes, instead of counting the room. Seqs no longer count messages,
-- since other entries take seqs too.
ALTER TABLE rooms ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET kept = (SELECT count(*) FROM messages m WHERE m.room = rooms.name);

-- The entries that change a message (kind 'edit', 'delete' or 'reaction'), clustered by
-- (room, seq) like messages so that Since reads one range of each table.
CREATE TABLE entries (
	room         TEXT    NOT NULL,
	seq          INTEGER NOT NULL,
	id           TEXT    NOT NULL,
	client_id    TEXT    NOT NULL DEFAULT '',
	sender       TEXT    NOT NULL,
	kind         TEXT    NOT NULL,
	target       INTEGER NOT NULL, -- the seq of the message changed
	text         TEXT    NOT NULL DEFAULT '', -- an edit's new text; emptied when the message is deleted
	mentions     TEXT    NOT NULL DEFAULT '', -- an edit's mentions, as messages.mentions
	mention_room INTEGER NOT NULL DEFAULT 0,
	emoji        TEXT    NOT NULL DEFAULT '', -- a reaction's
	added        INTEGER NOT NULL DEFAULT 0, -- a reaction's outcome: added (1) or removed (0)
	count        INTEGER NOT NULL DEFAULT 0, -- how many held the reaction after it
	moderator    INTEGER NOT NULL DEFAULT 0, -- a delete's: made as a moderator
	created_ms   INTEGER NOT NULL,
	PRIMARY KEY (room, seq)
) WITHOUT ROWID;

-- The changes of one message: its edits (revisions), the delete that made a tombstone, and
-- what retention removes with the message.
CREATE INDEX entries_target ON entries (room, target, seq);

-- The idempotency key of changes, as messages_client_id is of messages: Append looks in both,
-- so that one (room, sender, client_id) names one entry whatever its kind.
CREATE UNIQUE INDEX entries_client_id ON entries (room, sender, client_id) WHERE client_id <> '';

-- Who holds which reaction on which message. rseq is the seq of the reaction entry that added
-- it, so that a summary lists names in the order people reacted.
CREATE TABLE reactions (
	room   TEXT    NOT NULL,
	seq    INTEGER NOT NULL,
	emoji  TEXT    NOT NULL,
	sender TEXT    NOT NULL,
	rseq   INTEGER NOT NULL,
	PRIMARY KEY (room, seq, emoji, sender)
) WITHOUT ROWID;

-- ReactedBy: one reader's reactions on a page of messages.
CREATE INDEX reactions_sender ON reactions (room, sender, seq);
