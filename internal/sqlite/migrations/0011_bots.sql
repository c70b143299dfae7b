-- 0011_bots: bots (hubbub.BotStore), incoming webhooks, and the bot flag of messages.

-- A bot's token and room patterns; its user is a row of users (kind 'bot'). token_hash is
-- SecretHash of its API token, NULL for a bot without one. A deleted bot loses its row (its
-- user stays, disabled, so that its messages still name it).
CREATE TABLE bots (
	user_id    TEXT NOT NULL PRIMARY KEY,
	token_hash TEXT,
	rooms      TEXT NOT NULL DEFAULT '[]' -- a JSON array of room patterns
) WITHOUT ROWID;
CREATE UNIQUE INDEX bots_token ON bots (token_hash) WHERE token_hash IS NOT NULL;

-- An incoming webhook: /hooks/{id}/{secret} posts into room as the bot bot_id. Times are
-- Unix ms.
CREATE TABLE incoming_hooks (
	id          TEXT    NOT NULL PRIMARY KEY,
	room        TEXT    NOT NULL,
	bot_id      TEXT    NOT NULL,
	secret_hash TEXT    NOT NULL,
	created_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX incoming_hooks_bot ON incoming_hooks (bot_id);

-- A message posted by a bot (hubbub.Entry.Bot): 1, else 0.
ALTER TABLE messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
