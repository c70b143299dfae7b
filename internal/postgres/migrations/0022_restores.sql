-- 0022_restores: each restore from a backup that hubbub restore prepared (hubbub.Store.SkipSeqs),
-- when it ran, by how many seqs it moved every room's numbering, the seq floor it left, and
-- how many rooms it moved. The highest floor is the one in force: the first entry of a room
-- that holds none yet is numbered floor + 1 (lockRoom reads it for a room at seq 0), so that
-- a room lost with the part after a backup and made again under its name is numbered past
-- every seq the lost one handed out, on every node. A dump taken later holds these rows too,
-- and a restore of it raises the floor from them.
CREATE TABLE restores (
	id    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at    timestamptz NOT NULL,
	gap   bigint      NOT NULL,
	floor bigint      NOT NULL,
	rooms bigint      NOT NULL
);
