-- 0007_search: full-text search over messages' current text (issue 17).
--
-- The text is folded and split by internal/fulltext (in Go, so that every store matches
-- alike), through the SQL function hubbub_search_text that the store registers: its tokens,
-- joined by spaces, which FTS5's ascii tokenizer splits on exactly those spaces. Triggers on
-- messages keep the index in step in the transaction that appends, edits, deletes or prunes,
-- whatever statement did it. (A tool that writes messages without hubbub's SQL functions,
-- such as the sqlite3 shell, fails on them: "no such function: hubbub_search_text".)

-- search_docs numbers the messages for FTS5, whose rows need an integer rowid (messages is
-- WITHOUT ROWID): one row per message ever indexed, by (room, seq) and by id.
CREATE TABLE search_docs (
	id   INTEGER PRIMARY KEY,
	room TEXT    NOT NULL,
	seq  INTEGER NOT NULL
);
CREATE UNIQUE INDEX search_docs_message ON search_docs (room, seq);

-- body is the folded text; scope one token naming the room (fulltext.RoomToken), so that a
-- search of a few rooms intersects the word's rows with the rooms' in the index instead of
-- reading every room's. Contentless: the text is in messages already; contentless_delete lets
-- an edit, a delete and retention remove a row.
CREATE VIRTUAL TABLE search_fts USING fts5(body, scope, content = '', contentless_delete = 1, tokenize = 'ascii');

CREATE TRIGGER search_insert AFTER INSERT ON messages BEGIN
	INSERT INTO search_docs (room, seq) VALUES (NEW.room, NEW.seq);
	INSERT INTO search_fts (rowid, body, scope)
		VALUES (last_insert_rowid(), hubbub_search_text(NEW.text), hubbub_search_room(NEW.room));
END;

-- An edit replaces the text; a delete empties it and marks the row deleted: no longer found.
CREATE TRIGGER search_update AFTER UPDATE OF text, deleted ON messages BEGIN
	DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE room = OLD.room AND seq = OLD.seq);
	INSERT INTO search_fts (rowid, body, scope)
		SELECT id, hubbub_search_text(NEW.text), hubbub_search_room(NEW.room)
		FROM search_docs WHERE room = NEW.room AND seq = NEW.seq AND NEW.deleted = 0;
END;

CREATE TRIGGER search_delete AFTER DELETE ON messages BEGIN
	DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE room = OLD.room AND seq = OLD.seq);
	DELETE FROM search_docs WHERE room = OLD.room AND seq = OLD.seq;
END;

-- The messages stored before this migration.
INSERT INTO search_docs (room, seq) SELECT room, seq FROM messages ORDER BY room, seq;
INSERT INTO search_fts (rowid, body, scope)
	SELECT d.id, hubbub_search_text(m.text), hubbub_search_room(m.room)
	FROM search_docs d JOIN messages m ON m.room = d.room AND m.seq = d.seq
	WHERE m.deleted = 0;
