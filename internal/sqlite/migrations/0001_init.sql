-- 0001_init: rooms own the numbering, messages hold the history.

-- rooms.last_seq is the highest Seq ever assigned in the room. Append bumps it in the same
-- transaction that inserts the message, so seqs are gap-free, and it survives when retention
-- deletes the messages, so seqs are never reused.
CREATE TABLE rooms (
	name     TEXT    NOT NULL PRIMARY KEY,
	last_seq INTEGER NOT NULL
) WITHOUT ROWID;

-- WITHOUT ROWID clusters a room's messages by seq: Since and Before read one contiguous
-- range of the primary key, and an insert touches one b-tree instead of two. Chat rows are
-- small, which is the case WITHOUT ROWID is made for.
CREATE TABLE messages (
	room       TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	id         TEXT    NOT NULL,
	client_id  TEXT    NOT NULL DEFAULT '',
	sender     TEXT    NOT NULL,
	text       TEXT    NOT NULL,
	created_ms INTEGER NOT NULL,
	PRIMARY KEY (room, seq)
) WITHOUT ROWID;

-- The idempotency key: one message per (room, sender, client_id). Empty keys never dedup.
CREATE UNIQUE INDEX messages_client_id ON messages (room, sender, client_id) WHERE client_id <> '';
