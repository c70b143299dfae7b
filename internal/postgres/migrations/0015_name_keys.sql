-- hubbub.NameKey changed: case no longer matters ("ALICE" and "alice" had different keys).
-- SQL cannot compute the key, so this step's work is done in Go, in the same transaction, by
-- the store's rekeyNames (see sqlstore.RekeyNames): every users.name_key is recomputed once;
-- of two users whose names now collide, the older keeps the key and the newer gets a held
-- key (sqlstore.HeldKey), still found by its exact name, and a WARN names both.
SELECT 1;

-- A held key waits for its name: when the user holding a key gives it up (a rename), the
-- oldest user holding it as a held key takes it, so that nobody new can take a name that is a
-- look-alike of a user's. Held keys are chr(1) key chr(1) name; starts_with compares bytes
-- whatever the collation (a scan of users, on a change of key only: renames are rare).
CREATE FUNCTION users_name_key_freed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE users SET name_key = OLD.name_key
	WHERE id = (SELECT id FROM users WHERE starts_with(name_key, chr(1) || OLD.name_key || chr(1))
		ORDER BY created, id LIMIT 1);
	RETURN NULL;
END $$;
CREATE TRIGGER users_name_key_freed AFTER UPDATE OF name_key ON users
	FOR EACH ROW WHEN (OLD.name_key IS DISTINCT FROM NEW.name_key AND left(OLD.name_key, 1) <> chr(1))
	EXECUTE FUNCTION users_name_key_freed();
