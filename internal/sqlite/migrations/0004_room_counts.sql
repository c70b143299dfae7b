-- 0004_room_counts: appending a message bumps rooms.last_seq alone again.
--
-- Retention's MaxPerRoom needs to know how many messages a room holds (seqs no longer count
-- them: other entries take seqs too). 0003 kept that count in rooms.kept, which every message
-- paid for on the hot path. other_seqs counts the seqs that are not messages held: the other
-- entries' (Append adds one with each) and the messages retention removed (Prune adds what it
-- removes). A room then holds last_seq - other_seqs messages, and a plain message touches
-- rooms exactly as before the room log.
ALTER TABLE rooms ADD COLUMN other_seqs INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET other_seqs = last_seq - kept;
ALTER TABLE rooms DROP COLUMN kept;
