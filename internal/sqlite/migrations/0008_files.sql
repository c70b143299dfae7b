-- 0008_files: uploaded files' metadata (hubbub.FileStore) and the attachments of messages.

-- One row per upload, from the upload until the collector has deleted its bytes. room and
-- seq are the message carrying it ('' and 0 until one does: a file attaches once); gone is
-- set when that message is deleted or removed by retention, which makes the file collectable
-- and no longer found. Every row counts against its uploader's quota (bytes: the file and its
-- thumbnail) until the collector deletes it. Times are Unix ms.
CREATE TABLE files (
	id         TEXT    NOT NULL PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	type       TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	width      INTEGER NOT NULL DEFAULT 0,
	height     INTEGER NOT NULL DEFAULT 0,
	thumb      INTEGER NOT NULL DEFAULT 0,
	bytes      INTEGER NOT NULL,
	created_ms INTEGER NOT NULL,
	room       TEXT    NOT NULL DEFAULT '',
	seq        INTEGER NOT NULL DEFAULT 0,
	gone       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- The quota: the sum of one user's bytes, read from the index alone.
CREATE INDEX files_user ON files (user_id, bytes);
-- The files of a message, which its delete (one message) and retention (a prefix of a room)
-- mark gone. Partial: an unattached file is no message's.
CREATE INDEX files_message ON files (room, seq) WHERE seq > 0;
-- What the collector may take, oldest first: the gone files and the unattached ones (those in
-- their grace too, so the index stays small: uploads are attached within seconds).
CREATE INDEX files_loose ON files (created_ms) WHERE gone = 1 OR seq = 0;

-- A message's attachments, as a JSON array of hubbub.Attachment in the order sent ('' for
-- none): the message row holds them, so a page of messages is still one range of an index.
-- A delete empties them.
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
