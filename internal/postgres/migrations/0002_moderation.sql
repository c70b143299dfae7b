-- 0002_moderation: deleted messages (tombstones) and timed bans and mutes.

-- A deleted message keeps its row (its seq stays taken) with its text emptied.
ALTER TABLE messages ADD COLUMN deleted boolean NOT NULL DEFAULT false;

-- One ban and one mute at most per (room, name); until_at is when it ends.
CREATE TABLE sanctions (
	room     text        NOT NULL,
	name     text        NOT NULL,
	kind     text        NOT NULL,
	until_at timestamptz NOT NULL,
	by_name  text        NOT NULL DEFAULT '',
	reason   text        NOT NULL DEFAULT '',
	PRIMARY KEY (room, name, kind)
);
