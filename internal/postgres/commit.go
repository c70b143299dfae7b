package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// The statements of a batch transaction.
const (
	// lockRoom creates the room's row if needed and, either way, locks it until the
	// transaction ends, returning the room's last seq as of the lock: the latest committed
	// value, whatever the statement's snapshot. The no-op update is what takes the lock.
	lockRoom = `INSERT INTO rooms (name, last_seq) VALUES ($1, 0)
		ON CONFLICT (name) DO UPDATE SET last_seq = rooms.last_seq RETURNING last_seq`
	// batchTime is the server's clock, read after the locks so that times never go back
	// within a room.
	batchTime = `SELECT date_trunc('milliseconds', clock_timestamp())`
	// findKeys returns the stored messages that hold any of the (room, sender, client_id)
	// keys given. It runs after lockRoom, as a statement of its own and so with a snapshot
	// taken after the locks: it sees every message committed in those rooms.
	findKeys = `SELECT room, sender, client_id, seq, id, text, created_at, deleted FROM messages
		WHERE client_id <> '' AND (room, sender, client_id) IN (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`
	insertMessages = `INSERT INTO messages (room, seq, id, client_id, sender, text, created_at)
		SELECT room, seq, id, client_id, sender, text, $7::timestamptz
		FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
			AS u(room, seq, id, client_id, sender, text)`
	raiseLastSeqs = `UPDATE rooms SET last_seq = u.last_seq
		FROM unnest($1::text[], $2::bigint[]) AS u(name, last_seq) WHERE rooms.name = u.name`
)

// maxAttempts is how often a batch is tried before its appends fail; see retryable.
const maxAttempts = 4

// commitAppends stores the messages of reqs in one transaction and leaves each outcome in
// its request. It is the writers' process function: the queue has left out the requests
// their callers abandoned, and answers the others when it returns.
//
// The transaction first locks the row of every room the batch touches, in the order of
// the room names, which every batch on every node uses: appenders of one room take turns,
// and two batches can never wait for each other's locks (no deadlock). Holding the locks,
// it looks up the client ids of the batch, which finds every message committed before,
// numbers the new messages from the rooms' last seqs, inserts them and raises last_seq.
// A duplicate therefore never takes a seq. The unique index on client ids backs this up
// against writers that do not lock: its violation rolls the batch back and it runs again,
// which then finds the message as a duplicate.
func (w *writer) commitAppends(reqs []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), w.txTimeout) // the batch outlives its callers' contexts
	defer cancel()
	slices.SortStableFunc(reqs, func(a, b *request) int { return strings.Compare(a.msg.Room, b.msg.Room) })
	for attempt := 1; ; attempt++ {
		out, committing, err := w.attempt(ctx, reqs, attempt)
		if err == nil {
			w.batches.Add(1)
			for i, r := range reqs {
				r.res = out[i]
			}
			return
		}
		if committing || attempt == maxAttempts || ctx.Err() != nil || !retryable(err) {
			w.log.Error("postgres: group commit failed", "appends", len(reqs), "attempt", attempt, "err", err)
			for _, r := range reqs {
				r.res = result{err: err}
			}
			return
		}
		w.retries.Add(1)
		w.log.Warn("postgres: retrying batch", "appends", len(reqs), "attempt", attempt, "err", err)
		if connectionLost(err) {
			// The other idle connections are most likely dead too (server restart,
			// failover): drop them rather than fail on each in turn.
			w.pool.Reset()
		}
		select {
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// key is an idempotency key.
type key struct{ room, from, clientID string }

// attempt runs the batch transaction once and returns the outcome of each request of reqs,
// which are sorted by room. committing reports that the error came from COMMIT, after which
// the outcome is unknown and the batch must not run again.
func (w *writer) attempt(ctx context.Context, reqs []*request, attempt int) (out []result, committing bool, err error) {
	tx, err := w.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil && !committing {
			rollback(tx)
		}
	}()

	// Round trip 1: lock the rooms in order, read the clock, look up the client ids.
	var rooms []string
	for _, r := range reqs {
		if len(rooms) == 0 || rooms[len(rooms)-1] != r.msg.Room {
			rooms = append(rooms, r.msg.Room)
		}
	}
	last := make(map[string]int64, len(rooms))
	b := &pgx.Batch{}
	for _, room := range rooms {
		b.Queue(lockRoom, room).QueryRow(func(row pgx.Row) error {
			var seq int64
			err := row.Scan(&seq)
			last[room] = seq
			return err
		})
	}
	var now time.Time
	if w.now == nil {
		b.Queue(batchTime).QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
	} else {
		now = w.now()
	}
	var kr, ks, kc []string
	for _, r := range reqs {
		if r.msg.ClientID != "" {
			kr, ks, kc = append(kr, r.msg.Room), append(ks, r.msg.From), append(kc, r.msg.ClientID)
		}
	}
	found := map[key]hubbub.Entry{}
	if len(kr) > 0 {
		b.Queue(findKeys, kr, ks, kc).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var m hubbub.Entry
				var seq int64
				if err := rows.Scan(&m.Room, &m.From, &m.ClientID, &seq, &m.ID, &m.Text, &m.Time, &m.Deleted); err != nil {
					return err
				}
				m.Seq, m.Time = uint64(seq), m.Time.UTC()
				found[key{m.Room, m.From, m.ClientID}] = m
			}
			return rows.Err()
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, false, fmt.Errorf("lock rooms: %w", err)
	}
	if w.afterLookup != nil {
		w.afterLookup(attempt)
	}

	// Number the new messages; a key seen before, stored or earlier in this batch, is a
	// duplicate.
	now = sqlstore.MsTime(now.UnixMilli())
	out = make([]result, len(reqs))
	var ins struct {
		room, id, clientID, from, text []string
		seq                            []int64
	}
	for i, r := range reqs {
		m := r.msg
		k := key{m.Room, m.From, m.ClientID}
		if m.ClientID != "" {
			if orig, ok := found[k]; ok {
				out[i] = result{msg: orig, dup: true}
				continue
			}
		}
		last[m.Room]++
		m.Seq, m.ID, m.Time = uint64(last[m.Room]), hubbub.NewMessageID(now), now
		if m.ClientID != "" {
			found[k] = m
		}
		out[i] = result{msg: m}
		ins.room, ins.seq, ins.id = append(ins.room, m.Room), append(ins.seq, int64(m.Seq)), append(ins.id, m.ID)
		ins.clientID, ins.from, ins.text = append(ins.clientID, m.ClientID), append(ins.from, m.From), append(ins.text, m.Text)
	}

	// Round trip 2: insert the new messages and raise the rooms' last seqs.
	if len(ins.room) > 0 {
		names := make([]string, 0, len(rooms))
		seqs := make([]int64, 0, len(rooms))
		for _, room := range rooms {
			names, seqs = append(names, room), append(seqs, last[room])
		}
		b := &pgx.Batch{}
		b.Queue(insertMessages, ins.room, ins.seq, ins.id, ins.clientID, ins.from, ins.text, now)
		b.Queue(raiseLastSeqs, names, seqs)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, false, fmt.Errorf("insert: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, true, fmt.Errorf("commit: %w", err)
	}
	return out, false, nil
}

// rollback ends a failed transaction. If the connection is broken, pgx closes it and the
// server rolls back on its own; the timeout only keeps a hung connection from holding the
// writer.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

// retryable reports whether a batch that failed with err before COMMIT may run again:
// nothing of it was committed, and another attempt may succeed.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return true // the connection failed (or a client-side error, which fails again quickly)
	}
	switch {
	case pe.Code == "23505": // unique_violation: only the race on a client id is expected
		return pe.ConstraintName == "messages_client_id"
	case strings.HasPrefix(pe.Code, "40"): // serialization_failure, deadlock_detected
		return true
	}
	return connectionLost(err)
}

// connectionLost reports whether err says the connection is gone: a network error, or the
// server shutting the session down (administrator command, crash, restart).
func connectionLost(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
}
