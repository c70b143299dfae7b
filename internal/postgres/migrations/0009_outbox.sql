-- 0009_outbox: webhooks, the outbox, deliveries, notify candidates and levels, leases
-- (hubbub.OutboxStore, issue 18).

-- One row per webhook; rooms and events are JSON arrays of strings.
CREATE TABLE webhooks (
	id         text        NOT NULL PRIMARY KEY,
	url        text        NOT NULL,
	rooms      text        NOT NULL,
	events     text        NOT NULL,
	secret     text        NOT NULL,
	paused     boolean     NOT NULL DEFAULT false,
	created_by text        NOT NULL DEFAULT '',
	created    timestamptz NOT NULL
);

-- Events not fanned out yet, written by the append batch (in its transaction, under its
-- rooms' locks, so a room's events take ascending positions in seq order) and EnqueueEvent
-- while a webhook exists, deleted by FanOut.
CREATE TABLE outbox (
	pos  bigserial PRIMARY KEY,
	body text      NOT NULL -- the hubbub.OutboxEvent as JSON
);

-- One event owed to one webhook. Its queue is (webhook, room) in (seq, pos) order; dead ones
-- leave the queue (deliveries_queue is partial) so they hold back nothing.
CREATE TABLE deliveries (
	webhook      text        NOT NULL,
	event_id     text        NOT NULL,
	pos          bigint      NOT NULL,
	room         text        COLLATE "C" NOT NULL,
	seq          bigint      NOT NULL,
	dead         boolean     NOT NULL DEFAULT false,
	attempts     integer     NOT NULL DEFAULT 0,
	next_attempt timestamptz NOT NULL,
	last_error   text        NOT NULL DEFAULT '',
	created      timestamptz NOT NULL,
	body         text        NOT NULL,
	PRIMARY KEY (webhook, event_id)
);
CREATE INDEX deliveries_queue ON deliveries (webhook, room, seq, pos) WHERE NOT dead;
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE NOT dead;
CREATE INDEX deliveries_list ON deliveries (webhook, dead, pos);

-- Messages that may notify a user who is away, until the notifier takes them.
CREATE TABLE notify_candidates (
	user_id text        COLLATE "C" NOT NULL,
	room    text        COLLATE "C" NOT NULL,
	seq     bigint      NOT NULL,
	reason  text        NOT NULL,
	sender  text        NOT NULL,
	text    text        NOT NULL,
	time    timestamptz NOT NULL,
	PRIMARY KEY (user_id, room, seq)
);
CREATE INDEX notify_candidates_time ON notify_candidates (time);

-- A user's notification level for a room, where it is not the default (mention).
CREATE TABLE notify_levels (
	room    text NOT NULL,
	user_id text COLLATE "C" NOT NULL,
	level   text NOT NULL,
	PRIMARY KEY (room, user_id)
);

-- Named leases (the dispatcher's): who holds each, until when.
CREATE TABLE leases (
	name   text        NOT NULL PRIMARY KEY,
	holder text        NOT NULL,
	until  timestamptz NOT NULL
);
