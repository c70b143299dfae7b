-- 0008_commands: slash commands (hubbub.CommandStore) and the response URLs already used.

-- One row per registered command, by the name users type after the slash. bot_user is the
-- user id of its bot user (a users row of kind 'bot'), which stays when the command goes.
-- secret signs its requests and response URLs.
CREATE TABLE commands (
	name        text        PRIMARY KEY,
	url         text        NOT NULL,
	description text        NOT NULL DEFAULT '',
	bot_user    text        NOT NULL,
	secret      text        NOT NULL,
	created_by  text        NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL
);

-- A response URL is used once: its id's row is the proof, inserted by the first use (the
-- primary key decides a race between nodes). A row is useless once its URL has expired and is
-- deleted then.
CREATE TABLE command_responses (
	id         text        PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX command_responses_expires ON command_responses (expires_at);
