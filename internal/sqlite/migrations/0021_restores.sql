-- 0021_restores: each restore from a backup that hubbub restore prepared (hubbub.Store.SkipSeqs),
-- when it ran, by how many seqs it moved every room's numbering, the seq floor it left, and
-- how many rooms it moved. The highest floor is the one in force: the first entry of a room
-- that holds none yet is numbered floor + 1, so that a room lost with the part after a backup
-- and made again under its name is numbered past every seq the lost one handed out. A backup
-- taken later holds these rows too, and a restore of it raises the floor from them.
CREATE TABLE restores (
	id       INTEGER PRIMARY KEY,
	at_ms    INTEGER NOT NULL,
	gap      INTEGER NOT NULL,
	floor    INTEGER NOT NULL,
	rooms    INTEGER NOT NULL
);
