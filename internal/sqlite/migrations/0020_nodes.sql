-- 0020_nodes: the nodes serving from the store, each as it last announced itself
-- (hubbub.OutboxStore.AnnounceNode): nodes that share the store but not a broker deliver each
-- other's messages to nobody live, which each learns from the others' rows.
CREATE TABLE serving_nodes (
	id       TEXT    NOT NULL PRIMARY KEY,
	name     TEXT    NOT NULL,
	broker   TEXT    NOT NULL,
	until_ms INTEGER NOT NULL
) WITHOUT ROWID;
