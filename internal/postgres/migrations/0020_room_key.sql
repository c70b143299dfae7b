-- 0020_room_key: a room name's key (hubbub.RoomKey, the lowered name) holds one room. 0019 let
-- the server check before it made a room, and two first uses of one new name in two spellings
-- at the same instant (on two nodes, say) could still make two; from here on a second room of a
-- key is refused by a unique index, and the store answers room_case, naming the room that holds
-- the key (roomkey.go).
--
-- The key is room_key, a column PostgreSQL computes: the lowered name of a row that is a room
-- (it has an entry or metadata: what RoomMeta finds) and no twin, else NULL, which a unique
-- index lets many rows have. So twins, the rooms that shared a key before 0019, keep their
-- names, logs and members as 0019 left them; a row that is no room yet (lockRoom's, for a room
-- with neither an entry nor metadata) holds no key; and the check happens when a row becomes a
-- room, by the update that gives it its first entry or its metadata. A column, not a partial
-- index on the lowered name whose condition reads last_seq: an update of a column an index
-- reads cannot be a heap-only tuple update, and every batch raises its rooms' last_seq, whereas
-- room_key keeps its value then (it is computed again, to the same).
--
-- Rooms that came to share a key after 0019, by that race, keep their names and logs too: the
-- one other spellings already went to (the first in byte order, as ResolveRoom chose) keeps the
-- key, and the others become twins, reached by their exact names.
UPDATE rooms r SET twin = true WHERE NOT r.twin AND (r.created IS NOT NULL OR r.last_seq > 0) AND EXISTS (
	SELECT 1 FROM rooms o WHERE NOT o.twin AND (o.created IS NOT NULL OR o.last_seq > 0)
		AND lower(o.name) = lower(r.name) AND (o.name COLLATE "C") < (r.name COLLATE "C"));
DROP INDEX rooms_key;
ALTER TABLE rooms ADD COLUMN room_key text GENERATED ALWAYS AS (
	CASE WHEN NOT twin AND (created IS NOT NULL OR last_seq > 0) THEN lower(name) END) STORED;
CREATE UNIQUE INDEX rooms_key ON rooms (room_key);
