-- 0023_sanction_entries: a ban, mute or lift is an entry of its room's log (kind 'sanction'),
-- appended with its change to the sanctions table; until_at is a ban's or mute's end (NULL for
-- a lift and for every other kind).
ALTER TABLE entries ADD COLUMN until_at timestamptz;
