-- 0006_search: full-text search over messages' current text (issue 17).
--
-- doc is the message's text as internal/fulltext folds and splits it (in Go, so that every
-- store matches alike), written as a tsvector literal with each token's positions, so that no
-- PostgreSQL parser, dictionary or locale changes what a word is; the 'simple' behaviour
-- without its parser. It also holds one lexeme naming the room (fulltext.RoomLexeme), so that
-- a search of a few rooms intersects the words' rows with the rooms' in the GIN index.
-- The append batch writes it in the transaction that stores, edits or deletes the message;
-- retention deletes it with the message.
--
-- created_at and user_id are the message's, so that a search newest first reads each room's
-- rows newest first (message_search_time) and stops at a page: for a word in many messages
-- that beats reading every row the GIN index gives for it, which the planner weighs against
-- the GIN index for a rare one.
CREATE TABLE message_search (
	room       text        NOT NULL,
	seq        bigint      NOT NULL,
	created_at timestamptz NOT NULL,
	user_id    text        COLLATE "C" NOT NULL,
	doc        tsvector    NOT NULL,
	PRIMARY KEY (room, seq)
);
CREATE INDEX message_search_doc ON message_search USING gin (doc);
CREATE INDEX message_search_time ON message_search (room, created_at, seq);

-- The messages stored before this migration are indexed by the first Open after it, in Go
-- (backfillSearch), which then sets done.
CREATE TABLE search_backfill (done boolean NOT NULL);
INSERT INTO search_backfill (done) SELECT NOT EXISTS (SELECT 1 FROM messages);
