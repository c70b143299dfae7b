-- 0013_search_batch: the search index written once per batch of appends (issue 17).
--
-- The trigger of 0007 indexed each message as it was inserted, in the append's savepoint,
-- and FTS5 writes its pending rows to disk at every savepoint and whenever a rowid is not
-- above the last one (a batch appends to many rooms, whose rows are far apart): each message
-- became a segment of its own, merged again and again. Now the writer indexes a batch's
-- messages after its appends, in one statement sorted by rowid, in the batch's transaction
-- (searchindex.go): one segment per batch, and the index still commits with the messages.
--
-- search_rooms.indexed is the last seq of the room's messages that the index holds: the
-- writer indexes the room's messages after it and moves it on. An edit, a delete or a prune
-- changes the index only for a message at or before it; one after it (appended in the same
-- batch) is indexed with its text as it is when the batch ends.
ALTER TABLE search_rooms ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;

-- 0007's triggers indexed every message so far.
UPDATE search_rooms SET indexed = coalesce((SELECT max(seq) FROM messages
	WHERE messages.room = search_rooms.room AND messages.seq < 68719476736), 0);

DROP TRIGGER search_insert;
DROP TRIGGER search_update;
DROP TRIGGER search_delete;

CREATE TRIGGER search_update AFTER UPDATE OF text, deleted ON messages
	WHEN NEW.seq <= (SELECT indexed FROM search_rooms WHERE room = NEW.room) BEGIN
	DELETE FROM search_fts WHERE rowid = (SELECT num * 68719476736 + OLD.seq FROM search_rooms WHERE room = OLD.room);
	INSERT INTO search_fts (rowid, body)
		SELECT num * 68719476736 + NEW.seq, hubbub_search_text(NEW.text) FROM search_rooms
		WHERE room = NEW.room AND NEW.deleted = 0;
END;

CREATE TRIGGER search_delete AFTER DELETE ON messages
	WHEN OLD.seq <= (SELECT indexed FROM search_rooms WHERE room = OLD.room) BEGIN
	DELETE FROM search_fts WHERE rowid = (SELECT num * 68719476736 + OLD.seq FROM search_rooms WHERE room = OLD.room);
END;
