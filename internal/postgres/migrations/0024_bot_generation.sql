-- 0024_bot_generation: a change to a bot — its token rotated or dropped, its rooms replaced,
-- its row deleted — moves the users' generation (0014), whoever writes it: the API, another
-- node, or `hubbub bot rotate` beside the servers. A node that sees the count move empties its
-- bot cache (session.Service.ForgetBots), so the old token is refused within
-- --store-cache-poll rather than --bot-cache-age.
--
-- The users' count, not a kind of its own: a node of the build before this one, still serving
-- during a rolling upgrade, reads a kind it does not know as an error
-- (sqlstore.ReadGenerations) and would stop using its whole store cache until upgraded; a
-- move of the users' count it reads as one more user change. Creating a bot moves the count
-- already (its user's row), and an unknown token is never cached, so an insert needs none.
--
-- Triggers alone: no row of bots is read or written, so the step is as quick on a full table
-- as on an empty one. DROP … IF EXISTS first, not CREATE OR REPLACE TRIGGER (PostgreSQL 14):
-- the step can run again over triggers made by hand, on any version the others run on.
DROP TRIGGER IF EXISTS generation_bots_update ON bots;
CREATE TRIGGER generation_bots_update AFTER UPDATE OF token_hash, rooms ON bots
	FOR EACH ROW WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash OR OLD.rooms IS DISTINCT FROM NEW.rooms)
	EXECUTE FUNCTION bump_generation('users');
DROP TRIGGER IF EXISTS generation_bots_delete ON bots;
CREATE TRIGGER generation_bots_delete AFTER DELETE ON bots
	FOR EACH ROW EXECUTE FUNCTION bump_generation('users');
