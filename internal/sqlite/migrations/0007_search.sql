-- 0007_search: full-text search over messages' current text (issue 17).
--
-- The text is folded and split by internal/fulltext (in Go, so that every store matches
-- alike), through the SQL function hubbub_search_text that the store registers: its tokens,
-- joined by spaces, which FTS5's ascii tokenizer splits on exactly those spaces. Triggers on
-- messages keep the index in step in the transaction that appends, edits, deletes or prunes,
-- whatever statement did it. (A tool that writes messages without hubbub's SQL functions,
-- such as the sqlite3 shell, fails on them: "no such function: hubbub_search_text".)

-- Each room that has messages gets a number; a message's row in the index is
-- num * 2^36 + seq, so that a room's rows are one range of rowids in seq order, and a search
-- reads each room's matches newest first and stops at a page (FTS5 seeks a rowid range in
-- every term's list). Seqs from 2^36 on (68 billion entries in one room) are not indexed.
CREATE TABLE search_rooms (
	room TEXT    NOT NULL PRIMARY KEY,
	num  INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;

-- body is the folded text. Contentless: the text is in messages already; contentless_delete
-- lets an edit, a delete and retention remove a row. The prefix indexes make a short prefix
-- (a word as typed so far, "re") one list to read rather than the union of every word it begins.
CREATE VIRTUAL TABLE search_fts USING fts5(body, content = '', contentless_delete = 1,
	tokenize = 'ascii', prefix = '1 2 3');

CREATE TRIGGER search_insert AFTER INSERT ON messages WHEN NEW.seq < 68719476736 BEGIN
	INSERT INTO search_rooms (room, num)
		SELECT NEW.room, coalesce((SELECT max(num) FROM search_rooms), 0) + 1
		WHERE NOT EXISTS (SELECT 1 FROM search_rooms WHERE room = NEW.room);
	INSERT INTO search_fts (rowid, body)
		SELECT num * 68719476736 + NEW.seq, hubbub_search_text(NEW.text) FROM search_rooms WHERE room = NEW.room;
END;

-- An edit replaces the text; a delete empties it and marks the row deleted: no longer found.
CREATE TRIGGER search_update AFTER UPDATE OF text, deleted ON messages WHEN NEW.seq < 68719476736 BEGIN
	DELETE FROM search_fts WHERE rowid = (SELECT num * 68719476736 + OLD.seq FROM search_rooms WHERE room = OLD.room);
	INSERT INTO search_fts (rowid, body)
		SELECT num * 68719476736 + NEW.seq, hubbub_search_text(NEW.text) FROM search_rooms
		WHERE room = NEW.room AND NEW.deleted = 0;
END;

CREATE TRIGGER search_delete AFTER DELETE ON messages WHEN OLD.seq < 68719476736 BEGIN
	DELETE FROM search_fts WHERE rowid = (SELECT num * 68719476736 + OLD.seq FROM search_rooms WHERE room = OLD.room);
END;

-- The messages stored before this migration.
INSERT INTO search_rooms (room, num)
	SELECT room, row_number() OVER (ORDER BY room) FROM (SELECT DISTINCT room FROM messages);
INSERT INTO search_fts (rowid, body)
	SELECT r.num * 68719476736 + m.seq, hubbub_search_text(m.text)
	FROM messages m JOIN search_rooms r ON r.room = m.room
	WHERE m.deleted = 0 AND m.seq < 68719476736;
