-- 0019_room_case: room names are one room whatever their case (hubbub.RoomKey). A request that
-- names no room exactly means the room whose lowered name is the request's (ResolveRoom), found
-- by rooms_key. Rooms made before names folded may share a key ("general" and "General"): they
-- keep their names, logs and members, and stay reachable by their exact names, but only one of
-- each key answers to the other spellings: the one with the most entries (the room people used),
-- then the first in byte order. The others are marked twin and left out of rooms_key. Rooms
-- made from here on are never twins: the server resolves a name before it makes a room. Room
-- names are ASCII (hubbub.ValidateRoom), so lower() is the same in every collation.
ALTER TABLE rooms ADD COLUMN twin boolean NOT NULL DEFAULT false;
UPDATE rooms SET twin = true WHERE name IN (
	SELECT name FROM (SELECT name, row_number() OVER (PARTITION BY lower(name) ORDER BY last_seq DESC, name COLLATE "C") AS n
		FROM rooms WHERE created IS NOT NULL OR last_seq > 0) AS ranked
	WHERE n > 1);
CREATE INDEX rooms_key ON rooms (lower(name), (name COLLATE "C")) WHERE NOT twin;
