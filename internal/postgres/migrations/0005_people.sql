-- 0005_people: users, their credentials and sessions; room metadata, memberships and read
-- positions; and the log keyed by user id rather than by name (idempotency, authorship,
-- reactions, sanctions). Rows stored before users existed get their name as their user id, so
-- nothing is lost (an old guest's messages are then not the new user's to edit).
--
-- Filling user_id rewrites messages, entries, reactions and sanctions once (an UPDATE of every
-- row): on a large database this migration takes a while and, until VACUUM, twice the space.

-- Users. Ids ("u_" and 32 hex digits) compare as bytes (COLLATE "C"), so that Users and
-- Members page in the order Go sorts them whatever the database's collation. name_key is
-- hubbub.NameKey(name), computed in Go: its unique index is what keeps a name one user's
-- across every node, also when two claim it at once. guest_key is SecretHash of a guest's key
-- (NULL for accounts and app users: only guests are found by key). last_seen is NULL until
-- the user's first connection ends.
CREATE TABLE users (
	id            text COLLATE "C" NOT NULL PRIMARY KEY,
	name          text        NOT NULL,
	name_key      text        NOT NULL,
	kind          text        NOT NULL,
	role          text        NOT NULL DEFAULT '',
	disabled      boolean     NOT NULL DEFAULT false,
	password_hash text        NOT NULL DEFAULT '',
	guest_key     text,
	created       timestamptz NOT NULL,
	last_seen     timestamptz
);
CREATE UNIQUE INDEX users_name_key ON users (name_key);
CREATE UNIQUE INDEX users_guest_key ON users (guest_key) WHERE guest_key IS NOT NULL;

-- The users of host applications' tokens: one per (issuer, subject).
CREATE TABLE external_users (
	issuer  text NOT NULL,
	subject text NOT NULL,
	user_id text COLLATE "C" NOT NULL REFERENCES users (id),
	PRIMARY KEY (issuer, subject)
);

-- Signed-in sessions, by SecretHash of the cookie's secret.
CREATE TABLE login_sessions (
	id      text        NOT NULL PRIMARY KEY,
	user_id text COLLATE "C" NOT NULL REFERENCES users (id),
	created timestamptz NOT NULL,
	expires timestamptz NOT NULL
);
CREATE INDEX login_sessions_user ON login_sessions (user_id);

-- Invite links, by SecretHash of the link's secret; used is set once, by the redeem that wins.
CREATE TABLE invites (
	id      text        NOT NULL PRIMARY KEY,
	by_user text        NOT NULL,
	role    text        NOT NULL DEFAULT '',
	expires timestamptz NOT NULL,
	created timestamptz NOT NULL,
	used    timestamptz,
	used_by text
);

-- Room metadata on the rooms row that already numbers the room's log. created is NULL for a
-- room without metadata (one created by a join or an append before rooms had it), which reads
-- as public. members counts members (not invitees), kept by the writes that change
-- memberships under the room's lock, so that the directory and room lists never count rows.
ALTER TABLE rooms
	ADD COLUMN topic      text    NOT NULL DEFAULT '',
	ADD COLUMN private    boolean NOT NULL DEFAULT false,
	ADD COLUMN dm         boolean NOT NULL DEFAULT false,
	ADD COLUMN created_by text    NOT NULL DEFAULT '',
	ADD COLUMN created    timestamptz,
	ADD COLUMN members    integer NOT NULL DEFAULT 0;

-- A user's place in a room: a member (invited false) or an invitee. The primary key serves a
-- room's members in user id order; memberships_user a user's rooms. name is the name they had
-- when they joined or were invited, shown only if the user is not (or no longer) stored.
CREATE TABLE memberships (
	room    text        NOT NULL,
	user_id text COLLATE "C" NOT NULL,
	name    text        NOT NULL DEFAULT '',
	role    text        NOT NULL,
	invited boolean     NOT NULL DEFAULT false,
	since   timestamptz NOT NULL,
	PRIMARY KEY (room, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, room);

-- Read positions, monotonic; kept apart from memberships so that leaving and rejoining a room
-- keeps one's place.
CREATE TABLE read_positions (
	user_id text COLLATE "C" NOT NULL,
	room    text   NOT NULL,
	seq     bigint NOT NULL,
	PRIMARY KEY (user_id, room)
);

-- The log keyed by user id. sender stays the name the actor had, as shown.
ALTER TABLE messages ADD COLUMN user_id text COLLATE "C";
UPDATE messages SET user_id = sender;
ALTER TABLE messages ALTER COLUMN user_id SET NOT NULL;
DROP INDEX messages_client_id;
CREATE UNIQUE INDEX messages_client_id ON messages (room, user_id, client_id) WHERE client_id <> '';
-- MyRooms counts a room's unread messages without reading them: the messages after the read
-- position by message_no (two probes), less the user's own (messages_user, usually few) and the
-- deleted ones (messages_deleted, rare).
CREATE INDEX messages_user ON messages (room, user_id, seq);
CREATE INDEX messages_deleted ON messages (room, seq) WHERE deleted;

-- entries also hold the room's topic changes (kind 'topic', the topic in text) and membership
-- changes (kind 'member': subject, subject_name, action, role).
ALTER TABLE entries
	ADD COLUMN user_id      text COLLATE "C",
	ADD COLUMN subject      text NOT NULL DEFAULT '',
	ADD COLUMN subject_name text NOT NULL DEFAULT '',
	ADD COLUMN action       text NOT NULL DEFAULT '',
	ADD COLUMN role         text NOT NULL DEFAULT '';
UPDATE entries SET user_id = sender;
ALTER TABLE entries ALTER COLUMN user_id SET NOT NULL;
DROP INDEX entries_client_id;
CREATE UNIQUE INDEX entries_client_id ON entries (room, user_id, client_id) WHERE client_id <> '';

-- One reaction per (message, emoji, user); sender is the name they had when they reacted,
-- which the message's summary shows.
ALTER TABLE reactions ADD COLUMN user_id text COLLATE "C";
UPDATE reactions SET user_id = sender;
ALTER TABLE reactions ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE reactions DROP CONSTRAINT reactions_pkey;
ALTER TABLE reactions ADD PRIMARY KEY (room, seq, emoji, user_id);
DROP INDEX reactions_by_sender;
CREATE INDEX reactions_by_user ON reactions (room, user_id, seq);

-- One ban and one mute at most per (room, user); name is the name they had, for display.
ALTER TABLE sanctions ADD COLUMN user_id text COLLATE "C";
UPDATE sanctions SET user_id = name;
ALTER TABLE sanctions ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE sanctions DROP CONSTRAINT sanctions_pkey;
ALTER TABLE sanctions ADD PRIMARY KEY (room, user_id, kind);

-- Who the messages mention, by user: one row per (message, mentioned user) while the message
-- is not deleted, none for a mention of oneself; an @room under the user id '' (no user's),
-- with its sender, whom it does not count for. MyRooms counts a user's mentions after their
-- read position with two ranges of mentioned_user per room; edits, deletes and retention keep
-- it by the primary key.
CREATE TABLE mentioned (
	room    text   NOT NULL,
	seq     bigint NOT NULL,
	user_id text COLLATE "C" NOT NULL,
	sender  text COLLATE "C" NOT NULL,
	PRIMARY KEY (room, seq, user_id)
);
CREATE INDEX mentioned_user ON mentioned (user_id, room, seq);
INSERT INTO mentioned (room, seq, user_id, sender)
	SELECT DISTINCT m.room, m.seq, mu.v ->> 'user', m.user_id FROM messages m
		CROSS JOIN LATERAL jsonb_array_elements(m.mentions) AS mu(v)
	WHERE m.mentions IS NOT NULL AND NOT m.deleted AND coalesce(mu.v ->> 'user', '') NOT IN ('', m.user_id);
INSERT INTO mentioned (room, seq, user_id, sender)
	SELECT room, seq, '', user_id FROM messages WHERE mention_room AND NOT deleted;
