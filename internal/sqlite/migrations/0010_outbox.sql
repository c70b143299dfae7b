-- 0010_outbox: webhooks, the outbox, deliveries, notify candidates and levels, leases
-- (hubbub.OutboxStore, issue 18). Times are Unix ms.

-- One row per webhook; rooms and events are JSON arrays of strings.
CREATE TABLE webhooks (
	id         TEXT    NOT NULL PRIMARY KEY,
	url        TEXT    NOT NULL,
	rooms      TEXT    NOT NULL,
	events     TEXT    NOT NULL,
	secret     TEXT    NOT NULL,
	paused     INTEGER NOT NULL DEFAULT 0,
	created_by TEXT    NOT NULL DEFAULT '',
	created_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Events not fanned out yet, written by Append (in the entry's transaction) and EnqueueEvent
-- while a webhook exists, deleted by FanOut. AUTOINCREMENT: pos orders notifications in their
-- deliveries, so a pos is never reused when the table empties.
CREATE TABLE outbox (
	pos  INTEGER PRIMARY KEY AUTOINCREMENT,
	body TEXT    NOT NULL -- the hubbub.OutboxEvent as JSON
);

-- One event owed to one webhook. Its queue is (webhook, room) in (seq, pos) order; dead ones
-- leave the queue (deliveries_queue is partial) so they hold back nothing.
CREATE TABLE deliveries (
	webhook    TEXT    NOT NULL,
	event_id   TEXT    NOT NULL,
	pos        INTEGER NOT NULL,
	room       TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	dead       INTEGER NOT NULL DEFAULT 0,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_ms    INTEGER NOT NULL,
	last_error TEXT    NOT NULL DEFAULT '',
	created_ms INTEGER NOT NULL,
	body       TEXT    NOT NULL,
	UNIQUE (webhook, event_id)
);
CREATE INDEX deliveries_queue ON deliveries (webhook, room, seq, pos) WHERE dead = 0;
CREATE INDEX deliveries_due ON deliveries (next_ms) WHERE dead = 0;
CREATE INDEX deliveries_list ON deliveries (webhook, dead, pos);

-- Messages that may notify a user who is away, until the notifier takes them.
CREATE TABLE notify_candidates (
	user_id   TEXT    NOT NULL,
	room      TEXT    NOT NULL,
	seq       INTEGER NOT NULL,
	reason    TEXT    NOT NULL,
	sender    TEXT    NOT NULL,
	text      TEXT    NOT NULL,
	time_ms   INTEGER NOT NULL,
	PRIMARY KEY (user_id, room, seq)
) WITHOUT ROWID;
CREATE INDEX notify_candidates_time ON notify_candidates (time_ms);

-- A user's notification level for a room, where it is not the default (mention). By room
-- first: FanOut reads a room's levels for each message.
CREATE TABLE notify_levels (
	room    TEXT NOT NULL,
	user_id TEXT NOT NULL,
	level   TEXT NOT NULL,
	PRIMARY KEY (room, user_id)
) WITHOUT ROWID;

-- Named leases (the dispatcher's): who holds each, until when.
CREATE TABLE leases (
	name     TEXT    NOT NULL PRIMARY KEY,
	holder   TEXT    NOT NULL,
	until_ms INTEGER NOT NULL
) WITHOUT ROWID;
