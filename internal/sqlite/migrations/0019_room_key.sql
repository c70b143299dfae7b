-- 0019_room_key: a room name's key (hubbub.RoomKey, the lowered name) holds one room. 0018 let
-- the server check before it made a room, and two first uses of one new name in two spellings
-- at the same instant could still make two; from here on rooms_key is unique, and a row of
-- another spelling is refused (the store answers room_case, naming the room that holds the
-- key). Twins, the rooms that shared a key before 0018, keep their names, logs and members,
-- as 0018 left them: the index leaves them out.
--
-- Before the index can be unique:
--   * A row with neither an entry nor metadata is no room (RoomMeta finds none): an older
--     version's leftover, holding nothing (no seq was taken, no member joined: a join gives
--     the room metadata). It would hold its key against the room a later first use makes, so
--     it goes.
--   * Rooms that came to share a key after 0018, by that race, keep their names and logs too:
--     the one other spellings already went to (the first in byte order, as ResolveRoom chose)
--     keeps the key, and the others become twins, reached by their exact names.
DELETE FROM rooms WHERE last_seq = 0 AND twin = 0 AND NOT EXISTS (SELECT 1 FROM room_meta m WHERE m.name = rooms.name);
UPDATE rooms SET twin = 1 WHERE twin = 0 AND EXISTS (
	SELECT 1 FROM rooms o WHERE o.twin = 0 AND lower(o.name) = lower(rooms.name) AND o.name < rooms.name);
DROP INDEX rooms_key;
CREATE UNIQUE INDEX rooms_key ON rooms (lower(name)) WHERE twin = 0;
