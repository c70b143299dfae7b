-- 0001_init: rooms own the numbering, messages hold the history.

-- rooms.last_seq is the highest seq ever assigned in the room. Every append locks its room's
-- row first and raises last_seq in the transaction that inserts the message, so appenders
-- of one room (on any node) take turns and seqs are gap-free; different rooms never
-- contend. Retention deletes messages but never touches last_seq, so seqs are never reused.
CREATE TABLE rooms (
	name     text   NOT NULL PRIMARY KEY,
	last_seq bigint NOT NULL
);

-- The primary key (room, seq) serves Since and Before as one index range scan.
CREATE TABLE messages (
	room       text        NOT NULL,
	seq        bigint      NOT NULL,
	id         text        NOT NULL,
	client_id  text        NOT NULL DEFAULT '',
	sender     text        NOT NULL,
	text       text        NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (room, seq)
);

-- The idempotency key: one message per (room, sender, client_id). Empty keys never dedup.
CREATE UNIQUE INDEX messages_client_id ON messages (room, sender, client_id) WHERE client_id <> '';
