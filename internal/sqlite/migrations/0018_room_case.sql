-- 0018_room_case: room names are one room whatever their case (hubbub.RoomKey). A request that
-- names no room exactly means the room whose lowered name is the request's (ResolveRoom), found
-- by rooms_key. Rooms made before names folded may share a key ("general" and "General"): they
-- keep their names, logs and members, and stay reachable by their exact names, but only one of
-- each key answers to the other spellings: the one with the most entries (the room people used),
-- then the first in byte order. The others are marked twin and left out of rooms_key. Rooms
-- made from here on are never twins: the server resolves a name before it makes a room.
ALTER TABLE rooms ADD COLUMN twin INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET twin = 1 WHERE name IN (
	SELECT name FROM (SELECT r.name, row_number() OVER (PARTITION BY lower(r.name) ORDER BY r.last_seq DESC, r.name) AS n
		FROM rooms r WHERE r.last_seq > 0 OR EXISTS (SELECT 1 FROM room_meta m WHERE m.name = r.name))
	WHERE n > 1);
CREATE INDEX rooms_key ON rooms (lower(name), name) WHERE twin = 0;
