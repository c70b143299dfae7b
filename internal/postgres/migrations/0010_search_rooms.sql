-- 0010_search_rooms: every lexeme of message_search.doc begins with its room's key
-- (fulltext.RoomKey), so that the GIN index holds one entry per room and word: a search
-- reads only its rooms' entries, and a prefix expands only into their words, instead of
-- every row of a common word in every room (issue 17's p99 over 20 rooms).
--
-- The old vectors do not match the new queries: they are emptied here, and the first Open
-- after this migration indexes the messages again, in Go (backfillSearch), as after 0006.
TRUNCATE message_search;
UPDATE search_backfill SET done = NOT EXISTS (SELECT 1 FROM messages);
