-- 0013_search_behind: the search index is written behind the appends (issue 17: the index
-- cost an append 1.4×): the append batch no longer writes a new message's row of
-- message_search; each node's indexer writes them a batch of rooms at a time, and a search
-- first indexes the waiting messages of the rooms it reads (internal/postgres searchindex.go).
--
-- search_rooms.indexed is how far each room is indexed: every message of seq up to it that
-- is not deleted has its row. It moves only in a transaction that holds the room's row
-- FOR UPDATE and writes the rows of the messages it passes; an edit, a delete or a prune of
-- the room's messages holds it FOR SHARE while it changes their rows, so that it and an
-- indexer never read each other's half. A room without a row here is indexed from seq 0.
--
-- Every message stored so far is indexed (or waits for backfillSearch, which indexes all of
-- them), so each room starts at its last seq.
CREATE TABLE search_rooms (
	room    text   NOT NULL PRIMARY KEY,
	indexed bigint NOT NULL
);
INSERT INTO search_rooms (room, indexed) SELECT name, last_seq FROM rooms;
