-- 0016_search_one_btree: message_search keeps one B-tree, its primary key, now (room,
-- created_at, seq) — it had two, the primary key (room, seq) and message_search_time (room,
-- created_at, seq), and every row's second entry cost the indexer about 4 µs of PostgreSQL's
-- CPU a message (issue 17: what the index costs an append). A message's time never changes
-- (an edit rewrites its doc only), so (room, created_at, seq) is unique exactly when (room,
-- seq) is, and the writers that name a row by room and seq give its time too (ON CONFLICT,
-- the deletes of edits and deletes); a prune's "seq below the cut" reads the room's range of
-- the key. The searches read each room's rows newest first through it as they read
-- message_search_time.
--
-- Built before the old ones go, so that the table is never without a unique key; on a
-- million rows this takes a few seconds, holding off the indexers meanwhile.
CREATE UNIQUE INDEX message_search_key ON message_search (room, created_at, seq);
ALTER TABLE message_search DROP CONSTRAINT message_search_pkey;
DROP INDEX message_search_time;
ALTER TABLE message_search ADD CONSTRAINT message_search_pkey PRIMARY KEY USING INDEX message_search_key;
