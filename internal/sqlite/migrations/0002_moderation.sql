-- 0002_moderation: deleted messages (tombstones) and timed bans and mutes.

-- A deleted message keeps its row (its seq stays taken) with its text emptied.
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- One ban and one mute at most per (room, name); until_ms is when it ends (Unix ms).
CREATE TABLE sanctions (
	room     TEXT    NOT NULL,
	name     TEXT    NOT NULL,
	kind     TEXT    NOT NULL,
	until_ms INTEGER NOT NULL,
	by_name  TEXT    NOT NULL DEFAULT '',
	reason   TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (room, name, kind)
) WITHOUT ROWID;
