-- 0011_bots: bots (hubbub.BotStore), incoming webhooks, and the bot flag of messages.

-- A bot's token and room patterns; its user is a row of users (kind 'bot'). token_hash is
-- SecretHash of its API token, NULL for a bot without one. A deleted bot loses its row (its
-- user stays, disabled, so that its messages still name it).
CREATE TABLE bots (
	user_id    text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id),
	token_hash text,
	rooms      jsonb NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX bots_token ON bots (token_hash) WHERE token_hash IS NOT NULL;

-- An incoming webhook: /hooks/{id}/{secret} posts into room as the bot bot_id.
CREATE TABLE incoming_hooks (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	room        text        NOT NULL,
	bot_id      text COLLATE "C" NOT NULL REFERENCES users (id),
	secret_hash text        NOT NULL,
	created     timestamptz NOT NULL
);
CREATE INDEX incoming_hooks_bot ON incoming_hooks (bot_id);

-- A message posted by a bot (hubbub.Entry.Bot). A constant default: the table is not
-- rewritten.
ALTER TABLE messages ADD COLUMN bot boolean NOT NULL DEFAULT false;
