-- 0017_sign_outs: users.sign_outs counts the times one of a user's sessions was signed out
-- (one device, or everywhere). It moves the users' generation, so that every node reads the
-- user again and ends the connections those sessions had open (hubbub.User.SignOuts).
ALTER TABLE users ADD COLUMN sign_outs bigint NOT NULL DEFAULT 0;
CREATE TRIGGER generation_users_sign_out AFTER UPDATE OF sign_outs ON users
	FOR EACH ROW WHEN (OLD.sign_outs IS DISTINCT FROM NEW.sign_outs)
	EXECUTE FUNCTION bump_generation('users');
