-- 0003_rooms_by_name: Rooms (GET /api/rooms) pages through the rooms in byte order of names.

-- The primary key sorts names by the database's collation, which need not be byte order
-- (en_US puts "b" before "C" and mostly ignores '-', '_' and '.'), and SQLite's order is
-- bytes. Rooms compares names COLLATE "C"; this index serves that order, so a page is one
-- range scan of it whatever the database's collation.
CREATE INDEX rooms_name_bytes ON rooms (name COLLATE "C");
