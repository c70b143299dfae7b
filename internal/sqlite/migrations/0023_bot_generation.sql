-- 0023_bot_generation: a change to a bot — its token rotated or dropped, its rooms replaced,
-- its row deleted — moves the users' generation (0014), whoever writes it: the API, another
-- node, or `hubbub bot rotate` on this file. A node that sees the count move empties its bot
-- cache (session.Service.ForgetBots), so the old token is refused within --store-cache-poll
-- rather than --bot-cache-age.
--
-- The users' count, not a kind of its own: a node of the build before this one, still serving
-- during a rolling upgrade, reads a kind it does not know as an error
-- (sqlstore.ReadGenerations) and would stop using its whole store cache until upgraded; a
-- move of the users' count it reads as one more user change. Creating a bot moves the count
-- already (its user's row), and an unknown token is never cached, so an insert needs none.
--
-- Triggers alone: no row of bots is read or written, so the step is as quick on a full table
-- as on an empty one. IF NOT EXISTS: a file whose triggers were made by hand keeps them.
CREATE TRIGGER IF NOT EXISTS generation_bots_update AFTER UPDATE OF token_hash, rooms ON bots
	WHEN OLD.token_hash IS NOT NEW.token_hash OR OLD.rooms IS NOT NEW.rooms BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'users';
END;
CREATE TRIGGER IF NOT EXISTS generation_bots_delete AFTER DELETE ON bots BEGIN
	UPDATE generations SET gen = gen + 1 WHERE kind = 'users';
END;
