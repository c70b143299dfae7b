-- hubbub.NameKey changed: case no longer matters ("ALICE" and "alice" had different keys).
-- SQL cannot compute the key, so this step's work is done in Go, in the same transaction, by
-- the store's rekeyNames (see sqlstore.RekeyNames): every users.name_key is recomputed once;
-- of two users whose names now collide, the older keeps the key and the newer gets a held
-- key (sqlstore.HeldKey), still found by its exact name, and a WARN names both.
SELECT 1;

-- A held key waits for its name: when the user holding a key gives it up (a rename), the
-- oldest user holding it as a held key takes it, so that nobody new can take a name that is a
-- look-alike of a user's. Held keys are \x01 key \x01 name, so those of a key are one range of
-- the unique index. Renaming a held user gives it an ordinary key, and no promotion.
CREATE TRIGGER users_name_key_freed AFTER UPDATE OF name_key ON users
	WHEN OLD.name_key IS NOT NEW.name_key AND substr(OLD.name_key, 1, 1) <> char(1)
BEGIN
	UPDATE users SET name_key = OLD.name_key
	WHERE id = (SELECT id FROM users
		WHERE name_key > char(1) || OLD.name_key || char(1) AND name_key < char(1) || OLD.name_key || char(2)
		ORDER BY created_ms, id LIMIT 1);
END;
