-- 0005_users: users, the credentials that find them, and signed-in sessions.

-- A user is the unit of identity; id is "u_" and 32 hex digits, assigned by the store.
-- name_key is hubbub.NameKey(name), computed in Go: its UNIQUE index is what makes a name one
-- user's server-wide, also when two processes create or rename users at once (one insert
-- wins, the other is refused by the index, never by a read that raced). Times are Unix ms.
CREATE TABLE users (
	id            TEXT    NOT NULL PRIMARY KEY,
	name          TEXT    NOT NULL,
	name_key      TEXT    NOT NULL,
	kind          TEXT    NOT NULL,
	role          TEXT    NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT    NOT NULL DEFAULT '', -- an encoded argon2id hash; '' for none
	created_ms    INTEGER NOT NULL,
	last_seen_ms  INTEGER NOT NULL DEFAULT 0   -- 0: never recorded
) WITHOUT ROWID;
CREATE UNIQUE INDEX users_name_key ON users (name_key);

-- A guest's device key, as SecretHash: whoever shows the key is the user. A guest that turns
-- into an account loses its key (an account signs in with its password).
CREATE TABLE guest_keys (
	key_hash TEXT NOT NULL PRIMARY KEY,
	user_id  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX guest_keys_user ON guest_keys (user_id);

-- The user a host application's token names, by issuer ('' for the HS256 secret) and subject.
CREATE TABLE external_ids (
	issuer  TEXT NOT NULL,
	subject TEXT NOT NULL,
	user_id TEXT NOT NULL,
	PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;

-- Signed-in sessions, by SecretHash of the cookie's secret; an expired one is not returned
-- (and goes when its user signs in again or signs out everywhere).
CREATE TABLE login_sessions (
	id         TEXT    NOT NULL PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_sessions_user ON login_sessions (user_id);

-- Invite links, by SecretHash of the link's code; redeeming one deletes it, so it works once.
CREATE TABLE invites (
	id         TEXT    NOT NULL PRIMARY KEY,
	by_user    TEXT    NOT NULL,
	role       TEXT    NOT NULL DEFAULT '',
	expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
