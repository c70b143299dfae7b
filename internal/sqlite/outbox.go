package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The outbox (migrations/0010_outbox.sql; the rules in sqlstore/outbox.go). Append writes an
// entry's event in the entry's savepoint when a webhook the batch found wants it
// (sqlstore.OutboxFilter; commit.go); every
// other write runs on the writer between two batches, in one IMMEDIATE transaction (write),
// and the reads go to the read-only pool.

var _ hubbub.OutboxStore = (*Store)(nil)

// webhookColumns are what every read of a webhook selects, in the order scanWebhook reads them.
const webhookColumns = `id, url, rooms, events, secret, paused, created_by, created_ms`

// deliveryColumns are what every read of a delivery selects, in the order scanDelivery reads them.
const deliveryColumns = `d.webhook, d.body, d.dead, d.attempts, d.next_ms, d.created_ms, d.last_error`

// anyDueSQL asks whether any delivery is due: one probe of deliveries_due.
const anyDueSQL = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE dead = 0 AND next_ms <= ?)`

// dueSQL is DueDeliveries: the head of each queue (webhook, room) of a webhook not paused,
// if it is due. A dead delivery is in no queue. The rooms of each webhook are found by a skip
// scan of deliveries_queue (q: one index seek per queue) and each head by one more, so the
// cost grows with the number of queues, not with the deliveries waiting behind their heads —
// a receiver down for a day leaves millions of those, which a scan of every pending row (the
// first form of this query) read at each poll. The heads are handed out taking the webhooks in
// turn (turn: each webhook's oldest head, then each one's next oldest, …), so one webhook's
// backlog over many rooms never fills the page and holds back the others.
const dueSQL = `WITH RECURSIVE q(webhook, room) AS (
		SELECT id, (SELECT room FROM deliveries INDEXED BY deliveries_queue
				WHERE webhook = w.id AND dead = 0 ORDER BY room LIMIT 1)
			FROM webhooks w WHERE paused = 0
		UNION ALL
		SELECT webhook, (SELECT room FROM deliveries INDEXED BY deliveries_queue
				WHERE webhook = q.webhook AND dead = 0 AND room > q.room ORDER BY room LIMIT 1)
			FROM q WHERE q.room IS NOT NULL)
	SELECT webhook, body, dead, attempts, next_ms, created_ms, last_error FROM (
		SELECT ` + deliveryColumns + `, d.pos AS pos,
			ROW_NUMBER() OVER (PARTITION BY d.webhook ORDER BY d.next_ms, d.pos) AS turn
		FROM q JOIN deliveries d ON d.rowid = (SELECT rowid FROM deliveries INDEXED BY deliveries_queue
			WHERE webhook = q.webhook AND room = q.room AND dead = 0 ORDER BY seq, pos LIMIT 1)
		WHERE q.room IS NOT NULL AND d.next_ms <= ?)
	ORDER BY turn, next_ms, pos LIMIT ?`

// outboxSQL are the outbox's statements that both schemas share (sqlstore/query.go).
var outboxSQL = sqlstore.NewOutboxSQL(placeholder)

// placeholder is SQLite's numbered placeholder: ?1, ?2, ….
func placeholder(n int) string { return "?" + strconv.Itoa(n) }

func scanWebhook(row scanner) (hubbub.Webhook, error) {
	var w hubbub.Webhook
	var rooms, events string
	var created int64
	if err := row.Scan(&w.ID, &w.URL, &rooms, &events, &w.Secret, &w.Paused, &w.CreatedBy, &created); err != nil {
		return w, err
	}
	if err := sqlstore.DecodeWebhook(&w, rooms, events); err != nil {
		return w, err
	}
	w.Created = sqlstore.MsTime(created)
	return w, nil
}

func scanDelivery(row scanner) (hubbub.Delivery, error) {
	var webhook, body, lastError string
	var dead bool
	var attempts int
	var next, created int64
	if err := row.Scan(&webhook, &body, &dead, &attempts, &next, &created, &lastError); err != nil {
		return hubbub.Delivery{}, err
	}
	return sqlstore.DeliveryOf(webhook, body, dead, attempts, sqlstore.MsTime(next), sqlstore.MsTime(created), lastError)
}

// enqueue writes ev to the outbox inside the writer's open transaction.
func (w *writer) enqueue(ctx context.Context, ev hubbub.OutboxEvent) error {
	body, err := sqlstore.EncodeEvent(ev)
	if err != nil {
		return err
	}
	if _, err := w.stmts.insertOutbox.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// readHooks reads the webhooks' rooms and events inside the open transaction into w.hooks:
// which entries the appends that follow write to the outbox (sqlstore.OutboxFilter).
func (w *writer) readHooks(ctx context.Context) error {
	rows, err := w.stmts.hookRows.QueryContext(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	var list []sqlstore.WebhookRow
	for rows.Next() {
		var r sqlstore.WebhookRow
		if err := rows.Scan(&r.Rooms, &r.Events); err != nil {
			return err
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	w.hooks, err = w.hookCache.Filter(list)
	return err
}

// enqueueEntry writes the event of entry e, as stored, to the outbox if w.hooks wants it.
func (w *writer) enqueueEntry(ctx context.Context, e hubbub.Entry) error {
	if !w.hooks.Any() {
		return nil
	}
	want, err := w.hooks.Wants(&e, func(room string) (bool, error) {
		var all bool
		err := w.stmts.allLevel.QueryRowContext(ctx, room).Scan(&all)
		return all, err
	})
	if err != nil || !want {
		return err
	}
	return w.enqueue(ctx, sqlstore.EntryEvent(e))
}

// CreateWebhook stores a new webhook; see hubbub.OutboxStore.
func (s *Store) CreateWebhook(ctx context.Context, in hubbub.Webhook) (hubbub.Webhook, error) {
	w, err := sqlstore.CheckWebhook(in)
	if err != nil {
		return hubbub.Webhook{}, s.guard.Wrap(sqlstore.OpCreateWebhook, err)
	}
	err = s.write(ctx, sqlstore.OpCreateWebhook, func(ctx context.Context, tx *writeTx) error {
		var n int
		if err := tx.conn.QueryRowContext(ctx, `SELECT count(*) FROM webhooks`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxWebhooks {
			return sqlstore.TooManyWebhooks()
		}
		w.ID, w.Created = sqlstore.NewWebhookID(), tx.now
		_, err := tx.conn.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.URL, sqlstore.EncodeList(w.Rooms), sqlstore.EncodeList(w.Events), w.Secret, w.Paused, w.CreatedBy,
			w.Created.UnixMilli())
		return err
	})
	return sqlstore.Result(w, err)
}

// Webhook returns webhook id.
func (s *Store) Webhook(ctx context.Context, id string) (hubbub.Webhook, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpWebhook, func() (hubbub.Webhook, bool, error) {
		return findWebhook(ctx, s.rdb, id)
	})
}

// Webhooks lists every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) ([]hubbub.Webhook, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpWebhooks, func() ([]hubbub.Webhook, error) {
		return webhooks(ctx, s.rdb)
	})
}

// querier is what the webhooks are read through: the read pool or the writer's connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// findWebhook reads webhook id; found is false if there is none.
func findWebhook(ctx context.Context, q querier, id string) (hubbub.Webhook, bool, error) {
	w, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.Webhook{}, false, nil
	}
	return w, err == nil, unreadable(err)
}

// webhooks reads every webhook, oldest first.
func webhooks(ctx context.Context, q querier) ([]hubbub.Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY created_ms, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadRows(rows, func(rows *sql.Rows) (hubbub.Webhook, error) {
		w, err := scanWebhook(rows)
		return w, unreadable(err)
	})
}

// UpdateWebhook applies c to webhook id and returns it as it is now.
func (s *Store) UpdateWebhook(ctx context.Context, id string, c hubbub.WebhookChange) (hubbub.Webhook, error) {
	var out hubbub.Webhook
	err := s.write(ctx, sqlstore.OpUpdateWebhook, func(ctx context.Context, tx *writeTx) error {
		w, found, err := findWebhook(ctx, tx.conn, id)
		if err != nil {
			return err
		}
		if !found {
			return sqlstore.NoWebhook(id)
		}
		if out, err = sqlstore.ChangeWebhook(w, c); err != nil {
			return err
		}
		_, err = tx.conn.ExecContext(ctx, outboxSQL.UpdateWebhook, sqlstore.UpdateWebhookArgs(out, id)...)
		return err
	})
	return sqlstore.Result(out, err)
}

// DeleteWebhook removes webhook id and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.write(ctx, sqlstore.OpDeleteWebhook, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.conn.ExecContext(ctx, outboxSQL.DeleteWebhook, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return sqlstore.NoWebhook(id)
		}
		_, err = tx.conn.ExecContext(ctx, outboxSQL.DeleteDeliveries, id)
		return err
	})
}

// EnqueueEvent writes ev (a notification) to the outbox if a webhook follows notifications.
func (s *Store) EnqueueEvent(ctx context.Context, ev hubbub.OutboxEvent) error {
	return s.write(ctx, sqlstore.OpEnqueueEvent, func(ctx context.Context, tx *writeTx) error {
		ev, err := sqlstore.CheckEvent(ev, tx.now)
		if err != nil {
			return err
		}
		if err := tx.readHooks(ctx); err != nil || !tx.hooks.Notify() {
			return err
		}
		return tx.enqueue(ctx, ev)
	})
}

// FanOut turns up to limit outbox events into deliveries and notify candidates; see
// hubbub.OutboxStore.
func (s *Store) FanOut(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		return 0, s.guard.Begin(ctx, sqlstore.OpFanOut)
	}
	limit = sqlstore.OutboxPage(limit)
	// The dispatcher asks every poll (a second): an empty outbox is answered from the read
	// pool, so an idle server makes no write transaction, and no sync of the log, for it. An
	// event committed after this look is taken at the next one.
	if err := s.guard.Begin(ctx, sqlstore.OpFanOut); err != nil {
		return 0, err
	}
	var waiting bool
	if err := s.rdb.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM outbox)`).Scan(&waiting); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpFanOut, err)
	}
	if !waiting {
		return 0, nil
	}
	taken := 0
	err := s.write(ctx, sqlstore.OpFanOut, func(ctx context.Context, tx *writeTx) error {
		taken = 0
		hooks, err := webhooks(ctx, tx.conn)
		if err != nil {
			return err
		}
		type event struct {
			pos  int64
			body string
		}
		var evs []event
		rows, err := tx.conn.QueryContext(ctx, `SELECT pos, body FROM outbox ORDER BY pos LIMIT ?`, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e event
			if err := rows.Scan(&e.pos, &e.body); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range evs {
			ev, err := sqlstore.DecodeEvent(e.body)
			if err != nil {
				return err
			}
			for _, h := range hooks {
				if !h.Follows(ev.Room, ev.Kind) {
					continue
				}
				if _, err := tx.conn.ExecContext(ctx, `INSERT OR IGNORE INTO deliveries
					(webhook, event_id, pos, room, seq, next_ms, created_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					h.ID, ev.ID, e.pos, ev.Room, int64(ev.Seq), tx.now.UnixMilli(), tx.now.UnixMilli(), e.body); err != nil {
					return err
				}
			}
			if err := tx.addCandidates(ctx, ev); err != nil {
				return err
			}
		}
		if len(evs) > 0 {
			if _, err := tx.conn.ExecContext(ctx, `DELETE FROM outbox WHERE pos <= ?`, evs[len(evs)-1].pos); err != nil {
				return err
			}
		}
		taken = len(evs)
		return nil
	})
	return sqlstore.Result(taken, err)
}

// addCandidates stores the notify candidates of event ev.
func (tx *writeTx) addCandidates(ctx context.Context, ev hubbub.OutboxEvent) error {
	if ev.Kind != hubbub.HookMessage || ev.Entry == nil {
		return nil
	}
	levels := map[string]string{}
	if err := scanPairs(tx.conn.QueryContext(ctx, `SELECT user_id, level FROM notify_levels WHERE room = ?`, ev.Room))(
		func(a, b string) { levels[a] = b }); err != nil {
		return err
	}
	var members []string
	if sqlstore.NeedMembers(ev, levels) {
		if err := scanPairs(tx.conn.QueryContext(ctx, `SELECT user_id, '' FROM memberships WHERE room = ? AND invited = 0 ORDER BY user_id`, ev.Room))(
			func(a, _ string) { members = append(members, a) }); err != nil {
			return err
		}
	}
	for _, c := range sqlstore.NotifyCandidates(ev, levels, members) {
		if _, err := tx.conn.ExecContext(ctx, `INSERT OR IGNORE INTO notify_candidates (user_id, room, seq, reason, sender, text, time_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.User, c.Room, int64(c.Seq), c.Reason, c.From, c.Text, c.Time.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}

// scanPairs returns a function that calls fn with each row's two text columns.
func scanPairs(rows *sql.Rows, err error) func(fn func(a, b string)) error {
	return func(fn func(a, b string)) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				return err
			}
			fn(a, b)
		}
		return rows.Err()
	}
}

// DueDeliveries returns the deliveries that may be attempted at now; see hubbub.OutboxStore.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]hubbub.Delivery, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpDueDeliveries, func() ([]hubbub.Delivery, error) {
		if limit <= 0 {
			return nil, nil
		}
		// The dispatcher asks after each append that nudges it (while a webhook exists): with
		// nothing due (every queue delivered, or waiting for its retry) one probe of
		// deliveries_due answers, where building the skip scan's plan cost 8 % of the server's
		// CPU under issue 19's ingress load when every append still nudged it. dueSQL returns
		// only deliveries this probe finds.
		var due bool
		if err := s.rdb.QueryRowContext(ctx, anyDueSQL, now.UnixMilli()).Scan(&due); err != nil || !due {
			return nil, err
		}
		return deliveries(s.rdb.QueryContext(ctx, dueSQL, now.UnixMilli(), sqlstore.OutboxPage(limit)))
	})
}

// deliveries reads rows of deliveryColumns.
func deliveries(rows *sql.Rows, err error) ([]hubbub.Delivery, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.ReadRows(rows, func(rows *sql.Rows) (hubbub.Delivery, error) {
		d, err := scanDelivery(rows)
		return d, unreadable(err)
	})
}

// CompleteDelivery removes a delivery that succeeded. It joins the next group commit, as
// RetryDelivery does: a dispatcher records an outcome per request, and one fsync each would
// bound it to the disk's commit rate.
func (s *Store) CompleteDelivery(ctx context.Context, webhook, eventID string) error {
	return s.guard.Do(ctx, sqlstore.OpCompleteDelivery, func() error {
		return s.batchExec(ctx, outboxSQL.DeleteDelivery, webhook, eventID)
	})
}

// RetryDelivery records a failed attempt; with dead the delivery leaves its queue.
func (s *Store) RetryDelivery(ctx context.Context, webhook, eventID string, next time.Time, lastError string, dead bool) error {
	return s.guard.Do(ctx, sqlstore.OpRetryDelivery, func() error {
		return s.batchExec(ctx, `UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_ms = ?,
			dead = max(dead, ?) WHERE webhook = ? AND event_id = ?`,
			sqlstore.CutError(lastError), next.UnixMilli(), dead, webhook, eventID)
	})
}

// batchExec runs one statement in the next group commit.
func (s *Store) batchExec(ctx context.Context, query string, args ...any) error {
	_, err := s.batch(ctx, func(ctx context.Context, w *writer) (int64, error) {
		_, err := w.conn.ExecContext(ctx, query, args...)
		return 0, err
	})
	return err
}

// Deliveries lists webhook's deliveries in state, oldest first, after the one of event after.
func (s *Store) Deliveries(ctx context.Context, webhook string, state hubbub.DeliveryState, after string, limit int) ([]hubbub.Delivery, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpDeliveries, func() ([]hubbub.Delivery, error) {
		if err := sqlstore.CheckState(state); err != nil || limit <= 0 {
			return nil, err
		}
		var found bool
		if err := s.rdb.QueryRowContext(ctx, outboxSQL.WebhookExists, webhook).Scan(&found); err != nil {
			return nil, err
		}
		if !found {
			return nil, sqlstore.NoWebhook(webhook)
		}
		var from int64
		if after != "" {
			err := s.rdb.QueryRowContext(ctx, outboxSQL.DeliveryPos, webhook, after).Scan(&from)
			if errors.Is(err, sql.ErrNoRows) {
				return nil, sqlstore.NoCursor(after)
			}
			if err != nil {
				return nil, err
			}
		}
		return deliveries(s.rdb.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
			WHERE webhook = ? AND dead = ? AND pos > ? ORDER BY pos LIMIT ?`,
			webhook, state == hubbub.DeliveryDead, from, sqlstore.OutboxPage(limit)))
	})
}

// summarySQL holds the statements of SummarizeDeliveries (sqlstore.SummarySQL); times are
// Unix milliseconds, 0 for none.
var summarySQL = sqlstore.SummarySQL{
	Exists: outboxSQL.WebhookExists,
	Count:  `SELECT count(*), coalesce(min(created_ms), 0) FROM deliveries WHERE webhook = ?1 AND dead = ?2`,
	Failed: outboxSQL.SummaryFailed,
	// The heads of the queues are found as dueSQL finds them.
	Next: `WITH RECURSIVE q(room) AS (
			SELECT (SELECT room FROM deliveries INDEXED BY deliveries_queue
				WHERE webhook = ?1 AND dead = 0 ORDER BY room LIMIT 1)
			UNION ALL
			SELECT (SELECT room FROM deliveries INDEXED BY deliveries_queue
				WHERE webhook = ?1 AND dead = 0 AND room > q.room ORDER BY room LIMIT 1)
			FROM q WHERE q.room IS NOT NULL)
		SELECT coalesce(min(d.next_ms), 0) FROM q JOIN deliveries d ON d.rowid = (SELECT rowid FROM deliveries INDEXED BY deliveries_queue
			WHERE webhook = ?1 AND room = q.room AND dead = 0 ORDER BY seq, pos LIMIT 1)
		WHERE q.room IS NOT NULL`,
}

// SummarizeDeliveries sums up webhook's deliveries in state; see hubbub.OutboxStore. Its
// reads are one transaction, so the count, the failed one and the next attempt agree.
func (s *Store) SummarizeDeliveries(ctx context.Context, webhook string, state hubbub.DeliveryState) (hubbub.DeliverySummary, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpSummarizeDeliveries, func() (hubbub.DeliverySummary, error) {
		if err := sqlstore.CheckState(state); err != nil {
			return hubbub.DeliverySummary{}, err
		}
		tx, err := s.rdb.BeginTx(ctx, nil)
		if err != nil {
			return hubbub.DeliverySummary{}, err
		}
		defer tx.Rollback() //nolint:errcheck // a read: rolling back ends it
		row := func(query string, args ...any) sqlstore.Row { return tx.QueryRowContext(ctx, query, args...) }
		return sqlstore.SummarizeDeliveries(row, summarySQL, webhook, state, msTimeOrZero)
	})
}

// msTimeOrZero is the time of Unix milliseconds ms, the zero time for 0 (none).
func msTimeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return sqlstore.MsTime(ms)
}

// ReplayDeliveries makes dead deliveries of webhook pending again; see hubbub.OutboxStore.
func (s *Store) ReplayDeliveries(ctx context.Context, webhook string, ids []string) (int, error) {
	if err := sqlstore.CheckReplayIDs(ids); err != nil {
		return 0, s.guard.Wrap(sqlstore.OpReplayDeliveries, err)
	}
	n := 0
	err := s.write(ctx, sqlstore.OpReplayDeliveries, func(ctx context.Context, tx *writeTx) error {
		n = 0
		var found bool
		if err := tx.conn.QueryRowContext(ctx, outboxSQL.WebhookExists, webhook).Scan(&found); err != nil {
			return err
		}
		if !found {
			return sqlstore.NoWebhook(webhook)
		}
		const replay = `UPDATE deliveries SET dead = 0, attempts = 0, next_ms = ?1, created_ms = ?1 WHERE webhook = ?2 AND dead = 1`
		if len(ids) == 0 {
			res, err := tx.conn.ExecContext(ctx, replay, tx.now.UnixMilli(), webhook)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			n = int(m)
			return err
		}
		for _, id := range ids {
			res, err := tx.conn.ExecContext(ctx, replay+` AND event_id = ?3`, tx.now.UnixMilli(), webhook, id)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(m)
		}
		return nil
	})
	return sqlstore.Result(n, err)
}

// TakeLease gives lease name to holder for ttl unless another holds it unexpired.
func (s *Store) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := sqlstore.CheckLease(name, holder, ttl); err != nil {
		return false, s.guard.Wrap(sqlstore.OpTakeLease, err)
	}
	var got bool
	err := s.write(ctx, sqlstore.OpTakeLease, func(ctx context.Context, tx *writeTx) error {
		// The writer's clock to the millisecond, not tx.now's: a lease is about wall time.
		now := tx.writer.now().UnixMilli()
		res, err := tx.conn.ExecContext(ctx, `INSERT INTO leases (name, holder, until_ms) VALUES (?1, ?2, ?3)
			ON CONFLICT (name) DO UPDATE SET holder = ?2, until_ms = ?3 WHERE holder = ?2 OR until_ms <= ?4`,
			name, holder, now+ttl.Milliseconds(), now)
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		got = m > 0
		return err
	})
	return got, err
}

// AnnounceNode records n as serving from the store for ttl (0: no more) and returns the
// other nodes' unexpired records; see hubbub.OutboxStore.
func (s *Store) AnnounceNode(ctx context.Context, n hubbub.ServingNode, ttl time.Duration) ([]hubbub.ServingNode, error) {
	if err := sqlstore.CheckNode(n, ttl); err != nil {
		return nil, s.guard.Wrap(sqlstore.OpAnnounceNode, err)
	}
	var others []hubbub.ServingNode
	err := s.write(ctx, sqlstore.OpAnnounceNode, func(ctx context.Context, tx *writeTx) error {
		others = others[:0]
		// The writer's clock to the millisecond, as a lease's: a record is about wall time.
		now := tx.writer.now().UnixMilli()
		if _, err := tx.conn.ExecContext(ctx, `DELETE FROM serving_nodes WHERE until_ms <= ?1 OR id = ?2`, now, n.ID); err != nil {
			return err
		}
		if ttl > 0 {
			if _, err := tx.conn.ExecContext(ctx, `INSERT INTO serving_nodes (id, name, broker, until_ms) VALUES (?1, ?2, ?3, ?4)`,
				n.ID, n.Name, n.Broker, now+ttl.Milliseconds()); err != nil {
				return err
			}
		}
		rows, err := tx.conn.QueryContext(ctx, `SELECT id, name, broker, until_ms FROM serving_nodes WHERE id <> ?1 ORDER BY id`, n.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o hubbub.ServingNode
			var until int64
			if err := rows.Scan(&o.ID, &o.Name, &o.Broker, &until); err != nil {
				return err
			}
			o.Until = time.UnixMilli(until).UTC()
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
	if err := sqlstore.CheckNotifyLevel(user, room, level); err != nil {
		return s.guard.Wrap(sqlstore.OpSetNotifyLevel, err)
	}
	return s.write(ctx, sqlstore.OpSetNotifyLevel, func(ctx context.Context, tx *writeTx) error {
		q, args := sqlstore.SetNotifyLevel(user, room, level)
		_, err := tx.conn.ExecContext(ctx, q.In(placeholder), args...)
		return err
	})
}

// NotifyLevel reads user's notification level for room (NotifyMention if never set).
func (s *Store) NotifyLevel(ctx context.Context, user, room string) (string, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpNotifyLevel, func() (string, error) {
		var level string
		err := s.rdb.QueryRowContext(ctx, outboxSQL.NotifyLevel, room, user).Scan(&level)
		if errors.Is(err, sql.ErrNoRows) {
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
	err := s.write(ctx, sqlstore.OpTakeNotifyCandidates, func(ctx context.Context, tx *writeTx) error {
		out = out[:0]
		var users []string
		if err := scanPairs(tx.conn.QueryContext(ctx, `SELECT user_id, '' FROM notify_candidates
			GROUP BY user_id HAVING min(time_ms) < ? ORDER BY min(time_ms), user_id LIMIT ?`, before.UnixMilli(), limit))(
			func(u, _ string) { users = append(users, u) }); err != nil {
			return err
		}
		for _, u := range users {
			rows, err := tx.conn.QueryContext(ctx, `DELETE FROM notify_candidates WHERE user_id = ?
				RETURNING room, seq, reason, sender, text, time_ms`, u)
			if err != nil {
				return err
			}
			var mine []hubbub.NotifyCandidate
			for rows.Next() {
				c := hubbub.NotifyCandidate{User: u}
				var seq, ms int64
				if err := rows.Scan(&c.Room, &seq, &c.Reason, &c.From, &c.Text, &ms); err != nil {
					rows.Close()
					return err
				}
				c.Seq, c.Time = uint64(seq), sqlstore.MsTime(ms)
				mine = append(mine, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			sqlstore.SortCandidates(mine)
			out = append(out, mine...)
		}
		return nil
	})
	return sqlstore.Result(out, err)
}
