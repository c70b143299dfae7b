package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub/internal/sqlstore"
)

// findCuts returns, for every room that holds messages the retention policy no longer
// keeps, the lowest seq to keep: prune deletes the seqs below it.
//
// It is sqlstore.Cut in SQL, for every room in one statement: MaxPerRoom ($1) cuts below
// last_seq-MaxPerRoom+1, MaxAge cuts below the oldest message young enough to keep, found
// by walking the room from its oldest message, and the higher cut wins. The age limit is $2 microseconds before $3, or before the
// server's clock if $3 is NULL, in whole milliseconds as the stored times are: a message
// exactly MaxAge old is kept. Messages committed after the statement's snapshot are above
// the last_seq it reads, so they are never cut.
const findCuts = `WITH cutoff AS (
	SELECT date_trunc('milliseconds', coalesce($3::timestamptz, clock_timestamp()) - $2::bigint * interval '1 microsecond') AS t
), cuts AS MATERIALIZED (
	SELECT r.name, greatest(
		CASE WHEN $1::bigint > 0 THEN r.last_seq - $1::bigint + 1 ELSE 0 END,
		CASE WHEN $2::bigint > 0 THEN coalesce(
			(SELECT m.seq FROM messages m WHERE m.room = r.name AND m.created_at >= (SELECT t FROM cutoff)
				ORDER BY m.seq LIMIT 1),
			r.last_seq + 1) ELSE 0 END) AS cut
	FROM rooms r
)
SELECT name, cut FROM cuts c
WHERE cut > 1 AND EXISTS (SELECT 1 FROM messages m WHERE m.room = c.name AND m.seq < c.cut)`

// deletePrefix deletes a room's messages below a seq: a range of the primary key.
const deletePrefix = `DELETE FROM messages WHERE room = $1 AND seq < $2`

// Prune deletes what Options.Retention no longer keeps and returns how many messages went.
// Appends go on meanwhile: they add above what Prune cuts. rooms.last_seq is untouched, so
// seqs are never reused. Several nodes may prune at once; each reports what it deleted.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpPrune); err != nil {
		return 0, err
	}
	removed, rooms, err := s.prune(ctx)
	if err != nil {
		return 0, s.guard.Wrap(sqlstore.OpPrune, err)
	}
	if removed > 0 {
		s.log.Info("postgres: pruned messages", "removed", removed, "rooms", rooms)
	}
	return removed, nil
}

func (s *Store) prune(ctx context.Context) (removed int64, rooms int, err error) {
	if sqlstore.KeepsAll(s.ret) {
		return 0, 0, nil
	}
	var ageMicros int64
	if s.ret.MaxAge > 0 {
		ageMicros = max(1, int64(s.ret.MaxAge/time.Microsecond))
	}
	var now *time.Time
	if s.now != nil {
		t := s.now()
		now = &t
	}
	rows, _ := s.pool.Query(ctx, findCuts, int64(max(0, s.ret.MaxPerRoom)), ageMicros, now)
	type cut struct {
		room string
		seq  int64
	}
	cuts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (cut, error) {
		var c cut
		err := row.Scan(&c.room, &c.seq)
		return c, err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("find cuts: %w", err)
	}
	if len(cuts) == 0 {
		return 0, 0, nil
	}
	// One round trip; statements of a batch run in one implicit transaction.
	b := &pgx.Batch{}
	for _, c := range cuts {
		b.Queue(deletePrefix, c.room, c.seq).Exec(func(tag pgconn.CommandTag) error {
			removed += tag.RowsAffected()
			return nil
		})
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, 0, fmt.Errorf("delete: %w", err)
	}
	return removed, len(cuts), nil
}
