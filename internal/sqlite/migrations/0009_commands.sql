-- 0009_commands: slash commands (hubbub.CommandStore) and the response URLs already used.

-- One row per registered command, by the name users type after the slash. bot_user is the
-- user id of its bot user (a users row of kind 'bot'), which stays when the command goes.
-- secret signs its requests and response URLs. Times are Unix ms.
CREATE TABLE commands (
	name        TEXT    NOT NULL PRIMARY KEY,
	url         TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	bot_user    TEXT    NOT NULL,
	secret      TEXT    NOT NULL,
	created_by  TEXT    NOT NULL DEFAULT '',
	created_ms  INTEGER NOT NULL
) WITHOUT ROWID;

-- A response URL is used once: its id's row is the proof, inserted by the first use (the
-- primary key decides a race). A row is useless once its URL has expired and is deleted then.
CREATE TABLE command_responses (
	id         TEXT    NOT NULL PRIMARY KEY,
	expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX command_responses_expires ON command_responses (expires_ms);
