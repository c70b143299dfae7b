-- 0014_generations: a count per kind of what nodes cache of the store (hubbub.Generations),
-- moved by triggers in the transaction of every change, so that every writer moves it: every
-- node and `hubbub user add`. A node re-reads the three counts every --store-cache-poll and
-- drops a cache whose count moved (internal/storecache).
CREATE TABLE generations (
	kind text   NOT NULL PRIMARY KEY,
	gen  bigint NOT NULL DEFAULT 0
);
INSERT INTO generations (kind, gen) VALUES ('users', 0), ('commands', 0), ('rooms', 0);

-- One function for every trigger: the kind is the trigger's argument.
CREATE FUNCTION bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = TG_ARGV[0];
	RETURN NULL;
END;
$$;

-- users: a user created or deleted, or their name, kind, role or disabled flag changed; not
-- last_seen (every disconnect writes it) nor the password.
CREATE TRIGGER generation_users_insert AFTER INSERT OR DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION bump_generation('users');
CREATE TRIGGER generation_users_update AFTER UPDATE OF name, name_key, kind, role, disabled ON users
	FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.name_key IS DISTINCT FROM NEW.name_key
		OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.role IS DISTINCT FROM NEW.role
		OR OLD.disabled IS DISTINCT FROM NEW.disabled)
	EXECUTE FUNCTION bump_generation('users');

-- commands: any change.
CREATE TRIGGER generation_commands AFTER INSERT OR UPDATE OR DELETE ON commands
	FOR EACH ROW EXECUTE FUNCTION bump_generation('commands');

-- rooms: who may enter a room changed — it became private or a DM (created so, or changed),
-- or such a room went. The rooms row is written by every append (its last seq): the WHEN
-- conditions keep those from moving the count.
CREATE TRIGGER generation_rooms_insert AFTER INSERT ON rooms
	FOR EACH ROW WHEN (NEW.private OR NEW.dm) EXECUTE FUNCTION bump_generation('rooms');
CREATE TRIGGER generation_rooms_update AFTER UPDATE OF private, dm ON rooms
	FOR EACH ROW WHEN (OLD.private IS DISTINCT FROM NEW.private OR OLD.dm IS DISTINCT FROM NEW.dm)
	EXECUTE FUNCTION bump_generation('rooms');
CREATE TRIGGER generation_rooms_delete AFTER DELETE ON rooms
	FOR EACH ROW WHEN (OLD.private OR OLD.dm) EXECUTE FUNCTION bump_generation('rooms');
