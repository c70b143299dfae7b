-- 0014_generations: a count per kind of what nodes cache of the store (hubbub.Generations),
-- moved by triggers in the transaction of every change, so that every writer moves it: the
-- server, another node, and `hubbub user add` writing this file directly. A node re-reads the
-- three counts every --store-cache-poll and drops a cache whose count moved
-- (internal/storecache).
CREATE TABLE generations (
	kind TEXT    NOT NULL PRIMARY KEY,
	gen  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO generations (kind, gen) VALUES ('users', 0), ('commands', 0), ('rooms', 0);

-- users: a user created or deleted, or their name, kind, role or disabled flag changed; not
-- last_seen_ms (every disconnect writes it) nor the password.
CREATE TRIGGER generation_users_insert AFTER INSERT ON users BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'users';
END;
CREATE TRIGGER generation_users_update AFTER UPDATE OF name, name_key, kind, role, disabled ON users
	WHEN OLD.name IS NOT NEW.name OR OLD.name_key IS NOT NEW.name_key OR OLD.kind IS NOT NEW.kind
		OR OLD.role IS NOT NEW.role OR OLD.disabled IS NOT NEW.disabled BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'users';
END;
CREATE TRIGGER generation_users_delete AFTER DELETE ON users BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'users';
END;

-- commands: any change.
CREATE TRIGGER generation_commands_insert AFTER INSERT ON commands BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'commands';
END;
CREATE TRIGGER generation_commands_update AFTER UPDATE ON commands BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'commands';
END;
CREATE TRIGGER generation_commands_delete AFTER DELETE ON commands BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'commands';
END;

-- rooms: who may enter a room changed — it became private or a DM (created so, or changed),
-- or such a room's metadata went. A public room's creation, its topic and member count do
-- not move it: a room without metadata already reads as public.
CREATE TRIGGER generation_rooms_insert AFTER INSERT ON room_meta WHEN NEW.private <> 0 OR NEW.dm <> 0 BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'rooms';
END;
CREATE TRIGGER generation_rooms_update AFTER UPDATE OF private, dm ON room_meta
	WHEN OLD.private IS NOT NEW.private OR OLD.dm IS NOT NEW.dm BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'rooms';
END;
CREATE TRIGGER generation_rooms_delete AFTER DELETE ON room_meta WHEN OLD.private <> 0 OR OLD.dm <> 0 BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'rooms';
END;
