package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The outbox (migrations/0009_outbox.sql; the rules in sqlstore/outbox.go). The append batch
// asks in its transaction whether a webhook exists (other nodes create them) and writes its
// entries' events in its second round trip, under its rooms' locks: a room's events take
// ascending positions in seq order and commit in that order. FanOut and TakeNotifyCandidates
// hold a transaction-scoped advisory lock, so that two nodes never fan out (or batch) the same
// rows at once; the other writes are one short transaction each.

var _ hubbub.OutboxStore = (*Store)(nil)

// outboxLock is the advisory lock key of FanOut and TakeNotifyCandidates ("hubbub-outbox").
const outboxLock = 0x6875626275624f42

// The statements of the outbox.
const (
	hookRows      = `SELECT rooms, events FROM webhooks ORDER BY id`
	allLevelRooms = `SELECT DISTINCT room FROM notify_levels WHERE room = ANY($1) AND level = 'all'`
	insertOutbox  = `INSERT INTO outbox (body) SELECT b FROM unnest($1::text[]) WITH ORDINALITY AS u(b, i) ORDER BY i`
	webhookCols   = `id, url, rooms, events, secret, paused, created_by, created`
	deliveryCols  = `webhook, body, dead, attempts, next_attempt, created, last_error`
	selectWebhook = `SELECT ` + webhookCols + ` FROM webhooks WHERE id = $1`
	// dueDeliveries is DueDeliveries: the head of each queue (webhook, room) of a webhook not
	// paused, if it is due. A dead delivery is in no queue. The rooms of each webhook are found
	// by a skip scan of deliveries_queue (q: one index probe per queue) and each head by one
	// more, so the cost grows with the number of queues, not with the deliveries waiting
	// behind their heads (millions, after a receiver was down for a day). It runs with JIT
	// off (dueDeliveriesTx): the planner's estimate of a recursive query is high enough to pass
	// jit_above_cost, and compiling took 50–700 ms of each poll that runs in milliseconds.
	// The heads are handed out taking the webhooks in turn (each one's oldest, then each one's
	// next oldest, …), so one webhook's backlog over many rooms never holds back the others.
	dueDeliveries = `WITH RECURSIVE q(webhook, room) AS (
			SELECT w.id, (SELECT room FROM deliveries WHERE webhook = w.id AND NOT dead ORDER BY room LIMIT 1)
				FROM webhooks w WHERE NOT w.paused
			UNION ALL
			SELECT q.webhook, (SELECT room FROM deliveries WHERE webhook = q.webhook AND NOT dead AND room > q.room
					ORDER BY room LIMIT 1)
				FROM q WHERE q.room IS NOT NULL)
		SELECT webhook, body, dead, attempts, next_attempt, created, last_error FROM (
			SELECT d.webhook, d.body, d.dead, d.attempts, d.next_attempt, d.created, d.last_error, d.pos,
				row_number() OVER (PARTITION BY d.webhook ORDER BY d.next_attempt, d.pos) AS turn
			FROM q CROSS JOIN LATERAL (SELECT * FROM deliveries
				WHERE webhook = q.webhook AND room = q.room AND NOT dead ORDER BY seq, pos LIMIT 1) d
			WHERE q.room IS NOT NULL AND d.next_attempt <= $1) heads
		ORDER BY turn, next_attempt, pos LIMIT $2`
)

// outboxSQL are the outbox's statements that both schemas share (sqlstore/query.go).
var outboxSQL = sqlstore.NewOutboxSQL(placeholder)

// placeholder is PostgreSQL's numbered placeholder: $1, $2, ….
func placeholder(n int) string { return "$" + strconv.Itoa(n) }

func scanWebhook(row pgx.Row) (hubbub.Webhook, error) {
	var w hubbub.Webhook
	var rooms, events string
	if err := row.Scan(&w.ID, &w.URL, &rooms, &events, &w.Secret, &w.Paused, &w.CreatedBy, &w.Created); err != nil {
		return w, err
	}
	if err := sqlstore.DecodeWebhook(&w, rooms, events); err != nil {
		return w, err
	}
	w.Created = w.Created.UTC()
	return w, nil
}

func scanDelivery(row pgx.Row) (hubbub.Delivery, error) {
	var webhook, body, lastError string
	var dead bool
	var attempts int
	var next, created time.Time
	if err := row.Scan(&webhook, &body, &dead, &attempts, &next, &created, &lastError); err != nil {
		return hubbub.Delivery{}, err
	}
	return sqlstore.DeliveryOf(webhook, body, dead, attempts, next.UTC(), created.UTC(), lastError)
}

// readDeliveries reads rows of deliveryCols.
func readDeliveries(rows pgx.Rows, err error) ([]hubbub.Delivery, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadRows(rows, func(rows pgx.Rows) (hubbub.Delivery, error) { return scanDelivery(rows) })
}

// batchHooks is what an append batch reads to decide which entries go to the outbox.
type batchHooks struct {
	rows     []sqlstore.WebhookRow
	allRooms map[string]bool // rooms of the batch where someone's level is "all"
}

// queueHooks queues, in the batch's first round trip, the reads of batchHooks.
func (w *writer) queueHooks(b *pgx.Batch, rooms []string) *batchHooks {
	h := queueHookRows(b)
	b.Queue(allLevelRooms, rooms).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var room string
			if err := rows.Scan(&room); err != nil {
				return err
			}
			h.allRooms[room] = true
		}
		return rows.Err()
	})
	return h
}

// queueHookRows queues the read of the webhooks alone, for a write of entries none of which
// is a message (whose notify candidates allRooms is for): CreateRoom's joins.
func queueHookRows(b *pgx.Batch) *batchHooks {
	h := &batchHooks{allRooms: map[string]bool{}}
	b.Queue(hookRows).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var r sqlstore.WebhookRow
			if err := rows.Scan(&r.Rooms, &r.Events); err != nil {
				return err
			}
			h.rows = append(h.rows, r)
		}
		return rows.Err()
	})
	return h
}

// filter returns the batch's OutboxFilter, through the writer's cache.
func (h *batchHooks) filter(c *sqlstore.FilterCache) (sqlstore.OutboxFilter, error) {
	return c.Filter(h.rows)
}

// queueOutbox queues, in the append batch's writes, the events of the entries it stored that
// filter wants (allRooms: the batch's rooms where someone's level is "all").
func queueOutbox(b *pgx.Batch, out []result, filter sqlstore.OutboxFilter, allRooms map[string]bool) error {
	var bodies []string
	allLevel := func(room string) (bool, error) { return allRooms[room], nil }
	for _, r := range out {
		if r.err != nil || r.dup {
			continue
		}
		for _, e := range []*hubbub.Entry{&r.msg, r.handover} {
			if e == nil {
				continue
			}
			if want, _ := filter.Wants(e, allLevel); !want {
				continue
			}
			body, err := sqlstore.EncodeEvent(sqlstore.EntryEvent(*e))
			if err != nil {
				return err
			}
			bodies = append(bodies, body)
		}
	}
	if len(bodies) > 0 {
		b.Queue(insertOutbox, bodies)
	}
	return nil
}

// inTx runs fn in one READ COMMITTED transaction and commits it, or rolls back if fn fails.
// now is the store's time (the server's clock unless Options.Now).
func (s *Store) inTx(ctx context.Context, op sqlstore.Op, fn func(tx pgx.Tx, now time.Time) error) error {
	if err := s.guard.Begin(ctx, op); err != nil {
		return err
	}
	err := func() error {
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
		if err != nil {
			return err
		}
		defer rollback(tx) // after Commit, a no-op
		now, err := s.roomTime(ctx, tx)
		if err != nil {
			return err
		}
		if err := fn(tx, now); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}()
	return s.guard.Wrap(op, err)
}

// CreateWebhook stores a new webhook; see hubbub.OutboxStore.
func (s *Store) CreateWebhook(ctx context.Context, in hubbub.Webhook) (hubbub.Webhook, error) {
	w, err := sqlstore.CheckWebhook(in)
	if err == nil {
		err = checkText("url", w.URL, "secret", w.Secret, "creator", w.CreatedBy, "rooms", sqlstore.EncodeList(w.Rooms))
	}
	if err != nil {
		return hubbub.Webhook{}, s.guard.Wrap(sqlstore.OpCreateWebhook, err)
	}
	err = s.inTx(ctx, sqlstore.OpCreateWebhook, func(tx pgx.Tx, now time.Time) error {
		// One creation at a time, so that the count below cannot be passed by two at once.
		if _, err := tx.Exec(ctx, `LOCK TABLE webhooks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxWebhooks {
			return sqlstore.TooManyWebhooks()
		}
		w.ID, w.Created = sqlstore.NewWebhookID(), now
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (`+webhookCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			w.ID, w.URL, sqlstore.EncodeList(w.Rooms), sqlstore.EncodeList(w.Events), w.Secret, w.Paused, w.CreatedBy, w.Created)
		return err
	})
	return sqlstore.Result(w, err)
}

// Webhook returns webhook id.
func (s *Store) Webhook(ctx context.Context, id string) (hubbub.Webhook, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpWebhook, func() (hubbub.Webhook, bool, error) {
		return findWebhook(ctx, s.pool, id, "")
	})
}

// Webhooks lists every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]hubbub.Webhook, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpWebhooks, func() ([]hubbub.Webhook, error) {
		return webhooks(ctx, s.pool)
	})
}

// querier is what the webhooks are read through: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// findWebhook reads webhook id, locked as lock says ("" or "FOR UPDATE"); found is false if
// there is none.
func findWebhook(ctx context.Context, q querier, id, lock string) (hubbub.Webhook, bool, error) {
	if !textFits(id) { // no stored id holds what text cannot
		return hubbub.Webhook{}, false, nil
	}
	w, err := scanWebhook(q.QueryRow(ctx, selectWebhook+` `+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.Webhook{}, false, nil
	}
	return w, err == nil, err
}

func webhooks(ctx context.Context, q querier) ([]hubbub.Webhook, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookCols+` FROM webhooks ORDER BY created, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadRows(rows, func(rows pgx.Rows) (hubbub.Webhook, error) { return scanWebhook(rows) })
}

// UpdateWebhook applies c to webhook id and returns it as it is now.
func (s *Store) UpdateWebhook(ctx context.Context, id string, c hubbub.WebhookChange) (hubbub.Webhook, error) {
	var out hubbub.Webhook
	err := s.inTx(ctx, sqlstore.OpUpdateWebhook, func(tx pgx.Tx, _ time.Time) error {
		w, found, err := findWebhook(ctx, tx, id, `FOR UPDATE`)
		if err != nil {
			return err
		}
		if !found {
			return sqlstore.NoWebhook(id)
		}
		if out, err = sqlstore.ChangeWebhook(w, c); err != nil {
			return err
		}
		if err := checkText("url", out.URL, "secret", out.Secret, "rooms", sqlstore.EncodeList(out.Rooms)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, outboxSQL.UpdateWebhook, sqlstore.UpdateWebhookArgs(out, id)...)
		return err
	})
	return sqlstore.Result(out, err)
}

// DeleteWebhook removes webhook id and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.inTx(ctx, sqlstore.OpDeleteWebhook, func(tx pgx.Tx, _ time.Time) error {
		if !textFits(id) {
			return sqlstore.NoWebhook(id)
		}
		tag, err := tx.Exec(ctx, outboxSQL.DeleteWebhook, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return sqlstore.NoWebhook(id)
		}
		_, err = tx.Exec(ctx, outboxSQL.DeleteDeliveries, id)
		return err
	})
}

// EnqueueEvent writes ev (a notification) to the outbox if a webhook follows notifications.
func (s *Store) EnqueueEvent(ctx context.Context, ev hubbub.OutboxEvent) error {
	return s.inTx(ctx, sqlstore.OpEnqueueEvent, func(tx pgx.Tx, now time.Time) error {
		ev, err := sqlstore.CheckEvent(ev, now)
		if err != nil {
			return err
		}
		body, err := sqlstore.EncodeEvent(ev)
		if err != nil {
			return err
		}
		if err := checkText("event", body); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO outbox (body) SELECT $1
			WHERE EXISTS (SELECT 1 FROM webhooks WHERE events LIKE '%"notification"%')`, body)
		return err
	})
}

// FanOut turns up to limit outbox events into deliveries and notify candidates; see
// hubbub.OutboxStore.
func (s *Store) FanOut(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		return 0, s.guard.Begin(ctx, sqlstore.OpFanOut)
	}
	limit = sqlstore.OutboxPage(limit)
	taken := 0
	err := s.inTx(ctx, sqlstore.OpFanOut, func(tx pgx.Tx, now time.Time) error {
		taken = 0
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(outboxLock)); err != nil {
			return err
		}
		hooks, err := webhooks(ctx, tx)
		if err != nil {
			return err
		}
		type event struct {
			pos  int64
			body string
		}
		var evs []event
		rows, _ := tx.Query(ctx, `SELECT pos, body FROM outbox ORDER BY pos LIMIT $1`, limit)
		var e event
		if _, err := pgx.ForEachRow(rows, []any{&e.pos, &e.body}, func() error { evs = append(evs, e); return nil }); err != nil {
			return err
		}
		var d struct {
			webhook, id, room, body []string
			pos, seq                []int64
		}
		var c struct {
			user, room, reason, from, text []string
			seq                            []int64
			time                           []time.Time
		}
		var poss []int64
		for _, e := range evs {
			ev, err := sqlstore.DecodeEvent(e.body)
			if err != nil {
				return err
			}
			poss = append(poss, e.pos)
			for _, h := range hooks {
				if h.Follows(ev.Room, ev.Kind) {
					d.webhook, d.id, d.room, d.body = append(d.webhook, h.ID), append(d.id, ev.ID), append(d.room, ev.Room), append(d.body, e.body)
					d.pos, d.seq = append(d.pos, e.pos), append(d.seq, int64(ev.Seq))
				}
			}
			cands, err := s.candidates(ctx, tx, ev)
			if err != nil {
				return err
			}
			for _, x := range cands {
				c.user, c.room, c.reason, c.from, c.text = append(c.user, x.User), append(c.room, x.Room), append(c.reason, x.Reason),
					append(c.from, x.From), append(c.text, x.Text)
				c.seq, c.time = append(c.seq, int64(x.Seq)), append(c.time, x.Time)
			}
		}
		b := &pgx.Batch{}
		if len(d.id) > 0 {
			b.Queue(`INSERT INTO deliveries (webhook, event_id, pos, room, seq, next_attempt, created, body)
				SELECT w, i, p, r, s, $7, $7, b FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[])
					AS u(w, i, p, r, s, b)
				ON CONFLICT (webhook, event_id) DO NOTHING`, d.webhook, d.id, d.pos, d.room, d.seq, d.body, now)
		}
		if len(c.user) > 0 {
			b.Queue(`INSERT INTO notify_candidates (user_id, room, seq, reason, sender, text, time)
				SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
				ON CONFLICT (user_id, room, seq) DO NOTHING`, c.user, c.room, c.seq, c.reason, c.from, c.text, c.time)
		}
		if len(poss) > 0 {
			b.Queue(`DELETE FROM outbox WHERE pos = ANY($1::bigint[])`, poss)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		taken = len(evs)
		return nil
	})
	return sqlstore.Result(taken, err)
}

// candidates returns the notify candidates of event ev, reading the levels and members of its
// room in tx.
func (s *Store) candidates(ctx context.Context, tx pgx.Tx, ev hubbub.OutboxEvent) ([]hubbub.NotifyCandidate, error) {
	if ev.Kind != hubbub.HookMessage || ev.Entry == nil {
		return nil, nil
	}
	levels := map[string]string{}
	var user, level string
	rows, _ := tx.Query(ctx, `SELECT user_id, level FROM notify_levels WHERE room = $1`, ev.Room)
	if _, err := pgx.ForEachRow(rows, []any{&user, &level}, func() error { levels[user] = level; return nil }); err != nil {
		return nil, err
	}
	var members []string
	if sqlstore.NeedMembers(ev, levels) {
		rows, _ := tx.Query(ctx, `SELECT user_id FROM memberships WHERE room = $1 AND NOT invited ORDER BY user_id`, ev.Room)
		if _, err := pgx.ForEachRow(rows, []any{&user}, func() error { members = append(members, user); return nil }); err != nil {
			return nil, err
		}
	}
	return sqlstore.NotifyCandidates(ev, levels, members), nil
}

// outcome records a delivery's outcome with synchronous_commit off: the commit does not wait
// for the WAL to reach the disk (one flush per event bounded a room's dispatch to the disk's
// commit rate, ~20 ms here under load). A crash may lose the last outcomes; the delivery is
// then made again, which the contract allows (receivers deduplicate by event id).
func (s *Store) outcome(ctx context.Context, sql string, args ...any) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer rollback(tx) // after Commit, a no-op
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL synchronous_commit TO OFF`)
	b.Queue(sql, args...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// DueDeliveries returns the deliveries that may be attempted at now; see hubbub.OutboxStore.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]hubbub.Delivery, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpDueDeliveries, func() ([]hubbub.Delivery, error) {
		if limit <= 0 {
			return nil, nil
		}
		return s.dueDeliveriesTx(ctx, now, sqlstore.OutboxPage(limit))
	})
}

// dueDeliveriesTx runs dueDeliveries in a read-only transaction with JIT off.
func (s *Store) dueDeliveriesTx(ctx context.Context, now time.Time, limit int) ([]hubbub.Delivery, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer rollback(tx) // a read: rolling back ends it as well as a commit
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return nil, err
	}
	return readDeliveries(tx.Query(ctx, dueDeliveries, now, limit))
}

// CompleteDelivery removes a delivery that succeeded.
func (s *Store) CompleteDelivery(ctx context.Context, webhook, eventID string) error {
	return s.guard.Do(ctx, sqlstore.OpCompleteDelivery, func() error {
		if !textFits(webhook) || !textFits(eventID) {
			return nil
		}
		return s.outcome(ctx, outboxSQL.DeleteDelivery, webhook, eventID)
	})
}

// RetryDelivery records a failed attempt; with dead the delivery leaves its queue.
func (s *Store) RetryDelivery(ctx context.Context, webhook, eventID string, next time.Time, lastError string, dead bool) error {
	return s.guard.Do(ctx, sqlstore.OpRetryDelivery, func() error {
		if !textFits(webhook) || !textFits(eventID) {
			return nil
		}
		lastError = sqlstore.CutError(lastError)
		if !textFits(lastError) {
			lastError = "(an error that is not valid UTF-8)"
		}
		return s.outcome(ctx, `UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt = $2,
			dead = dead OR $3 WHERE webhook = $4 AND event_id = $5`,
			lastError, sqlstore.MsTime(next.UnixMilli()), dead, webhook, eventID)
	})
}

// Deliveries lists webhook's deliveries in state, oldest first, after the one of event after.
func (s *Store) Deliveries(ctx context.Context, webhook string, state hubbub.DeliveryState, after string, limit int) ([]hubbub.Delivery, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpDeliveries, func() ([]hubbub.Delivery, error) {
		return s.deliveries(ctx, webhook, state, after, limit)
	})
}

// deliveries is Deliveries' read. Unlike SQLite's, it answers a missing webhook before a
// limit that asks for nothing.
func (s *Store) deliveries(ctx context.Context, webhook string, state hubbub.DeliveryState, after string, limit int) ([]hubbub.Delivery, error) {
	if err := sqlstore.CheckState(state); err != nil {
		return nil, err
	}
	if !textFits(webhook) {
		return nil, sqlstore.NoWebhook(webhook)
	}
	var found bool
	if err := s.pool.QueryRow(ctx, outboxSQL.WebhookExists, webhook).Scan(&found); err != nil {
		return nil, err
	}
	if !found {
		return nil, sqlstore.NoWebhook(webhook)
	}
	if limit <= 0 {
		return nil, nil
	}
	limit = sqlstore.OutboxPage(limit)
	var from int64
	if after != "" {
		if !textFits(after) {
			return nil, sqlstore.NoCursor(after)
		}
		err := s.pool.QueryRow(ctx, outboxSQL.DeliveryPos, webhook, after).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, sqlstore.NoCursor(after)
		}
		if err != nil {
			return nil, err
		}
	}
	return readDeliveries(s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries
		WHERE webhook = $1 AND dead = $2 AND pos > $3 ORDER BY pos LIMIT $4`, webhook, state == hubbub.DeliveryDead, from, limit))
}

// summarySQL holds the statements of SummarizeDeliveries (sqlstore.SummarySQL); times are
// timestamptz, NULL for none.
var summarySQL = sqlstore.SummarySQL{
	Exists: outboxSQL.WebhookExists,
	Count:  `SELECT count(*), min(created) FROM deliveries WHERE webhook = $1 AND dead = $2`,
	Failed: outboxSQL.SummaryFailed,
	// The heads of the queues are found as dueDeliveries finds them.
	Next: `WITH RECURSIVE q(room) AS (
			SELECT (SELECT room FROM deliveries WHERE webhook = $1 AND NOT dead ORDER BY room LIMIT 1)
			UNION ALL
			SELECT (SELECT room FROM deliveries WHERE webhook = $1 AND NOT dead AND room > q.room ORDER BY room LIMIT 1)
				FROM q WHERE q.room IS NOT NULL)
		SELECT min(d.next_attempt) FROM q CROSS JOIN LATERAL (SELECT next_attempt FROM deliveries
			WHERE webhook = $1 AND room = q.room AND NOT dead ORDER BY seq, pos LIMIT 1) d
		WHERE q.room IS NOT NULL`,
}

// SummarizeDeliveries sums up webhook's deliveries in state; see hubbub.OutboxStore. Its
// reads are one repeatable-read transaction, so the count, the failed one and the next
// attempt agree; JIT is off, as for dueDeliveries.
func (s *Store) SummarizeDeliveries(ctx context.Context, webhook string, state hubbub.DeliveryState) (hubbub.DeliverySummary, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSummarizeDeliveries, func() (hubbub.DeliverySummary, error) {
		if err := sqlstore.CheckState(state); err != nil {
			return hubbub.DeliverySummary{}, err
		}
		if !textFits(webhook) {
			return hubbub.DeliverySummary{}, sqlstore.NoWebhook(webhook)
		}
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return hubbub.DeliverySummary{}, err
		}
		defer rollback(tx) // a read: rolling back ends it as well as a commit
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return hubbub.DeliverySummary{}, err
		}
		row := func(query string, args ...any) sqlstore.Row { return tx.QueryRow(ctx, query, args...) }
		return sqlstore.SummarizeDeliveries(row, summarySQL, webhook, state, utcOrZero)
	})
}

// utcOrZero is the time t holds, in UTC, the zero time for NULL (nil).
func utcOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// ReplayDeliveries makes dead deliveries of webhook pending again; see hubbub.OutboxStore.
func (s *Store) ReplayDeliveries(ctx context.Context, webhook string, ids []string) (int, error) {
	if err := sqlstore.CheckReplayIDs(ids); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpReplayDeliveries, err)
	}
	n := 0
	err := s.inTx(ctx, sqlstore.OpReplayDeliveries, func(tx pgx.Tx, now time.Time) error {
		n = 0
		var found bool
		if textFits(webhook) {
			if err := tx.QueryRow(ctx, outboxSQL.WebhookExists, webhook).Scan(&found); err != nil {
				return err
			}
		}
		if !found {
			return sqlstore.NoWebhook(webhook)
		}
		var fit []string // nil (SQL NULL) replays them all
		for _, id := range ids {
			if textFits(id) {
				fit = append(fit, id)
			}
		}
		if len(ids) > 0 && len(fit) == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET dead = false, attempts = 0, next_attempt = $1, created = $1
			WHERE webhook = $2 AND dead AND ($3::text[] IS NULL OR event_id = ANY($3::text[]))`, now, webhook, fit)
		n = int(tag.RowsAffected())
		return err
	})
	return sqlstore.Result(n, err)
}

// TakeLease gives lease name to holder for ttl unless another holds it unexpired.
func (s *Store) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := sqlstore.CheckLease(name, holder, ttl); err == nil {
		err = checkText("lease name", name, "holder", holder)
		if err != nil {
			return false, s.guard.Wrap(sqlstore.OpTakeLease, err)
		}
	} else {
		return false, s.guard.Wrap(sqlstore.OpTakeLease, err)
	}
	var got bool
	err := s.inTx(ctx, sqlstore.OpTakeLease, func(tx pgx.Tx, now time.Time) error {
		tag, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = $2, until = $3 WHERE leases.holder = $2 OR leases.until <= $4`,
			name, holder, now.Add(ttl), now)
		got = tag.RowsAffected() > 0
		return err
	})
	return got, err
}

// AnnounceNode records n as serving from the store for ttl (0: no more) and returns the
// other nodes' unexpired records; see hubbub.OutboxStore.
func (s *Store) AnnounceNode(ctx context.Context, n hubbub.ServingNode, ttl time.Duration) ([]hubbub.ServingNode, error) {
	err := sqlstore.CheckNode(n, ttl)
	if err == nil {
		err = checkText("node id", n.ID, "node name", n.Name, "broker", n.Broker)
	}
	if err != nil {
		return nil, s.guard.Wrap(sqlstore.OpAnnounceNode, err)
	}
	var others []hubbub.ServingNode
	err = s.inTx(ctx, sqlstore.OpAnnounceNode, func(tx pgx.Tx, now time.Time) error {
		others = others[:0]
		if _, err := tx.Exec(ctx, `DELETE FROM serving_nodes WHERE until <= $1 OR id = $2`, now, n.ID); err != nil {
			return err
		}
		if ttl > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO serving_nodes (id, name, broker, until) VALUES ($1, $2, $3, $4)`,
				n.ID, n.Name, n.Broker, now.Add(ttl.Truncate(time.Millisecond))); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT id, name, broker, until FROM serving_nodes WHERE id <> $1 ORDER BY id`, n.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o hubbub.ServingNode
			if err := rows.Scan(&o.ID, &o.Name, &o.Broker, &o.Until); err != nil {
				return err
			}
			o.Until = o.Until.Truncate(time.Millisecond).UTC()
			others = append(others, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return others, nil
}

// SetNotifyLevel stores user's notification level for room.
func (s *Store) SetNotifyLevel(ctx context.Context, user, room, level string) error {
	if err := sqlstore.CheckNotifyLevel(user, room, level); err == nil {
		if err = checkText("user", user, "room", room); err != nil {
			return s.guard.Wrap(sqlstore.OpSetNotifyLevel, err)
		}
	} else {
		return s.guard.Wrap(sqlstore.OpSetNotifyLevel, err)
	}
	return s.inTx(ctx, sqlstore.OpSetNotifyLevel, func(tx pgx.Tx, _ time.Time) error {
		q, args := sqlstore.SetNotifyLevel(user, room, level)
		_, err := tx.Exec(ctx, q.In(placeholder), args...)
		return err
	})
}

// NotifyLevel reads user's notification level for room (NotifyMention if never set).
func (s *Store) NotifyLevel(ctx context.Context, user, room string) (string, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpNotifyLevel, func() (string, error) {
		if !textFits(user) || !textFits(room) {
			return hubbub.NotifyMention, nil
		}
		var level string
		err := s.pool.QueryRow(ctx, outboxSQL.NotifyLevel, room, user).Scan(&level)
		if errors.Is(err, pgx.ErrNoRows) {
			return hubbub.NotifyMention, nil
		}
		return level, err
	})
}

// TakeNotifyCandidates returns and removes the candidates of up to limit users whose oldest
// is before before; see hubbub.OutboxStore.
func (s *Store) TakeNotifyCandidates(ctx context.Context, before time.Time, limit int) ([]hubbub.NotifyCandidate, error) {
	if limit <= 0 {
		return nil, s.guard.Begin(ctx, sqlstore.OpTakeNotifyCandidates)
	}
	limit = sqlstore.OutboxPage(limit)
	var out []hubbub.NotifyCandidate
	err := s.inTx(ctx, sqlstore.OpTakeNotifyCandidates, func(tx pgx.Tx, _ time.Time) error {
		out = out[:0]
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(outboxLock)); err != nil {
			return err
		}
		var users []string
		var u string
		rows, _ := tx.Query(ctx, `SELECT user_id FROM notify_candidates GROUP BY user_id HAVING min(time) < $1
			ORDER BY min(time), user_id LIMIT $2`, before, limit)
		if _, err := pgx.ForEachRow(rows, []any{&u}, func() error { users = append(users, u); return nil }); err != nil {
			return err
		}
		if len(users) == 0 {
			return nil
		}
		rows, _ = tx.Query(ctx, `DELETE FROM notify_candidates WHERE user_id = ANY($1::text[])
			RETURNING user_id, room, seq, reason, sender, text, time`, users)
		byUser := map[string][]hubbub.NotifyCandidate{}
		var c hubbub.NotifyCandidate
		var seq int64
		if _, err := pgx.ForEachRow(rows, []any{&c.User, &c.Room, &seq, &c.Reason, &c.From, &c.Text, &c.Time}, func() error {
			c.Seq, c.Time = uint64(seq), c.Time.UTC()
			byUser[c.User] = append(byUser[c.User], c)
			return nil
		}); err != nil {
			return err
		}
		for _, u := range users {
			sqlstore.SortCandidates(byUser[u])
			out = append(out, byUser[u]...)
		}
		return nil
	})
	return sqlstore.Result(out, err)
}
