-- 0021_nodes: the nodes serving from the store, each as it last announced itself
-- (hubbub.OutboxStore.AnnounceNode): nodes that share the store but not a broker deliver each
-- other's messages to nobody live, which each learns from the others' rows.
CREATE TABLE serving_nodes (
	id     text COLLATE "C" NOT NULL PRIMARY KEY,
	name   text        NOT NULL,
	broker text        NOT NULL,
	until  timestamptz NOT NULL
);
