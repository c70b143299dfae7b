-- 0016_sign_outs: users.sign_outs counts the times one of a user's sessions was signed out
-- (one device, or everywhere). It moves the users' generation, so that every node reads the
-- user again and ends the connections those sessions had open (hubbub.User.SignOuts).
ALTER TABLE users ADD COLUMN sign_outs INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER generation_users_sign_out AFTER UPDATE OF sign_outs ON users
	WHEN OLD.sign_outs IS NOT NEW.sign_outs BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'users';
END;
