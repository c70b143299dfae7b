-- 0007_files: uploaded files' metadata (hubbub.FileStore) and the attachments of messages.

-- One row per upload, from the upload until the collector has deleted its bytes. room and
-- seq are the message carrying it ('' and 0 until one does: a file attaches once); gone is
-- set when that message is deleted or removed by retention, which makes the file collectable
-- and no longer found. Every row counts against its uploader's quota (bytes: the file and its
-- thumbnail) until the collector deletes it.
CREATE TABLE files (
	id         text        PRIMARY KEY,
	user_id    text        NOT NULL,
	name       text        NOT NULL,
	type       text        NOT NULL,
	size       bigint      NOT NULL,
	width      integer     NOT NULL DEFAULT 0,
	height     integer     NOT NULL DEFAULT 0,
	thumb      boolean     NOT NULL DEFAULT false,
	bytes      bigint      NOT NULL,
	created_at timestamptz NOT NULL,
	room       text        NOT NULL DEFAULT '',
	seq        bigint      NOT NULL DEFAULT 0,
	gone       boolean     NOT NULL DEFAULT false
);
-- The quota: the sum of one user's bytes, from the index alone.
CREATE INDEX files_user ON files (user_id) INCLUDE (bytes);
-- The files of a message, which its delete and retention mark gone. Partial: an unattached
-- file is no message's.
CREATE INDEX files_message ON files (room, seq) WHERE seq > 0;
-- What the collector may take, oldest first: the gone files and the unattached ones (those in
-- their grace too, so that the index stays small: uploads are attached within seconds).
CREATE INDEX files_loose ON files (created_at, id) WHERE gone OR seq = 0;

-- A message's attachments, as a JSON array of hubbub.Attachment in the order sent (NULL for
-- none): the message row holds them, so a page of messages is still one range of an index.
-- A delete empties them. A column without a default: the table is not rewritten.
ALTER TABLE messages ADD COLUMN attachments jsonb;
